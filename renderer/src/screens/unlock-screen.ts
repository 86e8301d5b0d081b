import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlCheckbox from '@shoelace-style/shoelace/dist/components/checkbox/checkbox.js';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import { connectionContext, sessionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { submitShowingProblem } from '../app/submit.ts';

/** The keys are on disk, encrypted: the passphrase opens them and starts the node. */
export class UnlockScreen extends LitElement {
  static override properties = { passphrase: { state: true }, remember: { state: true }, busy: { state: true }, problem: { state: true } };
  static override styles = [
    screenStyles,
    css`
      .card {
        max-width: 32rem;
        margin: 10vh auto;
      }
    `,
  ];

  declare passphrase: string;
  declare remember: boolean;
  declare busy: boolean;
  declare problem: { message: string; code: string } | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.passphrase = '';
    this.remember = false;
    this.busy = false;
    this.problem = undefined;
  }

  override render(): TemplateResult {
    const appState = this.#session.value?.appState;
    // A failed earlier attempt (e.g. a remembered passphrase that no longer fits) is shown too.
    const problem = this.problem ?? appState?.error;
    return html`
      <div class="card">
        <h1>${msg('Unlock Ingot', { id: 'unlock.title' })}</h1>
        <form class="form" @submit=${this.#unlock}>
          <sl-input
            data-testid="unlock-passphrase"
            type="password"
            password-toggle
            autocomplete="current-password"
            autofocus
            label=${msg('Passphrase', { id: 'firstRun.passphrase' })}
            .value=${this.passphrase}
            @sl-input=${(event: Event) => (this.passphrase = (event.target as SlInput).value)}
          ></sl-input>
          ${appState?.canRememberPassphrase === true
            ? html`<sl-checkbox data-testid="unlock-remember" ?checked=${this.remember} @sl-change=${(event: Event) => (this.remember = (event.target as SlCheckbox).checked)}>
                ${msg('Remember the passphrase on this computer', { id: 'passphrase.remember' })}
              </sl-checkbox>`
            : ''}
          ${problem === undefined
            ? ''
            : html`<sl-alert variant="danger" open data-testid="unlock-error">
                <sl-icon slot="icon" name="exclamation-octagon"></sl-icon>
                ${problem.code === 'KEYSTORE_WRONG_PASSPHRASE' ? msg('Wrong passphrase.', { id: 'unlock.wrong' }) : problem.message} (${problem.code})
              </sl-alert>`}
          ${this.busy ? html`<sl-progress-bar indeterminate label=${msg('Unlocking', { id: 'unlock.progress' })}></sl-progress-bar>` : ''}
          <sl-button data-testid="unlock-submit" type="submit" variant="primary" ?loading=${this.busy} ?disabled=${this.passphrase === ''}>
            ${msg('Unlock', { id: 'unlock.submit' })}
          </sl-button>
        </form>
      </div>
    `;
  }

  async #unlock(event: Event): Promise<void> {
    event.preventDefault();
    const connection = this.#connection.value;
    if (connection === undefined || this.passphrase === '' || this.busy) return;
    await submitShowingProblem(this, async () => {
      const state = await connection.call('app.unlock', { passphrase: this.passphrase, remember: this.remember });
      if (state.error !== undefined) this.problem = state.error;
      this.#session.value?.acceptAppState(state);
    });
  }
}

customElements.define('ingot-unlock-screen', UnlockScreen);
