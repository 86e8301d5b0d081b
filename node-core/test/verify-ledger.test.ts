import assert from 'node:assert/strict';
import { cp, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import type { Results } from '../src/api/methods.ts';
import { decode, encode } from '../src/codec/cbor.ts';
import { decodeGenesis, encodeBlockHeader, encodeCommit, encodeGenesis, encodeReceipt, type BlockHeader, type Commit } from '../src/codec/messages.ts';
import { blockHash, signPrecommit } from '../src/ledger/block.ts';
import * as keys from '../src/ledger/keys.ts';
import { Ledger } from '../src/ledger/ledger.ts';
import { dataPaths, readNodeKey } from '../src/node/data-dir.ts';
import { openLedgerDatabase } from '../src/node/database.ts';
import { verifyLedger, type VerifyResult } from '../src/node/verify-ledger.ts';
import { startTempNode } from './support/temp-node.ts';

type RawDb = ClassicLevel<Uint8Array, Uint8Array>;

const hexToBytes = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const flip = (bytes: Uint8Array, at: number) => {
  const copy = new Uint8Array(bytes);
  copy[at] = (copy[at] as number) ^ 0x01;
  return copy;
};

/**
 * A node's ledger with four blocks — [update], [update, update, refused rotation], [key rotation],
 * [update with the new key] — is verified as it is, then copies of it are corrupted one record at a
 * time through the database itself and must be reported at the block the record belongs to.
 */
describe('verifyLedger', () => {
  let root: string;
  let pristine: string;
  let orgId: string;
  let newSigner: string;
  let cases = 0;
  const heights = { single: 0, batch: 0, rotation: 0, last: 0 };
  let stored: { headers: BlockHeader[]; commits: Commit[]; txs: Uint8Array[][] };

  before(async () => {
    const temp = await startTempNode();
    try {
      const submit = (payload: Record<string, unknown>, method = 'updateProfile') => ({ contract: 'identity', method, payload, waitForCommit: true });
      heights.single = ((await temp.rpc('tx.submit', submit({ contact: 'one' }))).result as Results['tx.submit']).height as number;
      const batch = [submit({ contact: 'two' }), submit({ name: 'Three Works' }), submit({ signingKey: 'ab'.repeat(32), proof: '00'.repeat(64) }, 'rotateKey')]
        .map((params, id) => ({ jsonrpc: '2.0', id, method: 'tx.submit', params }));
      const response = await fetch(temp.url, { method: 'POST', headers: { authorization: `Bearer ${temp.server.token}` }, body: JSON.stringify(batch) });
      const results = ((await response.json()) as { result: Results['tx.submit'] }[]).map((r) => r.result);
      assert.deepEqual(results.map((r) => r.receipt?.ok), [true, true, false]);
      assert.equal(new Set(results.map((r) => r.height)).size, 1, 'the batch shares a block');
      heights.batch = results[0]?.height as number;
      const rotated = (await temp.rpc('identity.rotateKey')).result as Results['identity.rotateKey'];
      heights.rotation = rotated.height;
      newSigner = rotated.signingKey;
      heights.last = ((await temp.rpc('tx.submit', submit({ contact: 'four' }))).result as Results['tx.submit']).height as number;
      assert.deepEqual(heights, { single: 1, batch: 2, rotation: 3, last: 4 });
      orgId = temp.init.orgId;
      root = dirname(temp.dataDir);
      pristine = dataPaths(temp.dataDir).ledger;
    } finally {
      // Stop the node but keep its directory.
      await temp.server.close();
      await temp.node.close();
    }
    const ledger = await Ledger.open(await openLedgerDatabase(pristine));
    try {
      stored = { headers: [], commits: [], txs: [] };
      for (let height = 0; height <= heights.last; height++) {
        stored.headers.push((await ledger.header(height)) as BlockHeader);
        stored.commits.push((await ledger.commitOf(height)) as Commit);
        stored.txs.push(await ledger.blockTransactions(height));
      }
    } finally {
      await ledger.close();
    }
  });
  after(() => rm(root, { recursive: true, force: true }));

  async function verifyCopy(mutate: (db: RawDb) => Promise<void>): Promise<VerifyResult> {
    const copy = join(root, `copy-${++cases}`);
    await cp(pristine, copy, { recursive: true });
    const db = new ClassicLevel<Uint8Array, Uint8Array>(copy, { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    try {
      await mutate(db);
    } finally {
      await db.close();
    }
    const ledger = await Ledger.open(await openLedgerDatabase(copy));
    try {
      return await verifyLedger(ledger);
    } finally {
      await ledger.close();
      await rm(copy, { recursive: true, force: true });
    }
  }

  function assertProblem(result: VerifyResult, height: number, problem: RegExp): void {
    assert.equal(result.ok, false, `expected a problem at ${height}, got ${JSON.stringify(result)}`);
    assert.ok(!result.ok);
    assert.deepEqual({ height: result.height }, { height }, result.problem);
    assert.match(result.problem, problem);
  }

  const forgeBlock = async (db: RawDb, height: number, change: (header: BlockHeader) => BlockHeader) => {
    const header = change(stored.headers[height] as BlockHeader);
    const txCount = (stored.txs[height] as Uint8Array[]).length;
    await db.put(keys.blockKey(height), encode({ header: encodeBlockHeader(header), txCount }));
    return header;
  };

  test('a node’s ledger verifies, block by block', async () => {
    const progress: [number, number][] = [];
    const ledger = await Ledger.open(await openLedgerDatabase(pristine));
    try {
      assert.deepEqual(await verifyLedger(ledger, (height, head) => progress.push([height, head])), { ok: true, height: 4, txCount: 6 });
    } finally {
      await ledger.close();
    }
    assert.deepEqual(progress, [[1, 4], [2, 4], [3, 4], [4, 4]]);
    assert.deepEqual(await verifyCopy(async () => {}), { ok: true, height: 4, txCount: 6 }, 'a copy verifies like the original');
  });

  test('a stored transaction replaced, garbled or removed is reported at its block', async () => {
    const fromBlock1 = (stored.txs[1] as Uint8Array[])[0] as Uint8Array;
    const original = (stored.txs[2] as Uint8Array[])[1] as Uint8Array;
    assertProblem(await verifyCopy((db) => db.put(keys.txKey(2, 1), fromBlock1)), 2, /transaction Merkle root does not match/);
    assertProblem(await verifyCopy((db) => db.put(keys.txKey(2, 1), flip(original, original.length - 5))), 2, /transaction Merkle root/);
    assertProblem(await verifyCopy((db) => db.put(keys.txKey(2, 1), Uint8Array.of(0xff, 0x00))), 2, /transaction Merkle root/);
    assertProblem(await verifyCopy((db) => db.del(keys.txKey(2, 2))), 2, /transaction Merkle root/);
    assertProblem(await verifyCopy((db) => db.put(keys.txKey(3, 1), fromBlock1)), 3, /transaction Merkle root/);
  });

  test('a receipt that differs from re-execution, or does not decode, is reported at its block', async () => {
    const forged = encodeReceipt({ ok: true, code: '', message: '', subjects: [orgId] });
    assertProblem(await verifyCopy((db) => db.put(keys.receiptKey(2, 2), forged)), 2, /receipt 2 differs from re-execution/);
    const silent = encodeReceipt({ ok: true, code: '', message: '', subjects: [] });
    assertProblem(await verifyCopy((db) => db.put(keys.receiptKey(4, 0), silent)), 4, /receipt 0 differs/);
    assertProblem(await verifyCopy((db) => db.put(keys.receiptKey(2, 0), Uint8Array.of(1, 2, 3))), 2, /receipt/);
    assertProblem(await verifyCopy((db) => db.put(keys.receiptKey(2, 0), encode({ ok: 'yes' }))), 2, /receipt/);
    assertProblem(await verifyCopy((db) => db.del(keys.receiptKey(2, 1))), 2, /missing/);
  });

  test('a transaction index entry that is lost is reported at the block of its transaction', async () => {
    const ledger = await Ledger.open(await openLedgerDatabase(pristine));
    let txId: Uint8Array;
    try {
      const [entry] = await ledger.historyOfSubject(orgId, { height: 2, index: 0 }, 1);
      assert.ok(entry !== undefined && entry.height === 2 && entry.index === 1);
      txId = entry.hash;
    } finally {
      await ledger.close();
    }
    assertProblem(await verifyCopy((db) => db.del(keys.txByIdKey(txId))), 2, /transaction index does not point at/);
    assertProblem(await verifyCopy((db) => db.put(keys.txByIdKey(txId), keys.position(1, 0))), 2, /transaction index does not point at/);
  });

  test('a commit certificate that is forged, missing or garbled is reported at its block', async () => {
    const commit = stored.commits[2] as Commit;
    const [sig] = commit.sigs;
    assert.ok(sig !== undefined);
    const badSig = encodeCommit({ ...commit, sigs: [{ validator: sig.validator, sig: flip(sig.sig, 0) }] });
    assertProblem(await verifyCopy((db) => db.put(keys.commitKey(2), badSig)), 2, /commit certificate: bad signature/);
    assertProblem(await verifyCopy((db) => db.put(keys.commitKey(2), encodeCommit(stored.commits[1] as Commit))), 2, /commit certificate: commit is for/);
    assertProblem(await verifyCopy((db) => db.del(keys.commitKey(3))), 3, /commit certificate is missing/);
    assertProblem(await verifyCopy((db) => db.put(keys.commitKey(2), Uint8Array.of(1, 2, 3))), 2, /commit certificate/);
  });

  test('a changed header is reported at its block, even when the validator signs it again', async () => {
    assertProblem(await verifyCopy(async (db) => void (await forgeBlock(db, 2, (h) => ({ ...h, time: h.time + 1 })))), 2, /commit certificate: commit is for another block/);
    assertProblem(await verifyCopy((db) => db.put(keys.blockKey(2), Uint8Array.of(0x00, 0x01))), 2, /block header/);
    assertProblem(await verifyCopy((db) => db.del(keys.blockKey(3))), 3, /block is missing/);

    // The validator's key re-signs headers with wrong results: only re-execution can tell.
    const { signing: validatorKey } = await readNodeKey(dataPaths(dirname(pristine)));
    const resign = (height: number, change: (header: BlockHeader) => BlockHeader) => async (db: RawDb) => {
      const header = await forgeBlock(db, height, change);
      await db.put(keys.commitKey(height), encodeCommit({ height, round: 0, block: blockHash(header), sigs: [signPrecommit(validatorKey, header.chain, header, 0)] }));
    };
    const wrong = new Uint8Array(32).fill(9);
    assertProblem(await verifyCopy(resign(2, (h) => ({ ...h, stateRoot: wrong }))), 2, /state root does not match re-execution/);
    assertProblem(await verifyCopy(resign(3, (h) => ({ ...h, resultsRoot: wrong }))), 3, /receipts Merkle root does not match re-execution/);
    assertProblem(await verifyCopy(resign(2, (h) => ({ ...h, time: (stored.headers[1] as BlockHeader).time }))), 2, /timestamp is not after the previous block/);
    // A re-signed block 2 no longer links block 3 to it.
    assertProblem(await verifyCopy(resign(2, (h) => ({ ...h, time: h.time + 1 }))), 3, /previous-block hash does not match block 2/);
  });

  test('world state that differs from re-execution is reported at the head', async () => {
    const ledger = await Ledger.open(await openLedgerDatabase(pristine));
    let record: Uint8Array;
    try {
      record = (await ledger.get(`org/${orgId}`)) as Uint8Array;
    } finally {
      await ledger.close();
    }
    const org = decode(record) as Record<string, unknown>;
    const renamed = encode({ ...org, name: 'Someone Else' } as never);
    assertProblem(await verifyCopy((db) => db.put(keys.stateKey(`org/${orgId}`), renamed)), 4, new RegExp(`state key "org/${orgId}" differs from re-execution`));
    assertProblem(await verifyCopy((db) => db.del(keys.stateKey(`signer/${newSigner}`))), 4, new RegExp(`state key "signer/${newSigner}" is missing`));
    assertProblem(await verifyCopy((db) => db.put(keys.stateKey(`signer/${'ab'.repeat(32)}`), encode(orgId))), 4, /state key "signer\/abab.*" is not produced by re-executing the chain/);
    assertProblem(await verifyCopy((db) => db.put(keys.stateKey('validators'), encode([]))), 4, /state key "validators" differs/);
  });

  test('a stored head or genesis document that does not match the chain is reported', async () => {
    const head = async (db: RawDb, change: (head: Record<string, unknown>) => Record<string, unknown>) => {
      const value = decode((await db.get(keys.HEAD_KEY)) as Uint8Array) as Record<string, unknown>;
      await db.put(keys.HEAD_KEY, encode(change(value) as never));
    };
    assertProblem(await verifyCopy((db) => head(db, (h) => ({ ...h, txCount: 7 }))), 4, /stored transaction count is wrong/);
    assertProblem(await verifyCopy((db) => head(db, (h) => ({ ...h, hash: hexToBytes('11'.repeat(32)) }))), 4, /is not the last block/);
    const genesisBytes = async (db: RawDb) => decodeGenesis((await db.get(keys.GENESIS_KEY)) as Uint8Array);
    assertProblem(await verifyCopy(async (db) => db.put(keys.GENESIS_KEY, encodeGenesis({ ...(await genesisBytes(db)), name: 'Another consortium' }))), 0, /block 0 does not match the genesis document/);
    assertProblem(await verifyCopy((db) => db.put(keys.GENESIS_KEY, Uint8Array.of(0xa0))), 0, /genesis document/);
  });
});
