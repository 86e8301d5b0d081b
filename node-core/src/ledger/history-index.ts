import { assert, IngotError } from '../codec/errors.ts';
import type { LedgerDatabase } from './database.ts';
import { HalvingCache } from './halving-cache.ts';
import { position, readPosition } from './keys.ts';

/**
 * Transactions by subject and by signer, oldest first, stored in chunks of up to CHUNK_ENTRIES
 * records under one key each. Reading a thousand-entry history is then some thirty database values
 * instead of a thousand: LevelDB's per-key cost, not the bytes, bounds a long range scan.
 *
 * A chunk's key is the index family, the owner (subject or signer), 0x00 and the position of the
 * chunk's first record, so chunks sort in chain order and a cursor finds its chunk with one seek.
 * Only the last chunk of an owner is ever rewritten, and only in the batch of the block that
 * appends to it.
 */

export const CHUNK_ENTRIES = 32;
const POSITION_BYTES = 12;
const ID_BYTES = 32;

export interface HistoryEntry {
  readonly hash: Uint8Array;
  readonly height: number;
  readonly index: number;
  readonly contract: string;
  readonly method: string;
  readonly ok: boolean;
  readonly code: string;
}

export interface Cursor {
  readonly height: number;
  readonly index: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function shortText(text: string): Uint8Array {
  const bytes = encoder.encode(text);
  assert(bytes.length <= 255, `history text of ${bytes.length} bytes`);
  return bytes;
}

/** position ‖ id ‖ ok ‖ (length ‖ UTF-8) × contract, method, code */
export function encodeRecord(entry: HistoryEntry): Uint8Array {
  const texts = [shortText(entry.contract), shortText(entry.method), shortText(entry.code)];
  const record = new Uint8Array(POSITION_BYTES + ID_BYTES + 1 + texts.reduce((sum, t) => sum + 1 + t.length, 0));
  record.set(position(entry.height, entry.index), 0);
  record.set(entry.hash, POSITION_BYTES);
  record[POSITION_BYTES + ID_BYTES] = entry.ok ? 1 : 0;
  let offset = POSITION_BYTES + ID_BYTES + 1;
  for (const text of texts) {
    record[offset] = text.length;
    record.set(text, offset + 1);
    offset += 1 + text.length;
  }
  return record;
}

/** Decodes a stored chunk; damaged bytes give LEDGER_CORRUPT, never a crash. */
export function decodeChunk(chunk: Uint8Array): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  for (const record of splitRecords(chunk)) {
    const { height, index } = readPosition(record, 0);
    // A view into the chunk, not a copy: a long history is read often and its entries live briefly.
    const hash = new Uint8Array(record.buffer, record.byteOffset + POSITION_BYTES, ID_BYTES);
    const okByte = record[POSITION_BYTES + ID_BYTES];
    if (okByte !== 0 && okByte !== 1) throw corrupt();
    let offset = POSITION_BYTES + ID_BYTES + 1;
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const length = record[offset] as number;
      texts.push(decoder.decode(record.subarray(offset + 1, offset + 1 + length)));
      offset += 1 + length;
    }
    const [contract, method, code] = texts as [string, string, string];
    entries.push({ hash, height, index, contract, method, ok: okByte === 1, code });
  }
  return entries;
}

const corrupt = () => new IngotError('LEDGER_CORRUPT', 'a stored history chunk is damaged');

interface Tail {
  /** The key of the owner's last chunk, undefined when the owner has none. */
  readonly key: Uint8Array | undefined;
  readonly records: readonly Uint8Array[];
}

const TAIL_CACHE_OWNERS_MAX = 4096;

export class HistoryIndex {
  readonly #db: LedgerDatabase;
  readonly #family: number;
  /** Last chunks of recently written owners, so that appending rarely needs a seek. Updated only after a batch is written. */
  readonly #tails = new HalvingCache<string, Tail>(TAIL_CACHE_OWNERS_MAX);

  constructor(db: LedgerDatabase, family: number) {
    this.#db = db;
    this.#family = family;
  }

