import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { IngotError } from '../codec/errors.ts';
import type { SigningState } from '../consensus/tendermint.ts';
import { fromHex, toHex } from '../crypto/hex.ts';
import { writeFileAtomic } from './files.ts';

/**
 * A validator's memory of what it signed, on disk before the signed message leaves: after a crash
 * it can neither sign a second, different message for a step nor forget its lock, and it can send
 * its last messages again to peers that missed them.
 */

const SIGNED_MESSAGES_MAX = 8;

const storedSchema = z
  .object({
    version: z.literal(1),
    height: z.number().int().nonnegative(),
    round: z.number().int().nonnegative(),
    step: z.number().int().min(0).max(2),
    lockedRound: z.number().int().min(-1),
    lockedBlockId: z.string().regex(/^[0-9a-f]{64}$/).nullable(),
    messages: z.array(z.string().regex(/^(?:[0-9a-f]{2})+$/)).max(SIGNED_MESSAGES_MAX),
  })
  .strict();

export interface SignedRecord {
  readonly state: SigningState;
  /** The latest signed consensus messages of `state.height`, encoded, newest last. */
  readonly messages: readonly Uint8Array[];
}

export class SigningStore {
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  async read(): Promise<SignedRecord | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let stored: z.infer<typeof storedSchema>;
    try {
      stored = storedSchema.parse(JSON.parse(text));
    } catch {
      // Starting without it could make this validator equivocate: a person must look first.
      throw new IngotError('SIGNING_STATE_CORRUPT', `${this.#path} is damaged; the validator will not sign until it is restored`);
    }
    const state: SigningState = { height: stored.height, round: stored.round, step: stored.step, lockedRound: stored.lockedRound, lockedBlockId: stored.lockedBlockId };
    return { state, messages: stored.messages.map((hex, i) => fromHex(hex, hex.length / 2, `messages.${i}`)) };
  }

  /** Durable when it resolves (written, flushed, renamed, directory flushed). */
  async write(record: SignedRecord): Promise<void> {
    const stored: z.infer<typeof storedSchema> = {
      version: 1,
      ...record.state,
      messages: record.messages.slice(-SIGNED_MESSAGES_MAX).map(toHex),
    };
    await writeFileAtomic(this.#path, `${JSON.stringify(stored)}\n`);
  }
}
