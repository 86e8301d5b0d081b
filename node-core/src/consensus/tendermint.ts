import { assert } from '../codec/errors.ts';

/**
 * Tendermint BFT (Buchman, Kwon, Milosevic 2018, "The latest gossip on BFT consensus") as a pure
 * state machine: events in (a proposal, a vote, a timeout, a value to propose, a height reached by
 * sync), actions out (broadcast, schedule a timeout, ask for a value, commit, report evidence).
 * No clock, socket or disk: the driver persists what it is about to sign, delivers messages and
 * fires timeouts, so a simulator can run a whole cluster from one seed.
 */

export type VoteType = 'prevote' | 'precommit';
export type TimeoutStep = 'propose' | 'prevote' | 'precommit';

export interface Vote {
  readonly type: VoteType;
  readonly height: number;
  readonly round: number;
  /** null is a vote for nothing ("nil"). */
  readonly blockId: string | null;
  readonly validator: string;
}

export interface Proposal<V> {
  readonly height: number;
  readonly round: number;
  readonly blockId: string;
  readonly value: V;
  /** The round in which the value got a prevote quorum before, or -1. */
  readonly validRound: number;
  readonly proposer: string;
}

export type ConsensusEvent<V> =
  | { readonly kind: 'proposal'; readonly proposal: Proposal<V>; readonly valid: boolean }
  | { readonly kind: 'vote'; readonly vote: Vote }
  | { readonly kind: 'timeout'; readonly step: TimeoutStep; readonly height: number; readonly round: number }
  | { readonly kind: 'value'; readonly height: number; readonly round: number; readonly blockId: string; readonly value: V }
  | { readonly kind: 'synced'; readonly height: number };

export type ConsensusAction<V> =
  | { readonly kind: 'requestValue'; readonly height: number; readonly round: number }
  | { readonly kind: 'broadcastProposal'; readonly proposal: Proposal<V> }
  | { readonly kind: 'broadcastVote'; readonly vote: Vote }
  | { readonly kind: 'scheduleTimeout'; readonly step: TimeoutStep; readonly height: number; readonly round: number; readonly delayMs: number }
  | { readonly kind: 'commit'; readonly height: number; readonly round: number; readonly blockId: string; readonly value: V; readonly precommits: readonly Vote[] }
  | { readonly kind: 'evidence'; readonly first: Vote; readonly second: Vote };

export interface Validator {
  readonly id: string;
  readonly power: number;
}

export interface TimeoutConfig {
  readonly proposeMs: number;
  readonly prevoteMs: number;
  readonly precommitMs: number;
  /** Added per round, so that rounds eventually outlast any delay of a synchronous period. */
  readonly roundIncrementMs: number;
}

/**
 * What a validator must remember across a restart, written by the driver before anything signed
 * leaves: the last (height, round, step) it signed, so it never signs at or before it again, and
 * its lock, so that a restart cannot release it from a block it may have helped commit.
 */
export interface SigningState {
  readonly height: number;
  readonly round: number;
  /** 0 proposal, 1 prevote, 2 precommit. */
  readonly step: number;
  readonly lockedRound: number;
  readonly lockedBlockId: string | null;
}

export interface ConsensusOptions {
  readonly self: string;
  readonly validators: readonly Validator[];
  readonly timeouts: TimeoutConfig;
  readonly height: number;
  readonly signing?: SigningState;
}

/** Distinct votes kept from one validator for one round and step, beyond those for proposed blocks. */
export const CONFLICTING_VOTES_MAX = 4;
/** Rounds ahead of the current one that are kept; messages further ahead are dropped, not buffered. */
export const ROUNDS_AHEAD_MAX = 64;

const STEP_ORDER = { propose: 0, prevote: 1, precommit: 2 } as const;

export class Tendermint<V> {
  readonly #self: string;
  readonly #validators: ReadonlyMap<string, number>;
  readonly #order: readonly string[];
  readonly #total: number;
  readonly #timeouts: TimeoutConfig;
  #signing: SigningState | undefined;

