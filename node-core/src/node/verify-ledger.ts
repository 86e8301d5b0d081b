import { bytesEqual } from '../codec/cbor.ts';
import { IngotError } from '../codec/errors.ts';
import { decodeGenesis, encodeReceipt } from '../codec/messages.ts';
import { merkleRoot } from '../crypto/merkle.ts';
import { toHex } from '../crypto/hex.ts';
import { executeBlock } from '../contracts/execute.ts';
import { genesisBlock } from '../contracts/genesis.ts';
import { readValidators } from '../contracts/membership-state.ts';
import { blockHash, commitProblem } from '../ledger/block.ts';
import type { ChainView } from '../contracts/execute.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { nextStateRoot, type WriteSet } from '../ledger/state.ts';
import { parseTransaction, type Transaction } from '../ledger/transaction.ts';

export type VerifyResult =
  | { readonly ok: true; readonly height: number; readonly txCount: number }
  | { readonly ok: false; readonly height: number; readonly problem: string };

class Inconsistency extends Error {
  readonly height: number;
  constructor(height: number, message: string) {
    super(message);
    this.height = height;
  }
}

function check(condition: boolean, height: number, problem: string): asserts condition {
  if (!condition) throw new Inconsistency(height, problem);
}

/** Reads stored data of one block: a record that cannot be read or decoded is that block's inconsistency. */
async function read<T>(height: number, what: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    throw new Inconsistency(height, `${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * The chain as re-execution sees it at one height: the world state rebuilt from genesis (in
 * memory; it is the size of the state, not of the chain) and, for replay checks, the stored id
 * index limited to the blocks below.
 */
class Replay implements ChainView {
  readonly #stored: Ledger;
  readonly #state = new Map<string, Uint8Array>();
  height = 0;
  hash: Uint8Array;
  stateRoot: Uint8Array;
  time: number;

  constructor(stored: Ledger, genesis: { hash: Uint8Array; stateRoot: Uint8Array; time: number; writes: WriteSet }) {
    this.#stored = stored;
    this.hash = genesis.hash;
    this.stateRoot = genesis.stateRoot;
    this.time = genesis.time;
    this.apply(genesis.writes);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.#state.get(key));
  }

  async hasTransactions(ids: readonly Uint8Array[]): Promise<boolean[]> {
    const locations = await this.#stored.transactionLocations(ids);
    return locations.map((location) => location !== undefined && location.height <= this.height);
  }

  apply(writes: WriteSet): void {
    for (const [key, value] of writes) {
      if (value === null) this.#state.delete(key);
      else this.#state.set(key, value);
    }
  }

  get state(): ReadonlyMap<string, Uint8Array> {
    return this.#state;
  }
}

/**
 * Re-derives the whole chain from genesis: every link, Merkle root, signature, commit certificate,
 * receipt and state root is recomputed on a scratch copy and compared with what is stored. Reports
 * the first inconsistency and its height.
 */
export async function verifyLedger(stored: Ledger, onProgress: (height: number, head: number) => void = () => {}): Promise<VerifyResult> {
  let txCount = 0;
  try {
    const head = stored.head;
    let genesis;
    try {
      genesis = decodeGenesis(stored.genesisBytes);
    } catch (error) {
      throw new Inconsistency(0, `genesis document: ${(error as Error).message}`);
    }
    const { block } = genesisBlock(genesis);
    const header0 = await read(0, 'block 0', () => stored.header(0));
    check(header0 !== undefined, 0, 'block 0 is missing');
    check(bytesEqual(blockHash(header0), blockHash(block.header)), 0, 'block 0 does not match the genesis document');
    const chain = stored.chainId;
    const replay = new Replay(stored, { hash: blockHash(block.header), stateRoot: block.header.stateRoot, time: block.header.time, writes: block.writes });

    for (let height = 1; height <= head.height; height++) {
      const header = await read(height, 'block header', () => stored.header(height));
      check(header !== undefined, height, 'block is missing');
      check(header.height === height, height, `header says height ${header.height}`);
      check(bytesEqual(header.chain, chain), height, 'header is for another consortium');
      check(bytesEqual(header.prev, replay.hash), height, 'previous-block hash does not match block ' + (height - 1));
      check(header.time > replay.time, height, 'timestamp is not after the previous block');

      const rawTxs = await stored.blockTransactions(height);
      check(bytesEqual(header.txRoot, merkleRoot(rawTxs)), height, 'transaction Merkle root does not match the transactions');
      const txs: Transaction[] = [];
      for (const [index, bytes] of rawTxs.entries()) {
        try {
          txs.push(parseTransaction(bytes));
        } catch (error) {
          throw new Inconsistency(height, `transaction ${index}: ${(error as Error).message}`);
        }
      }
      const locations = await read(height, 'transaction index', () => stored.transactionLocations(txs.map((tx) => tx.id)));
      txs.forEach((tx, index) => {
        const location = locations[index];
        check(location?.height === height && location.index === index, height, `transaction index does not point at ${tx.idHex}`);
      });

      const commit = await read(height, 'commit certificate', () => stored.commitOf(height));
      check(commit !== undefined, height, 'commit certificate is missing');
      const problem = commitProblem(commit, header, await readValidators(replay));
      check(problem === undefined, height, `commit certificate: ${problem}`);

      let execution;
      try {
        execution = await executeBlock(replay, { chain: header.chain, height, time: header.time }, txs, { verifySignatures: true });
      } catch (error) {
        if (error instanceof IngotError) throw new Inconsistency(height, error.message);
        throw error;
      }
      const storedReceipts = await read(height, 'receipts', () => stored.receipts(height));
      check(storedReceipts.length === txs.length, height, 'receipts are missing');
      execution.receipts.forEach((receipt, index) => {
        const storedReceipt = storedReceipts[index];
        check(storedReceipt !== undefined && bytesEqual(encodeReceipt(receipt), encodeReceipt(storedReceipt)), height, `receipt ${index} differs from re-execution`);
      });
      check(bytesEqual(header.resultsRoot, merkleRoot(execution.receipts.map(encodeReceipt))), height, 'receipts Merkle root does not match re-execution');
      check(bytesEqual(header.stateRoot, nextStateRoot(replay.stateRoot, execution.writes)), height, 'state root does not match re-execution');

      replay.apply(execution.writes);
      replay.height = height;
      replay.hash = blockHash(header);
      replay.stateRoot = header.stateRoot;
      replay.time = header.time;
      txCount += txs.length;
      onProgress(height, head.height);
    }
    check(bytesEqual(replay.hash, head.hash), head.height, `stored head ${toHex(head.hash)} is not the last block`);
    check(txCount === head.txCount, head.height, 'stored transaction count is wrong');
    // The node answers from its stored world state, which no header covers: it must be what re-execution gives.
    const expected = new Map(replay.state);
    for await (const [key, value] of stored.stateEntries()) {
      const want = expected.get(key);
      check(want !== undefined, head.height, `state key ${JSON.stringify(key)} is not produced by re-executing the chain`);
      check(bytesEqual(want, value), head.height, `state key ${JSON.stringify(key)} differs from re-execution`);
      expected.delete(key);
    }
    const [missing] = expected.keys();
    check(missing === undefined, head.height, `state key ${JSON.stringify(missing)} is missing`);
    return { ok: true, height: head.height, txCount };
  } catch (error) {
    if (error instanceof Inconsistency) return { ok: false, height: error.height, problem: error.message };
    throw error;
  }
}
