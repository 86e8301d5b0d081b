import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type { PolicyJson, ProposalJson, ProposalStatus, VoteChoice } from '../../../node-core/src/api/methods.ts';
import { connectionContext, sessionContext } from '../app/context.ts';
import { routeHref } from '../app/routes.ts';
import { screenStyles } from '../app/styles.ts';
import { toast, toastError } from '../app/toast.ts';
import { dateTimeText } from '../i18n/format.ts';
import { proposalKindLabel, proposalStatusLabel, voteLabel } from '../i18n/membership-labels.ts';
import { shortHex } from '../lib/format.ts';
import { proposalFacts } from '../lib/proposal-summary.ts';
import './proposal-tally.ts';
import './role-badges.ts';

const STATUS_VARIANT: Record<ProposalStatus, string> = { open: 'primary', passed: 'success', rejected: 'danger', expired: 'neutral' };

/** Who decides, in words. */
export function policyText(policy: PolicyJson): string {
  const rule = (threshold: PolicyJson['admission']): string =>
    threshold === 'inviter'
      ? msg('the inviter alone', { id: 'policy.inviter' })
      : threshold === 'majority'
        ? msg('a majority of the admins', { id: 'policy.majority' })
        : msg(str`${threshold.yes} admins`, { id: 'policy.count' });
  return msg(str`Admission: ${rule(policy.admission)}; changes: ${rule(policy.changes)}`, { id: 'policy.text' });
}

/**
 * One proposal: what it would do, its tally against the yes votes needed, this organisation's
 * vote, and yes/no buttons while it is open and this organisation may vote. Fires `voted`.
 */
export class ProposalItem extends LitElement {
  static override properties = { proposal: { attribute: false }, names: { attribute: false }, canVote: { type: Boolean }, voting: { state: true } };
  static override styles = [
    screenStyles,
    css`
      :host {
        display: block;
        border: 1px solid var(--sl-panel-border-color);
        border-radius: var(--sl-border-radius-medium);
        padding: var(--sl-spacing-medium);
      }
      header {
        display: flex;
        gap: var(--sl-spacing-small);
        align-items: center;
        flex-wrap: wrap;
        margin-bottom: var(--sl-spacing-x-small);
      }
      header strong {
        font-size: var(--sl-font-size-medium);
      }
      .what {
        margin: 0 0 var(--sl-spacing-small);
      }
      .vote {
        margin-top: var(--sl-spacing-small);
      }
    `,
  ];

