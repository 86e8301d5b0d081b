import { z } from 'zod';
import { decode, encode } from '../codec/cbor.ts';
import { ROLES } from '../codec/messages.ts';
import { limits } from '../codec/limits.ts';
import type { StateOverlay, StateReader } from '../ledger/state.ts';
import { OpenIndex } from './open-index.ts';
import { policySchema, type Tally } from './policy.ts';
import { bytesOf } from './schemas.ts';

/** Proposal records (`proposal/<id>`) and the index of open ones (`proposals`). */

export const PROPOSALS_OPEN_MAX = 256;
export const PROPOSAL_TTL_DEFAULT_MS = 7 * 24 * 60 * 60 * 1000;

const roleList = z.array(z.enum(ROLES));

/** What each kind of proposal would do: checked when it is made and again when it passes. */
export const effectSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('admit'),
      signingKey: bytesOf(32),
      encryptionKey: bytesOf(32),
      name: z.string(),
      registryId: z.string(),
      nodes: z.array(z.string()).max(limits.nodesPerOrgMax),
      roles: roleList,
      inviter: z.string(),
      inviteKey: bytesOf(32),
    })
    .strict(),
  z.object({ kind: z.literal('setRoles'), org: z.string(), roles: roleList }).strict(),
  z.object({ kind: z.literal('addValidator'), org: z.string(), key: bytesOf(32), power: z.number().int().positive() }).strict(),
  z.object({ kind: z.literal('removeValidator'), org: z.string(), key: bytesOf(32) }).strict(),
  z.object({ kind: z.literal('suspend'), org: z.string() }).strict(),
  z.object({ kind: z.literal('reinstate'), org: z.string() }).strict(),
  z.object({ kind: z.literal('remove'), org: z.string() }).strict(),
  z.object({ kind: z.literal('setPolicy'), policy: policySchema }).strict(),
]);
export type Effect = z.infer<typeof effectSchema>;
export type ProposalKind = Effect['kind'];

const finalTallySchema = z.object({ yes: z.number(), no: z.number(), needed: z.number(), voters: z.array(z.string()) }).strict();

export const proposalSchema = z
  .object({
    /** The id of the transaction that opened it, as hex. */
    id: z.string(),
    effect: effectSchema,
    /** The organisation id it is about (`policy` for setPolicy). */
    subject: z.string(),
    /** The organisation that proposed it; for `admit`, null (the candidate is no organisation yet). */
    proposer: z.string().nullable(),
    createdAt: z.number().int().nonnegative(),
    expiresAt: z.number().int().nonnegative(),
    status: z.enum(['open', 'passed', 'rejected', 'expired']),
    votes: z.record(z.string(), z.enum(['yes', 'no'])),
    /** The height that passed or rejected it, and the tally then. */
    closedAt: z.number().int().nonnegative().nullable(),
    finalTally: finalTallySchema.nullable(),
  })
  .strict();
export type Proposal = z.infer<typeof proposalSchema>;

const proposalKey = (id: string) => `proposal/${id}`;

export async function readProposalRecord(state: StateReader, id: string): Promise<Proposal | undefined> {
  const stored = await state.get(proposalKey(id));
  return stored === undefined ? undefined : proposalSchema.parse(decode(stored));
}

export function writeProposal(state: StateOverlay, proposal: Proposal): void {
  state.set(proposalKey(proposal.id), encode(proposal));
}

const openIndex = new OpenIndex<Proposal>({
  key: 'proposals',
  max: PROPOSALS_OPEN_MAX,
  fullCode: 'PROPOSALS_FULL',
  fullMessage: `at most ${PROPOSALS_OPEN_MAX} proposals may be open at once`,
  read: readProposalRecord,
  write: writeProposal,
  idOf: (proposal) => proposal.id,
  expiresAt: (proposal) => proposal.expiresAt,
  expired: (proposal) => ({ ...proposal, status: 'expired' }),
});

/** The ids of the open proposals, oldest first (some may be past their expiry until the next opening sweeps them). */
export const openProposalIds = (state: StateReader): Promise<string[]> => openIndex.ids(state);

/** Opens a proposal, first marking open ones past their expiry `expired`; refused when the index is full. */
export const openProposal = (state: StateOverlay, proposal: Proposal, now: number): Promise<void> => openIndex.add(state, proposal, now);

/** Writes a decided proposal and takes it out of the open index. */
export async function closeProposal(state: StateOverlay, proposal: Proposal, status: 'passed' | 'rejected', height: number, final: Tally): Promise<void> {
  await openIndex.close(state, { ...proposal, status, closedAt: height, finalTally: { yes: final.yes, no: final.no, needed: final.needed, voters: [...final.voters] } });
}
