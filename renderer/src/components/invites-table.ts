import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, html, type TemplateResult } from 'lit';
import type { InviteJson, InviteStatus } from '../../../node-core/src/api/methods.ts';
import { connectionContext, sessionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { toast, toastError } from '../app/toast.ts';
import { dateTimeText } from '../i18n/format.ts';
import { inviteStatusLabel } from '../i18n/membership-labels.ts';
import './role-badges.ts';

const STATUS_VARIANT: Record<InviteStatus, string> = { open: 'primary', used: 'success', revoked: 'neutral', expired: 'neutral' };

/** Invites on the ledger, newest first, with a revoke button on open ones for admins. Fires `invite-revoked`. */
export class InvitesTable extends LitElement {
  static override properties = { invites: { attribute: false }, names: { attribute: false }, canRevoke: { type: Boolean }, revoking: { state: true } };
  static override styles = screenStyles;

  declare invites: readonly InviteJson[];
  declare names: ReadonlyMap<string, string>;
  declare canRevoke: boolean;
  declare revoking: string | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.invites = [];
    this.names = new Map();
    this.canRevoke = false;
    this.revoking = undefined;
  }

  override render(): TemplateResult {
    const locale = this.#session.value?.locale ?? 'en';
    return html`<table data-testid="invites">
      <thead>
        <tr>
          <th>${msg('Organisation', { id: 'overview.organisation' })}</th>
          <th>${msg('Roles', { id: 'identity.roles' })}</th>
          <th>${msg('Expires', { id: 'invites.expires' })}</th>
          <th>${msg('Invited by', { id: 'invites.inviter' })}</th>
          <th>${msg('Status', { id: 'identity.status' })}</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${this.invites.map(
          (invite) => html`<tr data-testid="invite-row">
            <td>${invite.organisation}</td>
            <td><ingot-role-badges .roles=${invite.roles}></ingot-role-badges></td>
            <td>${dateTimeText(invite.expiresAt, locale)}</td>
            <td>${this.names.get(invite.inviter) ?? invite.inviter.slice(0, 12)}</td>
            <td><sl-badge variant=${STATUS_VARIANT[invite.status]}>${inviteStatusLabel(invite.status)}</sl-badge></td>
            <td>
              ${invite.status === 'open' && this.canRevoke
                ? html`<sl-button size="small" variant="danger" outline data-testid="invite-revoke" ?loading=${this.revoking === invite.inviteKey} ?disabled=${this.revoking !== undefined} @click=${() => void this.#revoke(invite)}>
                    ${msg('Revoke', { id: 'invites.revoke' })}
                  </sl-button>`
                : ''}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }

  async #revoke(invite: InviteJson): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined) return;
    this.revoking = invite.inviteKey;
    try {
      await connection.call('invites.revoke', { inviteKey: invite.inviteKey });
      toast(msg('Invite revoked', { id: 'invites.revoked' }), 'success');
      this.dispatchEvent(new CustomEvent('invite-revoked', { bubbles: true, composed: true }));
    } catch (error) {
      toastError(msg('Could not revoke the invite', { id: 'invites.revokeFailed' }), error);
    } finally {
      this.revoking = undefined;
    }
  }
}

customElements.define('ingot-invites-table', InvitesTable);
