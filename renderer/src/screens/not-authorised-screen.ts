import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, html, type TemplateResult } from 'lit';
import { screenStyles } from '../app/styles.ts';

/** Web mode without a token the node accepts: the only way in is the link `ingot ui` prints. */
export class NotAuthorisedScreen extends LitElement {
  static override properties = { reason: {} };
  static override styles = screenStyles;

  declare reason: 'no-token' | 'unauthorised';

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.reason = 'unauthorised';
  }

  override render(): TemplateResult {
    return html`
      <div class="card" data-testid="not-authorised">
        <h1>${msg('Not authorised', { id: 'auth.title' })}</h1>
        <p>
          ${this.reason === 'no-token'
            ? msg('This page needs the API token of the node.', { id: 'auth.noToken' })
            : msg('The node did not accept the API token of this page.', { id: 'auth.rejected' })}
        </p>
        <p>${msg('Open the link printed by `ingot ui` in the terminal where the node runs.', { id: 'auth.hint' })}</p>
      </div>
    `;
  }
}

customElements.define('ingot-not-authorised-screen', NotAuthorisedScreen);