  declare proposal: ProposalJson;
  declare names: ReadonlyMap<string, string>;
  declare canVote: boolean;
  declare voting: VoteChoice | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.names = new Map();
    this.canVote = false;
    this.voting = undefined;
  }

  override render(): TemplateResult {
    const proposal = this.proposal;
    const locale = this.#session.value?.locale ?? 'en';
    const proposer = this.#name(proposal.proposer);
    return html`<article data-testid="proposal" data-kind=${proposal.kind} data-status=${proposal.status} data-id=${proposal.id}>
      <header>
        <strong>${proposalKindLabel(proposal.kind)}</strong>
        <sl-badge variant=${STATUS_VARIANT[proposal.status]}>${proposalStatusLabel(proposal.status)}</sl-badge>
      </header>
      <p class="what" data-testid="proposal-what">${this.#describe(proposal)}</p>
      <p class="muted">
        ${proposal.kind === 'admit' ? msg(str`Invited by ${proposer}`, { id: 'proposal.invitedBy' }) : msg(str`Proposed by ${proposer}`, { id: 'proposal.proposedBy' })} ·
        ${proposal.status === 'open'
          ? msg(str`open until ${dateTimeText(proposal.expiresAt, locale)}`, { id: 'proposal.openUntil' })
          : msg(str`opened ${dateTimeText(proposal.createdAt, locale)}`, { id: 'proposal.opened' })}
      </p>
      <ingot-proposal-tally .tally=${proposal.tally}></ingot-proposal-tally>
      <div class="row vote">
        ${proposal.ownVote === null
          ? html`<span class="muted" data-testid="own-vote" data-vote="none">${msg('You have not voted.', { id: 'proposal.notVoted' })}</span>`
          : html`<span data-testid="own-vote" data-vote=${proposal.ownVote}>${msg(str`Your vote: ${voteLabel(proposal.ownVote)}`, { id: 'proposal.ownVote' })}</span>`}
        ${proposal.status === 'open' && proposal.ownVote === null && this.canVote
          ? html`<sl-button size="small" variant="success" data-testid="vote-yes" ?loading=${this.voting === 'yes'} ?disabled=${this.voting !== undefined} @click=${() => void this.#vote('yes')}>
                <sl-icon slot="prefix" name="hand-thumbs-up"></sl-icon>${proposal.kind === 'admit' ? msg('Approve', { id: 'proposal.approve' }) : msg('Vote yes', { id: 'proposal.voteYes' })}
              </sl-button>
              <sl-button size="small" variant="danger" outline data-testid="vote-no" ?loading=${this.voting === 'no'} ?disabled=${this.voting !== undefined} @click=${() => void this.#vote('no')}>
                <sl-icon slot="prefix" name="hand-thumbs-down"></sl-icon>${proposal.kind === 'admit' ? msg('Decline', { id: 'proposal.decline' }) : msg('Vote no', { id: 'proposal.voteNo' })}
              </sl-button>`
          : ''}
      </div>
    </article>`;
  }

  #name(org: string): string {
    return this.names.get(org) ?? (org === '' ? '—' : shortHex(org, 12));
  }

  #orgLink(org: string): TemplateResult {
    return html`<a href=${routeHref({ name: 'org', id: org })}>${this.#name(org)}</a>`;
  }

  #describe(proposal: ProposalJson): TemplateResult | string {
    const facts = proposalFacts(proposal);
    switch (proposal.kind) {
      case 'admit':
        return html`${msg(str`${facts.name} asks to join as`, { id: 'proposal.admitWhat' })} <ingot-role-badges .roles=${facts.roles}></ingot-role-badges>
          <br /><span class="muted">${msg(str`Nodes: ${facts.nodes.map((node) => shortHex(node, 16)).join(', ') || '—'}`, { id: 'proposal.nodes' })}</span>`;
      case 'setRoles':
        return html`${this.#orgLink(facts.org)} → <ingot-role-badges .roles=${facts.roles}></ingot-role-badges>`;
      case 'addValidator':
        return html`${this.#orgLink(facts.org)}: ${msg(str`node key ${shortHex(facts.key, 16)}, power ${facts.power ?? 1}`, { id: 'proposal.addValidatorWhat' })}`;
      case 'removeValidator':
        return html`${this.#orgLink(facts.org)}: ${msg(str`node key ${shortHex(facts.key, 16)}`, { id: 'proposal.removeValidatorWhat' })}`;
      case 'suspend':
      case 'reinstate':
      case 'remove':
        return this.#orgLink(facts.org);
      case 'setPolicy':
        return facts.policy === undefined ? '—' : policyText(facts.policy);
    }
  }

  async #vote(choice: VoteChoice): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined || this.voting !== undefined) return;
    this.voting = choice;
    try {
      const result = await connection.call('proposals.vote', { id: this.proposal.id, choice });
      toast(msg(str`Vote recorded: ${voteLabel(choice)}`, { id: 'proposal.voted' }), 'success', msg(str`The proposal is now ${proposalStatusLabel(result.status)}.`, { id: 'proposal.statusAfter' }));
      this.dispatchEvent(new CustomEvent('voted', { bubbles: true, composed: true }));
    } catch (error) {
      toastError(msg('Could not vote', { id: 'proposal.voteFailed' }), error);
    } finally {
      this.voting = undefined;
    }
  }
}

customElements.define('ingot-proposal-item', ProposalItem);
