import { z } from 'zod';
import { decode, encode } from '../codec/cbor.ts';
import type { StateOverlay, StateReader } from '../ledger/state.ts';
import { ContractError } from './contract.ts';

/** What an index of open records needs to know about them. */
export interface OpenIndexSpec<T> {
  /** The state key the ids are kept under, oldest first. */
  readonly key: string;
  /** At most this many ids; adding beyond it is refused with `fullCode`. */
  readonly max: number;
  readonly fullCode: string;
  readonly fullMessage: string;
  read(state: StateReader, id: string): Promise<T | undefined>;
  write(state: StateOverlay, record: T): void;
  idOf(record: T): string;
  expiresAt(record: T): number;
  /** The record as it is written once it leaves the index past its expiry. */
  expired(record: T): T;
}

/**
 * A bounded index of open records (invites, proposals) under one state key. Adding a record first
 * marks those past their expiry expired and drops them; closing one writes it and drops its id.
 */
export class OpenIndex<T> {
  readonly #spec: OpenIndexSpec<T>;
  readonly #schema: z.ZodType<string[]>;

  constructor(spec: OpenIndexSpec<T>) {
    this.#spec = spec;
    this.#schema = z.array(z.string()).max(spec.max);
  }

  async ids(state: StateReader): Promise<string[]> {
    const stored = await state.get(this.#spec.key);
    return stored === undefined ? [] : this.#schema.parse(decode(stored));
  }

  /** Opens `record` at block time `now`, first sweeping expired ones; refused when the index is full. */
  async add(state: StateOverlay, record: T, now: number): Promise<void> {
    const spec = this.#spec;
    const kept: string[] = [];
    for (const id of await this.ids(state)) {
      const open = await spec.read(state, id);
      if (open === undefined) continue;
      if (spec.expiresAt(open) < now) spec.write(state, spec.expired(open));
      else kept.push(id);
    }
    if (kept.length >= spec.max) throw new ContractError(spec.fullCode, spec.fullMessage);
    spec.write(state, record);
    state.set(spec.key, encode([...kept, spec.idOf(record)]));
  }

  /** Writes a record that is no longer open and drops its id from the index. */
  async close(state: StateOverlay, record: T): Promise<void> {
    const id = this.#spec.idOf(record);
    this.#spec.write(state, record);
    state.set(this.#spec.key, encode((await this.ids(state)).filter((open) => open !== id)));
  }
}
