import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { MemoryLevel } from 'memory-level';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { genesisBlock } from '../src/contracts/genesis.ts';
import type { LedgerDatabase } from '../src/ledger/database.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { parseTransaction, signTransaction, type Transaction } from '../src/ledger/transaction.ts';
import type { CommittedBlock } from '../src/node/block-builder.ts';
import type { Clock } from '../src/node/clock.ts';
import { ConsensusEngine } from '../src/node/consensus-engine.ts';
import { Mempool } from '../src/node/mempool.ts';
import { SigningStore } from '../src/node/signing-store.ts';
import { MemoryHub } from '../src/p2p/memory-network.ts';
import { tempDir } from './support/temp-node.ts';

/** The consensus engine of a one-validator consortium: blocks at the interval, only with transactions. */

/** A clock that moves only when the test says so. */
function manualClock(start: number) {
  let now = start;
  const due: { at: number; run: () => void }[] = [];
  const clock: Clock = {
    now: () => now,
    setTimeout(run, delayMs) {
      const entry = { at: now + delayMs, run };
      due.push(entry);
      return { cancel: () => void due.splice(due.indexOf(entry), 1) };
    },
  };
  const advance = (ms: number) => {
    now += ms;
    for (const entry of due.filter((e) => e.at <= now)) {
      due.splice(due.indexOf(entry), 1);
      entry.run();
    }
  };
  return { clock, advance, pending: () => due.length };
}

const orgKey = signingKeyFromSeed(new Uint8Array(32).fill(1));
const validatorKey = signingKeyFromSeed(new Uint8Array(32).fill(2));

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups) await cleanup();
});

function engineFor(ledger: Ledger, mempool: Mempool, clock: Clock, dir: string, handlers: { onCommitted?: (b: CommittedBlock) => void; onDropped?: (tx: Transaction, reason: { code: string }) => void; onFailure: (error: unknown) => void }) {
  return new ConsensusEngine({
    ledger, mempool, nodeKey: validatorKey, clock, network: new MemoryHub().create('self'),
    signingStore: new SigningStore(join(dir, `signing-${Math.random()}.json`)), blockIntervalMs: 100,
    received: { parse: parseTransaction, verifyUnknown: async () => undefined },
    onCommitted: handlers.onCommitted ?? (() => undefined), onDropped: handlers.onDropped ?? (() => undefined),
    onEvidence: () => undefined, onFailure: handlers.onFailure,
  });
}

async function setup() {
  const { dir, remove } = await tempDir('ingot-single-');
  cleanups.push(remove);
  const ledger = await Ledger.open(new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) as unknown as LedgerDatabase);
  const { genesisBytes, block } = genesisBlock({
    v: 1, name: 'Test', time: 1_000,
    orgs: [{ name: 'A', registryId: '', roles: ['admin', 'validator', 'member'], signingKey: orgKey.publicKey, encryptionKey: new Uint8Array(32), nodes: [] }],
    validators: [{ key: validatorKey.publicKey, org: 0, power: 1 }],
  });
  await ledger.commitGenesis(genesisBytes, block);
  const mempool = new Mempool({ txsMax: 100, bytesMax: 1 << 20 });
  const { clock, advance, pending } = manualClock(1_000);
  const committed: CommittedBlock[] = [];
  const dropped: [string, string][] = [];
  let failure: unknown;
  const producer = engineFor(ledger, mempool, clock, dir, {
    onCommitted: (b) => committed.push(b),
    onDropped: (tx, reason) => dropped.push([tx.idHex, reason.code]),
    onFailure: (error) => (failure = error),
  });
  await producer.start();
  cleanups.push(() => producer.stop());
  /** Moves the clock on, one block interval at a time, until the next block is committed. */
  const produce = async () => {
    const before = committed.length;
    producer.wake();
    // One interval on the manual clock starts the height; signing and committing then take real I/O.
    advance(100);
    for (let step = 0; step < 400 && committed.length === before && failure === undefined; step++) await new Promise((resolve) => setTimeout(resolve, 5));
    if (failure !== undefined) throw failure;
    assert.equal(committed.length, before + 1, 'a block was committed');
  };
  return { ledger, mempool, producer, committed, dropped, produce, advance, pending, chain: ledger.chainId, dir, clock };
}

