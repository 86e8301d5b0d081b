import { bytesEqual } from '../codec/cbor.ts';
import {
  decodeStatus,
  decodeSyncRequest,
  decodeSyncResponse,
  encodeSyncRequest,
  encodeSyncResponse,
  SYNC_BLOCKS_MAX,
  type SyncResponse,
} from '../codec/consensus-messages.ts';
import { IngotError } from '../codec/errors.ts';
import { readValidators } from '../contracts/membership-state.ts';
import { commitProblem } from '../ledger/block.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Transaction } from '../ledger/transaction.ts';
import { SYNC_RESPONSE_BYTES_MAX, type PeerNetwork } from '../p2p/network.ts';
import { executeReceivedBlock } from './block-builder.ts';
import type { CommittedBlock, ReceivedTransactions } from './block-builder.ts';
import type { ConsensusEngine } from './consensus-engine.ts';

export const SYNC_REQUEST_TIMEOUT_MS = 10_000;

type SyncedBlock = SyncResponse['blocks'][number]['block'];

interface CheckedAhead {
  readonly block: SyncedBlock;
  readonly txs: readonly Transaction[];
  readonly verified: Promise<void>;
}

/** Blocks whose signatures are being checked while an earlier one executes: enough to keep the workers busy through a commit. */
const CHECK_AHEAD_BLOCKS = 3;

/** Room left in a sync answer for its own framing. */
const RESPONSE_BYTES_BUDGET = SYNC_RESPONSE_BYTES_MAX - 64 * 1024;

export interface SyncProgress {
  /** Highest height a peer said it has. */
  readonly target: number;
  readonly height: number;
  readonly syncing: boolean;
}

export interface BlockSyncOptions {
  readonly ledger: Ledger;
  readonly network: PeerNetwork;
  readonly engine: ConsensusEngine;
  /** Parses and checks the transactions of received blocks. */
  readonly received: ReceivedTransactions;
  readonly onCommitted: (block: CommittedBlock) => void;
}

/**
 * Catches up with peers that are ahead: asks one of them for the next blocks with their commit
 * certificates, checks each certificate against the validator set of its height, re-executes the
 * block and commits it. Serves the same requests to others, bounded in blocks and bytes.
 */
export class BlockSync {
  readonly #options: BlockSyncOptions;
  readonly #known = new Map<string, number>();
  #pulling: Promise<void> | undefined;
  #stopped = false;
  #target = 0;
  #unsubscribe: (() => void)[] = [];

  constructor(options: BlockSyncOptions) {
    this.#options = options;
  }

  get progress(): SyncProgress {
    const height = this.#options.ledger.head.height;
    return { target: Math.max(this.#target, height), height, syncing: this.#pulling !== undefined };
  }

  start(): void {
    const { network, engine } = this.#options;
    network.handleRequests((_from, request) => this.#serve(request));
    this.#unsubscribe.push(network.onMessage((from, topic, message) => {
      if (topic !== 'status') return;
      try {
        const status = decodeStatus(message);
        if (bytesEqual(status.chain, this.#options.ledger.chainId)) this.#heard(from, status.height);
      } catch {
        // A malformed status says nothing.
      }
    }));
    this.#unsubscribe.push(network.onPeer(({ peerId, connected }) => {
      if (!connected) this.#known.delete(peerId);
    }));
    // A consensus message of a later height: the sender has blocks this node lacks.
    engine.onBehind((peerId, height) => this.#heard(peerId, height - 1));
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    await this.#pulling;
  }

