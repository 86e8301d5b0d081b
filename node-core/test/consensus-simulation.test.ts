import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Tendermint, type ConsensusAction, type ConsensusEvent, type SigningState, type Vote } from '../src/consensus/tendermint.ts';
import { seededRandom } from './support/seeded-random.ts';

/**
 * Deterministic simulation of a 4-validator cluster: one seed decides every delay, drop,
 * duplicate, partition, crash and restart of honest validators, and in 'byzantine' runs what a
 * byzantine validator tells each peer. Safety is checked after every step, liveness after the
 * network heals. Replay one seed with:
 * INGOT_SIM_FAULTS=crashes|byzantine INGOT_SIM_SEED=<seed> node --test node-core/test/consensus-simulation.test.ts
 */

const SEEDS = 500;
const VALIDATORS = ['v0', 'v1', 'v2', 'v3'];
const TIMEOUTS = { proposeMs: 300, prevoteMs: 100, precommitMs: 100, roundIncrementMs: 50 };
const CHAOS_MS = 2_000;
/** After healing, every node must commit this many more heights within LIVENESS_MS of simulated time. */
const HEIGHTS_AFTER_HEAL = 3;
const LIVENESS_MS = 30_000;
const STEPS_MAX = 300_000;
const BYZANTINE_SEEDS = 200;
const SYNC_EVERY_MS = 100;

type Value = string;
interface SimNode {
  readonly id: string;
  machine: Tendermint<Value>;
  up: boolean;
  incarnation: number;
  /** What the driver persisted before sending anything signed. */
  signing: SigningState | undefined;
  decided: Map<number, string>;
  group: number;
  /** The signed messages of its current height this node holds, its own and its peers', which the gossip layer keeps offering. */
  gossip: Map<string, ConsensusEvent<Value>>;
}
interface Scheduled {
  readonly at: number;
  readonly seq: number;
  readonly node: string;
  readonly incarnation: number;
  readonly event: ConsensusEvent<Value> | { kind: 'sync' };
}

type Faults = 'crashes' | 'byzantine';

