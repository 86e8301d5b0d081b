import { IngotError } from '../codec/errors.ts';
import { checkChain, checkExpiry, resolveTransaction } from '../contracts/execute.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Transaction } from '../ledger/transaction.ts';
import type { Mempool } from './mempool.ts';
import type { TransactionSignatures } from './transaction-signatures.ts';

/** Transactions waiting for admission; past this the node answers NODE_BUSY at once. */
export const ADMISSION_QUEUE_MAX = 8192;
/** Transactions checked together: one signature batch, one replay lookup. */
export const ADMISSION_BATCH_MAX = 512;

interface Candidate {
  readonly tx: Transaction;
  resolve(): void;
  reject(error: unknown): void;
}

export interface AdmissionOptions {
  readonly ledger: Ledger;
  readonly mempool: Mempool;
  readonly signatures: TransactionSignatures;
  /** Called after a batch put at least one transaction into the mempool. */
  readonly onAdmitted: () => void;
}

/**
 * The validation pipeline after decoding — chain → signature → replay → expiry → contract rules →
 * mempool — run over batches of concurrently submitted transactions, so that signatures are
 * checked on worker threads and replays with one database call per batch. Each transaction still
 * gets the code of the first step it fails.
 */
export class Admission {
  readonly #options: AdmissionOptions;
  readonly #queue: Candidate[] = [];
  #draining: Promise<void> | undefined;
  #stopped = false;

  constructor(options: AdmissionOptions) {
    this.#options = options;
  }

  admit(tx: Transaction): Promise<void> {
    if (this.#stopped) return Promise.reject(new IngotError('NODE_STOPPING', 'the node is shutting down'));
    if (this.#queue.length >= ADMISSION_QUEUE_MAX) {
      return Promise.reject(new IngotError('NODE_BUSY', `${this.#queue.length} transactions are waiting to be checked; try again shortly`));
    }
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    this.#queue.push({ tx, resolve, reject });
    // Starting on a later microtask lets the submissions of the current tick join the first batch.
    this.#draining ??= Promise.resolve().then(() => this.#drain());
    return promise;
  }

  /** Refuses what is still queued and waits for the batch being checked. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const candidate of this.#queue.splice(0)) candidate.reject(new IngotError('NODE_STOPPING', 'the node is shutting down'));
    await this.#draining;
  }

  /** Two batches overlap, so that one is checked on the main thread while the other's signatures are on the workers. */
  async #drain(): Promise<void> {
    const lane = async () => {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, ADMISSION_BATCH_MAX);
        try {
          await this.#check(batch);
        } catch (error) {
          for (const candidate of batch) candidate.reject(error);
        }
      }
    };
    try {
      await Promise.all([lane(), lane()]);
    } finally {
      this.#draining = undefined;
      // A submission that arrived while the lanes were finishing must not be stranded.
      if (this.#queue.length > 0 && !this.#stopped) this.#draining = Promise.resolve().then(() => this.#drain());
    }
  }

  async #check(batch: Candidate[]): Promise<void> {
    const { ledger, mempool, signatures } = this.#options;
    const chain = ledger.chainId;
    let alive = batch.filter((c) => attempt(c, () => checkChain(c.tx, chain)));

    // Copies are common (every peer relays what it admits), signatures are the expensive check:
    // known transactions are turned away before their signatures are checked again.
    alive = alive.filter((c) => !mempool.has(c.tx.idHex) || fail(c, new IngotError('TX_DUPLICATE', 'this transaction is already waiting for a block')));
    const committed = await ledger.hasTransactions(alive.map((c) => c.tx.id));
    alive = alive.filter((c, i) => committed[i] !== true || fail(c, new IngotError('TX_ALREADY_COMMITTED', 'this transaction is already on the ledger')));

    const valid = await signatures.check(alive.map((c) => c.tx));
    alive = alive.filter((c, i) => valid[i] === true || fail(c, new IngotError('TX_BAD_SIGNATURE', 'signature does not match the signer key and body')));

    const height = ledger.head.height + 1;
    alive = alive.filter((c) => attempt(c, () => checkExpiry(c.tx, height)));

    let admitted = 0;
    for (const candidate of alive) {
      try {
        await resolveTransaction(ledger, candidate.tx);
        mempool.add(candidate.tx);
        admitted++;
        candidate.resolve();
      } catch (error) {
        candidate.reject(error);
      }
    }
    if (admitted > 0) this.#options.onAdmitted();
  }
}

function fail(candidate: Candidate, error: unknown): false {
  candidate.reject(error);
  return false;
}

function attempt(candidate: Candidate, check: () => void): boolean {
  try {
    check();
    return true;
  } catch (error) {
    return fail(candidate, error);
  }
}
