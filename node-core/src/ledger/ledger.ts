import { bytesEqual, decode, encode } from '../codec/cbor.ts';
import { assert, IngotError } from '../codec/errors.ts';
import {
  decodeBlockHeader, decodeCommit, decodeWith, encodeBlockHeader, encodeCommit, encodeReceipt,
  receiptSchema, type BlockHeader, type Commit, type Receipt,
} from '../codec/messages.ts';
import { domainTag, sha256 } from '../crypto/hash.ts';
import { blockHash } from './block.ts';
import type { LedgerDatabase } from './database.ts';
import { HalvingCache } from './halving-cache.ts';
import { HistoryIndex, type Cursor, type HistoryEntry } from './history-index.ts';
import * as keys from './keys.ts';
import { toHex } from '../crypto/hex.ts';

export type { HistoryEntry } from './history-index.ts';
import type { StateReader, WriteSet } from './state.ts';
import type { Transaction } from './transaction.ts';

export interface Head {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly stateRoot: Uint8Array;
  readonly time: number;
  /** Transactions in the whole chain. */
  readonly txCount: number;
}

/** Everything one block changes; the ledger writes it in one atomic batch. */
export interface BlockToCommit {
  readonly header: BlockHeader;
  readonly txs: readonly Transaction[];
  readonly receipts: readonly Receipt[];
  /** The receipts' encodings when execution made them already; encoded here otherwise. */
  readonly receiptBytes?: readonly Uint8Array[];
  /** Absent only for the genesis block, which nobody signs. */
  readonly commit: Commit | undefined;
  readonly writes: WriteSet;
}

export interface StoredTransaction {
  readonly height: number;
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly receipt: Receipt;
}

const GENESIS_TAG = domainTag('genesis');
const encoder = new TextEncoder();

function appendTo(owners: Map<string, { owner: Uint8Array; records: HistoryEntry[] }>, id: string, owner: Uint8Array, entry: HistoryEntry): void {
  const existing = owners.get(id);
  if (existing === undefined) owners.set(id, { owner, records: [entry] });
  else existing.records.push(entry);
}
const decoder = new TextDecoder();

const decodeReceipt = (bytes: Uint8Array): Receipt => decodeWith(receiptSchema, bytes, 'receipt');
const STATE_CACHE_ENTRIES_MAX = 100_000;

export function chainIdOf(genesisBytes: Uint8Array): Uint8Array {
  return sha256(GENESIS_TAG, genesisBytes);
}

function decodeHead(bytes: Uint8Array): Head {
  const value = decode(bytes) as { height: number; hash: Uint8Array; stateRoot: Uint8Array; time: number; txCount: number };
  return value;
}

/**
 * The chain, its receipts, indexes and world state in one key-value database. Opening reads the
 * stored head only: nothing is replayed at start-up.
 */
export class Ledger implements StateReader {
  readonly #db: LedgerDatabase;
  #head: Head | undefined;
  #genesis: Uint8Array | undefined;
  #chainId: Uint8Array | undefined;
  #committing = false;
  /**
   * State values recently read or written, `null` for known-absent keys. The ledger is the only
   * writer of its database and updates this in the same step as the batch, so it is never stale.
   */
  readonly #stateCache = new HalvingCache<string, Uint8Array | null>(STATE_CACHE_ENTRIES_MAX);
  /** Commits so far: a read that a commit overtook must not cache the value it read before that commit. */
  #commits = 0;

  readonly #bySigner: HistoryIndex;
  readonly #bySubject: HistoryIndex;

  private constructor(db: LedgerDatabase, head: Head | undefined, genesis: Uint8Array | undefined) {
    this.#db = db;
    this.#bySigner = new HistoryIndex(db, keys.BY_SIGNER);
    this.#bySubject = new HistoryIndex(db, keys.BY_SUBJECT);
    this.#head = head;
    this.#genesis = genesis;
    this.#chainId = genesis === undefined ? undefined : chainIdOf(genesis);
  }

  static async open(db: LedgerDatabase): Promise<Ledger> {
    await db.open();
    const [head, genesis] = await db.getMany([keys.HEAD_KEY, keys.GENESIS_KEY]);
    return new Ledger(db, head === undefined ? undefined : decodeHead(head), genesis);
  }

