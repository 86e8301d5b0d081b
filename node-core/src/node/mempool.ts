import { IngotError } from '../codec/errors.ts';
import type { Transaction } from '../ledger/transaction.ts';

export interface MempoolLimits {
  readonly txsMax: number;
  readonly bytesMax: number;
}

/**
 * Admitted transactions waiting for a block, in arrival order. Bounded in count and bytes: when
 * full it refuses new transactions rather than grow.
 */
export class Mempool {
  readonly #limits: MempoolLimits;
  readonly #txs = new Map<string, Transaction>();
  #bytes = 0;

  constructor(limits: MempoolLimits) {
    this.#limits = limits;
  }

  get size(): number {
    return this.#txs.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  has(idHex: string): boolean {
    return this.#txs.has(idHex);
  }

  /** Refuses a transaction that is already waiting (TX_DUPLICATE), and any when full (MEMPOOL_FULL). */
  add(tx: Transaction): void {
    if (this.#txs.has(tx.idHex)) throw new IngotError('TX_DUPLICATE', 'this transaction is already waiting for a block');
    if (this.#txs.size >= this.#limits.txsMax || this.#bytes + tx.bytes.length > this.#limits.bytesMax) {
      throw new IngotError('MEMPOOL_FULL', `the node has ${this.#txs.size} transactions waiting; try again after the next block`);
    }
    this.#txs.set(tx.idHex, tx);
    this.#bytes += tx.bytes.length;
  }

  /** The oldest transactions that fit both limits, without removing them. */
  peek(txsMax: number, bytesMax: number): Transaction[] {
    const picked: Transaction[] = [];
    let bytes = 0;
    for (const tx of this.#txs.values()) {
      if (picked.length >= txsMax || bytes + tx.bytes.length > bytesMax) break;
      picked.push(tx);
      bytes += tx.bytes.length;
    }
    return picked;
  }

  remove(idHex: string): void {
    const tx = this.#txs.get(idHex);
    if (tx === undefined) return;
    this.#txs.delete(idHex);
    this.#bytes -= tx.bytes.length;
  }
}