function update(chain: Uint8Array, contact: string, expires = 50): Transaction {
  return signTransaction({ v: 1, chain, contract: 'identity', method: 'updateProfile', payload: { contact }, signer: orgKey.publicKey, nonce: new Uint8Array(16).fill(contact.length), expires }, orgKey);
}

test('waits for the block interval, then commits what the mempool holds and empties it', async () => {
  const { ledger, mempool, committed, produce, chain } = await setup();
  mempool.add(update(chain, 'a'));
  mempool.add(update(chain, 'bb'));
  await produce();
  assert.equal(ledger.head.height, 1);
  assert.equal(committed[0]?.txs.length, 2);
  assert.equal(committed[0]?.header.time, 1_100, 'the block time is the clock time at production, one interval after genesis');
  assert.equal(mempool.size, 0);
});

test('makes no block without transactions, and stop cancels every timer', async () => {
  const { producer, pending, ledger, advance } = await setup();
  for (let i = 0; i < 20; i++) {
    advance(100);
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(ledger.head.height, 0);
  await producer.stop();
  assert.equal(pending(), 0, 'stop cancels every scheduled step');
});

test('a copy of a committed transaction that reached the mempool is dropped, not put in a block', async () => {
  const { ledger, mempool, committed, dropped, produce, chain } = await setup();
  const first = update(chain, 'first');
  mempool.add(first);
  await produce();
  // The race this guards against: a second submission of the same transaction passed admission
  // while the first was being committed.
  mempool.add(first);
  const other = update(chain, 'other-one');
  mempool.add(other);
  await produce();
  assert.equal(ledger.head.height, 2);
  assert.deepEqual(committed[1]?.txs.map((tx) => tx.idHex), [other.idHex]);
  assert.deepEqual(dropped, [[first.idHex, 'TX_ALREADY_COMMITTED']]);
  assert.equal(mempool.size, 0);
});

test('an expired transaction is dropped with TX_EXPIRED', async () => {
  const { mempool, committed, dropped, produce, chain } = await setup();
  const stale = update(chain, 'stale', 0);
  const fresh = update(chain, 'fresh!');
  mempool.add(stale);
  mempool.add(fresh);
  await produce();
  assert.deepEqual(committed[0]?.txs.map((tx) => tx.idHex), [fresh.idHex]);
  assert.deepEqual(dropped, [[stale.idHex, 'TX_EXPIRED']]);
});

test('a wall clock stepped back an hour delays the next block by one interval at most', async () => {
  const { mempool, committed, produce, advance, chain } = await setup();
  mempool.add(update(chain, 'a'));
  await produce();
  advance(-3_600_000);
  mempool.add(update(chain, 'bb'));
  await produce();
  assert.equal(committed.length, 2);
  assert.ok((committed[1]?.header.time as number) > (committed[0]?.header.time as number), 'block time still moves forward');
});

test('a block that fails to commit stops the engine instead of retrying in a loop', async () => {
  const { ledger, mempool, producer, chain, dir } = await setup();
  await producer.stop();
  const failures: unknown[] = [];
  let attempts = 0;
  const clock: Clock = { now: () => 5_000, setTimeout: (run, ms) => { const t = setTimeout(run, Math.min(ms, 5)); return { cancel: () => clearTimeout(t) }; } };
  const broken = engineFor(new Proxy(ledger, {
    get(target, property) {
      if (property === 'commit') return () => { attempts++; return Promise.reject(new Error('disk full')); };
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }), mempool, clock, dir, { onFailure: (error) => failures.push(error) });
  await broken.start();
  cleanups.push(() => broken.stop());
  mempool.add(update(chain, 'a'));
  broken.wake();
  for (let i = 0; i < 50 && failures.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(attempts, 1);
  assert.equal(failures.length, 1);
  broken.wake();
  await new Promise((resolve) => setTimeout(resolve, 30));
  assert.equal(attempts, 1, 'a stopped engine stays stopped');
});