function simulate(seed: number, faults: Faults): { heights: number; steps: number; evidence: number } {
  const random = seededRandom(seed);
  const chance = (p: number) => random() < p;
  const dropRate = random() * 0.2;
  /** One byzantine validator (f = 1 of 4) in 'byzantine' runs; only honest validators crash. */
  const byzantine = faults === 'byzantine' ? 'v3' : undefined;
  const evidenceAgainst = new Set<string>();
  const duplicateRate = random() * 0.1;
  const queue: Scheduled[] = [];
  let seq = 0;
  let now = 0;
  const decided = new Map<number, string>();
  const nodes = new Map<string, SimNode>();

  const push = (at: number, node: SimNode, event: Scheduled['event']) => queue.push({ at, seq: seq++, node: node.id, incarnation: node.incarnation, event });
  const checkCommit = (node: SimNode, action: Extract<ConsensusAction<Value>, { kind: 'commit' }>) => {
    const agreed = decided.get(action.height);
    if (agreed !== undefined) assert.equal(action.blockId, agreed, `seed ${seed}: two blocks committed at height ${action.height}`);
    decided.set(action.height, action.blockId);
    const signers = new Set(action.precommits.map((v) => v.validator));
    assert.equal(signers.size, action.precommits.length, `seed ${seed}: a certificate counts a validator twice`);
    assert.ok(action.precommits.every((v) => v.type === 'precommit' && v.blockId === action.blockId && v.height === action.height && v.round === action.round), `seed ${seed}: a certificate holds a foreign vote`);
    assert.ok(signers.size * 3 > VALIDATORS.length * 2, `seed ${seed}: a certificate without a quorum`);
    node.decided.set(action.height, action.blockId);
  };
  const perform = (node: SimNode, actions: ConsensusAction<Value>[]) => {
    // The driver persists the signing position before any signed message leaves.
    node.signing = node.machine.signing;
    for (const action of actions) {
      switch (action.kind) {
        case 'requestValue':
          push(now, node, { kind: 'value', height: action.height, round: action.round, blockId: `b${action.height}.${action.round}.${node.id}`, value: `block ${action.height} by ${node.id}` });
          break;
        case 'broadcastProposal':
          signed(node, { kind: 'proposal', proposal: action.proposal, valid: true });
          break;
        case 'broadcastVote':
          signed(node, { kind: 'vote', vote: action.vote });
          break;
        case 'scheduleTimeout':
          push(now + action.delayMs, node, { kind: 'timeout', step: action.step, height: action.height, round: action.round });
          break;
        case 'commit':
          checkCommit(node, action);
          break;
        case 'evidence':
          assert.equal(action.first.validator, byzantine, `seed ${seed}: honest validator ${action.first.validator} reported as equivocating`);
          evidenceAgainst.add(action.first.validator);
          break;
        default: {
          const unexpected: never = action;
          throw new Error(String(unexpected));
        }
      }
    }
  };
  const keep = (node: SimNode, event: ConsensusEvent<Value>) => {
    if (event.kind === 'proposal') node.gossip.set(`p/${event.proposal.height}/${event.proposal.round}`, event);
    // Every distinct vote is relayed, an equivocator's conflicting ones too, so that all see the same tallies.
    else if (event.kind === 'vote') node.gossip.set(`v/${event.vote.height}/${event.vote.round}/${event.vote.type}/${event.vote.validator}/${event.vote.blockId}`, event);
  };
  const signed = (node: SimNode, event: ConsensusEvent<Value>) => {
    keep(node, event);
    broadcast(node, event);
  };
  /** Messages of heights below the node's are no use to anyone it gossips with. */
  const prune = (node: SimNode) => {
    for (const [key, event] of node.gossip) {
      const height = event.kind === 'proposal' ? event.proposal.height : event.kind === 'vote' ? event.vote.height : 0;
      if (height < node.machine.height) node.gossip.delete(key);
    }
  };
  const broadcast = (from: SimNode, event: ConsensusEvent<Value>) => {
    for (const to of nodes.values()) {
      if (to === from || to.group !== from.group || chance(dropRate)) continue;
      const copies = chance(duplicateRate) ? 2 : 1;
      const sent = from.id === byzantine ? forge(event) : event;
      for (let i = 0; i < copies; i++) push(now + 1 + Math.floor(random() * (chance(0.05) ? 400 : 40)), to, sent);
    }
  };
  /**
   * The byzantine validator tells each peer something else: conflicting votes and proposals of its
   * own. Messages it relays from others are signed by them, so it cannot change those.
   */
  const forge = (event: ConsensusEvent<Value>): ConsensusEvent<Value> => {
    if (chance(0.5)) return event;
    if (event.kind === 'vote' && event.vote.validator === byzantine) {
      const { vote } = event;
      return { kind: 'vote', vote: { ...vote, blockId: chance(0.5) ? null : `evil${vote.height}.${vote.round}.${Math.floor(random() * 3)}` } };
    }
    if (event.kind === 'proposal' && event.proposal.proposer === byzantine) {
      const { proposal } = event;
      const blockId = `evil${proposal.height}.${proposal.round}.${Math.floor(random() * 3)}`;
      return { kind: 'proposal', proposal: { ...proposal, blockId, value: blockId }, valid: true };
    }
    return event;
  };
  const boot = (node: SimNode) => {
    const height = Math.max(0, ...node.decided.keys()) + 1;
    node.machine = new Tendermint<Value>({ self: node.id, validators: VALIDATORS.map((id) => ({ id, power: 1 })), timeouts: TIMEOUTS, height, ...(node.signing ? { signing: node.signing } : {}) });
    node.up = true;
    node.incarnation++;
    perform(node, node.machine.start());
    push(now + SYNC_EVERY_MS, node, { kind: 'sync' });
  };

  for (const id of VALIDATORS) {
    const node: SimNode = { id, machine: undefined as unknown as Tendermint<Value>, up: false, incarnation: 0, signing: undefined, decided: new Map(), group: 0, gossip: new Map() };
    nodes.set(id, node);
    boot(node);
  }

  let healed = false;
  let targetHeight = Infinity;
  let nextChaos = 0;
  for (let steps = 0; steps < STEPS_MAX; steps++) {
    if (!healed && now >= nextChaos) {
      nextChaos = now + 100 + Math.floor(random() * 400);
      const roll = random();
      const victim = nodes.get(VALIDATORS[Math.floor(random() * VALIDATORS.length)] as string) as SimNode;
      if (roll < 0.25) for (const node of nodes.values()) node.group = chance(0.3) ? 1 : 0;
      else if (roll < 0.4) for (const node of nodes.values()) node.group = 0;
      else if (roll < 0.55 && victim.id !== byzantine && victim.up && [...nodes.values()].filter((n) => !n.up).length === 0) {
        victim.up = false;
        victim.incarnation++;
        victim.gossip.clear();
      } else if (roll < 0.75 && !victim.up) boot(victim);
    }
    if (!healed && now >= CHAOS_MS) {
      healed = true;
      for (const node of nodes.values()) {
        node.group = 0;
        if (!node.up) boot(node);
      }
      targetHeight = Math.max(0, ...decided.keys()) + HEIGHTS_AFTER_HEAL;
    }
    if (healed && [...nodes.values()].filter((n) => n.id !== byzantine).every((n) => n.decided.has(targetHeight))) return { heights: targetHeight, steps, evidence: evidenceAgainst.size };
    if (healed && now > CHAOS_MS + LIVENESS_MS) assert.fail(`seed ${seed}: no progress to height ${targetHeight} within ${LIVENESS_MS} ms after healing`);

    let next = 0;
    for (let i = 1; i < queue.length; i++) {
      const a = queue[i] as Scheduled;
      const b = queue[next] as Scheduled;
      if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) next = i;
    }
    const item = queue.splice(next, 1)[0];
    assert.ok(item !== undefined, `seed ${seed}: the simulation ran out of events`);
    now = Math.max(now, item.at);
    const node = nodes.get(item.node) as SimNode;
    if (!node.up || item.incarnation !== node.incarnation) continue;
    if (item.event.kind === 'sync') {
      // Gossip: the node offers the signed messages it holds again, as the network layer does until peers have them.
      prune(node);
      for (const event of node.gossip.values()) broadcast(node, event);
      // Block sync, modelled as instant: a node behind a peer it can reach takes the peer's decided blocks.
      const ahead = [...nodes.values()].filter((peer) => peer.up && peer.group === node.group);
      const best = Math.max(0, ...ahead.flatMap((peer) => [...peer.decided.keys()]));
      if (best >= node.machine.height) {
        for (const peer of ahead) for (const [height, blockId] of peer.decided) if (!node.decided.has(height)) node.decided.set(height, blockId);
        perform(node, node.machine.handle({ kind: 'synced', height: best }));
      }
      push(now + SYNC_EVERY_MS, node, { kind: 'sync' });
      continue;
    }
    keep(node, item.event);
    perform(node, node.machine.handle(item.event));
  }
  assert.fail(`seed ${seed}: more than ${STEPS_MAX} steps`);
}

