import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, html, type PropertyValues, type TemplateResult } from 'lit';
import type { Results } from '../../../node-core/src/api/methods.ts';
import { connectionContext, sessionContext } from '../app/context.ts';
import { routeHref } from '../app/routes.ts';
import { screenStyles } from '../app/styles.ts';
import '../components/copyable-value.ts';
import { describeError } from '../rpc/connection.ts';

/** One block: its header, its transactions and how many validators signed its commit. */
export class BlockDetail extends LitElement {
  static override properties = { height: { type: Number }, block: { state: true }, problem: { state: true } };
  static override styles = screenStyles;

  declare height: number;
  declare block: Results['block.get'] | undefined;
  declare problem: { message: string; code: string } | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.height = 0;
    this.block = undefined;
    this.problem = undefined;
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('height')) void this.#load(this.height);
  }

  override render(): TemplateResult {
    const title = html`<h2>${msg(str`Block ${this.height}`, { id: 'block.title' })}</h2>
      <p class="row">
        <a href=${routeHref({ name: 'explorer' })}>${msg('All blocks', { id: 'block.all' })}</a>
        ${this.height > 0 ? html`<a href=${routeHref({ name: 'block', height: this.height - 1 })} data-testid="block-prev">${msg('Previous block', { id: 'block.previous' })}</a>` : ''}
        <a href=${routeHref({ name: 'block', height: this.height + 1 })} data-testid="block-next">${msg('Next block', { id: 'block.next' })}</a>
      </p>`;
    if (this.problem !== undefined) return html`${title}<sl-alert variant="danger" open data-testid="block-error">${this.problem.message} (${this.problem.code})</sl-alert>`;
    const block = this.block;
    if (block === undefined) return html`${title}<sl-spinner aria-label=${msg('Loading', { id: 'common.loading' })}></sl-spinner>`;
    const { header, txs, commit } = block;
    const locale = this.#session.value?.locale ?? 'en';
    return html`
      ${title}
      <section class="card" data-testid="block-detail">
        <dl class="fields">
          <dt>${msg('Hash', { id: 'field.hash' })}</dt>
          <dd><ingot-copyable-value .value=${header.hash} label=${msg('block hash', { id: 'block.hashNoun' })}></ingot-copyable-value></dd>
          <dt>${msg('Time', { id: 'field.time' })}</dt>
          <dd>${new Date(header.time).toLocaleString(locale)}</dd>
          <dt>${msg('Proposer', { id: 'field.proposer' })}</dt>
          <dd class="mono">${header.proposer}</dd>
          <dt>${msg('Previous hash', { id: 'block.prev' })}</dt>
          <dd class="mono">${header.prev}</dd>
          <dt>${msg('Transaction root', { id: 'block.txRoot' })}</dt>
          <dd class="mono">${header.txRoot}</dd>
          <dt>${msg('Results root', { id: 'block.resultsRoot' })}</dt>
          <dd class="mono">${header.resultsRoot}</dd>
          <dt>${msg('State root', { id: 'block.stateRoot' })}</dt>
          <dd class="mono">${header.stateRoot}</dd>
          <dt>${msg('Commit signatures', { id: 'block.signatures' })}</dt>
          <dd data-testid="block-signatures">
            ${commit === null ? msg('none (genesis block)', { id: 'block.genesis' }) : msg(str`${commit.signatures.length} (round ${commit.round})`, { id: 'block.signatureCount' })}
          </dd>
        </dl>
      </section>
      <section class="card">
        <h2>${msg(str`Transactions (${txs.length})`, { id: 'block.txs' })}</h2>
        ${txs.length === 0
          ? html`<p class="muted">${msg('No transactions in this block.', { id: 'block.noTxs' })}</p>`
          : html`<ol>
              ${txs.map((hash) => html`<li><a class="mono" data-testid="tx-link" href=${routeHref({ name: 'tx', hash })}>${hash}</a></li>`)}
            </ol>`}
      </section>
    `;
  }

  async #load(height: number): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined) return;
    this.block = undefined;
    this.problem = undefined;
    try {
      const block = await connection.call('block.get', { height });
      if (height === this.height) this.block = block;
    } catch (error) {
      if (height === this.height) this.problem = describeError(error);
    }
  }
}

customElements.define('ingot-block-detail', BlockDetail);
