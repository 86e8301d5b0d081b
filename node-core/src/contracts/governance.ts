import type { StateReader } from '../ledger/state.ts';
import { activeAdmins, memberPeerIds, readValidators } from './membership-state.ts';
import { peerIdOfKey } from './peer-id.ts';
import { readPolicy, type Policy, type Tally } from './policy.ts';
import { openProposalIds, readProposalRecord, type Proposal } from './proposal-state.ts';
import { tallyUnder } from './proposals.ts';
import { readValidatorSchedule } from './validator-changes.ts';

/**
 * What the node and its API read of membership and governance. Every list is bounded: at most 256
 * open proposals and 256 open invites, and a consortium of at most 1,024 organisations.
 */

export { openInvites, readInvite, type Invite } from './invite-state.ts';
export { readOrgs, type OrgRecord } from './membership-state.ts';
export { peerIdOfKey } from './peer-id.ts';
export { readPolicy, type Policy, type Tally, type Choice } from './policy.ts';
export { openProposalIds, readProposalRecord, type Effect, type Proposal, type ProposalKind } from './proposal-state.ts';
export { readValidatorSchedule, VALIDATOR_CHANGE_DELAY, type ScheduledSet } from './validator-changes.ts';

export interface ProposalView extends Proposal {
  /** For an open proposal, the count under today's policy and admins; for a decided one, the count that decided it. */
  readonly tally: Tally;
}

/** The open proposals, oldest first (some may be past their expiry until the next proposal sweeps them). */
export async function listProposals(state: StateReader): Promise<ProposalView[]> {
  const proposals = await Promise.all((await openProposalIds(state)).map((id) => readProposalRecord(state, id)));
  return proposalViews(state, proposals.filter((p): p is Proposal => p !== undefined && p.status === 'open'));
}

/**
 * Proposals with their tallies: an open one counted under today's policy and admins, read from
 * `state` once for the whole list; a decided one with the tally that decided it.
 */
export async function proposalViews(state: StateReader, proposals: readonly Proposal[]): Promise<ProposalView[]> {
  const counting = proposals.some((proposal) => proposal.finalTally === null) ? await Promise.all([readPolicy(state), activeAdmins(state)]) : undefined;
  return proposals.map((proposal) => {
    const final = proposal.finalTally;
    const tally: Tally = final === null ? tallyUnder(...(counting as [Policy, string[]]), proposal) : { ...final, votes: proposal.votes };
    return { ...proposal, tally };
  });
}

/** One proposal by id (hex of the transaction that opened it), open or not. */
export async function readProposal(state: StateReader, id: string): Promise<ProposalView | undefined> {
  const proposal = await readProposalRecord(state, id);
  return proposal === undefined ? undefined : (await proposalViews(state, [proposal]))[0];
}

/**
 * The peer ids the network's gate admits as members: the nodes of active organisations, and the
 * node of every key in the current validator set or in a scheduled one. A suspended or removed
 * organisation's validator keys stay in the set for VALIDATOR_CHANGE_DELAY heights after the block
 * that passes it; its nodes stay connected until their keys have left the set, so that the
 * validators of those heights can still reach each other and the chain keeps deciding blocks.
 */
export async function gatedPeerIds(state: StateReader): Promise<string[]> {
  const validators = [...(await readValidators(state)), ...(await readValidatorSchedule(state)).flatMap((entry) => entry.validators)];
  return [...new Set([...(await memberPeerIds(state)), ...validators.map((v) => peerIdOfKey(v.key))])];
}
