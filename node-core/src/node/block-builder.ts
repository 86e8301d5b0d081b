import { IngotError } from '../codec/errors.ts';
import { limits } from '../codec/limits.ts';
import { encodeReceipt, type Block, type BlockHeader, type Receipt } from '../codec/messages.ts';
import { bytesEqual } from '../codec/cbor.ts';
import { merkleRoot } from '../crypto/merkle.ts';
import { executeBlock } from '../contracts/execute.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { nextStateRoot, type WriteSet } from '../ledger/state.ts';
import type { Transaction } from '../ledger/transaction.ts';
import type { Mempool } from './mempool.ts';

/** A block as committed, for whoever listens to new blocks. */
export interface CommittedBlock {
  readonly header: BlockHeader;
  readonly txs: readonly Transaction[];
  readonly receipts: readonly Receipt[];
}

/** A block with everything executing it produced, ready for `ledger.commit` once certified. */
export interface ExecutedBlock {
  readonly header: BlockHeader;
  readonly txs: readonly Transaction[];
  readonly receipts: readonly Receipt[];
  /** The receipts' encodings, made once for the results root and stored as they are. */
  readonly receiptBytes: readonly Uint8Array[];
  readonly writes: WriteSet;
}

export function blockOf(executed: ExecutedBlock): Block {
  return { header: executed.header, txs: executed.txs.map((tx) => tx.bytes) };
}

/**
 * The mempool's next transactions that may still go into the block at `height`: a copy of a
 * committed transaction or an expired one is dropped from the mempool and reported.
 */
export async function takeCandidates(ledger: Ledger, mempool: Mempool, height: number, onDropped: (tx: Transaction, reason: IngotError) => void, txsMax: number = limits.blockTxsMax): Promise<Transaction[]> {
  const candidates = mempool.peek(Math.min(txsMax, limits.blockTxsMax), limits.blockBytesMax);
  // A copy of a transaction can be admitted while the original is being committed; it must not
  // reach a block, which it would make invalid.
  const committed = await ledger.hasTransactions(candidates.map((tx) => tx.id));
  const txs: Transaction[] = [];
  candidates.forEach((tx, index) => {
    const reason = committed[index] === true
      ? new IngotError('TX_ALREADY_COMMITTED', 'this transaction is already on the ledger')
      : tx.body.expires < height ? new IngotError('TX_EXPIRED', 'the transaction expired before it was included in a block') : undefined;
    if (reason === undefined) {
      txs.push(tx);
    } else {
      mempool.remove(tx.idHex);
      onDropped(tx, reason);
    }
  });
  return txs;
}

/** Executes `txs` on the head and makes the header that commits to the result. */
export async function buildBlock(ledger: Ledger, txs: readonly Transaction[], proposer: Uint8Array, now: number, options: { verifySignatures: boolean }): Promise<ExecutedBlock> {
  const head = ledger.head;
  const height = head.height + 1;
  // Block time never goes backwards, even if the wall clock does.
  const time = Math.max(now, head.time + 1);
  const chain = ledger.chainId;
  const { receipts, writes } = await executeBlock(ledger, { chain, height, time }, txs, options);
  const receiptBytes = receipts.map(encodeReceipt);
  const header: BlockHeader = {
    v: 1,
    chain,
    height,
    prev: head.hash,
    time,
    proposer,
    txRoot: merkleRoot(txs.map((tx) => tx.bytes)),
    resultsRoot: merkleRoot(receiptBytes),
    stateRoot: nextStateRoot(head.stateRoot, writes),
  };
  return { header, txs, receipts, receiptBytes, writes };
}

/** How a node reads the transactions of a block it received. */
export interface ReceivedTransactions {
  /** Decodes one transaction, or returns the one this node parsed from the same bytes before. */
  parse(bytes: Uint8Array): Transaction;
  /** Throws TX_BAD_SIGNATURE for the first transaction whose signature fails, checking only those this node has not checked itself. */
  verifyUnknown(txs: readonly Transaction[]): Promise<void>;
}

/**
 * Re-executes a block received from a peer on the head and checks that its header is exactly what
 * that execution gives; the reason for refusing it otherwise. Its own time must lie after the
 * head's.
 */
export async function executeReceivedBlock(ledger: Ledger, block: Block, received: ReceivedTransactions): Promise<ExecutedBlock> {
  const head = ledger.head;
  const { header } = block;
  const refuse = (why: string) => new IngotError('BLOCK_INVALID', `block ${header.height}: ${why}`);
  if (!bytesEqual(header.chain, ledger.chainId)) throw refuse('another chain');
  if (header.height !== head.height + 1) throw refuse(`expected height ${head.height + 1}`);
  if (!bytesEqual(header.prev, head.hash)) throw refuse('does not extend the head');
  if (header.time <= head.time) throw refuse('its time is not after the previous block');
  if (block.txs.length > limits.blockTxsMax || block.txs.reduce((sum, tx) => sum + tx.length, 0) > limits.blockBytesMax) throw refuse('too large');
  const txs = block.txs.map((bytes) => received.parse(bytes));
  const ids = new Set(txs.map((tx) => tx.idHex));
  if (ids.size !== txs.length) throw refuse('a transaction appears twice');
  // Signatures the node already checked (its mempool's transactions) are not checked again.
  // Execution refuses a transaction already on the chain, so that is not looked up here as well.
  await received.verifyUnknown(txs);
  const executed = await buildBlock(ledger, txs, header.proposer, header.time, { verifySignatures: false });
  for (const field of ['txRoot', 'resultsRoot', 'stateRoot'] as const) {
    if (!bytesEqual(executed.header[field], header[field])) throw refuse(`${field} does not match its transactions`);
  }
  return executed;
}
