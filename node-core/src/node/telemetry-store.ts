import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { z } from 'zod';
import { decode, encode } from '../codec/cbor.ts';
import { IngotError } from '../codec/errors.ts';
import { bytes as bytesOf } from '../codec/messages.ts';
import { fromHex, toHex } from '../crypto/hex.ts';

/**
 * The owner's node keeps the raw telemetry of its devices in a database of its own,
 * `<data>/telemetry` (classic-level), beside the ledger. Keys (device ids as their 20 bytes, seq as
 * 8 bytes big-endian, so that a device's batches sort in seq order):
 *
 * | prefix | key | value |
 * | --- | --- | --- |
 * | `b` | device, seq | the signed batch, as the device sent it |
 * | `i` | device, seq | index: first and last point time, point count, root, when received, and the anchor once known |
 * | `p` | device, seq | pending anchor: present until the batch's anchor is committed (or refused for good) |
 * | `s` | device | the highest seq accepted |
 *
 * A batch, its index entry, its pending-anchor marker and the device's new highest seq are one
 * synced write: once `put` resolves (and only then is the batch acknowledged) a crash loses none of
 * them, and the node anchors whatever is still pending when it starts again. Writes that arrive
 * while one is in progress are grouped into the next, so many submitters share one flush.
 */

export const TELEMETRY_DB_DIR = 'telemetry';

export interface BatchAnchor {
  /** The transaction that anchored the batch, its block height and time. */
  readonly tx: string;
  readonly height: number;
  readonly time: number;
}

export interface BatchIndex {
  readonly device: string;
  readonly seq: number;
  readonly from: number;
  readonly to: number;
  readonly count: number;
  readonly root: Uint8Array;
  /** When this node accepted it (its clock). */
  readonly received: number;
  /** The anchor once committed; null while pending or when refused (`anchorError` says why). */
  readonly anchor: BatchAnchor | null;
  readonly anchorError: string | null;
}

const indexValueSchema = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    count: z.number().int(),
    root: bytesOf(32),
    received: z.number().int(),
    anchor: z.object({ tx: bytesOf(32), height: z.number().int(), time: z.number().int() }).strict().nullable(),
    anchorError: z.string().nullable(),
  })
  .strict();

export interface Settlement {
  readonly device: string;
  readonly seq: number;
  readonly anchor: BatchAnchor | null;
  readonly error: string | null;
}

export interface NewBatch {
  readonly device: string;
  readonly seq: number;
  readonly bytes: Uint8Array;
  readonly from: number;
  readonly to: number;
  readonly count: number;
  readonly root: Uint8Array;
  readonly received: number;
}

type Op = { type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array };

const PREFIX = { batch: 0x62, index: 0x69, pending: 0x70, seq: 0x73 } as const;
const DEVICE_BYTES = 20;

function key(prefix: number, device: string, seq?: number): Uint8Array {
  const out = new Uint8Array(1 + DEVICE_BYTES + (seq === undefined ? 0 : 8));
  out[0] = prefix;
  out.set(fromHex(device, DEVICE_BYTES, 'device'), 1);
  if (seq !== undefined) new DataView(out.buffer).setBigUint64(1 + DEVICE_BYTES, BigInt(seq));
  return out;
}

function parseKey(data: Uint8Array): { device: string; seq: number } {
  return { device: toHex(data.subarray(1, 1 + DEVICE_BYTES)), seq: Number(new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(1 + DEVICE_BYTES)) };
}

/** Keys of one prefix (and device), for range reads. */
function range(prefix: number, device?: string): { gte: Uint8Array; lt: Uint8Array } {
  const start = device === undefined ? new Uint8Array([prefix]) : key(prefix, device);
  const end = device === undefined ? new Uint8Array([prefix + 1]) : start.slice();
  if (device !== undefined) {
    // The next device id: add one to the 20-byte id (an id of all 0xff bytes ends at the next prefix).
    let i = end.length - 1;
    while (i > 0 && end[i] === 0xff) end[i--] = 0;
    if (i === 0) return { gte: start, lt: new Uint8Array([prefix + 1]) };
    end[i] = (end[i] as number) + 1;
  }
  return { gte: start, lt: end };
}

function decodeIndex(device: string, seq: number, value: Uint8Array): BatchIndex {
  const v = indexValueSchema.parse(decode(value));
  return { device, seq, ...v, anchor: v.anchor === null ? null : { tx: toHex(v.anchor.tx), height: v.anchor.height, time: v.anchor.time } };
}

function encodeIndex(index: Omit<BatchIndex, 'device' | 'seq'>): Uint8Array {
  return encode({
    from: index.from, to: index.to, count: index.count, root: index.root, received: index.received,
    anchor: index.anchor === null ? null : { tx: fromHex(index.anchor.tx, 32, 'tx'), height: index.anchor.height, time: index.anchor.time },
    anchorError: index.anchorError,
  });
}

interface QueuedWrite {
  readonly ops: Op[];
  readonly done: PromiseWithResolvers<void>;
}

