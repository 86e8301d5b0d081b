import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, html, type TemplateResult } from 'lit';
import type { NodeExited } from '../../../node-core/src/api/bridge.ts';
import { connectionContext } from '../app/context.ts';
import { toastError } from '../app/toast.ts';

/** Desktop only: the node's process died; offer to start it again. */
export class NodeExitedBanner extends LitElement {
  static override properties = { exit: { attribute: false }, restarting: { state: true } };

  declare exit: NodeExited | undefined;
  declare restarting: boolean;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.exit = undefined;
    this.restarting = false;
  }

  override render(): TemplateResult {
    const code = this.exit?.code === null || this.exit === undefined ? msg('signal', { id: 'nodeExited.signal' }) : String(this.exit.code);
    return html`
      <sl-alert variant="danger" open data-testid="node-exited">
        <sl-icon slot="icon" name="exclamation-octagon"></sl-icon>
        <strong>${msg('The node process stopped.', { id: 'nodeExited.title' })}</strong>
        <div>${msg(str`${this.exit?.reason ?? ''} (exit ${code})`, { id: 'nodeExited.reason' })}</div>
        <sl-button size="small" variant="primary" ?loading=${this.restarting} @click=${this.#restart} data-testid="node-restart">
          ${msg('Restart the node', { id: 'nodeExited.restart' })}
        </sl-button>
      </sl-alert>
    `;
  }

  async #restart(): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined) return;
    this.restarting = true;
    try {
      await connection.call('shell.restartNode', {});
    } catch (error) {
      toastError(msg('Could not restart the node', { id: 'nodeExited.restartFailed' }), error);
    } finally {
      this.restarting = false;
    }
  }
}

customElements.define('ingot-node-exited-banner', NodeExitedBanner);
