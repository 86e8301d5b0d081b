import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlDialog from '@shoelace-style/shoelace/dist/components/dialog/dialog.js';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import type SlRadioGroup from '@shoelace-style/shoelace/dist/components/radio-group/radio-group.js';
import type { Results } from '../../../node-core/src/api/methods.ts';
import { connectionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { submitShowingProblem } from '../app/submit.ts';
import { downloadText } from '../lib/download.ts';
import './problem-alert.ts';

const PUBLIC_KEY = /^[0-9a-f]{64}$/;

/**
 * Registers a device for this node's organisation: model, serial, manufacturer, and either a key
 * pair the node makes (its key file is offered for download, once) or the device's own public key.
 * Fires `device-registered` with the new id when the registration is committed.
 */
export class RegisterDeviceDialog extends LitElement {
  static override properties = {
    model: { state: true },
    serial: { state: true },
    manufacturer: { state: true },
    keySource: { state: true },
    publicKey: { state: true },
    busy: { state: true },
    problem: { state: true },
    registered: { state: true },
  };
  static override styles = [
    screenStyles,
    css`
      .form {
        max-width: none;
      }
      .form > p {
        margin: 0;
      }
      sl-dialog::part(panel) {
        width: min(40rem, 95vw);
      }
    `,
  ];

  declare model: string;
  declare serial: string;
  declare manufacturer: string;
  declare keySource: 'generate' | 'paste';
  declare publicKey: string;
  declare busy: boolean;
  declare problem: { message: string; code: string } | undefined;
  declare registered: Results['device.register'] | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.#reset();
    this.busy = false;
  }

  async show(): Promise<void> {
    if (!this.busy) this.#reset();
    await this.updateComplete;
    await this.renderRoot.querySelector<SlDialog>('sl-dialog')?.show();
  }

  override render(): TemplateResult {
    return html`<sl-dialog label=${msg('Register a device', { id: 'registerDevice.title' })} data-testid="register-dialog">
      ${this.registered === undefined ? this.#renderForm() : this.#renderDone(this.registered)}
    </sl-dialog>`;
  }

  #renderForm(): TemplateResult {
    const keyInvalid = this.keySource === 'paste' && this.publicKey.trim() !== '' && !PUBLIC_KEY.test(this.publicKey.trim());
    return html`<form class="form" @submit=${this.#register}>
        <sl-input data-testid="register-model" required label=${msg('Model', { id: 'device.model' })} .value=${this.model} @sl-input=${(e: Event) => (this.model = (e.target as SlInput).value)}></sl-input>
        <sl-input data-testid="register-serial" required label=${msg('Serial number', { id: 'device.serial' })} .value=${this.serial} @sl-input=${(e: Event) => (this.serial = (e.target as SlInput).value)}></sl-input>
        <sl-input
          data-testid="register-manufacturer"
          label=${msg('Manufacturer (optional)', { id: 'registerDevice.manufacturer' })}
          .value=${this.manufacturer}
          @sl-input=${(e: Event) => (this.manufacturer = (e.target as SlInput).value)}
        ></sl-input>
        <sl-radio-group
          data-testid="register-key-source"
          label=${msg('Device key', { id: 'registerDevice.key' })}
          value=${this.keySource}
          @sl-change=${(e: Event) => (this.keySource = (e.target as SlRadioGroup).value === 'paste' ? 'paste' : 'generate')}
        >
          <sl-radio value="generate" data-testid="register-generate">${msg('Let this node make a key pair (the key file is offered once, for the device)', { id: 'registerDevice.generate' })}</sl-radio>
          <sl-radio value="paste" data-testid="register-paste">${msg('The device has its own key: paste its public key', { id: 'registerDevice.paste' })}</sl-radio>
        </sl-radio-group>
        ${this.keySource === 'paste'
          ? html`<sl-input
              data-testid="register-public-key"
              class="mono"
              label=${msg('Public key (Ed25519, 64 hex characters)', { id: 'registerDevice.publicKey' })}
              ?data-user-invalid=${keyInvalid}
              help-text=${keyInvalid ? msg('Not 32 bytes as lower-case hex.', { id: 'registerDevice.publicKeyInvalid' }) : ''}
              .value=${this.publicKey}
              @sl-input=${(e: Event) => (this.publicKey = (e.target as SlInput).value)}
            ></sl-input>`
          : ''}
        ${this.busy ? html`<sl-progress-bar indeterminate label=${msg('Registering the device', { id: 'registerDevice.busy' })}></sl-progress-bar>` : ''}
        <ingot-problem-alert data-testid="register-error" .problem=${this.problem}></ingot-problem-alert>
      </form>
      <sl-button slot="footer" @click=${this.#close}>${msg('Cancel', { id: 'common.cancel' })}</sl-button>
      <sl-button slot="footer" variant="primary" data-testid="register-submit" ?loading=${this.busy} ?disabled=${!this.#ready()} @click=${this.#register}>
        ${msg('Register', { id: 'registerDevice.submit' })}
      </sl-button>`;
  }

  #renderDone(registered: Results['device.register']): TemplateResult {
    const keyFile = registered.keyFile;
    return html`<div class="form" data-testid="register-result" data-device=${registered.id}>
        <p>${msg(str`Registered in block ${registered.height}. Device id:`, { id: 'registerDevice.done' })}</p>
        <p class="mono" data-testid="register-id">${registered.id}</p>
        ${keyFile === undefined
          ? ''
          : html`<sl-alert variant="warning" open>
                <sl-icon slot="icon" name="exclamation-octagon"></sl-icon>
                ${msg('This node keeps no copy of the device key. Save the key file now and give it to the device or its gateway only: whoever holds it can sign as the device.', { id: 'registerDevice.keyWarning' })}
              </sl-alert>
              <div class="row">
                <sl-button variant="primary" data-testid="register-download" @click=${() => downloadText(`device-${keyFile.id.slice(0, 12)}.key.json`, `${JSON.stringify(keyFile, null, 2)}\n`)}>
                  <sl-icon slot="prefix" name="download"></sl-icon>${msg('Save the key file', { id: 'registerDevice.download' })}
                </sl-button>
              </div>`}
      </div>
      <sl-button slot="footer" variant="primary" data-testid="register-done" @click=${this.#close}>${msg('Done', { id: 'common.done' })}</sl-button>`;
  }

  #ready(): boolean {
    if (this.busy || this.model.trim() === '' || this.serial.trim() === '') return false;
    return this.keySource === 'generate' || PUBLIC_KEY.test(this.publicKey.trim());
  }

  #reset(): void {
    this.model = '';
    this.serial = '';
    this.manufacturer = '';
    this.keySource = 'generate';
    this.publicKey = '';
    this.problem = undefined;
    this.registered = undefined;
  }

  async #close(): Promise<void> {
    await this.renderRoot.querySelector<SlDialog>('sl-dialog')?.hide();
  }

  async #register(event: Event): Promise<void> {
    event.preventDefault();
    const connection = this.#connection.value;
    if (connection === undefined || !this.#ready()) return;
    const manufacturer = this.manufacturer.trim();
    await submitShowingProblem(this, async () => {
      this.registered = await connection.call('device.register', {
        model: this.model.trim(),
        serial: this.serial.trim(),
        ...(manufacturer === '' ? {} : { manufacturer }),
        ...(this.keySource === 'generate' ? { generateKey: true } : { publicKey: this.publicKey.trim() }),
      });
      this.dispatchEvent(new CustomEvent('device-registered', { bubbles: true, composed: true, detail: this.registered.id }));
    });
  }
}

customElements.define('ingot-register-device-dialog', RegisterDeviceDialog);
