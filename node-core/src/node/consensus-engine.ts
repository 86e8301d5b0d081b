import { assert, IngotError } from '../codec/errors.ts';
import { bytesEqual } from '../codec/cbor.ts';
import { decodeConsensusMessage, decodeStatus, encodeConsensusMessage, encodeStatus, type ConsensusMessage, type ProposalMessage, type VoteMessage } from '../codec/consensus-messages.ts';
import type { Commit } from '../codec/messages.ts';
import { Tendermint, type ConsensusAction, type TimeoutConfig, type Vote } from '../consensus/tendermint.ts';
import { readValidators } from '../contracts/membership-state.ts';
import { verifySignature, type SigningKey } from '../crypto/ed25519.ts';
import { fromHex, toHex } from '../crypto/hex.ts';
import { blockHash, proposalSignBytes, voteSignBytes, type Validator } from '../ledger/block.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { Transaction } from '../ledger/transaction.ts';
import type { PeerNetwork } from '../p2p/network.ts';
import { blockOf, buildBlock, executeReceivedBlock, takeCandidates, type ExecutedBlock } from './block-builder.ts';
import type { CommittedBlock, ReceivedTransactions } from './block-builder.ts';
import type { Clock } from './clock.ts';
import type { Mempool } from './mempool.ts';
import type { SignedRecord, SigningStore } from './signing-store.ts';

/**
 * The propose timeout only runs out when a proposer is down or slow: then the round moves on. Under
 * load a proposal of PROPOSAL_TXS_MAX transactions takes most of a second to build, send and check
 * on a busy two-core machine, and a round that times out before it arrives costs a whole round more.
 */
export const DEFAULT_TIMEOUTS: TimeoutConfig = { proposeMs: 2000, prevoteMs: 500, precommitMs: 500, roundIncrementMs: 500 };
/**
 * Transactions one proposal carries. Smaller blocks commit sooner (every validator executes the
 * block before it votes); below a few hundred the fixed cost of a height (votes, the synced write)
 * dominates. With 2,000 tx/s offered to four validators on two cores, 1,000 caught up after a
 * burst sooner than 600 did (p99 finality 1.7 s against 2.3-2.8 s, counting the start of the load);
 * at a steady rate blocks stay smaller than either.
 */
export const PROPOSAL_TXS_MAX = 1000;
/**
 * How far ahead of this validator's clock a proposed block's time may be. Contracts compare expiries
 * with block time, so a proposer must not be able to move it far into the future; honest clocks
 * disagree by far less.
 */
export const BLOCK_TIME_AHEAD_MAX_MS = 30_000;
/** How often the signed messages of a height that does not advance are offered again. */
export const REOFFER_MS = 1000;
/** Consensus messages kept per height, for re-offering and for heights just ahead of this node. */
const HEIGHT_MESSAGES_MAX = 4096;

/** Two signed votes of one validator for one step and different blocks. */
export interface Equivocation {
  readonly first: VoteMessage;
  readonly second: VoteMessage;
}

export interface ConsensusEngineOptions {
  readonly ledger: Ledger;
  readonly mempool: Mempool;
  /** The node key: signs proposals and votes when it is in the validator set. */
  readonly nodeKey: SigningKey;
  readonly clock: Clock;
  readonly network: PeerNetwork;
  readonly signingStore: SigningStore;
  readonly blockIntervalMs: number;
  readonly timeouts?: TimeoutConfig;
  /** Parses and checks the transactions of received blocks. */
  readonly received: ReceivedTransactions;
  readonly onCommitted: (block: CommittedBlock) => void;
  readonly onDropped: (tx: Transaction, reason: IngotError) => void;
  readonly onEvidence: (evidence: Equivocation) => void;
  readonly onFailure: (error: unknown) => void;
}

/** What the state machine decides on: a block, with its execution when this node found it valid. */
interface Value {
  readonly executed: ExecutedBlock | undefined;
}

interface Height {
  readonly height: number;
  readonly validators: readonly Validator[];
  readonly machine: Tendermint<Value> | undefined;
  started: boolean;
  /** Signature of every vote seen, by vote identity, to build the commit certificate. */
  readonly votes: Map<string, VoteMessage>;
  /** Every distinct signed message of this height, encoded, for re-offering. */
  readonly messages: Map<string, Uint8Array>;
  /** This node's own signed messages of this height, newest last. */
  readonly own: Uint8Array[];
  readonly timers: Set<{ cancel(): void }>;
  /** The round this node must propose in but had no transaction for; it proposes when one arrives. */
  awaitingValue: number | undefined;
}