const only = process.env.INGOT_SIM_SEED;
const onlyFaults = (process.env.INGOT_SIM_FAULTS ?? 'crashes') as Faults;

function run(faults: Faults, seeds: readonly number[]): { heights: number; evidence: number } {
  let heights = 0;
  let evidence = 0;
  for (const seed of seeds) {
    try {
      const result = simulate(seed, faults);
      heights += result.heights;
      evidence += result.evidence;
    } catch (error) {
      process.stderr.write(`consensus simulation (${faults}) failed for seed ${seed}; replay with INGOT_SIM_FAULTS=${faults} INGOT_SIM_SEED=${seed}\n`);
      throw error;
    }
  }
  return { heights, evidence };
}

if (only !== undefined) {
  test(`seed ${only} (${onlyFaults}) replays`, () => void run(onlyFaults, [Number(only)]));
} else {
  test(`${SEEDS} seeded runs with crashes, restarts, drops and partitions keep agreement and progress after healing`, () => {
    const { heights } = run('crashes', Array.from({ length: SEEDS }, (_, i) => i + 1));
    assert.ok(heights >= SEEDS * HEIGHTS_AFTER_HEAL);
  });
  test(`${BYZANTINE_SEEDS} seeded runs with a byzantine validator besides crashes keep agreement, progress after healing, and report its equivocation`, () => {
    const { heights, evidence } = run('byzantine', Array.from({ length: BYZANTINE_SEEDS }, (_, i) => i + 1));
    assert.ok(heights >= BYZANTINE_SEEDS * HEIGHTS_AFTER_HEAL);
    assert.ok(evidence > 0, 'the byzantine validator was caught equivocating');
  });
}

