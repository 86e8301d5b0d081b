import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MemoryLevel } from 'memory-level';
import { encodeConsensusMessage } from '../src/codec/consensus-messages.ts';
import { genesisBlock } from '../src/contracts/genesis.ts';
import { readValidators } from '../src/contracts/membership-state.ts';
import { signingKeyFromSeed, verifySignature, type SigningKey } from '../src/crypto/ed25519.ts';
import { toHex } from '../src/crypto/hex.ts';
import { commitProblem, voteSignBytes } from '../src/ledger/block.ts';
import type { LedgerDatabase } from '../src/ledger/database.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { parseTransaction, signTransaction } from '../src/ledger/transaction.ts';
import { BlockSync } from '../src/node/block-sync.ts';
import { systemClock, type Clock } from '../src/node/clock.ts';
import { BLOCK_TIME_AHEAD_MAX_MS, ConsensusEngine, type Equivocation } from '../src/node/consensus-engine.ts';
import { Mempool } from '../src/node/mempool.ts';
import { SigningStore } from '../src/node/signing-store.ts';
import { MemoryHub } from '../src/p2p/memory-network.ts';
import { tempDir } from './support/temp-node.ts';

/**
 * Four validators' consensus engines and block sync over an in-memory network, with real ledgers,
 * signatures and timers (short timeouts): agreement, certificates, a validator down, no quorum,
 * catching up, equivocation.
 */

const TIMEOUTS = { proposeMs: 300, prevoteMs: 150, precommitMs: 150, roundIncrementMs: 100 };
const seed = (n: number) => new Uint8Array(32).fill(n);

interface Member {
  readonly name: string;
  readonly nodeKey: SigningKey;
  readonly orgKey: SigningKey;
  ledger: Ledger;
  mempool: Mempool;
  engine: ConsensusEngine;
  sync: BlockSync;
  readonly evidence: Equivocation[];
}

const dirs: (() => Promise<void>)[] = [];
after(async () => {
  for (const remove of dirs) await remove();
});

