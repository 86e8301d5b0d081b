import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlTextarea from '@shoelace-style/shoelace/dist/components/textarea/textarea.js';
import { connectionContext, sessionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { submitShowingProblem } from '../app/submit.ts';
import '../components/problem-alert.ts';
import { findInviteCode } from '../lib/invite-code.ts';
import { imageOf, readQrFromImage } from '../lib/qr-image.ts';
import { describeError } from '../rpc/connection.ts';
import { newOrganisationReady, newPassphraseFields, organisationFields } from './new-organisation-fields.ts';

type Problem = { message: string; code: string };


/**
 * A fresh data directory joins an existing consortium: the invite code (typed, pasted, or read from
 * a QR code in an image file or a pasted screenshot — the window has no camera), the organisation's
 * name and registry id, and the passphrase for its new keys.
 */
export class JoinForm extends LitElement {
  static override properties = {
    invite: { state: true },
    organisation: { state: true },
    registryId: { state: true },
    passphrase: { state: true },
    confirmation: { state: true },
    remember: { state: true },
    scanning: { state: true },
    scanProblem: { state: true },
    busy: { state: true },
    problem: { state: true },
  };
  static override styles = [
    screenStyles,
    css`
      .scan {
        display: flex;
        gap: var(--sl-spacing-small);
        align-items: center;
        flex-wrap: wrap;
      }
      input[type='file'] {
        display: none;
      }
    `,
  ];

  declare invite: string;
  declare organisation: string;
  declare registryId: string;
  declare passphrase: string;
  declare confirmation: string;
  declare remember: boolean;
  declare scanning: boolean;
  declare scanProblem: Problem | undefined;
  declare busy: boolean;
  declare problem: Problem | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.invite = '';
    this.organisation = '';
    this.registryId = '';
    this.passphrase = '';
    this.confirmation = '';
    this.remember = false;
    this.scanning = false;
    this.scanProblem = undefined;
    this.busy = false;
    this.problem = undefined;
  }

  override render(): TemplateResult {
    const canRemember = this.#session.value?.appState.canRememberPassphrase === true;
    const code = findInviteCode(this.invite);
    const badCode = this.invite.trim() !== '' && code === undefined;
    return html`
      <form class="form" @submit=${this.#join} data-testid="join-form">
        <sl-textarea
          data-testid="join-invite"
          label=${msg('Invite code', { id: 'join.invite' })}
          help-text=${badCode
            ? msg('This is not an invite code: it starts with "ingot-invite:".', { id: 'join.inviteInvalid' })
            : msg('Paste the code you were sent, or an image of its QR code.', { id: 'join.inviteHelp' })}
          rows="3"
          resize="auto"
          required
          spellcheck="false"
          .value=${this.invite}
          @sl-input=${(event: Event) => (this.invite = (event.target as SlTextarea).value)}
          @paste=${this.#onPaste}
        ></sl-textarea>
        <div class="scan">
          <sl-button data-testid="join-scan" ?loading=${this.scanning} @click=${() => this.renderRoot.querySelector<HTMLInputElement>('input[type=file]')?.click()}>
            <sl-icon slot="prefix" name="qr-code-scan"></sl-icon>${msg('Read a QR code from an image', { id: 'join.scan' })}
          </sl-button>
          <input type="file" accept="image/*" data-testid="join-scan-file" @change=${this.#onFile} />
          <span class="muted">${msg('A photo or screenshot of the QR code; it is read in this window.', { id: 'join.scanHint' })}</span>
        </div>
        <ingot-problem-alert data-testid="join-scan-error" .problem=${this.scanProblem}></ingot-problem-alert>
        ${organisationFields('join', this)}
        ${newPassphraseFields('join', this, canRemember)}
        <ingot-problem-alert data-testid="join-error" .problem=${this.problem}></ingot-problem-alert>
        ${this.busy
          ? html`<div>
              <sl-progress-bar indeterminate label=${msg('Joining', { id: 'join.joining' })}></sl-progress-bar>
              <p class="muted">${msg('Checking the invite, making the keys and reaching the consortium…', { id: 'join.progress' })}</p>
            </div>`
          : ''}
        <div class="row">
          <sl-button data-testid="join-submit" type="submit" variant="primary" ?loading=${this.busy} ?disabled=${!this.#ready()}>
            ${msg('Join the consortium', { id: 'join.submit' })}
          </sl-button>
        </div>
      </form>
    `;
  }

  #ready(): boolean {
    return (
      !this.busy &&
      findInviteCode(this.invite) !== undefined &&
      newOrganisationReady(this)
    );
  }

  #onPaste(event: ClipboardEvent): void {
    const image = imageOf(event.clipboardData);
    if (image === undefined) return;
    event.preventDefault();
    void this.#scan(image);
  }

  #onFile(event: Event): void {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = '';
    if (file !== undefined) void this.#scan(file);
  }

  async #scan(image: Blob): Promise<void> {
    this.scanning = true;
    this.scanProblem = undefined;
    try {
      const text = await readQrFromImage(image);
      const code = text === undefined ? undefined : findInviteCode(text);
      if (code !== undefined) this.invite = code;
      else if (text === undefined) this.scanProblem = { message: msg('No QR code could be read in this image.', { id: 'join.scanNone' }), code: 'QR_NOT_FOUND' };
      else this.scanProblem = { message: msg('The QR code holds no invite code.', { id: 'join.scanNotInvite' }), code: 'QR_NOT_INVITE' };
    } catch (error) {
      this.scanProblem = { message: msg('This file is not an image the window can read.', { id: 'join.scanUnreadable' }), code: describeError(error).code };
    } finally {
      this.scanning = false;
    }
  }

  async #join(event: Event): Promise<void> {
    event.preventDefault();
    const connection = this.#connection.value;
    const invite = findInviteCode(this.invite);
    if (connection === undefined || invite === undefined || !this.#ready()) return;
    await submitShowingProblem(this, async () => {
      const state = await connection.call('app.join', {
        organisation: this.organisation.trim(),
        registryId: this.registryId.trim(),
        passphrase: this.passphrase,
        remember: this.remember,
        invite,
      });
      if (state.error !== undefined) this.problem = state.error;
      this.#session.value?.acceptAppState(state);
    });
  }
}


customElements.define('ingot-join-form', JoinForm);
