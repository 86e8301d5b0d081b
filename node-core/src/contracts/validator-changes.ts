import { z } from 'zod';
import { decode, encode } from '../codec/cbor.ts';
import { assert } from '../codec/errors.ts';
import { limits } from '../codec/limits.ts';
import { bytesEqual } from '../codec/cbor.ts';
import type { Validator } from '../ledger/block.ts';
import type { StateOverlay, StateReader } from '../ledger/state.ts';
import type { BlockContext } from './contract.ts';
import { readValidators, validatorSchema, writeValidators } from './membership-state.ts';

/**
 * Validator set changes take effect at a height fixed by the block that commits them: the commit
 * height plus VALIDATOR_CHANGE_DELAY. The schedule (`validator-schedule`) holds the whole set for
 * each coming height that changes it; at the end of block H the set for H + 1 becomes `validators`,
 * the entry every node reads the set of height H + 1 from.
 */

export const VALIDATOR_CHANGE_DELAY = 2;
const SCHEDULE_KEY = 'validator-schedule';

const scheduleSchema = z
  .array(z.object({ height: z.number().int().positive(), validators: z.array(validatorSchema).min(1).max(limits.validatorsMax) }).strict())
  .max(VALIDATOR_CHANGE_DELAY + 1);

export interface ScheduledSet {
  /** The first height this set validates. */
  readonly height: number;
  readonly validators: readonly Validator[];
}

/** The validator sets waiting for their height, earliest first (at most VALIDATOR_CHANGE_DELAY entries). */
export async function readValidatorSchedule(state: StateReader): Promise<ScheduledSet[]> {
  const stored = await state.get(SCHEDULE_KEY);
  return stored === undefined ? [] : scheduleSchema.parse(decode(stored));
}

function writeSchedule(state: StateOverlay, schedule: readonly ScheduledSet[]): void {
  if (schedule.length === 0) state.delete(SCHEDULE_KEY);
  else state.set(SCHEDULE_KEY, encode(schedule.map((s) => ({ height: s.height, validators: s.validators.map((v) => ({ key: v.key, org: v.org, power: v.power })) }))));
}

/** The set that will validate once every scheduled change has taken effect: what a new change builds on. */
export async function projectedValidators(state: StateReader): Promise<Validator[]> {
  const last = (await readValidatorSchedule(state)).at(-1);
  return last === undefined ? readValidators(state) : [...last.validators];
}

/** Schedules `validators` as the set from `commitHeight + VALIDATOR_CHANGE_DELAY` on. */
export async function scheduleValidators(state: StateOverlay, commitHeight: number, validators: readonly Validator[]): Promise<void> {
  assert(validators.length > 0 && validators.length <= limits.validatorsMax, 'a scheduled validator set is empty or too large');
  const height = commitHeight + VALIDATOR_CHANGE_DELAY;
  const schedule = (await readValidatorSchedule(state)).filter((entry) => entry.height !== height);
  assert(schedule.every((entry) => entry.height < height), 'a validator set is scheduled beyond a later change');
  writeSchedule(state, [...schedule, { height, validators }]);
}

export const hasKey = (validators: readonly Validator[], key: Uint8Array) => validators.some((v) => bytesEqual(v.key, key));

/** End of block H: the set scheduled for H + 1 (or earlier, never left behind) becomes `validators`. */
export async function applyValidatorSchedule(state: StateOverlay, block: BlockContext): Promise<void> {
  const schedule = await readValidatorSchedule(state);
  const due = schedule.filter((entry) => entry.height <= block.height + 1);
  const last = due.at(-1);
  if (last === undefined) return;
  writeValidators(state, last.validators);
  writeSchedule(state, schedule.slice(due.length));
}
