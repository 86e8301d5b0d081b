import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type { AppPhase } from '../../../node-core/src/api/methods.ts';
import { connectionContext } from '../app/context.ts';
import { ClockController } from '../controllers/clock-controller.ts';
import { NodeStatusController } from '../controllers/node-status-controller.ts';
import { ageText } from '../i18n/format.ts';

/** With peers to learn from, a head this old means the node is catching up rather than idle. */

type Health = 'connected' | 'syncing' | 'connecting' | 'offline';

/** Always at the bottom: whether the node answers, its height, peers and the age of its last block. */
export class StatusBar extends LitElement {
  static override properties = { phase: {} };

  static override styles = css`
    :host {
      display: flex;
      gap: var(--sl-spacing-large);
      align-items: center;
      padding: var(--sl-spacing-2x-small) var(--sl-spacing-large);
      border-top: 1px solid var(--sl-panel-border-color);
      background: var(--sl-panel-background-color);
      font-size: var(--sl-font-size-small);
    }
  `;

  declare phase: AppPhase | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #status = new NodeStatusController(this, () => this.#connection.value);
  readonly #clock = new ClockController(this);
  #stopStatus: (() => void) | undefined;

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.phase = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#stopStatus = this.#connection.value?.onStatus(() => this.requestUpdate());
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#stopStatus?.();
  }

  override render(): TemplateResult {
    const status = this.phase === 'running' ? this.#status.status : undefined;
    const health = this.#health();
    const labels: Record<Health, string> = {
      connected: msg('Connected', { id: 'status.connected' }),
      syncing: msg('Syncing', { id: 'status.syncing' }),
      connecting: msg('Connecting…', { id: 'status.connecting' }),
      offline: msg('Offline', { id: 'status.offline' }),
    };
    const variants: Record<Health, string> = { connected: 'success', syncing: 'warning', connecting: 'neutral', offline: 'danger' };
    return html`
        <sl-badge variant=${variants[health]} pill data-testid="status-connection" data-state=${health}>${labels[health]}</sl-badge>
        ${status === undefined
          ? ''
          : html`
              <span data-testid="status-height">${msg(str`Height ${status.height}`, { id: 'status.height' })}</span>
              <span data-testid="status-peers">${msg(str`Peers ${status.peers.length}`, { id: 'status.peers' })}</span>
              <span data-testid="status-last-block">${msg(str`Last block ${ageText(status.lastBlockTime, this.#clock.now)}`, { id: 'status.lastBlock' })}</span>
            `}
    `;
  }

  #health(): Health {
    const connection = this.#connection.value;
    if (connection === undefined || connection.status === 'closed') return 'offline';
    if (connection.status === 'connecting') return 'connecting';
    if (this.#status.error !== undefined && this.phase === 'running') return 'offline';
    const status = this.#status.status;
    if (status !== undefined && (status.sync.syncing || status.sync.target > status.height)) return 'syncing';
    return 'connected';
  }
}

customElements.define('ingot-status-bar', StatusBar);
