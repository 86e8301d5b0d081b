import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLevel } from 'memory-level';
import type { BlockHeader } from '../src/codec/messages.ts';
import { blockHash } from '../src/ledger/block.ts';
import type { LedgerDatabase } from '../src/ledger/database.ts';
import { Ledger } from '../src/ledger/ledger.ts';

const zero = new Uint8Array(32);
const header0: BlockHeader = { v: 1, chain: zero, height: 0, prev: zero, time: 1, proposer: zero, txRoot: zero, resultsRoot: zero, stateRoot: zero };

test('a state read that a commit overtakes does not put the older value in the cache', async () => {
  const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' });
  // A database whose reads can be held after they have read their value, as a slow disk would.
  let hold: Promise<void> | undefined;
  const realGet = db.get.bind(db) as (key: Uint8Array) => Promise<Uint8Array | undefined>;
  (db as unknown as { get: (key: Uint8Array) => Promise<Uint8Array | undefined> }).get = async (key) => {
    const value = await realGet(key);
    if (hold !== undefined) await hold;
    return value;
  };
  const ledger = await Ledger.open(db as unknown as LedgerDatabase);
  await ledger.commitGenesis(Uint8Array.of(1), { header: header0, txs: [], receipts: [], commit: undefined, writes: new Map() });

  const { promise: held, resolve: release } = Promise.withResolvers<void>();
  hold = held;
  const slowRead = ledger.get('k');
  await new Promise((resolve) => setTimeout(resolve, 10));
  hold = undefined;
  const header1: BlockHeader = { ...header0, height: 1, prev: blockHash(header0), time: 2 };
  await ledger.commit({ header: header1, txs: [], receipts: [], commit: { height: 1, round: 0, block: blockHash(header1), sigs: [] }, writes: new Map([['k', Uint8Array.of(1)]]) });
  release();

  assert.equal(await slowRead, undefined, 'the slow read saw the state before the commit');
  assert.deepEqual(await ledger.get('k'), Uint8Array.of(1), 'later reads see the committed value');
  await ledger.close();
});
