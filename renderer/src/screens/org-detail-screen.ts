import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type { MemberOrgJson } from '../../../node-core/src/api/methods.ts';
import { connectionContext, sessionContext } from '../app/context.ts';
import { routeHref } from '../app/routes.ts';
import { screenStyles } from '../app/styles.ts';
import '../components/copyable-value.ts';
import { nodeLine } from '../components/members-table.ts';
import '../components/problem-alert.ts';
import '../components/proposal-dialog.ts';
import type { ChangeKind, ProposalDialog } from '../components/proposal-dialog.ts';
import '../components/proposal-item.ts';
import '../components/role-badges.ts';
import { MembershipQueries } from '../controllers/membership-queries.ts';
import { dateTimeText } from '../i18n/format.ts';
import { orgStatusLabel, proposalKindLabel } from '../i18n/membership-labels.ts';
import { fingerprint } from '../lib/fingerprint.ts';
import './subject-history.ts';

/** One organisation: its record, nodes, proposals about it and its history on the ledger. */
export class OrgDetailScreen extends LitElement {
  static override properties = { orgId: {} };
  static override styles = [
    screenStyles,
    css`
      ul.nodes {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: var(--sl-spacing-x-small);
      }
      .list {
        display: grid;
        gap: var(--sl-spacing-medium);
      }
    `,
  ];

  declare orgId: string;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });
  readonly #data = new MembershipQueries(this, () => this.#connection.value, () => true);

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.orgId = '';
  }

  override render(): TemplateResult {
    const members = this.#data.members;
    const org = members.value?.orgs.find((candidate) => candidate.id === this.orgId);
    const back = html`<p><a href=${routeHref({ name: 'members' })} data-testid="org-back">← ${msg('All members', { id: 'org.back' })}</a></p>`;
    if (org === undefined) {
      return html`${back}
        <h1>${msg('Organisation', { id: 'overview.organisation' })}</h1>
        <ingot-problem-alert .problem=${members.error}></ingot-problem-alert>
        ${members.value === undefined
          ? members.loading
            ? html`<sl-spinner aria-label=${msg('Loading', { id: 'common.loading' })}></sl-spinner>`
            : ''
          : html`<p class="muted" data-testid="org-unknown">${msg('No organisation with this id is on the ledger.', { id: 'org.unknown' })}</p>`}
        <ingot-subject-history subject=${this.orgId}></ingot-subject-history>`;
    }
    const admin = this.#data.isAdmin();
    const locale = this.#session.value?.locale ?? 'en';
    const about = (this.#data.proposals.value?.proposals ?? []).filter((proposal) => proposal.subject === org.id);
    return html`${back}
      <h1 data-testid="org-name">${org.name}</h1>
      <ingot-problem-alert .problem=${members.error}></ingot-problem-alert>
      <section class="card" aria-labelledby="record-heading">
        <h2 id="record-heading">${msg('On the ledger', { id: 'org.record' })}</h2>
        <dl class="fields">
          <dt>${msg('Organisation id', { id: 'identity.orgId' })}</dt>
          <dd><ingot-copyable-value .value=${org.id} label=${msg('organisation id', { id: 'overview.orgIdNoun' })}></ingot-copyable-value></dd>
          <dt>${msg('Registry id', { id: 'identity.registryId' })}</dt>
          <dd>${org.registryId || '—'}</dd>
          <dt>${msg('Roles', { id: 'identity.roles' })}</dt>
          <dd><ingot-role-badges data-testid="org-roles" .roles=${org.roles}></ingot-role-badges></dd>
          <dt>${msg('Status', { id: 'identity.status' })}</dt>
          <dd data-testid="org-status">${orgStatusLabel(org.status)}</dd>
          <dt>${msg('Joined', { id: 'org.joined' })}</dt>
          <dd>${dateTimeText(org.joinedAt, locale)}</dd>
          <dt>${msg('Signing key', { id: 'identity.signingKey' })}</dt>
          <dd><ingot-copyable-value .value=${fingerprint(org.signingKey)} label=${msg('signing key fingerprint', { id: 'identity.signingKeyNoun' })}></ingot-copyable-value></dd>
        </dl>
        <h2>${msg('Nodes', { id: 'members.nodes' })}</h2>
        ${org.nodes.length === 0
          ? html`<p class="muted">${msg('none', { id: 'members.noNodes' })}</p>`
          : html`<ul class="nodes" data-testid="org-nodes">
              ${org.nodes.map((node) => html`<li>${nodeLine(node, org.self)}</li>`)}
            </ul>`}
        ${admin ? this.#renderActions(org) : ''}
      </section>
      <section class="card" aria-labelledby="org-proposals-heading" @voted=${this.#changed}>
        <h2 id="org-proposals-heading">${msg('Proposals about it', { id: 'org.proposals' })}</h2>
        <ingot-problem-alert .problem=${this.#data.proposals.error}></ingot-problem-alert>
        ${about.length === 0
          ? html`<p class="muted" data-testid="org-no-proposals">${msg('No proposals about this organisation.', { id: 'org.noProposals' })}</p>`
          : html`<div class="list">${about.map((proposal) => html`<ingot-proposal-item .proposal=${proposal} .names=${this.#data.names()} ?canVote=${admin}></ingot-proposal-item>`)}</div>`}
      </section>
      <ingot-subject-history subject=${org.id}></ingot-subject-history>
      <ingot-proposal-dialog .orgs=${members.value?.orgs ?? []} @proposal-created=${this.#changed}></ingot-proposal-dialog>`;
  }

  #renderActions(org: MemberOrgJson): TemplateResult {
    const kinds: ChangeKind[] = ['setRoles', 'addValidator'];
    if (org.status === 'active') kinds.push('suspend');
    if (org.status === 'suspended') kinds.push('reinstate');
    if (org.status !== 'removed') kinds.push('remove');
    return html`<h2>${msg('Propose a change', { id: 'org.propose' })}</h2>
      <div class="row">
        ${kinds.map((kind) => html`<sl-button size="small" data-testid="org-propose-${kind}" @click=${() => void this.#dialog()?.show({ kind, org: org.id })}>${proposalKindLabel(kind)}</sl-button>`)}
      </div>`;
  }

  #changed(): void {
    void this.#data.proposals.refresh();
    void this.#data.members.refresh();
  }

  #dialog(): ProposalDialog | null {
    return this.renderRoot.querySelector('ingot-proposal-dialog');
  }
}

customElements.define('ingot-org-detail-screen', OrgDetailScreen);
