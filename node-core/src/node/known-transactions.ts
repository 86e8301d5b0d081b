import { hash } from 'node:crypto';
import { HalvingCache } from '../ledger/halving-cache.ts';
import { parseTransaction, type Transaction } from '../ledger/transaction.ts';

/** Recently parsed transactions kept; at 2,000 tx/s this covers the seconds between relay and proposal. */
export const KNOWN_TRANSACTIONS_MAX = 32_768;

/**
 * Transactions this node has parsed recently, by a digest of their exact bytes. Every member
 * relays what it admits, so a transaction reaches a node from several peers and again inside a
 * proposal; decoding it (two canonical CBOR checks and a schema) costs fifty times the digest.
 * Keyed by the whole encoding, not the id: a copy with the same body and another signature is
 * a different transaction here and is parsed and checked on its own.
 */
export class KnownTransactions {
  readonly #byDigest: HalvingCache<string, Transaction>;

  constructor(capacity = KNOWN_TRANSACTIONS_MAX) {
    this.#byDigest = new HalvingCache(capacity);
  }

  /** Parses bytes not seen before and remembers them; undefined for a copy of a known transaction. */
  parseNew(bytes: Uint8Array): Transaction | undefined {
    const digest = digestOf(bytes);
    if (this.#byDigest.has(digest)) return undefined;
    const tx = parseTransaction(bytes);
    this.#byDigest.set(digest, tx);
    return tx;
  }

  /** The transaction these bytes encode: the one parsed before, or parsed now (and not remembered). */
  parse(bytes: Uint8Array): Transaction {
    return this.#byDigest.get(digestOf(bytes)) ?? parseTransaction(bytes);
  }

  /** A transaction this node made or parsed elsewhere, so that its copies are recognised. */
  remember(tx: Transaction): void {
    this.#byDigest.set(digestOf(tx.bytes), tx);
  }

  get size(): number {
    return this.#byDigest.size;
  }
}

function digestOf(bytes: Uint8Array): string {
  return hash('sha256', bytes, 'base64');
}
