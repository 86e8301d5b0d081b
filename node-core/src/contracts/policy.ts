import { z } from 'zod';
import { decode, encode } from '../codec/cbor.ts';
import type { StateOverlay, StateReader } from '../ledger/state.ts';

/**
 * The admission and change policy (`policy` in state) and the tally rule that applies it. Voters
 * are the active organisations holding `admin` at the time of the vote.
 */

const YES_MAX = 1024;
const threshold = z.union([z.literal('majority'), z.object({ yes: z.number().int().min(1).max(YES_MAX) }).strict()]);
export const policySchema = z
  .object({
    admission: z.union([z.literal('inviter'), threshold]),
    changes: threshold,
  })
  .strict();
export type Policy = z.infer<typeof policySchema>;
export type Rule = Policy['admission'];

export const DEFAULT_POLICY: Policy = { admission: 'inviter', changes: 'majority' };
const POLICY_KEY = 'policy';

export async function readPolicy(state: StateReader): Promise<Policy> {
  const stored = await state.get(POLICY_KEY);
  return stored === undefined ? DEFAULT_POLICY : policySchema.parse(decode(stored));
}

export function writePolicy(state: StateOverlay, policy: Policy): void {
  state.set(POLICY_KEY, encode(policy));
}

export type Choice = 'yes' | 'no';

export interface Tally {
  readonly yes: number;
  readonly no: number;
  /** Yes votes that pass the proposal. */
  readonly needed: number;
  /** Organisation ids whose votes count, in joining order. */
  readonly voters: readonly string[];
  /** Every vote cast, by organisation id (a vote of an organisation that is no longer a voter no longer counts). */
  readonly votes: Readonly<Record<string, Choice>>;
}

/**
 * Counts `votes` under `rule`. `admins` are the active admin organisations now. Under `inviter`
 * the inviter alone decides while it is one of them; once it is not, the proposal falls back to
 * `majority`. `{ yes: M }` needs M yes votes, or every voter's when fewer than M exist.
 */
export function tally(rule: Rule, admins: readonly string[], inviter: string | null, votes: Readonly<Record<string, Choice>>): Tally {
  const inviterDecides = rule === 'inviter' && inviter !== null && admins.includes(inviter);
  const voters = inviterDecides ? [inviter] : [...admins];
  const needed = inviterDecides ? 1 : rule === 'inviter' || rule === 'majority' ? Math.floor(voters.length / 2) + 1 : Math.max(1, Math.min(rule.yes, voters.length));
  const count = (choice: Choice) => voters.filter((org) => votes[org] === choice).length;
  return { yes: count('yes'), no: count('no'), needed, voters, votes };
}

export type Outcome = 'passed' | 'rejected' | 'open';

/** Passed once the yes votes reach `needed`; rejected once enough no votes make that impossible. */
export function outcomeOf(t: Tally): Outcome {
  if (t.yes >= t.needed) return 'passed';
  if (t.voters.length - t.no < t.needed) return 'rejected';
  return 'open';
}
