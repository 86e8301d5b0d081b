import { assert, type IngotError } from '../codec/errors.ts';
import type { BlockHeader, Receipt } from '../codec/messages.ts';
import type { SigningKey } from '../crypto/ed25519.ts';
import { blockHash, signPrecommit } from '../ledger/block.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Transaction } from '../ledger/transaction.ts';
import { buildBlock, takeCandidates } from './block-builder.ts';
import type { Clock } from './clock.ts';
import type { Mempool } from './mempool.ts';

export interface CommittedBlock {
  readonly header: BlockHeader;
  readonly txs: readonly Transaction[];
  readonly receipts: readonly Receipt[];
}

export interface BlockProducerOptions {
  readonly ledger: Ledger;
  readonly mempool: Mempool;
  readonly validatorKey: SigningKey;
  readonly clock: Clock;
  readonly blockIntervalMs: number;
  readonly onCommitted: (block: CommittedBlock) => void;
  /** Called with transactions dropped from the mempool without a block, and why. */
  readonly onDropped: (tx: Transaction, reason: IngotError) => void;
  readonly onFailure: (error: unknown) => void;
}

/**
 * The sole validator of a one-organisation consortium: when transactions wait, it makes a block at
 * most every `blockIntervalMs`, executes it, signs it and commits it. One block at a time.
 */
export class BlockProducer {
  readonly #options: BlockProducerOptions;
  #timer: { cancel(): void } | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(options: BlockProducerOptions) {
    this.#options = options;
  }

  /** A transaction arrived: make sure a block is on its way. */
  wake(): void {
    if (this.#stopped || this.#timer !== undefined || this.#running !== undefined) return;
    const { ledger, clock, blockIntervalMs } = this.#options;
    // Never more than one interval: a wall clock stepped back must not stall the chain.
    const delayMs = Math.min(blockIntervalMs, Math.max(0, ledger.head.time + blockIntervalMs - clock.now()));
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      this.#running = this.#produce()
        .catch((error: unknown) => {
          // A block that cannot be committed will not commit on a retry either: stop, and say why once.
          this.#stopped = true;
          this.#options.onFailure(error);
        })
        .finally(() => {
          this.#running = undefined;
          if (this.#options.mempool.size > 0) this.wake();
        });
    }, delayMs);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#running;
  }

  async #produce(): Promise<void> {
    const { ledger, mempool, validatorKey, clock } = this.#options;
    const txs = await takeCandidates(ledger, mempool, ledger.head.height + 1, this.#options.onDropped);
    if (txs.length === 0) return;
    const { header, receipts, writes } = await buildBlock(ledger, txs, validatorKey.publicKey, clock.now(), { verifySignatures: false });
    const commit = { height: header.height, round: 0, block: blockHash(header), sigs: [signPrecommit(validatorKey, header.chain, header, 0)] };
    await ledger.commit({ header, txs, receipts, commit, writes });
    assert(ledger.head.height === header.height, 'head advanced to the committed block');
    for (const tx of txs) mempool.remove(tx.idHex);
    this.#options.onCommitted({ header, txs, receipts });
  }
}