test('a validator restarted with its signing position never signs a second vote for the same step', () => {
  const validators = VALIDATORS.map((id) => ({ id, power: 1 }));
  const first = new Tendermint<Value>({ self: 'v1', validators, timeouts: TIMEOUTS, height: 1 });
  first.start();
  const prevoted = first.handle({ kind: 'timeout', step: 'propose', height: 1, round: 0 });
  assert.deepEqual(prevoted.filter((a) => a.kind === 'broadcastVote').map((a) => (a as { vote: Vote }).vote.blockId), [null]);
  const restarted = new Tendermint<Value>({ self: 'v1', validators, timeouts: TIMEOUTS, height: 1, ...(first.signing ? { signing: first.signing } : {}) });
  restarted.start();
  const again = restarted.handle({ kind: 'proposal', proposal: { height: 1, round: 0, blockId: 'b', value: 'v', validRound: -1, proposer: restarted.proposer(1, 0) }, valid: true });
  assert.equal(again.filter((a) => a.kind === 'broadcastVote').length, 0, 'no second prevote in round 0');
});

test('a validator that precommitted a block stays locked on it after a restart', () => {
  const validators = VALIDATORS.map((id) => ({ id, power: 1 }));
  const machine = new Tendermint<Value>({ self: 'v0', validators, timeouts: TIMEOUTS, height: 1 });
  machine.start();
  const proposer = machine.proposer(1, 0);
  machine.handle({ kind: 'proposal', proposal: { height: 1, round: 0, blockId: 'B', value: 'B', validRound: -1, proposer }, valid: true });
  let precommitted: Vote | undefined;
  for (const validator of ['v1', 'v2']) {
    for (const action of machine.handle({ kind: 'vote', vote: { type: 'prevote', height: 1, round: 0, blockId: 'B', validator } })) {
      if (action.kind === 'broadcastVote' && action.vote.type === 'precommit') precommitted = action.vote;
    }
  }
  assert.equal(precommitted?.blockId, 'B');
  const restarted = new Tendermint<Value>({ self: 'v0', validators, timeouts: TIMEOUTS, height: 1, ...(machine.signing ? { signing: machine.signing } : {}) });
  restarted.start();
  // Round 1, a fresh proposal of another block: a locked validator prevotes nil.
  for (const validator of ['v1', 'v2']) restarted.handle({ kind: 'vote', vote: { type: 'prevote', height: 1, round: 1, blockId: null, validator } });
  assert.equal(restarted.round, 1);
  const actions = restarted.handle({ kind: 'proposal', proposal: { height: 1, round: 1, blockId: 'C', value: 'C', validRound: -1, proposer: restarted.proposer(1, 1) }, valid: true });
  const prevotes = actions.filter((a): a is Extract<typeof a, { kind: 'broadcastVote' }> => a.kind === 'broadcastVote').map((a) => a.vote).filter((v) => v.type === 'prevote');
  assert.deepEqual(prevotes.map((v) => [v.round, v.blockId]), [[1, null]]);
});

test('two different votes from one validator for the same step are reported as evidence', () => {
  const machine = new Tendermint<Value>({ self: 'v0', validators: VALIDATORS.map((id) => ({ id, power: 1 })), timeouts: TIMEOUTS, height: 1 });
  machine.start();
  machine.handle({ kind: 'vote', vote: { type: 'prevote', height: 1, round: 0, blockId: 'a', validator: 'v2' } });
  const actions = machine.handle({ kind: 'vote', vote: { type: 'prevote', height: 1, round: 0, blockId: 'b', validator: 'v2' } });
  assert.deepEqual(actions.filter((a) => a.kind === 'evidence').length, 1);
});
