import { z } from 'zod';
import { bytesEqual } from '../codec/cbor.ts';
import type { Role } from '../codec/messages.ts';
import { fromHex } from '../crypto/hex.ts';
import type { StateOverlay, StateReader } from '../ledger/state.ts';
import { ContractError, defineMethod, type BlockContext } from './contract.ts';
import { applyEffect, checkEffect } from './effects.ts';
import { activeAdmins, orgIdOf } from './membership-state.ts';
import { outcomeOf, policySchema, readPolicy, tally, type Outcome, type Policy, type Tally } from './policy.ts';
import {
  closeProposal, openProposal, PROPOSAL_TTL_DEFAULT_MS, readProposalRecord, writeProposal, type Effect, type Proposal,
} from './proposal-state.ts';
import { EXPIRY_MAX_MS, hex32, orgId, roles, timestamp } from './schemas.ts';
import { projectedValidators } from './validator-changes.ts';

/** Proposals of changes to membership, the validator set and the policy; admins vote on them. */

const POWER_MAX = 1000;
const expiresAt = timestamp.optional();

const proposePayload = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('setRoles'), org: orgId, roles, expiresAt }).strict(),
  z.object({ kind: z.literal('addValidator'), org: orgId, key: hex32, power: z.number().int().min(1).max(POWER_MAX).default(1), expiresAt }).strict(),
  z.object({ kind: z.literal('removeValidator'), key: hex32, expiresAt }).strict(),
  z.object({ kind: z.literal('suspend'), org: orgId, expiresAt }).strict(),
  z.object({ kind: z.literal('reinstate'), org: orgId, expiresAt }).strict(),
  z.object({ kind: z.literal('remove'), org: orgId, expiresAt }).strict(),
  z.object({ kind: z.literal('setPolicy'), policy: policySchema, expiresAt }).strict(),
]);
type ProposePayload = z.infer<typeof proposePayload>;

/** The effect a proposal names, with what the payload leaves to state (the owner of a validator key). */
async function effectOf(state: StateReader, payload: ProposePayload): Promise<Effect> {
  switch (payload.kind) {
    case 'setRoles':
      return { kind: 'setRoles', org: payload.org, roles: payload.roles };
    case 'addValidator':
      return { kind: 'addValidator', org: payload.org, key: fromHex(payload.key, 32, 'key'), power: payload.power };
    case 'removeValidator': {
      const key = fromHex(payload.key, 32, 'key');
      const held = (await projectedValidators(state)).find((v) => bytesEqual(v.key, key));
      if (held === undefined) throw new ContractError('VALIDATOR_UNKNOWN', 'that key is not in the validator set');
      return { kind: 'removeValidator', org: held.org, key };
    }
    case 'suspend':
    case 'reinstate':
    case 'remove':
      return { kind: payload.kind, org: payload.org };
    case 'setPolicy':
      return { kind: 'setPolicy', policy: payload.policy };
  }
}

/** The id a proposal is about: the organisation it changes (for `admit`, the candidate's id to be), or `policy`. */
const subjectOf = (effect: Effect): string => (effect.kind === 'setPolicy' ? 'policy' : effect.kind === 'admit' ? orgIdOf(effect.signingKey) : effect.org);

export const propose = defineMethod({
  roles: ['admin'],
  payload: proposePayload,
  async execute({ block, tx, signer, state, about }, payload) {
    const expires = payload.expiresAt ?? block.time + PROPOSAL_TTL_DEFAULT_MS;
    if (expires <= block.time || expires > block.time + EXPIRY_MAX_MS) {
      throw new ContractError('PROPOSAL_EXPIRY_INVALID', `expiresAt must lie after the block time ${block.time} and at most 30 days ahead`);
    }
    const effect = await effectOf(state, payload);
    await checkEffect(state, effect);
    const subject = subjectOf(effect);
    about(signer.id);
    about(subject);
    about(`proposal/${tx.idHex}`);
    await openProposal(
      state,
      { id: tx.idHex, effect, subject, proposer: signer.id, createdAt: block.height, expiresAt: expires, status: 'open', votes: {}, closedAt: null, finalTally: null },
      block.time,
    );
  },
});

/** Roles that govern: an admission granting one of them is decided like any change, never by the inviter alone. */
const GOVERNING_ROLES: readonly Role[] = ['admin', 'validator'];

