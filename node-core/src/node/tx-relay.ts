import { decodeTxBatch, encodeTxBatch, TX_BATCH_MAX } from '../codec/consensus-messages.ts';
import type { Transaction } from '../ledger/transaction.ts';
import { MESSAGE_BYTES_MAX, type PeerNetwork } from '../p2p/network.ts';
import type { Clock } from './clock.ts';

/** How long an admitted transaction may wait for others to share its message. */
export const RELAY_DELAY_MS = 5;
const BATCH_BYTES_MAX = MESSAGE_BYTES_MAX.tx - 64 * 1024;

/**
 * Passes admitted transactions on to every peer's mempool, in batches, so that whichever validator
 * proposes next has them. Transactions from peers are admitted like local ones; a copy a node
 * already holds fails admission quietly, so each node relays each transaction once.
 */
export class TxRelay {
  readonly #network: PeerNetwork;
  readonly #clock: Clock;
  #batch: Uint8Array[] = [];
  #bytes = 0;
  #timer: { cancel(): void } | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(network: PeerNetwork, clock: Clock) {
    this.#network = network;
    this.#clock = clock;
  }

  start(admit: (bytes: Uint8Array) => void): void {
    this.#unsubscribe = this.#network.onMessage((_from, topic, message) => {
      if (topic !== 'tx') return;
      let txs: Uint8Array[];
      try {
        txs = decodeTxBatch(message);
      } catch {
        return;
      }
      for (const bytes of txs) admit(bytes);
    });
  }

  relay(tx: Transaction): void {
    if (this.#bytes + tx.bytes.length > BATCH_BYTES_MAX) this.#flush();
    this.#batch.push(tx.bytes);
    this.#bytes += tx.bytes.length;
    if (this.#batch.length >= TX_BATCH_MAX) this.#flush();
    else this.#timer ??= this.#clock.setTimeout(() => this.#flush(), RELAY_DELAY_MS);
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#flush();
  }

  #flush(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    this.#bytes = 0;
    if (this.#network.peers().length > 0) this.#network.broadcast('tx', encodeTxBatch(batch));
  }
}