  get head(): Head {
    if (this.#head === undefined) throw new IngotError('LEDGER_EMPTY', 'the ledger has no genesis block yet');
    return this.#head;
  }

  get isEmpty(): boolean {
    return this.#head === undefined;
  }

  get genesisBytes(): Uint8Array {
    if (this.#genesis === undefined) throw new IngotError('LEDGER_EMPTY', 'the ledger has no genesis block yet');
    return this.#genesis;
  }

  get chainId(): Uint8Array {
    this.#chainId ??= chainIdOf(this.genesisBytes);
    return this.#chainId;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const cached = this.#stateCache.get(key);
    if (cached !== undefined) return cached ?? undefined;
    const commits = this.#commits;
    const value = await this.#db.get(keys.stateKey(key));
    if (commits === this.#commits) this.#remember(key, value ?? null);
    return value;
  }

  #remember(key: string, value: Uint8Array | null): void {
    this.#stateCache.set(key, value);
  }

  /** One database call for many ids: admission checks a whole batch for replays at once. */
  async hasTransactions(ids: readonly Uint8Array[]): Promise<boolean[]> {
    if (ids.length === 0) return [];
    return this.#db.hasMany(ids.map(keys.txByIdKey));
  }

  /** Writes the genesis document and block 0 (whose state the genesis document defines). */
  async commitGenesis(genesisBytes: Uint8Array, block: BlockToCommit): Promise<void> {
    assert(this.#head === undefined, 'genesis on a ledger that has blocks');
    assert(block.header.height === 0 && block.txs.length === 0, 'genesis block shape');
    await this.#write(block, [{ type: 'put', key: keys.GENESIS_KEY, value: genesisBytes }]);
    this.#genesis = genesisBytes;
  }

  async commit(block: BlockToCommit): Promise<void> {
    const head = this.head;
    assert(block.header.height === head.height + 1, `block ${block.header.height} on head ${head.height}`);
    assert(bytesEqual(block.header.prev, head.hash), `block ${block.header.height} does not link to the head`);
    assert(block.commit !== undefined, `block ${block.header.height} without a commit`);
    await this.#write(block, []);
  }

  async #write(block: BlockToCommit, extra: { type: 'put'; key: Uint8Array; value: Uint8Array }[]): Promise<void> {
    assert(!this.#committing, 'two commits at once');
    assert(block.txs.length === block.receipts.length, 'one receipt per transaction');
    assert(block.receiptBytes === undefined || block.receiptBytes.length === block.receipts.length, 'one encoding per receipt');
    this.#committing = true;
    try {
      const { header, txs, receipts, commit, writes } = block;
      const hash = blockHash(header);
      const height = header.height;
      const ops: ({ type: 'put'; key: Uint8Array; value: Uint8Array } | { type: 'del'; key: Uint8Array })[] = extra;
      const bySigner = new Map<string, { owner: Uint8Array; records: HistoryEntry[] }>();
      const bySubject = new Map<string, { owner: Uint8Array; records: HistoryEntry[] }>();
      ops.push({ type: 'put', key: keys.blockKey(height), value: encode({ header: encodeBlockHeader(header), txCount: txs.length }) });
      ops.push({ type: 'put', key: keys.hashKey(hash), value: keys.u64(height) });
      if (commit !== undefined) ops.push({ type: 'put', key: keys.commitKey(height), value: encodeCommit(commit) });
      for (let index = 0; index < txs.length; index++) {
        const tx = txs[index] as Transaction;
        const receipt = receipts[index] as Receipt;
        ops.push({ type: 'put', key: keys.txKey(height, index), value: tx.bytes });
        ops.push({ type: 'put', key: keys.receiptKey(height, index), value: block.receiptBytes?.[index] ?? encodeReceipt(receipt) });
        ops.push({ type: 'put', key: keys.txByIdKey(tx.id), value: keys.position(height, index) });
        const entry: HistoryEntry = { hash: tx.id, height, index, contract: tx.body.contract, method: tx.body.method, ok: receipt.ok, code: receipt.code };
        appendTo(bySigner, toHex(tx.body.signer), tx.body.signer, entry);
        for (const subject of receipt.subjects) appendTo(bySubject, subject, encoder.encode(subject), entry);
      }
      const signerAppend = await this.#bySigner.prepareAppend(bySigner);
      const subjectAppend = await this.#bySubject.prepareAppend(bySubject);
      for (const { key, value } of [...signerAppend.puts, ...subjectAppend.puts]) ops.push({ type: 'put', key, value });
      for (const [key, value] of writes) {
        ops.push(value === null ? { type: 'del', key: keys.stateKey(key) } : { type: 'put', key: keys.stateKey(key), value });
      }
      const head: Head = { height, hash, stateRoot: header.stateRoot, time: header.time, txCount: (this.#head?.txCount ?? 0) + txs.length };
      ops.push({ type: 'put', key: keys.HEAD_KEY, value: encode(head as unknown as Record<string, Uint8Array | number>) });
      // One batch, synced: a block is on disk whole or not at all, and "committed" means it survives power loss.
      await this.#db.batch(ops, { sync: true } as object);
      this.#head = head;
      this.#commits++;
      signerAppend.written();
      subjectAppend.written();
      for (const [key, value] of writes) this.#remember(key, value);
    } finally {
      this.#committing = false;
    }
  }

  async header(height: number): Promise<BlockHeader | undefined> {
    const stored = await this.#db.get(keys.blockKey(height));
    if (stored === undefined) return undefined;
    return decodeBlockHeader((decode(stored) as { header: Uint8Array }).header);
  }

  async heightOfHash(hash: Uint8Array): Promise<number | undefined> {
    const stored = await this.#db.get(keys.hashKey(hash));
    return stored === undefined ? undefined : Number(new DataView(stored.buffer, stored.byteOffset, 8).getBigUint64(0));
  }

  async blockTransactions(height: number): Promise<Uint8Array[]> {
    return this.#db.values(keys.txRangeOfBlock(height)).all();
  }

  async receipts(height: number): Promise<Receipt[]> {
    const values = await this.#db.values({ gte: keys.receiptKey(height, 0), lt: keys.receiptKey(height + 1, 0) }).all();
    return values.map(decodeReceipt);
  }

  async commitOf(height: number): Promise<Commit | undefined> {
    const stored = await this.#db.get(keys.commitKey(height));
    return stored === undefined ? undefined : decodeCommit(stored);
  }

  /** Where each transaction is on the chain, undefined for those that are not. */
  async transactionLocations(ids: readonly Uint8Array[]): Promise<({ height: number; index: number } | undefined)[]> {
    if (ids.length === 0) return [];
    const stored = await this.#db.getMany(ids.map(keys.txByIdKey));
    return stored.map((location) => (location === undefined ? undefined : keys.readPosition(location)));
  }

  async transactionById(id: Uint8Array): Promise<StoredTransaction | undefined> {
    const location = await this.#db.get(keys.txByIdKey(id));
    if (location === undefined) return undefined;
    const { height, index } = keys.readPosition(location);
    const [bytes, receipt] = await this.#db.getMany([keys.txKey(height, index), keys.receiptKey(height, index)]);
    assert(bytes !== undefined && receipt !== undefined, `index points at a missing transaction ${height}/${index}`);
    return { height, index, bytes, receipt: decodeReceipt(receipt) };
  }

  historyOfSubject(subject: string, after: Cursor | undefined, limit: number): Promise<HistoryEntry[]> {
    return this.#bySubject.read(encoder.encode(subject), after, limit);
  }

  historyOfSigner(signer: Uint8Array, after: Cursor | undefined, limit: number): Promise<HistoryEntry[]> {
    return this.#bySigner.read(signer, after, limit);
  }

  /** The whole world state in key order, for a full comparison such as verify-ledger's. */
  async *stateEntries(): AsyncGenerator<[string, Uint8Array]> {
    for await (const [key, value] of this.#db.iterator(keys.stateRange())) yield [decoder.decode(key.subarray(1)), value];
  }

  /**
   * At most `limit` state entries whose keys start with `prefix`, in key order, after the key
   * `prefix + after` when given: a bounded read of one kind of record, page by page.
   */
  async stateEntriesUnder(prefix: string, limit: number, after?: string): Promise<[string, Uint8Array][]> {
    assert(prefix.length > 0, 'a state prefix is not empty');
    const entries = await this.#db.iterator({ ...keys.statePrefixRange(prefix, after), limit }).all();
    return entries.map(([key, value]) => [decoder.decode(key.subarray(1)), value]);
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
