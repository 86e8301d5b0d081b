import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlDialog from '@shoelace-style/shoelace/dist/components/dialog/dialog.js';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import type SlSelect from '@shoelace-style/shoelace/dist/components/select/select.js';
import type { Results, RoleName } from '../../../node-core/src/api/methods.ts';
import { connectionContext, sessionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { submitShowingProblem } from '../app/submit.ts';
import { dateTimeText } from '../i18n/format.ts';
import { durationText } from '../i18n/membership-labels.ts';
import './problem-alert.ts';
import './qr-code.ts';
import './role-picker.ts';

/** Expiry choices in hours; the node accepts 1 to 720 (30 days). */
const EXPIRY_HOURS = [24, 72, 168, 336, 720] as const;
const DEFAULT_EXPIRY = 168;

/**
 * Invites an organisation: its name, intended roles and how long the invite stays open; once the
 * invite is on the ledger, the code to hand over, as text with a copy button and as a QR code.
 * Fires `invite-created` when one is committed.
 */
export class InviteDialog extends LitElement {
  static override properties = {
    organisation: { state: true },
    roles: { state: true },
    hours: { state: true },
    busy: { state: true },
    problem: { state: true },
    created: { state: true },
  };
  static override styles = [
    screenStyles,
    css`
      .form {
        max-width: none;
      }
      sl-dialog::part(panel) {
        width: min(44rem, 95vw);
      }
      .result {
        display: grid;
        gap: var(--sl-spacing-medium);
        justify-items: center;
      }
      sl-textarea {
        width: 100%;
      }
      sl-textarea::part(textarea) {
        font-family: var(--sl-font-mono);
        font-size: var(--sl-font-size-x-small);
      }
    `,
  ];

  declare organisation: string;
  declare roles: RoleName[];
  declare hours: number;
  declare busy: boolean;
  declare problem: { message: string; code: string } | undefined;
  declare created: Results['invites.create'] | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.#reset();
    this.busy = false;
  }

  /** Opens the dialog on an empty form. */
  async show(): Promise<void> {
    if (!this.busy) this.#reset();
    await this.updateComplete;
    await this.renderRoot.querySelector<SlDialog>('sl-dialog')?.show();
  }

  override render(): TemplateResult {
    return html`<sl-dialog label=${msg('Invite an organisation', { id: 'invite.title' })} data-testid="invite-dialog">
      ${this.created === undefined ? this.#renderForm() : this.#renderCreated(this.created)}
    </sl-dialog>`;
  }

  #renderForm(): TemplateResult {
    return html`<form class="form" @submit=${this.#create}>
        <sl-input
          data-testid="invite-org"
          required
          label=${msg('Organisation name', { id: 'firstRun.organisation' })}
          help-text=${msg('The organisation you invite, as it will appear to every member.', { id: 'invite.orgHelp' })}
          .value=${this.organisation}
          @sl-input=${(event: Event) => (this.organisation = (event.target as SlInput).value)}
        ></sl-input>
        <ingot-role-picker .value=${this.roles} @roles-change=${(event: CustomEvent<RoleName[]>) => (this.roles = event.detail)}></ingot-role-picker>
        <sl-select
          data-testid="invite-expiry"
          label=${msg('Valid for', { id: 'invite.expiry' })}
          value=${String(this.hours)}
          @sl-change=${(event: Event) => (this.hours = Number((event.target as SlSelect).value))}
        >
          ${EXPIRY_HOURS.map((hours) => html`<sl-option value=${String(hours)}>${durationText(hours * 3600)}</sl-option>`)}
        </sl-select>
        <p class="muted">${msg('The invite is written to the ledger; the code holds a one-time secret, so hand it over to that organisation only.', { id: 'invite.secretHint' })}</p>
        ${this.busy ? html`<sl-progress-bar indeterminate label=${msg('Creating the invite', { id: 'invite.creating' })}></sl-progress-bar>` : ''}
        <ingot-problem-alert data-testid="invite-error" .problem=${this.problem}></ingot-problem-alert>
      </form>
      <sl-button slot="footer" @click=${this.#close}>${msg('Cancel', { id: 'common.cancel' })}</sl-button>
      <sl-button slot="footer" variant="primary" data-testid="invite-create" ?loading=${this.busy} ?disabled=${!this.#ready()} @click=${this.#create}>
        ${msg('Create invite', { id: 'invite.create' })}
      </sl-button>`;
  }

  #renderCreated(created: Results['invites.create']): TemplateResult {
    const locale = this.#session.value?.locale ?? 'en';
    return html`<div class="result" data-testid="invite-result">
        <p>${msg(str`Invite for ${this.organisation.trim()}, valid until ${dateTimeText(created.expiresAt, locale)}.`, { id: 'invite.createdFor' })}</p>
        <ingot-qr-code .value=${created.code} label=${msg('QR code of the invite code', { id: 'invite.qrLabel' })} data-testid="invite-qr"></ingot-qr-code>
        <sl-textarea readonly rows="4" resize="none" data-testid="invite-code" label=${msg('Invite code', { id: 'join.invite' })} .value=${created.code}></sl-textarea>
        <div class="row">
          <sl-copy-button
            data-testid="invite-copy"
            value=${created.code}
            copy-label=${msg('Copy the invite code', { id: 'invite.copy' })}
            success-label=${msg('Copied', { id: 'copy.done' })}
            error-label=${msg('Could not copy', { id: 'copy.failed' })}
          ></sl-copy-button>
          <span class="muted">${msg('Send it over a channel you trust, or let them scan the QR code.', { id: 'invite.handOver' })}</span>
        </div>
      </div>
      <sl-button slot="footer" variant="primary" data-testid="invite-done" @click=${this.#close}>${msg('Done', { id: 'common.done' })}</sl-button>`;
  }

  #ready(): boolean {
    return !this.busy && this.organisation.trim() !== '' && this.roles.length > 0;
  }

  #reset(): void {
    this.organisation = '';
    this.roles = ['member'];
    this.hours = DEFAULT_EXPIRY;
    this.problem = undefined;
    this.created = undefined;
  }

  async #close(): Promise<void> {
    await this.renderRoot.querySelector<SlDialog>('sl-dialog')?.hide();
  }

  async #create(event: Event): Promise<void> {
    event.preventDefault();
    const connection = this.#connection.value;
    if (connection === undefined || !this.#ready()) return;
    await submitShowingProblem(this, async () => {
      this.created = await connection.call('invites.create', { organisation: this.organisation.trim(), roles: this.roles, expiresInHours: this.hours });
      this.dispatchEvent(new CustomEvent('invite-created', { bubbles: true, composed: true }));
    });
  }
}

customElements.define('ingot-invite-dialog', InviteDialog);