async function cluster(size: number, options: { clockAheadMs?: readonly number[] } = {}) {
  const { dir, remove } = await tempDir('ingot-consensus-');
  dirs.push(remove);
  const hub = new MemoryHub();
  const keys = Array.from({ length: size }, (_, i) => ({ nodeKey: signingKeyFromSeed(seed(10 + i)), orgKey: signingKeyFromSeed(seed(50 + i)) }));
  const names = keys.map((_, i) => `v${i}`);
  const { genesisBytes, block } = genesisBlock({
    v: 1, name: 'Test consortium', time: 1_000,
    orgs: keys.map(({ orgKey }, i) => ({ name: `Org ${i}`, registryId: '', roles: ['admin', 'validator', 'member'], signingKey: orgKey.publicKey, encryptionKey: new Uint8Array(32), nodes: [names[i] as string] })),
    validators: keys.map(({ nodeKey }, i) => ({ key: nodeKey.publicKey, org: i, power: 1 })),
  });
  const members: Member[] = [];

  const boot = async (member: Member, ledger: Ledger) => {
    const network = hub.network(member.name) ?? hub.create(member.name);
    network.setMembers(names);
    member.ledger = ledger;
    member.mempool = new Mempool({ txsMax: 10_000, bytesMax: 1 << 26 });
    const received = {
      parse: parseTransaction,
      verifyUnknown: async (txs: readonly { body: { signer: Uint8Array }; id: Uint8Array; sig: Uint8Array }[]) => {
        if (txs.some((tx) => !verifySignature(tx.body.signer, tx.id, tx.sig))) throw new Error('bad signature');
      },
    };
    member.engine = new ConsensusEngine({
      ledger, mempool: member.mempool, nodeKey: member.nodeKey, clock: clockAhead(options.clockAheadMs?.[names.indexOf(member.name)] ?? 0), network, timeouts: TIMEOUTS,
      signingStore: new SigningStore(join(dir, `${member.name}-signing.json`)), blockIntervalMs: 20, received,
      onCommitted: () => undefined, onDropped: () => undefined,
      onEvidence: (evidence) => member.evidence.push(evidence),
      onFailure: (error) => { console.error(`${member.name} failed:`, error); },
    });
    member.sync = new BlockSync({ ledger, network, engine: member.engine, received, onCommitted: () => undefined });
    member.sync.start();
    await member.engine.start();
  };
  const freshLedger = async () => {
    const ledger = await Ledger.open(new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) as unknown as LedgerDatabase);
    await ledger.commitGenesis(genesisBytes, block);
    return ledger;
  };
  for (const [i, { nodeKey, orgKey }] of keys.entries()) {
    const member = { name: names[i] as string, nodeKey, orgKey, evidence: [] } as unknown as Member;
    await boot(member, await freshLedger());
    members.push(member);
  }

  /** The same transactions into every listed member's mempool, as relaying would leave them. */
  const submitToAll = (among: readonly Member[], count: number) => {
    const from = among[0] as Member;
    for (let i = 0; i < count; i++) {
      const tx = signTransaction({
        v: 1, chain: from.ledger.chainId, contract: 'identity', method: 'updateProfile',
        payload: { contact: `c-${toHex(randomBytes(4))}` }, signer: from.orgKey.publicKey,
        nonce: new Uint8Array(randomBytes(16)), expires: from.ledger.head.height + 100,
      }, from.orgKey);
      for (const member of among) member.mempool.add(tx);
    }
    for (const member of among) member.engine.wake();
  };
  const submit = (member: Member, count: number) => {
    for (let i = 0; i < count; i++) {
      const tx = signTransaction({
        v: 1, chain: member.ledger.chainId, contract: 'identity', method: 'updateProfile',
        payload: { contact: `c-${toHex(randomBytes(4))}` }, signer: member.orgKey.publicKey,
        nonce: new Uint8Array(randomBytes(16)), expires: member.ledger.head.height + 100,
      }, member.orgKey);
      member.mempool.add(tx);
    }
    member.engine.wake();
  };
  const waitFor = async (what: string, check: () => boolean, timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; heights ${members.map((m) => `${m.ledger.head.height}/${m.ledger.head.txCount}/${m.mempool.size}`).join(',')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  /** Same block hash, state root and a valid certificate at every height all listed members share. */
  const assertAgreement = async (among: readonly Member[]) => {
    const top = Math.min(...among.map((m) => m.ledger.head.height));
    for (let height = 1; height <= top; height++) {
      const headers = await Promise.all(among.map((m) => m.ledger.header(height)));
      const first = headers[0];
      assert.ok(first !== undefined);
      for (const header of headers) assert.equal(toHex(header?.stateRoot ?? new Uint8Array()), toHex(first.stateRoot), `state roots differ at ${height}`);
      const commit = await among[0]?.ledger.commitOf(height);
      assert.ok(commit !== undefined);
      const validators = await readValidators((among[0] as Member).ledger);
      assert.equal(commitProblem(commit, first, validators), undefined, `certificate at ${height}`);
    }
  };
  const stop = async (member: Member) => {
    await member.sync.stop();
    await member.engine.stop();
    hub.disconnect(member.name);
  };
  const restart = async (member: Member, options: { wipe?: boolean } = {}) => {
    hub.reconnect(member.name);
    await boot(member, options.wipe ? await freshLedger() : member.ledger);
  };
  const close = async () => {
    for (const member of members) {
      await member.sync.stop();
      await member.engine.stop();
    }
  };
  return { members, hub, submit, submitToAll, waitFor, assertAgreement, stop, restart, close };
}

/** The system clock shifted: a validator whose clock runs ahead. */
function clockAhead(aheadMs: number): Clock {
  return aheadMs === 0 ? systemClock : { now: () => Date.now() + aheadMs, setTimeout: (callback, delayMs) => systemClock.setTimeout(callback, delayMs) };
}

test('a proposal dated further ahead than BLOCK_TIME_AHEAD_MAX_MS gets no votes: the others commit without it, and no block time runs ahead', async () => {
  const c = await cluster(4, { clockAheadMs: [60 * 60_000, 0, 0, 0] });
  try {
    const [fast] = c.members as [Member, Member, Member, Member];
    for (let round = 0; round < 4; round++) {
      c.submitToAll(c.members, 2);
      const target = (round + 1) * 2;
      await c.waitFor(`${target} transactions everywhere`, () => c.members.every((m) => m.ledger.head.txCount === target));
    }
    await c.assertAgreement(c.members);
    for (let height = 1; height <= fast.ledger.head.height; height++) {
      const header = await fast.ledger.header(height);
      assert.ok(header !== undefined);
      assert.ok(header.time <= Date.now() + BLOCK_TIME_AHEAD_MAX_MS, `block ${height} is dated ${header.time - Date.now()} ms ahead`);
      assert.notEqual(toHex(header.proposer), toHex(fast.nodeKey.publicKey), `block ${height} is the fast clock's proposal`);
    }
  } finally {
    await c.close();
  }
});

test('four validators commit the same blocks with valid certificates; one down does not stop them, and it catches up', async () => {
  const c = await cluster(4);
  try {
    const [a, b, cc, d] = c.members as [Member, Member, Member, Member];
    c.submit(a, 20);
    c.submit(cc, 20);
    await c.waitFor('40 transactions everywhere', () => c.members.every((m) => m.ledger.head.txCount === 40));
    await c.assertAgreement(c.members);

    await c.stop(d);
    const before = a.ledger.head.height;
    c.submit(b, 10);
    await c.waitFor('progress without d', () => a.ledger.head.height > before && a.ledger.head.txCount === 50);
    await c.restart(d);
    c.submit(a, 5);
    await c.waitFor('d caught up', () => d.ledger.head.txCount === 55 && d.ledger.head.height === a.ledger.head.height);
    await c.assertAgreement(c.members);
  } finally {
    await c.close();
  }
});

test('with two of four down nothing is committed; one back and blocks come again; a wiped validator syncs', async () => {
  const c = await cluster(4);
  try {
    const [a, b, cc, d] = c.members as [Member, Member, Member, Member];
    c.submit(a, 3);
    await c.waitFor('first block', () => c.members.every((m) => m.ledger.head.txCount === 3));
    await c.stop(cc);
    await c.stop(d);
    const stuck = a.ledger.head.height;
    c.submit(a, 3);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(a.ledger.head.height, stuck, 'no quorum, no block');
    assert.equal(b.ledger.head.height, stuck);
    await c.restart(cc);
    await c.waitFor('progress with three', () => a.ledger.head.txCount === 6 && cc.ledger.head.txCount === 6);
    await c.restart(d, { wipe: true });
    c.submit(b, 2);
    await c.waitFor('wiped d synced', () => d.ledger.head.txCount === 8 && d.ledger.head.height === a.ledger.head.height);
    await c.assertAgreement(c.members);
  } finally {
    await c.close();
  }
});

test('two conflicting signed votes of one validator are reported as equivocation by the others', async () => {
  const c = await cluster(4);
  try {
    const [a, b, , d] = c.members as [Member, Member, Member, Member];
    await c.stop(d);
    c.hub.reconnect(d.name);
    // d, now byzantine, signs two different prevotes for round 0 of the next height.
    const network = c.hub.network(d.name);
    assert.ok(network !== undefined);
    const height = a.ledger.head.height + 1;
    for (const block of [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)]) {
      const vote = { type: 'prevote' as const, chain: a.ledger.chainId, height, round: 0, block };
      network.broadcast('consensus', encodeConsensusMessage({ t: 'vote', vote, validator: d.nodeKey.publicKey, sig: d.nodeKey.sign(voteSignBytes(vote)) }));
    }
    await c.waitFor('evidence', () => a.evidence.length > 0 && b.evidence.length > 0, 5000);
    const evidence = a.evidence[0] as Equivocation;
    assert.equal(toHex(evidence.first.validator), toHex(d.nodeKey.publicKey));
    assert.notEqual(toHex(evidence.first.vote.block ?? new Uint8Array()), toHex(evidence.second.vote.block ?? new Uint8Array()));
    // The honest three still decide.
    c.submit(a, 2);
    await c.waitFor('progress despite d', () => a.ledger.head.txCount === 2);
  } finally {
    await c.close();
  }
});

test('a wiped validator that comes back to an idle consortium syncs: the peers answer its greeting with how far ahead they are', async () => {
  const c = await cluster(4);
  try {
    const [a, , , d] = c.members as [Member, Member, Member, Member];
    await c.stop(d);
    for (let i = 0; i < 3; i++) {
      c.submit(a, 2);
      await c.waitFor(`block ${i + 1}`, () => a.ledger.head.txCount === (i + 1) * 2);
    }
    // Nothing more is submitted: no block, no consensus message, only the greetings of the restart.
    await c.restart(d, { wipe: true });
    await c.waitFor('the wiped validator at the head', () => d.ledger.head.height === a.ledger.head.height && d.ledger.head.txCount === 6);
    await c.assertAgreement(c.members);
  } finally {
    await c.close();
  }
});