/**
 * Counts a proposal's votes under `policy` and `admins` (the active admin organisations). An
 * admission is decided by `policy.admission` unless it grants a governing role; then, as every
 * other proposal, by `policy.changes`, with all admins voting.
 */
export function tallyUnder(policy: Policy, admins: readonly string[], proposal: Proposal): Tally {
  const effect = proposal.effect;
  if (effect.kind === 'admit' && !effect.roles.some((role) => GOVERNING_ROLES.includes(role))) {
    return tally(policy.admission, admins, effect.inviter, proposal.votes);
  }
  return tally(policy.changes, admins, null, proposal.votes);
}

/** The tally of a proposal under the policy and the admins in `state` now. */
export async function tallyOf(state: StateReader, proposal: Proposal): Promise<Tally> {
  return tallyUnder(await readPolicy(state), await activeAdmins(state), proposal);
}

/** An open proposal that may still be voted on or settled at `block`. */
async function openRecord(state: StateReader, block: BlockContext, id: string): Promise<Proposal> {
  const proposal = await readProposalRecord(state, id);
  if (proposal === undefined) throw new ContractError('PROPOSAL_UNKNOWN', 'there is no proposal with that id');
  if (proposal.status === 'passed' || proposal.status === 'rejected') throw new ContractError('PROPOSAL_CLOSED', `the proposal was ${proposal.status} at height ${proposal.closedAt}`);
  if (proposal.status === 'expired' || proposal.expiresAt < block.time) throw new ContractError('PROPOSAL_EXPIRED', 'the proposal has expired');
  return proposal;
}

/**
 * Applies what `counted` decides: a passed proposal's effect (checked again first) and its closing,
 * or its rejection; an undecided one is written back with its votes. Returns the outcome.
 */
async function conclude(state: StateOverlay, block: BlockContext, proposal: Proposal, counted: Tally): Promise<Outcome> {
  const outcome = outcomeOf(counted);
  if (outcome === 'passed') {
    await applyEffect(state, block, proposal.effect);
    await closeProposal(state, proposal, 'passed', block.height, counted);
  } else if (outcome === 'rejected') {
    await closeProposal(state, proposal, 'rejected', block.height, counted);
  } else {
    writeProposal(state, proposal);
  }
  return outcome;
}

/** An admin's vote; the proposal is counted again under today's policy and admins and decided at once if the votes decide it. */
export const vote = defineMethod({
  roles: ['admin'],
  payload: z.object({ proposal: hex32, choice: z.enum(['yes', 'no']) }).strict(),
  async execute({ block, signer, state, about }, payload) {
    const proposal = await openRecord(state, block, payload.proposal);
    if (Object.hasOwn(proposal.votes, signer.id)) throw new ContractError('VOTE_DUPLICATE', `organisation ${signer.id} has voted on this proposal`);
    const voted: Proposal = { ...proposal, votes: { ...proposal.votes, [signer.id]: payload.choice } };
    const counted = await tallyOf(state, voted);
    if (!counted.voters.includes(signer.id)) throw new ContractError('VOTE_NOT_ELIGIBLE', 'under the admission policy only the inviter decides this admission');
    about(signer.id);
    about(proposal.subject);
    about(`proposal/${proposal.id}`);
    await conclude(state, block, voted, counted);
  },
});

/**
 * Any active organisation asks for an open proposal to be counted again: the votes already cast
 * may decide it now that the admins or the policy changed (an admin set that shrank after the last
 * yes vote). Refused with PROPOSAL_UNDECIDED when they do not.
 */
export const settle = defineMethod({
  payload: z.object({ proposal: hex32 }).strict(),
  async execute({ block, signer, state, about }, payload) {
    const proposal = await openRecord(state, block, payload.proposal);
    const counted = await tallyOf(state, proposal);
    if (outcomeOf(counted) === 'open') {
      throw new ContractError('PROPOSAL_UNDECIDED', `the votes cast do not decide the proposal: ${counted.yes} yes of ${counted.needed} needed, ${counted.no} no, ${counted.voters.length} voters`);
    }
    about(signer.id);
    about(proposal.subject);
    about(`proposal/${proposal.id}`);
    await conclude(state, block, proposal, counted);
  },
});
