import { encode } from '../codec/cbor.ts';
import { assert } from '../codec/errors.ts';
import { domainTag, sha256 } from '../crypto/hash.ts';

export const STATE_KEY_CHARS_MAX = 256;

export interface StateReader {
  get(key: string): Promise<Uint8Array | undefined>;
}

/** `null` marks a deletion. */
export type WriteSet = ReadonlyMap<string, Uint8Array | null>;

/**
 * Pending writes over a reader. Block execution stacks one overlay per transaction on one per
 * block, so a failed transaction is dropped by discarding its overlay.
 */
export class StateOverlay implements StateReader {
  readonly #base: StateReader;
  readonly #writes = new Map<string, Uint8Array | null>();

  constructor(base: StateReader) {
    this.#base = base;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const pending = this.#writes.get(key);
    if (pending !== undefined) return pending ?? undefined;
    return this.#base.get(key);
  }

  set(key: string, value: Uint8Array): void {
    assert(key.length > 0 && key.length <= STATE_KEY_CHARS_MAX, `state key length ${key.length}`);
    this.#writes.set(key, value);
  }

  delete(key: string): void {
    assert(key.length > 0 && key.length <= STATE_KEY_CHARS_MAX, `state key length ${key.length}`);
    this.#writes.set(key, null);
  }

  mergeInto(parent: StateOverlay): void {
    for (const [key, value] of this.#writes) parent.#writes.set(key, value);
  }

  get writes(): WriteSet {
    return this.#writes;
  }
}

const STATE_TAG = domainTag('state');

/**
 * The state root chains each block's write set, sorted by key, onto the previous root. It commits
 * to the whole state history in one hash per block at no extra storage cost; a tree that gives
 * per-key proofs can replace it without changing the block format.
 */
export function nextStateRoot(previous: Uint8Array, writes: WriteSet): Uint8Array {
  const sorted = [...writes.keys()].sort().map((key) => [key, writes.get(key) ?? null] as const);
  return sha256(STATE_TAG, previous, encode(sorted as unknown as [string, Uint8Array | null][]));
}