  height: number;
  round = 0;
  step: TimeoutStep = 'propose';
  #lockedRound = -1;
  #lockedBlockId: string | null = null;
  #validRound = -1;
  #validBlockId: string | null = null;
  #validValue: V | undefined;
  #proposals = new Map<number, { proposal: Proposal<V>; valid: boolean }>();
  #votes = new Map<string, Map<string, Map<string | null, Vote>>>();
  #once = new Set<string>();
  #actions: ConsensusAction<V>[] = [];

  constructor(options: ConsensusOptions) {
    assert(options.validators.length > 0, 'a validator set is never empty');
    this.#self = options.self;
    this.#validators = new Map(options.validators.map((v) => [v.id, v.power]));
    this.#order = options.validators.map((v) => v.id);
    this.#total = options.validators.reduce((sum, v) => sum + v.power, 0);
    this.#timeouts = options.timeouts;
    this.#signing = options.signing;
    this.height = options.height;
    if (options.signing !== undefined && options.signing.height === options.height) {
      this.#lockedRound = options.signing.lockedRound;
      this.#lockedBlockId = options.signing.lockedBlockId;
    }
  }

  get signing(): SigningState | undefined {
    return this.#signing;
  }

  proposer(height: number, round: number): string {
    return this.#order[(height + round) % this.#order.length] as string;
  }

  /** Starts round 0 of the current height. */
  start(): ConsensusAction<V>[] {
    this.#startRound(0);
    return this.#drain();
  }

  handle(event: ConsensusEvent<V>): ConsensusAction<V>[] {
    switch (event.kind) {
      case 'proposal':
        this.#onProposal(event.proposal, event.valid);
        break;
      case 'vote':
        this.#onVote(event.vote);
        break;
      case 'timeout':
        this.#onTimeout(event.step, event.height, event.round);
        break;
      case 'value':
        if (event.height === this.height && event.round === this.round && this.step === 'propose') {
          this.#propose({ height: this.height, round: this.round, blockId: event.blockId, value: event.value, validRound: -1, proposer: this.#self });
        }
        break;
      case 'synced':
        if (event.height >= this.height) this.#enterHeight(event.height + 1);
        break;
      default: {
        const unexpected: never = event;
        throw new Error(`unexpected consensus event ${JSON.stringify(unexpected)}`);
      }
    }
    this.#applyRules();
    return this.#drain();
  }

