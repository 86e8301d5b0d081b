import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlCheckbox from '@shoelace-style/shoelace/dist/components/checkbox/checkbox.js';
import type { MemberOrgJson, ProposalJson } from '../../../node-core/src/api/methods.ts';
import { connectionContext } from '../app/context.ts';
import { queryView } from '../app/query-view.ts';
import { screenStyles, titleBarStyles } from '../app/styles.ts';
import '../components/invite-dialog.ts';
import type { InviteDialog } from '../components/invite-dialog.ts';
import '../components/invites-table.ts';
import '../components/members-table.ts';
import '../components/proposal-dialog.ts';
import type { ProposalDialog } from '../components/proposal-dialog.ts';
import '../components/proposal-item.ts';
import { MembershipQueries } from '../controllers/membership-queries.ts';

/**
 * The consortium's members: join requests and proposals to vote on, the organisations with their
 * roles, status and nodes, and the invites; admins invite and propose from here.
 */
export class MembersScreen extends LitElement {
  static override properties = { showClosed: { state: true } };
  static override styles = [
    screenStyles,
    titleBarStyles,
    css`
      .list {
        display: grid;
        gap: var(--sl-spacing-medium);
      }
      section h2 {
        margin-top: 0;
      }
      .heading {
        display: flex;
        justify-content: space-between;
        align-items: baseline;
        gap: var(--sl-spacing-medium);
      }
    `,
  ];

  declare showClosed: boolean;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #data = new MembershipQueries(this, () => this.#connection.value, () => this.showClosed);

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.showClosed = false;
  }

  override render(): TemplateResult {
    const admin = this.#data.isAdmin();
    const names = this.#data.names();
    const proposals = this.#data.proposals;
    return html`
      <div class="title-bar">
        <h1>${msg('Members', { id: 'nav.members' })}</h1>
        <div class="row">
          <sl-button variant="primary" data-testid="members-invite" ?disabled=${!admin} @click=${() => void this.#inviteDialog()?.show()}>
            <sl-icon slot="prefix" name="person-plus"></sl-icon>${msg('Invite an organisation', { id: 'invite.title' })}
          </sl-button>
          <sl-button data-testid="members-propose" ?disabled=${!admin} @click=${() => void this.#proposalDialog()?.show()}>
            <sl-icon slot="prefix" name="plus-lg"></sl-icon>${msg('New proposal', { id: 'proposalDialog.title' })}
          </sl-button>
        </div>
      </div>
      ${admin || this.#data.members.value === undefined ? '' : html`<p class="muted" data-testid="members-not-admin">${msg('Only admins invite, propose and vote.', { id: 'members.notAdmin' })}</p>`}
      <section class="card" aria-labelledby="requests-heading" @voted=${this.#changed}>
        <h2 id="requests-heading">${msg('Join requests', { id: 'members.requests' })}</h2>
        ${queryView(proposals, (value) => value.proposals.filter((p) => p.kind === 'admit' && p.status === 'open'), msg('No join requests waiting.', { id: 'members.noRequests' }), (list) => this.#proposalList(list, names, admin), 'join-requests')}
      </section>
      <section class="card" aria-labelledby="proposals-heading" @voted=${this.#changed}>
        <div class="heading">
          <h2 id="proposals-heading">${msg('Proposals', { id: 'members.proposals' })}</h2>
          <sl-checkbox data-testid="proposals-closed" ?checked=${this.showClosed} @sl-change=${this.#toggleClosed}>${msg('Show decided and expired', { id: 'members.showClosed' })}</sl-checkbox>
        </div>
        ${queryView(
          proposals,
          (value) => value.proposals.filter((p) => !(p.kind === 'admit' && p.status === 'open')),
          this.showClosed ? msg('No proposals yet.', { id: 'members.noProposalsAtAll' }) : msg('No open proposals.', { id: 'members.noProposals' }),
          (list) => this.#proposalList(list, names, admin),
          'proposals',
        )}
      </section>
      <section class="card" aria-labelledby="orgs-heading">
        <h2 id="orgs-heading">${msg('Organisations', { id: 'members.orgs' })}</h2>
        ${queryView(this.#data.members, (value) => value.orgs, msg('No organisations on the ledger.', { id: 'members.noOrgs' }), (orgs) => html`<ingot-members-table .orgs=${orgs}></ingot-members-table>`, 'members')}
      </section>
      <section class="card" aria-labelledby="invites-heading" @invite-revoked=${() => void this.#data.invites.refresh()}>
        <h2 id="invites-heading">${msg('Invites', { id: 'members.invites' })}</h2>
        ${queryView(
          this.#data.invites,
          (value) => value.invites,
          msg('No invites yet.', { id: 'members.noInvites' }),
          (invites) => html`<ingot-invites-table .invites=${invites} .names=${names} ?canRevoke=${admin}></ingot-invites-table>`,
          'invites',
        )}
      </section>
      <ingot-invite-dialog @invite-created=${() => void this.#data.invites.refresh()}></ingot-invite-dialog>
      <ingot-proposal-dialog .orgs=${this.#data.members.value?.orgs ?? ([] as MemberOrgJson[])} @proposal-created=${this.#changed}></ingot-proposal-dialog>
    `;
  }

  #proposalList(list: readonly ProposalJson[], names: ReadonlyMap<string, string>, admin: boolean): TemplateResult {
    return html`<div class="list">${list.map((proposal) => html`<ingot-proposal-item .proposal=${proposal} .names=${names} ?canVote=${admin}></ingot-proposal-item>`)}</div>`;
  }

  #toggleClosed(event: Event): void {
    this.showClosed = (event.target as SlCheckbox).checked;
    void this.#data.proposals.refresh();
  }

  #changed(): void {
    void this.#data.proposals.refresh();
    void this.#data.members.refresh();
  }

  #inviteDialog(): InviteDialog | null {
    return this.renderRoot.querySelector('ingot-invite-dialog');
  }

  #proposalDialog(): ProposalDialog | null {
    return this.renderRoot.querySelector('ingot-proposal-dialog');
  }
}

customElements.define('ingot-members-screen', MembersScreen);