  #ownerPrefix(owner: Uint8Array): Uint8Array {
    const prefix = new Uint8Array(owner.length + 2);
    prefix[0] = this.#family;
    prefix.set(owner, 1);
    prefix[owner.length + 1] = 0;
    return prefix;
  }

  #chunkKey(owner: Uint8Array, cursor: Cursor): Uint8Array {
    const prefix = this.#ownerPrefix(owner);
    const key = new Uint8Array(prefix.length + POSITION_BYTES);
    key.set(prefix);
    key.set(position(cursor.height, cursor.index), prefix.length);
    return key;
  }

  #range(owner: Uint8Array): { gte: Uint8Array; lt: Uint8Array } {
    const gte = this.#ownerPrefix(owner);
    const lt = gte.slice();
    lt[lt.length - 1] = 1;
    return { gte, lt };
  }

  async #tail(owner: Uint8Array, ownerId: string): Promise<Tail> {
    const cached = this.#tails.get(ownerId);
    if (cached !== undefined) return cached;
    const [last] = await this.#db.iterator({ ...this.#range(owner), reverse: true, limit: 1 }).all();
    if (last === undefined) return { key: undefined, records: [] };
    return { key: last[0], records: splitRecords(last[1]) };
  }

  /**
   * The puts that append `entries` (in chain order) to each owner's history, and a function to
   * call once they are written. Owners are byte strings; `entries` maps each to its new records.
   */
  async prepareAppend(entries: ReadonlyMap<string, { owner: Uint8Array; records: HistoryEntry[] }>): Promise<{ puts: { key: Uint8Array; value: Uint8Array }[]; written: () => void }> {
    const puts: { key: Uint8Array; value: Uint8Array }[] = [];
    const tails = new Map<string, Tail>();
    for (const [ownerId, { owner, records }] of entries) {
      const tail = await this.#tail(owner, ownerId);
      let key = tail.key;
      let current = [...tail.records];
      for (const entry of records) {
        if (key === undefined || current.length >= CHUNK_ENTRIES) {
          if (key !== undefined) puts.push({ key, value: concat(current) });
          key = this.#chunkKey(owner, entry);
          current = [];
        }
        current.push(encodeRecord(entry));
      }
      assert(key !== undefined, 'an append without records');
      puts.push({ key, value: concat(current) });
      tails.set(ownerId, { key, records: current });
    }
    return {
      puts,
      written: () => {
        for (const [ownerId, tail] of tails) this.#tails.set(ownerId, tail);
      },
    };
  }

  async read(owner: Uint8Array, after: Cursor | undefined, limit: number): Promise<HistoryEntry[]> {
    const range = this.#range(owner);
    let start = range.gte;
    if (after !== undefined) {
      // The chunk holding the cursor starts at or before it.
      const [holding] = await this.#db.keys({ gte: range.gte, lte: this.#chunkKey(owner, after), reverse: true, limit: 1 }).all();
      if (holding !== undefined) start = holding;
    }
    const chunks = await this.#db.values({ gte: start, lt: range.lt, limit: Math.ceil(limit / CHUNK_ENTRIES) + 1 }).all();
    const result: HistoryEntry[] = [];
    for (const chunk of chunks) {
      for (const entry of decodeChunk(chunk)) {
        if (after !== undefined && (entry.height < after.height || (entry.height === after.height && entry.index <= after.index))) continue;
        result.push(entry);
        if (result.length === limit) return result;
      }
    }
    return result;
  }
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** A chunk's records as separate byte strings, for appending to it. */
function splitRecords(chunk: Uint8Array): Uint8Array[] {
  const records: Uint8Array[] = [];
  let offset = 0;
  while (offset < chunk.length) {
    let end = offset + POSITION_BYTES + ID_BYTES + 1;
    for (let i = 0; i < 3; i++) {
      if (end >= chunk.length) throw corrupt();
      end += 1 + (chunk[end] as number);
    }
    if (end > chunk.length) throw corrupt();
    records.push(chunk.subarray(offset, end));
    offset = end;
  }
  return records;
}