const voteKey = (vote: Pick<Vote, 'type' | 'round' | 'validator' | 'blockId'>) => `${vote.type}/${vote.round}/${vote.validator}/${vote.blockId ?? 'nil'}`;

/**
 * Runs Tendermint over the network for each height in turn: validates proposals by executing
 * them, signs (after persisting what it signs), fires timeouts, and commits decided blocks with
 * their precommit certificate. A height starts when this node has transactions waiting or hears
 * from a peer that started it; all work runs one step at a time.
 */
export class ConsensusEngine {
  readonly #options: ConsensusEngineOptions;
  readonly #timeouts: TimeoutConfig;
  /** Messages for heights above the current one, replayed when it is reached. */
  readonly #ahead = new Map<number, { from: string; bytes: Uint8Array }[]>();
  #current: Height | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #stopped = false;
  #failed = false;
  #startTimer: { cancel(): void } | undefined;
  #reofferTimer: { cancel(): void } | undefined;
  #lastReofferHeight = -1;
  #unsubscribe: (() => void)[] = [];
  #onBehind: ((peerId: string, height: number) => void) | undefined;
  /** The signing position restored at start; afterwards each height's machine carries it on. */
  #restoredSigning: SignedRecord | undefined;

  constructor(options: ConsensusEngineOptions) {
    this.#options = options;
    this.#timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  }

  get height(): number {
    return this.#options.ledger.head.height + 1;
  }

  /** Called when a peer's message shows it is ahead: block sync takes it from there. */
  onBehind(handler: (peerId: string, height: number) => void): void {
    this.#onBehind = handler;
  }

  async start(): Promise<void> {
    const { network } = this.#options;
    this.#unsubscribe.push(network.onMessage((from, topic, message) => {
      if (topic === 'consensus') void this.#serially(() => this.#receive(from, message));
      else if (topic === 'status') void this.#serially(async () => this.#peerStatus(from, message));
    }));
    this.#unsubscribe.push(network.onPeer(({ peerId, connected }) => {
      if (connected) void this.#serially(async () => this.#greet(peerId));
    }));
    // Peers connected before these handlers existed were never greeted; their answers tell this node how far behind it is.
    for (const peer of network.peers()) void this.#serially(async () => this.#greet(peer.peerId));
    const signed = await this.#options.signingStore.read();
    this.#restoredSigning = signed;
    await this.#serially(() => this.#enterHeight(signed?.state.height === this.height ? signed.messages : []));
    this.#scheduleReoffer();
  }

  /** Transactions arrived: start the height if it waits for them, or propose if this node's round waits. */
  wake(): void {
    const current = this.#current;
    if (current?.awaitingValue !== undefined) {
      const round = current.awaitingValue;
      current.awaitingValue = undefined;
      void this.#serially(() => (current === this.#current ? this.#proposeValue(current, round) : Promise.resolve()));
      return;
    }
    if (this.#stopped || current === undefined || current.machine === undefined || current.started || this.#startTimer !== undefined) return;
    const { ledger, clock, blockIntervalMs } = this.#options;
    // Blocks come at most once per interval; never wait more than one (a clock stepped back).
    const delayMs = Math.min(blockIntervalMs, Math.max(0, ledger.head.time + blockIntervalMs - clock.now()));
    this.#startTimer = clock.setTimeout(() => {
      this.#startTimer = undefined;
      void this.#serially(async () => {
        if (this.#current !== undefined) await this.#startMachine(this.#current);
      });
    }, delayMs);
  }

  /**
   * A block certified elsewhere (block sync) was committed here: the height in progress is over.
   * Runs in the engine's queue, so it never interleaves with a commit of its own.
   */
  applySynced(apply: () => Promise<void>): Promise<void> {
    return this.#serially(async () => {
      const before = this.#options.ledger.head.height;
      await apply();
      if (this.#options.ledger.head.height !== before) await this.#enterHeight([]);
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#startTimer?.cancel();
    this.#reofferTimer?.cancel();
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#clearTimers();
    await this.#queue;
  }

  #serially(work: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(async () => {
      if (this.#stopped || this.#failed) return;
      try {
        await work();
      } catch (error) {
        // A commit that fails is a broken disk or a broken invariant: stop deciding rather than diverge.
        this.#failed = true;
        this.#options.onFailure(error);
      }
    });
    this.#queue = next;
    return next;
  }

  #clearTimers(): void {
    for (const timer of this.#current?.timers ?? []) timer.cancel();
    this.#current?.timers.clear();
  }

  async #enterHeight(resend: readonly Uint8Array[]): Promise<void> {
    this.#clearTimers();
    this.#startTimer?.cancel();
    this.#startTimer = undefined;
    const { ledger, nodeKey } = this.#options;
    const height = ledger.head.height + 1;
    const validators = await readValidators(ledger);
    const self = toHex(nodeKey.publicKey);
    const isValidator = validators.some((v) => toHex(v.key) === self);
    const signing = this.#current?.machine?.signing ?? this.#restoredSigning?.state;
    const machine = isValidator
      ? new Tendermint<Value>({
          self,
          validators: validators.map((v) => ({ id: toHex(v.key), power: v.power })),
          timeouts: this.#timeouts,
          height,
          ...(signing === undefined ? {} : { signing }),
        })
      : undefined;
    const current: Height = { height, validators, machine, started: false, votes: new Map(), messages: new Map(), own: [...resend], timers: new Set(), awaitingValue: undefined };
    this.#current = current;
    for (const key of [...this.#ahead.keys()]) if (key < height) this.#ahead.delete(key);
    // Messages signed before a restart go out again, peers may never have received them; and this
    // node's own state machine takes them in again, or it could wait for votes it can no longer cast.
    for (const bytes of resend) {
      this.#options.network.broadcast('consensus', bytes);
      await this.#receive(this.#options.network.peerId, bytes);
    }
    const early = this.#ahead.get(height) ?? [];
    this.#ahead.delete(height);
    for (const { from, bytes } of early) await this.#receive(from, bytes);
    if (this.#options.mempool.size > 0) this.wake();
  }

  async #startMachine(current: Height): Promise<void> {
    if (current !== this.#current || current.started || current.machine === undefined) return;
    current.started = true;
    // Tells the other validators that this height has work, so that they start it too: a proposer
    // that has not heard of any transaction would otherwise sit out its round.
    this.#announce();
    await this.#perform(current, current.machine.start());
  }

  #announce(): void {
    const { ledger, network } = this.#options;
    network.broadcast('status', encodeStatus({ chain: ledger.chainId, height: ledger.head.height, hash: ledger.head.hash, started: this.#current?.started ?? false }));
  }

  /** A validator at the same head started the next height: join it. */
  async #peerStatus(from: string, message: Uint8Array): Promise<void> {
    let status;
    try {
      status = decodeStatus(message);
    } catch {
      return;
    }
    const { ledger, network } = this.#options;
    const head = ledger.head;
    // A peer behind this node learns how far it is behind, and syncs: its greeting may have been
    // the only status exchanged, and an idle consortium sends no other.
    if (status.height < head.height && bytesEqual(status.chain, ledger.chainId)) {
      network.send(from, 'status', encodeStatus({ chain: ledger.chainId, height: head.height, hash: head.hash, started: this.#current?.started ?? false }));
      return;
    }
    const current = this.#current;
    if (current === undefined || current.started) return;
    if (status.started && status.height === head.height && bytesEqual(status.hash, head.hash)) await this.#startMachine(current);
  }

  #greet(peerId: string): void {
    const { ledger, network } = this.#options;
    const head = ledger.head;
    network.send(peerId, 'status', encodeStatus({ chain: ledger.chainId, height: head.height, hash: head.hash, started: this.#current?.started ?? false }));
    for (const bytes of this.#current?.own ?? []) network.send(peerId, 'consensus', bytes);
  }

  #scheduleReoffer(): void {
    if (this.#stopped) return;
    this.#reofferTimer = this.#options.clock.setTimeout(() => {
      void this.#serially(async () => {
        const current = this.#current;
        // Only a height that made no progress since the last tick is offered again.
        if (current !== undefined && current.started && current.height === this.#lastReofferHeight) {
          for (const bytes of current.messages.values()) this.#options.network.broadcast('consensus', bytes);
        }
        this.#lastReofferHeight = current?.height ?? -1;
      }).finally(() => this.#scheduleReoffer());
    }, REOFFER_MS);
  }

  async #receive(from: string, bytes: Uint8Array): Promise<void> {
    let message: ConsensusMessage;
    try {
      message = decodeConsensusMessage(bytes);
    } catch {
      return; // A malformed message says nothing; its sender is a member, so it is not banned for one.
    }
    const current = this.#current;
    if (current === undefined) return;
    const height = message.t === 'proposal' ? message.height : message.vote.height;
    if (height > current.height) {
      this.#keepAhead(from, height, bytes);
      this.#onBehind?.(from, height);
      return;
    }
    if (height < current.height || current.machine === undefined) return;
    const id = messageId(message);
    if (current.messages.has(id)) return;
    if (!this.#signatureValid(message, current)) return;
    if (current.messages.size < HEIGHT_MESSAGES_MAX) current.messages.set(id, bytes);
    // A peer started this height: take part even if no transaction has reached this node yet.
    if (!current.started) await this.#startMachine(current);
    if (message.t === 'vote') {
      const vote = toVote(message);
      current.votes.set(voteKey(vote), message);
      await this.#perform(current, current.machine.handle({ kind: 'vote', vote }));
      return;
    }
    const executed = await this.#validate(message);
    await this.#perform(current, current.machine.handle({
      kind: 'proposal',
      valid: executed !== undefined,
      proposal: {
        height: message.height,
        round: message.round,
        blockId: toHex(blockHash(message.block.header)),
        value: { executed },
        validRound: message.validRoundPlusOne - 1,
        proposer: toHex(message.proposer),
      },
    }));
  }

  #keepAhead(from: string, height: number, bytes: Uint8Array): void {
    // Only the next height is worth keeping: anything further needs block sync first.
    if (height !== this.#options.ledger.head.height + 2) return;
    const list = this.#ahead.get(height) ?? [];
    if (list.length >= HEIGHT_MESSAGES_MAX) return;
    list.push({ from, bytes });
    this.#ahead.set(height, list);
  }

  #signatureValid(message: ConsensusMessage, current: Height): boolean {
    const chain = this.#options.ledger.chainId;
    if (message.t === 'vote') {
      const { vote } = message;
      if (!bytesEqual(vote.chain, chain)) return false;
      if (!current.validators.some((v) => bytesEqual(v.key, message.validator))) return false;
      return verifySignature(message.validator, voteSignBytes(vote), message.sig);
    }
    if (!bytesEqual(message.block.header.chain, chain)) return false;
    if (!current.validators.some((v) => bytesEqual(v.key, message.proposer))) return false;
    const signBytes = proposalSignBytes(chain, message.height, message.round, message.validRoundPlusOne, blockHash(message.block.header));
    return verifySignature(message.proposer, signBytes, message.sig);
  }

  /** The block's execution when it is a valid next block, else undefined (the state machine prevotes nil). */
  async #validate(message: ProposalMessage): Promise<ExecutedBlock | undefined> {
    const { block } = message;
    if (block.header.height !== message.height) return undefined;
    // Timeliness is a validator's judgement of a fresh proposal; a block re-proposed from an earlier round was already judged.
    if (message.validRoundPlusOne === 0 && block.header.time > this.#options.clock.now() + BLOCK_TIME_AHEAD_MAX_MS) return undefined;
    try {
      const executed = await executeReceivedBlock(this.#options.ledger, block, this.#options.received);
      // The proposer of a fresh block is its author; a block re-proposed from an earlier round keeps its author.
      if (message.validRoundPlusOne === 0 && !bytesEqual(block.header.proposer, message.proposer)) return undefined;
      return executed;
    } catch (error) {
      if (error instanceof IngotError) return undefined;
      throw error;
    }
  }

  async #perform(current: Height, actions: readonly ConsensusAction<Value>[]): Promise<void> {
    const machine = current.machine;
    assert(machine !== undefined, 'only a validator performs consensus actions');
    const outgoing: Uint8Array[] = [];
    for (const action of actions) {
      if (current !== this.#current) return; // committed: the rest belongs to a machine that is gone
      switch (action.kind) {
        case 'requestValue':
          await this.#proposeValue(current, action.round);
          break;
        case 'broadcastProposal':
          outgoing.push(this.#signProposal(action.proposal.round, action.proposal.validRound, action.proposal.value));
          break;
        case 'broadcastVote':
          outgoing.push(this.#signVote(current, action.vote));
          break;
        case 'scheduleTimeout': {
          const { step, height, round, delayMs } = action;
          const timer = this.#options.clock.setTimeout(() => {
            current.timers.delete(timer);
            void this.#serially(async () => {
              if (current === this.#current) await this.#perform(current, machine.handle({ kind: 'timeout', step, height, round }));
            });
          }, delayMs);
          current.timers.add(timer);
          break;
        }
        case 'commit':
          await this.#send(current, outgoing);
          outgoing.length = 0;
          await this.#commit(current, action.round, action.value, action.precommits);
          return;
        case 'evidence':
          this.#reportEquivocation(current, action.first, action.second);
          break;
        default: {
          const unexpected: never = action;
          throw new Error(`unexpected consensus action ${JSON.stringify(unexpected)}`);
        }
      }
    }
    await this.#send(current, outgoing);
  }

  /** Persists the signing position (and the messages) first: nothing signed leaves before that is durable. */
  async #send(current: Height, outgoing: readonly Uint8Array[]): Promise<void> {
    if (outgoing.length === 0 || current.machine === undefined) return;
    const state = current.machine.signing;
    assert(state !== undefined, 'a signed message implies a signing position');
    current.own.push(...outgoing);
    await this.#options.signingStore.write({ state, messages: current.own });
    for (const bytes of outgoing) {
      current.messages.set(messageId(decodeConsensusMessage(bytes)), bytes);
      this.#options.network.broadcast('consensus', bytes);
    }
  }

  async #proposeValue(current: Height, round: number): Promise<void> {
    const { ledger, mempool, nodeKey, clock, onDropped } = this.#options;
    const txs = await takeCandidates(ledger, mempool, current.height, onDropped, PROPOSAL_TXS_MAX);
    // No empty blocks: the round may time out while this node waits, and the next proposer tries.
    if (txs.length === 0) {
      current.awaitingValue = round;
      return;
    }
    const executed = await buildBlock(ledger, txs, nodeKey.publicKey, clock.now(), { verifySignatures: false });
    const blockId = toHex(blockHash(executed.header));
    await this.#perform(current, (current.machine as Tendermint<Value>).handle({ kind: 'value', height: current.height, round, blockId, value: { executed } }));
  }

  #signProposal(round: number, validRound: number, value: Value): Uint8Array {
    const { ledger, nodeKey } = this.#options;
    assert(value.executed !== undefined, 'a proposer only proposes blocks it executed');
    const block = blockOf(value.executed);
    const validRoundPlusOne = validRound + 1;
    const sig = nodeKey.sign(proposalSignBytes(ledger.chainId, block.header.height, round, validRoundPlusOne, blockHash(block.header)));
    return encodeConsensusMessage({ t: 'proposal', height: block.header.height, round, validRoundPlusOne, block, proposer: nodeKey.publicKey, sig });
  }

  #signVote(current: Height, vote: Vote): Uint8Array {
    const { ledger, nodeKey } = this.#options;
    const wire = { type: vote.type, chain: ledger.chainId, height: vote.height, round: vote.round, block: vote.blockId === null ? null : fromHex(vote.blockId, 32, 'blockId') };
    const message: VoteMessage = { t: 'vote', vote: wire, validator: nodeKey.publicKey, sig: nodeKey.sign(voteSignBytes(wire)) };
    current.votes.set(voteKey(vote), message);
    return encodeConsensusMessage(message);
  }

  async #commit(current: Height, round: number, value: Value, precommits: readonly Vote[]): Promise<void> {
    const { ledger, mempool, onCommitted } = this.#options;
    const executed = value.executed;
    if (executed === undefined) {
      // More than two thirds of the voting power committed a block this node found invalid: this
      // node's state differs from theirs, and it must stop rather than follow or fork.
      throw new IngotError('CONSENSUS_DIVERGED', `height ${current.height}: the validators committed a block this node considers invalid`);
    }
    const hash = blockHash(executed.header);
    const sigs = precommits.map((vote) => {
      const signed = current.votes.get(voteKey(vote));
      assert(signed !== undefined, 'every counted precommit was received or made here, with its signature');
      return { validator: signed.validator, sig: signed.sig };
    });
    const commit: Commit = { height: current.height, round, block: hash, sigs };
    await ledger.commit({ ...executed, commit });
    for (const tx of executed.txs) mempool.remove(tx.idHex);
    onCommitted({ header: executed.header, txs: executed.txs, receipts: executed.receipts });
    await this.#enterHeight([]);
    this.#announce();
  }

  #reportEquivocation(current: Height, first: Vote, second: Vote): void {
    const a = current.votes.get(voteKey(first));
    const b = current.votes.get(voteKey(second));
    if (a !== undefined && b !== undefined) this.#options.onEvidence({ first: a, second: b });
  }
}

function toVote(message: VoteMessage): Vote {
  const { vote } = message;
  return { type: vote.type, height: vote.height, round: vote.round, blockId: vote.block === null ? null : toHex(vote.block), validator: toHex(message.validator) };
}

/** Distinct signed messages: one proposal per (round, proposer, block), one vote per (step, round, validator, block). */
function messageId(message: ConsensusMessage): string {
  if (message.t === 'vote') return `v/${voteKey(toVote(message))}`;
  return `p/${message.round}/${toHex(message.proposer)}/${toHex(blockHash(message.block.header))}/${message.validRoundPlusOne}`;
}
