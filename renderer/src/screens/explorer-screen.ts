import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import { connectionContext, sessionContext } from '../app/context.ts';
import { routeHref, type ExplorerRoute } from '../app/routes.ts';
import { screenStyles } from '../app/styles.ts';
import { toast, toastError } from '../app/toast.ts';
import { ClockController } from '../controllers/clock-controller.ts';
import { RecentBlocksController } from '../controllers/recent-blocks-controller.ts';
import { ageText } from '../i18n/format.ts';
import { shortHex } from '../lib/format.ts';
import { classifySearch } from '../lib/search.ts';
import { NodeCallError } from '../rpc/connection.ts';
import './block-detail.ts';
import './subject-history.ts';
import './tx-detail.ts';

/** The ledger as it grows: latest blocks, a search box, and the details they lead to. */
export class ExplorerScreen extends LitElement {
  static override properties = { route: { attribute: false }, searching: { state: true } };
  static override styles = [
    screenStyles,
    css`
      form {
        display: flex;
        gap: var(--sl-spacing-small);
        margin-bottom: var(--sl-spacing-large);
      }
      form sl-input {
        flex: 1;
      }
      tbody tr {
        cursor: pointer;
      }
      tbody tr:hover {
        background: var(--sl-color-neutral-100);
      }
    `,
  ];

  declare route: ExplorerRoute;
  declare searching: boolean;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });
  readonly #blocks = new RecentBlocksController(this, () => this.#connection.value, 20);
  readonly #clock = new ClockController(this);

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.route = { name: 'explorer' };
    this.searching = false;
  }

  override render(): TemplateResult {
    return html`
      <h1>${msg('Explorer', { id: 'nav.explorer' })}</h1>
      <form role="search" @submit=${this.#search}>
        <sl-input
          data-testid="explorer-search"
          name="query"
          clearable
          label=${msg('Search', { id: 'explorer.search' })}
          placeholder=${msg('Transaction or block hash, block height, or subject id', { id: 'explorer.searchPlaceholder' })}
        >
          <sl-icon slot="prefix" name="search"></sl-icon>
        </sl-input>
        <sl-button type="submit" variant="primary" ?loading=${this.searching} style="align-self:end" data-testid="explorer-search-submit">
          ${msg('Search', { id: 'explorer.search' })}
        </sl-button>
      </form>
      ${this.#renderRoute()}
    `;
  }

  #renderRoute(): TemplateResult {
    const route = this.route;
    switch (route.name) {
      case 'block':
        return html`<ingot-block-detail .height=${route.height}></ingot-block-detail>`;
      case 'tx':
        return html`<ingot-tx-detail .hash=${route.hash}></ingot-tx-detail>`;
      case 'subject':
        return html`<ingot-subject-history .subject=${route.id}></ingot-subject-history>`;
      case 'explorer':
        return this.#renderLatest();
    }
  }

  #renderLatest(): TemplateResult {
    const locale = this.#session.value?.locale ?? 'en';
    const { blocks, error, loading } = this.#blocks;
    return html`
      <section class="card" aria-labelledby="latest-heading">
        <h2 id="latest-heading">${msg('Latest blocks', { id: 'explorer.latest' })}</h2>
        ${error === undefined ? '' : html`<sl-alert variant="danger" open>${error.message} (${error.code})</sl-alert>`}
        ${loading ? html`<sl-spinner aria-label=${msg('Loading', { id: 'common.loading' })}></sl-spinner>` : ''}
        <table data-testid="block-table">
          <thead>
            <tr>
              <th>${msg('Height', { id: 'field.height' })}</th>
              <th>${msg('Time', { id: 'field.time' })}</th>
              <th>${msg('Transactions', { id: 'chart.txs' })}</th>
              <th>${msg('Proposer', { id: 'field.proposer' })}</th>
              <th>${msg('Hash', { id: 'field.hash' })}</th>
            </tr>
          </thead>
          <tbody>
            ${blocks.map(
              ({ header, txCount }) => html`<tr data-testid="block-row" data-height=${header.height} @click=${() => (window.location.hash = routeHref({ name: 'block', height: header.height }))}>
                <td><a href=${routeHref({ name: 'block', height: header.height })}>${header.height}</a></td>
                <td title=${new Date(header.time).toLocaleString(locale)}>${ageText(header.time, this.#clock.now)}</td>
                <td>${txCount}</td>
                <td class="mono">${shortHex(header.proposer)}</td>
                <td class="mono">${shortHex(header.hash)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </section>
    `;
  }

  async #search(event: Event): Promise<void> {
    event.preventDefault();
    const input = this.renderRoot.querySelector<SlInput>('sl-input[name=query]');
    const query = classifySearch(input?.value ?? '');
    switch (query.kind) {
      case 'empty':
        return;
      case 'height':
        window.location.hash = routeHref({ name: 'block', height: query.height });
        return;
      case 'subject':
        window.location.hash = routeHref({ name: 'subject', id: query.subject });
        return;
      case 'hash':
        await this.#findHash(query.hash);
    }
  }

  /** A 32-byte hash names a transaction or a block; ask for the first, then the second. */
  async #findHash(hash: string): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined) return;
    this.searching = true;
    try {
      await connection.call('tx.get', { hash });
      window.location.hash = routeHref({ name: 'tx', hash });
    } catch (error) {
      if (!(error instanceof NodeCallError && error.code === 'TX_NOT_FOUND')) {
        toastError(msg('Search failed', { id: 'explorer.searchFailed' }), error);
        return;
      }
      try {
        const block = await connection.call('block.get', { hash });
        window.location.hash = routeHref({ name: 'block', height: block.header.height });
      } catch (blockError) {
        if (blockError instanceof NodeCallError && blockError.code === 'BLOCK_NOT_FOUND') {
          toast(msg('Nothing found', { id: 'explorer.notFound' }), 'primary', msg(str`No transaction or block has the hash ${hash}.`, { id: 'explorer.notFoundHash' }));
        } else {
          toastError(msg('Search failed', { id: 'explorer.searchFailed' }), blockError);
        }
      }
    } finally {
      this.searching = false;
    }
  }
}

customElements.define('ingot-explorer-screen', ExplorerScreen);
