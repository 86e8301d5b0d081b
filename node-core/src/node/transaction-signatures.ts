import type { Transaction } from '../ledger/transaction.ts';
import type { SignatureVerifier } from './signature-verifier.ts';

/**
 * Each transaction's signature checked once per node. A transaction a peer relayed can still be
 * waiting in admission when a proposal holding it arrives, and both need its signature; on a
 * loaded node that race checked a large share of signatures twice. Transactions are the objects
 * `KnownTransactions` hands out for the same bytes, so a check still in flight is shared as well.
 */
export class TransactionSignatures {
  readonly #verifier: SignatureVerifier;
  readonly #checks = new WeakMap<Transaction, Promise<boolean>>();

  constructor(verifier: SignatureVerifier) {
    this.#verifier = verifier;
  }

  /** Whether each transaction's signature holds; only those not checked, nor being checked, are sent to the verifier. */
  check(txs: readonly Transaction[]): Promise<boolean[]> {
    const fresh: Transaction[] = [];
    const seen = new Set<Transaction>();
    for (const tx of txs) {
      if (!this.#checks.has(tx) && !seen.has(tx)) {
        seen.add(tx);
        fresh.push(tx);
      }
    }
    if (fresh.length > 0) {
      const results = this.#verifier.verifyBatch(fresh.map((tx) => ({ publicKey: tx.body.signer, message: tx.id, signature: tx.sig })));
      fresh.forEach((tx, index) => {
        const valid = results.then((all) => all[index] === true);
        this.#checks.set(tx, valid);
        // A check that failed (not one that found a bad signature) is forgotten, so the next caller tries again.
        valid.catch(() => this.#checks.delete(tx));
      });
    }
    return Promise.all(txs.map((tx) => this.#checks.get(tx) as Promise<boolean>));
  }
}
