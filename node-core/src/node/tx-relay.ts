import { decodeTxBatch, encodeTxBatch, TX_BATCH_MAX } from '../codec/consensus-messages.ts';
import type { Transaction } from '../ledger/transaction.ts';
import { MESSAGE_BYTES_MAX, type PeerNetwork } from '../p2p/network.ts';
import type { Clock } from './clock.ts';

/** How long an admitted transaction may wait for others to share its message. */
export const RELAY_DELAY_MS = 5;
const BATCH_BYTES_MAX = MESSAGE_BYTES_MAX.tx - 64 * 1024;

/** Who a relayed transaction goes to. */
export type RelayAudience = 'everyone' | 'non-validators';

class Batch {
  txs: Uint8Array[] = [];
  bytes = 0;
}

/**
 * Passes admitted transactions on to the peers' mempools, in batches, so that whichever validator
 * proposes next has them. A node sends what it admits from its own clients to everyone. What it
 * admits from a validator goes on only to non-validators: that validator sent it to every peer it
 * has, and validators keep direct links to one another, so passing it between validators again
 * would only multiply the copies each validator decodes. What comes from a non-validator (an
 * observer behind a relay, say) goes to everyone.
 */
export class TxRelay {
  readonly #network: PeerNetwork;
  readonly #clock: Clock;
  readonly #isValidator: (peerId: string) => boolean;
  readonly #batches: Record<RelayAudience, Batch> = { everyone: new Batch(), 'non-validators': new Batch() };
  #timer: { cancel(): void } | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(network: PeerNetwork, clock: Clock, isValidator: (peerId: string) => boolean) {
    this.#network = network;
    this.#clock = clock;
    this.#isValidator = isValidator;
  }

  start(admit: (bytes: Uint8Array, from: string) => void): void {
    this.#unsubscribe = this.#network.onMessage((from, topic, message) => {
      if (topic !== 'tx') return;
      let txs: Uint8Array[];
      try {
        txs = decodeTxBatch(message);
      } catch {
        return;
      }
      for (const bytes of txs) admit(bytes, from);
    });
  }

  /** The audience for a transaction admitted from `from` (undefined: this node's own clients). */
  audienceFor(from: string | undefined): RelayAudience {
    return from !== undefined && this.#isValidator(from) ? 'non-validators' : 'everyone';
  }

  relay(tx: Transaction, audience: RelayAudience = 'everyone'): void {
    const batch = this.#batches[audience];
    if (batch.bytes + tx.bytes.length > BATCH_BYTES_MAX) this.#flush();
    batch.txs.push(tx.bytes);
    batch.bytes += tx.bytes.length;
    if (batch.txs.length >= TX_BATCH_MAX) this.#flush();
    else this.#timer ??= this.#clock.setTimeout(() => this.#flush(), RELAY_DELAY_MS);
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#flush();
  }

  #flush(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
    const peers = this.#network.peers();
    for (const audience of ['everyone', 'non-validators'] as const) {
      const batch = this.#batches[audience];
      if (batch.txs.length === 0) continue;
      this.#batches[audience] = new Batch();
      if (audience === 'everyone') {
        if (peers.length > 0) this.#network.broadcast('tx', encodeTxBatch(batch.txs));
        continue;
      }
      const targets = peers.filter((peer) => !this.#isValidator(peer.peerId));
      if (targets.length === 0) continue;
      const message = encodeTxBatch(batch.txs);
      for (const peer of targets) this.#network.send(peer.peerId, 'tx', message);
    }
  }
}