  #drain(): ConsensusAction<V>[] {
    const actions = this.#actions;
    this.#actions = [];
    return actions;
  }

  #enterHeight(height: number): void {
    this.height = height;
    this.#lockedRound = -1;
    this.#lockedBlockId = null;
    this.#validRound = -1;
    this.#validBlockId = null;
    this.#validValue = undefined;
    this.#proposals = new Map();
    this.#votes = new Map();
    this.#once = new Set();
    this.#startRound(0);
  }

  #startRound(round: number): void {
    this.round = round;
    this.step = 'propose';
    if (this.proposer(this.height, round) === this.#self) {
      if (this.#validValue !== undefined && this.#validBlockId !== null) {
        this.#propose({ height: this.height, round, blockId: this.#validBlockId, value: this.#validValue, validRound: this.#validRound, proposer: this.#self });
      } else {
        this.#actions.push({ kind: 'requestValue', height: this.height, round });
      }
    }
    this.#schedule('propose', round);
  }

  #schedule(step: TimeoutStep, round: number): void {
    const base = step === 'propose' ? this.#timeouts.proposeMs : step === 'prevote' ? this.#timeouts.prevoteMs : this.#timeouts.precommitMs;
    this.#actions.push({ kind: 'scheduleTimeout', step, height: this.height, round, delayMs: base + round * this.#timeouts.roundIncrementMs });
  }

  /** Signs only past everything signed before: a restart can never make this validator equivocate. */
  #maySign(round: number, step: number): boolean {
    const last = this.#signing;
    if (last !== undefined && (this.height < last.height || (this.height === last.height && (round < last.round || (round === last.round && step <= last.step))))) return false;
    this.#signing = { height: this.height, round, step, lockedRound: this.#lockedRound, lockedBlockId: this.#lockedBlockId };
    return true;
  }

  #propose(proposal: Proposal<V>): void {
    if (this.#proposals.has(proposal.round) || !this.#maySign(proposal.round, 0)) return;
    this.#actions.push({ kind: 'broadcastProposal', proposal });
    this.#proposals.set(proposal.round, { proposal, valid: true });
  }

  #vote(type: VoteType, blockId: string | null): void {
    this.step = type;
    if (!this.#validators.has(this.#self) || !this.#maySign(this.round, STEP_ORDER[type])) return;
    const vote: Vote = { type, height: this.height, round: this.round, blockId, validator: this.#self };
    this.#actions.push({ kind: 'broadcastVote', vote });
    this.#record(vote);
  }

  #onProposal(proposal: Proposal<V>, valid: boolean): void {
    if (proposal.height !== this.height || proposal.round > this.round + ROUNDS_AHEAD_MAX) return;
    if (proposal.proposer !== this.proposer(proposal.height, proposal.round) || proposal.validRound >= proposal.round) return;
    if (!this.#proposals.has(proposal.round)) this.#proposals.set(proposal.round, { proposal, valid });
  }

  #onVote(vote: Vote): void {
    if (vote.height !== this.height || vote.round > this.round + ROUNDS_AHEAD_MAX || !this.#validators.has(vote.validator)) return;
    this.#record(vote);
  }

  /**
   * Keeps every distinct vote, a validator's conflicting ones too: an equivocator's vote then counts
   * toward each block it voted for, which quorum intersection already allows for (two quorums share
   * more than the faulty third). Keeping only its first vote would let it split honest nodes' tallies
   * and stall the chain. Each validator counts once in "any" tallies.
   */
  #record(vote: Vote): void {
    const key = `${vote.round}/${vote.type}`;
    let votes = this.#votes.get(key);
    if (votes === undefined) {
      votes = new Map();
      this.#votes.set(key, votes);
    }
    const byBlock = votes.get(vote.validator);
    if (byBlock === undefined) {
      votes.set(vote.validator, new Map([[vote.blockId, vote]]));
      return;
    }
    if (byBlock.has(vote.blockId)) return;
    // Past the bound, only a vote for a block that was actually proposed can still matter.
    if (byBlock.size >= CONFLICTING_VOTES_MAX && !this.#proposed(vote.blockId)) return;
    const [first] = byBlock.values() as MapIterator<Vote>;
    byBlock.set(vote.blockId, vote);
    if (byBlock.size === 2 && first !== undefined) this.#actions.push({ kind: 'evidence', first, second: vote });
  }

  #proposed(blockId: string | null): boolean {
    if (blockId === null) return false;
    for (const { proposal } of this.#proposals.values()) if (proposal.blockId === blockId) return true;
    return false;
  }

  #onTimeout(step: TimeoutStep, height: number, round: number): void {
    if (height !== this.height || round !== this.round) return;
    if (step === 'propose' && this.step === 'propose') this.#vote('prevote', null);
    else if (step === 'prevote' && this.step === 'prevote') this.#vote('precommit', null);
    else if (step === 'precommit') this.#startRound(round + 1);
  }

  /** Power of the distinct validators among `votes`. */
  #power(votes: Iterable<Vote>): number {
    const validators = new Set<string>();
    for (const vote of votes) validators.add(vote.validator);
    let power = 0;
    for (const validator of validators) power += this.#validators.get(validator) ?? 0;
    return power;
  }

  #quorum(power: number): boolean {
    return power * 3 > this.#total * 2;
  }

  /** Every vote of a round and type, or only those for `blockId` (one per validator). */
  #votesAt(round: number, type: VoteType, blockId?: string | null): Vote[] {
    const votes: Vote[] = [];
    for (const byBlock of this.#votes.get(`${round}/${type}`)?.values() ?? []) {
      if (blockId === undefined) votes.push(...byBlock.values());
      else {
        const vote = byBlock.get(blockId);
        if (vote !== undefined) votes.push(vote);
      }
    }
    return votes;
  }

  #first(rule: string): boolean {
    if (this.#once.has(rule)) return false;
    this.#once.add(rule);
    return true;
  }

  /** Re-evaluates every rule until none fires: the order of messages never matters, only what has arrived. */
  #applyRules(): void {
    for (let pass = 0; pass < 1_000; pass++) {
      const before = `${this.height}/${this.round}/${this.step}/${this.#actions.length}`;
      this.#applyOnce();
      if (`${this.height}/${this.round}/${this.step}/${this.#actions.length}` === before) return;
    }
    assert(false, 'consensus rules did not settle');
  }

  #applyOnce(): void {
    // Decide: a proposal and a precommit quorum for it, in any round.
    for (const [round, { proposal, valid }] of this.#proposals) {
      const precommits = this.#votesAt(round, 'precommit', proposal.blockId);
      if (valid && this.#quorum(this.#power(precommits))) {
        this.#actions.push({ kind: 'commit', height: this.height, round, blockId: proposal.blockId, value: proposal.value, precommits });
        this.#enterHeight(this.height + 1);
        return;
      }
    }
    // Catch up: more than a third of the power is in a later round.
    for (let round = this.round + 1; round <= this.round + ROUNDS_AHEAD_MAX; round++) {
      const senders = new Map<string, Vote>();
      for (const type of ['prevote', 'precommit'] as const) for (const vote of this.#votesAt(round, type)) senders.set(vote.validator, vote);
      if (this.#power(senders.values()) * 3 > this.#total) {
        this.#startRound(round);
        return;
      }
    }
    const round = this.round;
    const current = this.#proposals.get(round);
    const prevotes = this.#votesAt(round, 'prevote');
    if (this.step === 'propose' && current !== undefined) {
      const { proposal, valid } = current;
      if (proposal.validRound === -1) {
        this.#vote('prevote', valid && (this.#lockedRound === -1 || this.#lockedBlockId === proposal.blockId) ? proposal.blockId : null);
        return;
      }
      const earlier = this.#votesAt(proposal.validRound, 'prevote', proposal.blockId);
      if (this.#quorum(this.#power(earlier))) {
        this.#vote('prevote', valid && (this.#lockedRound <= proposal.validRound || this.#lockedBlockId === proposal.blockId) ? proposal.blockId : null);
        return;
      }
    }
    if (this.step === 'prevote' && this.#quorum(this.#power(prevotes)) && this.#first(`prevote-timeout/${round}`)) this.#schedule('prevote', round);
    if (current !== undefined && current.valid && this.step !== 'propose' && this.#quorum(this.#power(this.#votesAt(round, 'prevote', current.proposal.blockId))) && this.#first(`polka/${round}`)) {
      if (this.step === 'prevote') {
        this.#lockedRound = round;
        this.#lockedBlockId = current.proposal.blockId;
        this.#vote('precommit', current.proposal.blockId);
      }
      this.#validRound = round;
      this.#validBlockId = current.proposal.blockId;
      this.#validValue = current.proposal.value;
      return;
    }
    if (this.step === 'prevote' && this.#quorum(this.#power(this.#votesAt(round, 'prevote', null)))) {
      this.#vote('precommit', null);
      return;
    }
    if (this.#quorum(this.#power(this.#votesAt(round, 'precommit'))) && this.#first(`precommit-timeout/${round}`)) this.#schedule('precommit', round);
  }
}