export class TelemetryStore {
  readonly #db: ClassicLevel<Uint8Array, Uint8Array>;
  #queue: QueuedWrite[] = [];
  #flushing = false;
  #closed = false;

  private constructor(db: ClassicLevel<Uint8Array, Uint8Array>) {
    this.#db = db;
  }

  static async open(dataDir: string): Promise<TelemetryStore> {
    const db = new ClassicLevel<Uint8Array, Uint8Array>(join(dataDir, TELEMETRY_DB_DIR), { keyEncoding: 'view', valueEncoding: 'view' });
    try {
      await db.open();
    } catch (error) {
      if ((error as { cause?: { code?: string } }).cause?.code === 'LEVEL_LOCKED') {
        throw new IngotError('TELEMETRY_STORE_LOCKED', `another Ingot process is using ${join(dataDir, TELEMETRY_DB_DIR)}; stop it first`);
      }
      throw error;
    }
    return new TelemetryStore(db);
  }

  /** Durably stores a new batch with its pending-anchor marker; resolves once flushed to disk. */
  put(batch: NewBatch): Promise<void> {
    const seq = new Uint8Array(8);
    new DataView(seq.buffer).setBigUint64(0, BigInt(batch.seq));
    return this.#write([
      { type: 'put', key: key(PREFIX.batch, batch.device, batch.seq), value: batch.bytes },
      { type: 'put', key: key(PREFIX.index, batch.device, batch.seq), value: encodeIndex({ ...batch, anchor: null, anchorError: null }) },
      { type: 'put', key: key(PREFIX.pending, batch.device, batch.seq), value: new Uint8Array(0) },
      { type: 'put', key: key(PREFIX.seq, batch.device), value: seq },
    ]);
  }

  /** Records the batches' anchors (or why they could not be anchored) and clears their pending markers. */
  async settle(entries: readonly Settlement[]): Promise<void> {
    const ops: Op[] = [];
    for (const entry of entries) {
      const current = await this.index(entry.device, entry.seq);
      if (current === undefined) continue;
      ops.push({ type: 'put', key: key(PREFIX.index, entry.device, entry.seq), value: encodeIndex({ ...current, anchor: entry.anchor, anchorError: entry.error }) });
      ops.push({ type: 'del', key: key(PREFIX.pending, entry.device, entry.seq) });
    }
    if (ops.length > 0) await this.#write(ops);
  }

  #write(ops: Op[]): Promise<void> {
    if (this.#closed) return Promise.reject(new IngotError('NODE_STOPPING', 'the telemetry store is closed'));
    const done = Promise.withResolvers<void>();
    this.#queue.push({ ops, done });
    if (!this.#flushing) void this.#flush();
    return done.promise;
  }

  async #flush(): Promise<void> {
    this.#flushing = true;
    while (this.#queue.length > 0) {
      const writes = this.#queue;
      this.#queue = [];
      try {
        await this.#db.batch(writes.flatMap((w) => w.ops), { sync: true });
        for (const w of writes) w.done.resolve();
      } catch (error) {
        for (const w of writes) w.done.reject(error);
      }
    }
    this.#flushing = false;
  }

  async lastSeq(device: string): Promise<number | undefined> {
    const value = await this.#db.get(key(PREFIX.seq, device));
    return value === undefined ? undefined : Number(new DataView(value.buffer, value.byteOffset, value.byteLength).getBigUint64(0));
  }

  async batch(device: string, seq: number): Promise<Uint8Array | undefined> {
    return this.#db.get(key(PREFIX.batch, device, seq));
  }

  async index(device: string, seq: number): Promise<BatchIndex | undefined> {
    const value = await this.#db.get(key(PREFIX.index, device, seq));
    return value === undefined ? undefined : decodeIndex(device, seq, value);
  }

  /** A device's batches in seq order (newest first with `reverse`), from `startSeq` (inclusive) on when given. */
  async *indexes(device: string, options: { reverse?: boolean; startSeq?: number } = {}): AsyncGenerator<BatchIndex> {
    const bounds = range(PREFIX.index, device);
    const reverse = options.reverse === true;
    const start = options.startSeq === undefined ? undefined : key(PREFIX.index, device, options.startSeq);
    const limits = start === undefined ? bounds : reverse ? { gte: bounds.gte, lte: start } : { gte: start, lt: bounds.lt };
    for await (const [k, v] of this.#db.iterator({ ...limits, reverse })) {
      const { seq } = parseKey(k);
      yield decodeIndex(device, seq, v);
    }
  }

  /** Batches whose anchor is not settled yet, oldest first per device. */
  async pending(): Promise<BatchIndex[]> {
    const out: BatchIndex[] = [];
    for await (const k of this.#db.keys(range(PREFIX.pending))) {
      const { device, seq } = parseKey(k);
      const index = await this.index(device, seq);
      if (index !== undefined) out.push(index);
    }
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
    while (this.#flushing) await new Promise((resolve) => setImmediate(resolve));
    await this.#db.close();
  }
}
