import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlDialog from '@shoelace-style/shoelace/dist/components/dialog/dialog.js';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import type { OrgJson } from '../../../node-core/src/api/methods.ts';
import { connectionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { toast, toastError } from '../app/toast.ts';
import '../components/copyable-value.ts';
import { downloadText } from '../lib/download.ts';
import { fingerprint } from '../lib/fingerprint.ts';
import { describeError } from '../rpc/connection.ts';

type Busy = 'saving' | 'rotating' | 'exporting' | undefined;

/** The organisation's ledger record, its keys, and the few things one does with them. */
export class IdentityScreen extends LitElement {
  static override properties = { org: { state: true }, peerId: { state: true }, problem: { state: true }, busy: { state: true } };
  static override styles = [
    screenStyles,
    css`
      sl-dialog .form {
        max-width: none;
      }
    `,
  ];

  declare org: OrgJson | undefined;
  declare peerId: string | undefined;
  declare problem: { message: string; code: string } | undefined;
  declare busy: Busy;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.org = undefined;
    this.peerId = undefined;
    this.problem = undefined;
    this.busy = undefined;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#load();
  }

  override render(): TemplateResult {
    const org = this.org;
    if (org === undefined) {
      return html`<h1>${msg('Identity', { id: 'nav.identity' })}</h1>
        ${this.problem === undefined
          ? html`<sl-spinner aria-label=${msg('Loading', { id: 'common.loading' })}></sl-spinner>`
          : html`<sl-alert variant="danger" open>${this.problem.message} (${this.problem.code})</sl-alert>`}`;
    }
    return html`
      <h1>${msg('Identity', { id: 'nav.identity' })}</h1>
      <section class="card" aria-labelledby="profile-heading">
        <div class="row" style="justify-content:space-between">
          <h2 id="profile-heading">${msg('Organisation profile', { id: 'identity.profile' })}</h2>
          <sl-button data-testid="profile-edit" @click=${this.#openEditor}>
            <sl-icon slot="prefix" name="pencil"></sl-icon>${msg('Edit', { id: 'identity.edit' })}
          </sl-button>
        </div>
        <dl class="fields">
          <dt>${msg('Name', { id: 'field.name' })}</dt>
          <dd data-testid="profile-name-value">${org.name}</dd>
          <dt>${msg('Registry id', { id: 'identity.registryId' })}</dt>
          <dd data-testid="profile-registry-value">${org.registryId || '—'}</dd>
          <dt>${msg('Contact', { id: 'identity.contact' })}</dt>
          <dd data-testid="profile-contact-value">${org.contact || '—'}</dd>
          <dt>${msg('Organisation id', { id: 'identity.orgId' })}</dt>
          <dd><ingot-copyable-value .value=${org.id} label=${msg('organisation id', { id: 'overview.orgIdNoun' })}></ingot-copyable-value></dd>
          <dt>${msg('Roles', { id: 'identity.roles' })}</dt>
          <dd>${org.roles.map((role) => html`<sl-badge variant="neutral">${role}</sl-badge>`)}</dd>
          <dt>${msg('Status', { id: 'identity.status' })}</dt>
          <dd>${org.status}</dd>
        </dl>
        <p><a href="#/explorer/subject/${org.id}">${msg('History of this organisation', { id: 'identity.history' })}</a></p>
      </section>
      <section class="card" aria-labelledby="keys-heading">
        <h2 id="keys-heading">${msg('Keys', { id: 'identity.keys' })}</h2>
        <p class="muted">${msg('SHA-256 fingerprints: compare them with your partners over a second channel.', { id: 'identity.fingerprintHint' })}</p>
        <dl class="fields">
          <dt>${msg('Signing key', { id: 'identity.signingKey' })}</dt>
          <dd data-testid="fingerprint-signing">
            <ingot-copyable-value .value=${fingerprint(org.signingKey)} label=${msg('signing key fingerprint', { id: 'identity.signingKeyNoun' })}></ingot-copyable-value>
          </dd>
          <dt>${msg('Encryption key', { id: 'identity.encryptionKey' })}</dt>
          <dd data-testid="fingerprint-encryption">
            <ingot-copyable-value .value=${fingerprint(org.encryptionKey)} label=${msg('encryption key fingerprint', { id: 'identity.encryptionKeyNoun' })}></ingot-copyable-value>
          </dd>
          ${(org.nodes.length > 0 ? org.nodes : this.peerId === undefined ? [] : [this.peerId]).map(
            (peerId) => html`<dt>${msg('Node peer id', { id: 'identity.peerId' })}</dt>
              <dd data-testid="fingerprint-node">
                <ingot-copyable-value .value=${fingerprint(peerId)} label=${msg('node peer id fingerprint', { id: 'identity.peerIdNoun' })}></ingot-copyable-value>
              </dd>`,
          )}
        </dl>
        <div class="row" style="margin-top:var(--sl-spacing-large)">
          <sl-button data-testid="rotate-key" variant="warning" outline ?loading=${this.busy === 'rotating'} ?disabled=${this.busy !== undefined} @click=${() => this.#dialog('rotate-dialog')?.show()}>
            <sl-icon slot="prefix" name="arrow-repeat"></sl-icon>${msg('Rotate signing key', { id: 'identity.rotate' })}
          </sl-button>
          <sl-button data-testid="export-backup" ?loading=${this.busy === 'exporting'} ?disabled=${this.busy !== undefined} @click=${this.#exportBackup}>
            <sl-icon slot="prefix" name="download"></sl-icon>${msg('Export encrypted key backup', { id: 'identity.export' })}
          </sl-button>
        </div>
        ${this.busy === 'rotating' ? html`<p>${msg('Waiting for the rotation to be committed…', { id: 'identity.rotating' })}</p><sl-progress-bar indeterminate></sl-progress-bar>` : ''}
      </section>
      ${this.#renderEditor(org)} ${this.#renderRotateDialog()}
    `;
  }

  #renderEditor(org: OrgJson): TemplateResult {
    return html`<sl-dialog id="profile-dialog" label=${msg('Edit organisation profile', { id: 'identity.editTitle' })}>
      <form class="form" id="profile-form" @submit=${this.#saveProfile}>
        <sl-input data-testid="profile-name" name="name" required label=${msg('Name', { id: 'field.name' })} value=${org.name}></sl-input>
        <sl-input data-testid="profile-registry" name="registryId" label=${msg('Registry id', { id: 'identity.registryId' })} value=${org.registryId}></sl-input>
        <sl-input data-testid="profile-contact" name="contact" label=${msg('Contact', { id: 'identity.contact' })} value=${org.contact}></sl-input>
        ${this.busy === 'saving' ? html`<sl-progress-bar indeterminate label=${msg('Saving', { id: 'identity.saving' })}></sl-progress-bar>` : ''}
      </form>
      <sl-button slot="footer" @click=${() => this.#dialog('profile-dialog')?.hide()}>${msg('Cancel', { id: 'common.cancel' })}</sl-button>
      <sl-button slot="footer" data-testid="profile-save" variant="primary" ?loading=${this.busy === 'saving'} @click=${this.#saveProfile}>
        ${msg('Save', { id: 'common.save' })}
      </sl-button>
    </sl-dialog>`;
  }

  #renderRotateDialog(): TemplateResult {
    return html`<sl-dialog id="rotate-dialog" label=${msg('Rotate the signing key?', { id: 'identity.rotateTitle' })}>
      <p>${msg('The node makes a new signing key and records the change on the ledger. From that block on, the old key no longer signs for your organisation.', { id: 'identity.rotateExplain' })}</p>
      <p>${msg('Partners who check your fingerprint should be told the new one. Export a new key backup afterwards: older backups hold only the old key.', { id: 'identity.rotateAdvice' })}</p>
      <sl-button slot="footer" @click=${() => this.#dialog('rotate-dialog')?.hide()}>${msg('Cancel', { id: 'common.cancel' })}</sl-button>
      <sl-button slot="footer" data-testid="rotate-confirm" variant="warning" @click=${this.#rotate}>${msg('Rotate the key', { id: 'identity.rotateConfirm' })}</sl-button>
    </sl-dialog>`;
  }

  #dialog(id: string): SlDialog | null {
    return this.renderRoot.querySelector<SlDialog>(`#${id}`);
  }

  #openEditor(): void {
    // Start from the current record each time, not from an abandoned edit.
    const org = this.org;
    const inputs = this.renderRoot.querySelectorAll<SlInput>('#profile-form sl-input');
    for (const input of inputs) input.value = org?.[input.name as 'name' | 'registryId' | 'contact'] ?? '';
    void this.#dialog('profile-dialog')?.show();
  }

  async #load(): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined) return;
    try {
      const status = await connection.call('node.status', {});
      this.peerId = status.peerId;
      this.org = await connection.call('org.get', { id: status.organisation.id });
      this.problem = undefined;
    } catch (error) {
      this.problem = describeError(error);
    }
  }

  async #saveProfile(event: Event): Promise<void> {
    event.preventDefault();
    const connection = this.#connection.value;
    if (connection === undefined || this.busy !== undefined) return;
    const value = (name: string) => this.renderRoot.querySelector<SlInput>(`#profile-form sl-input[name=${name}]`)?.value.trim() ?? '';
    const payload = { name: value('name'), registryId: value('registryId'), contact: value('contact') };
    this.busy = 'saving';
    try {
      const result = await connection.call('tx.submit', { contract: 'identity', method: 'updateProfile', payload, waitForCommit: true });
      if (result.receipt !== undefined && !result.receipt.ok) {
        toast(msg('The profile change was refused', { id: 'identity.saveRefused' }), 'danger', `${result.receipt.message} (${result.receipt.code})`);
      } else {
        toast(msg('Profile saved', { id: 'identity.saved' }), 'success', msg(str`Transaction ${result.hash}`, { id: 'identity.txHash' }));
        await this.#dialog('profile-dialog')?.hide();
      }
      await this.#load();
    } catch (error) {
      toastError(msg('Could not save the profile', { id: 'identity.saveFailed' }), error);
    } finally {
      this.busy = undefined;
    }
  }

  async #rotate(): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined || this.busy !== undefined) return;
    await this.#dialog('rotate-dialog')?.hide();
    this.busy = 'rotating';
    try {
      const result = await connection.call('identity.rotateKey', {});
      toast(msg('Signing key rotated', { id: 'identity.rotated' }), 'success', msg(str`New fingerprint ${fingerprint(result.signingKey)}`, { id: 'identity.newFingerprint' }));
      await this.#load();
    } catch (error) {
      toastError(msg('Could not rotate the signing key', { id: 'identity.rotateFailed' }), error);
    } finally {
      this.busy = undefined;
    }
  }

  async #exportBackup(): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined || this.busy !== undefined) return;
    this.busy = 'exporting';
    try {
      const backup = await connection.call('identity.exportKeyBackup', {});
      downloadText(backup.fileName, backup.keyStore);
      toast(msg('Key backup exported', { id: 'identity.exported' }), 'success', msg('It is encrypted under your passphrase: keep both, apart.', { id: 'identity.exportedHint' }));
    } catch (error) {
      toastError(msg('Could not export the key backup', { id: 'identity.exportFailed' }), error);
    } finally {
      this.busy = undefined;
    }
  }
}

customElements.define('ingot-identity-screen', IdentityScreen);
