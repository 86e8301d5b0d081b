import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import { connectionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import '../components/block-chart.ts';
import '../components/copyable-value.ts';
import { NodeStatusController } from '../controllers/node-status-controller.ts';
import { RecentBlocksController } from '../controllers/recent-blocks-controller.ts';

/** Who we are in which consortium, how the chain is moving, and who validates it. */
export class OverviewScreen extends LitElement {
  static override styles = [
    screenStyles,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(22rem, 1fr));
        gap: var(--sl-spacing-large);
      }
      .big {
        font-size: var(--sl-font-size-2x-large);
        font-weight: var(--sl-font-weight-bold);
      }
      ul {
        margin: 0;
        padding-left: var(--sl-spacing-large);
      }
    `,
  ];

  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #status = new NodeStatusController(this, () => this.#connection.value);
  readonly #blocks = new RecentBlocksController(this, () => this.#connection.value, 30);

  constructor() {
    super();
    updateWhenLocaleChanges(this);
  }

  override render(): TemplateResult {
    const status = this.#status.status;
    if (status === undefined) {
      const error = this.#status.error;
      return html`<h1>${msg('Overview', { id: 'nav.overview' })}</h1>
        ${error === undefined ? html`<sl-spinner aria-label=${msg('Loading', { id: 'common.loading' })}></sl-spinner>` : html`<sl-alert variant="danger" open>${error.message} (${error.code})</sl-alert>`}`;
    }
    return html`
      <h1>${msg('Overview', { id: 'nav.overview' })}</h1>
      <div class="grid">
        <section class="card" aria-labelledby="org-heading">
          <h2 id="org-heading">${msg('Organisation', { id: 'overview.organisation' })}</h2>
          <dl class="fields">
            <dt>${msg('Name', { id: 'field.name' })}</dt>
            <dd data-testid="overview-org-name">${status.organisation.name}</dd>
            <dt>${msg('Id', { id: 'field.id' })}</dt>
            <dd><ingot-copyable-value .value=${status.organisation.id} label=${msg('organisation id', { id: 'overview.orgIdNoun' })}></ingot-copyable-value></dd>
          </dl>
          <h2>${msg('Consortium', { id: 'overview.consortium' })}</h2>
          <dl class="fields">
            <dt>${msg('Name', { id: 'field.name' })}</dt>
            <dd data-testid="overview-consortium-name">${status.consortiumName}</dd>
            <dt>${msg('Id', { id: 'field.id' })}</dt>
            <dd><ingot-copyable-value .value=${status.consortiumId} label=${msg('consortium id', { id: 'overview.consortiumIdNoun' })}></ingot-copyable-value></dd>
          </dl>
        </section>
        <section class="card" aria-labelledby="chain-heading">
          <h2 id="chain-heading">${msg('Chain', { id: 'overview.chain' })}</h2>
          <dl class="fields">
            <dt>${msg('Height', { id: 'field.height' })}</dt>
            <dd class="big" data-testid="overview-height">${status.height}</dd>
            <dt>${msg('Transactions', { id: 'chart.txs' })}</dt>
            <dd>${status.txCount}</dd>
            <dt>${msg('Waiting in the mempool', { id: 'overview.mempool' })}</dt>
            <dd>${status.mempool.size}</dd>
          </dl>
        </section>
      </div>
      <section class="card" aria-labelledby="activity-heading">
        <h2 id="activity-heading">${msg('Recent blocks', { id: 'overview.activity' })}</h2>
        ${this.#blocks.error === undefined ? '' : html`<sl-alert variant="danger" open>${this.#blocks.error.message} (${this.#blocks.error.code})</sl-alert>`}
        <ingot-block-chart .blocks=${this.#blocks.blocks}></ingot-block-chart>
      </section>
      <div class="grid">
        <section class="card" aria-labelledby="validators-heading">
          <h2 id="validators-heading">${msg('Validators', { id: 'overview.validators' })}</h2>
          <table data-testid="validators">
            <thead>
              <tr>
                <th>${msg('Organisation', { id: 'overview.organisation' })}</th>
                <th>${msg('Key', { id: 'overview.key' })}</th>
                <th>${msg('Power', { id: 'overview.power' })}</th>
              </tr>
            </thead>
            <tbody>
              ${status.validators.map(
                (validator) => html`<tr>
                  <td><a href="#/explorer/subject/${validator.org}" class="mono">${validator.org === status.organisation.id ? status.organisation.name : validator.org.slice(0, 12) + '…'}</a></td>
                  <td class="mono">${validator.key.slice(0, 16)}…</td>
                  <td>${validator.power}</td>
                </tr>`,
              )}
            </tbody>
          </table>
        </section>
        <section class="card" aria-labelledby="peers-heading">
          <h2 id="peers-heading">${msg('Peers', { id: 'overview.peers' })}</h2>
          ${status.peers.length === 0
            ? html`<p class="muted" data-testid="no-peers">${msg('No peers yet.', { id: 'overview.noPeers' })}</p>`
            : html`<ul data-testid="peers">
                ${status.peers.map(
                  (peer) => html`<li><span class="mono">${peer.peerId}</span> — ${peer.connection === 'direct' ? msg('direct', { id: 'overview.direct' }) : msg('relayed', { id: 'overview.relayed' })}</li>`,
                )}
              </ul>`}
        </section>
      </div>
    `;
  }
}

customElements.define('ingot-overview-screen', OverviewScreen);