  #heard(peerId: string, height: number): void {
    this.#known.set(peerId, Math.max(height, this.#known.get(peerId) ?? 0));
    this.#target = Math.max(this.#target, height);
    if (height > this.#options.ledger.head.height && this.#pulling === undefined && !this.#stopped) {
      this.#pulling = this.#pull().finally(() => {
        this.#pulling = undefined;
      });
    }
  }

  /** Pulls from the peers known to be ahead, one after another, until none is. */
  async #pull(): Promise<void> {
    const { ledger, network } = this.#options;
    const ask = (peer: string, from: number) => network.request(peer, encodeSyncRequest({ chain: ledger.chainId, from, count: SYNC_BLOCKS_MAX }), SYNC_REQUEST_TIMEOUT_MS);
    /** The next range, asked for while the current one is applied (at most one answer waits). */
    let ahead: { peer: string; from: number; answer: Promise<Uint8Array> } | undefined;
    for (;;) {
      if (this.#stopped) return;
      const head = ledger.head.height;
      const peer = [...this.#known].filter(([, height]) => height > head).sort((a, b) => b[1] - a[1])[0]?.[0];
      if (peer === undefined) return;
      let response: SyncResponse;
      try {
        const answer = ahead !== undefined && ahead.peer === peer && ahead.from === head + 1 ? ahead.answer : ask(peer, head + 1);
        ahead = undefined;
        response = decodeSyncResponse(await answer);
      } catch {
        // This peer cannot help now (gone, slow, or it sent garbage): try the others.
        this.#known.delete(peer);
        continue;
      }
      if (response.blocks.length === 0) {
        this.#known.set(peer, head);
        continue;
      }
      const next = (response.blocks.at(-1)?.block.header.height ?? head) + 1;
      if (next <= (this.#known.get(peer) ?? 0)) {
        ahead = { peer, from: next, answer: ask(peer, next) };
        ahead.answer.catch(() => undefined); // a failure shows when it is awaited, or not at all if it is not needed
      }
      // The signatures of the next blocks are checked on the worker threads while this one executes
      // and commits, so that they have work while the main thread waits for the disk.
      const upcoming = response.blocks.slice(0, CHECK_AHEAD_BLOCKS).map(({ block }) => this.#checkAhead(block));
      for (const [index, { block, commit }] of response.blocks.entries()) {
        const checked = upcoming.shift();
        const later = response.blocks[index + CHECK_AHEAD_BLOCKS];
        if (later !== undefined) upcoming.push(this.#checkAhead(later.block));
        let fits = false;
        await this.#options.engine.applySynced(async () => {
          fits = await this.#apply(block, commit, checked);
        });
        if (!fits) {
          this.#known.delete(peer);
          break;
        }
      }
    }
  }

  /**
   * Parses a block's transactions and starts checking their signatures, ahead of executing it.
   * What it finds (a bad signature, a malformed transaction) is reported when the block is applied.
   */
  #checkAhead(block: SyncedBlock | undefined): CheckedAhead | undefined {
    if (block === undefined) return undefined;
    const { received } = this.#options;
    let txs: Transaction[];
    try {
      txs = block.txs.map((bytes) => received.parse(bytes));
    } catch {
      return undefined; // executing the block parses again and refuses it with the reason
    }
    const verified = received.verifyUnknown(txs);
    verified.catch(() => undefined); // awaited when the block is applied; not an unhandled rejection meanwhile
    return { block, txs, verified };
  }

  /** Commits one certified block on the head (one the head already has is passed over); false when it does not check out. */
  async #apply(block: SyncedBlock, commit: SyncResponse['blocks'][number]['commit'], checked: CheckedAhead | undefined): Promise<boolean> {
    const { ledger, received, onCommitted } = this.#options;
    if (block.header.height !== ledger.head.height + 1) return block.header.height <= ledger.head.height;
    const validators = await readValidators(ledger);
    if (commitProblem(commit, block.header, validators) !== undefined) return false;
    try {
      const ahead = checked?.block === block ? checked : undefined;
      const byBytes = new Map(ahead?.txs.map((tx, i) => [block.txs[i] as Uint8Array, tx]));
      const executed = await executeReceivedBlock(ledger, block, ahead === undefined ? received : {
        parse: (bytes) => byBytes.get(bytes) ?? received.parse(bytes),
        // The same transactions, checked since the previous block began executing.
        verifyUnknown: () => ahead.verified,
      });
      await ledger.commit({ ...executed, commit });
      onCommitted({ header: executed.header, txs: executed.txs, receipts: executed.receipts });
      return true;
    } catch (error) {
      if (error instanceof IngotError && error.code !== 'LEDGER_CORRUPT') return false;
      throw error;
    }
  }

  async #serve(requestBytes: Uint8Array): Promise<Uint8Array> {
    const { ledger } = this.#options;
    const request = decodeSyncRequest(requestBytes);
    if (!bytesEqual(request.chain, ledger.chainId)) throw new IngotError('WRONG_CHAIN', 'the request is for another chain');
    const blocks: SyncResponse['blocks'] = [];
    let bytes = 0;
    const last = Math.min(ledger.head.height, request.from + request.count - 1);
    for (let height = request.from; height <= last; height++) {
      const [header, txs, commit] = await Promise.all([ledger.header(height), ledger.blockTransactions(height), ledger.commitOf(height)]);
      if (header === undefined || commit === undefined) break;
      bytes += txs.reduce((sum, tx) => sum + tx.length + 4, 1024);
      if (bytes > RESPONSE_BYTES_BUDGET && blocks.length > 0) break;
      blocks.push({ block: { header, txs }, commit });
    }
    return encodeSyncResponse({ blocks });
  }
}
