import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { test } from 'node:test';
import type { HistoryEntryJson, OrgJson, Results } from '../src/api/methods.ts';
import { rotateKeyProofMessage } from '../src/contracts/identity.ts';
import { signingKeyFromSeed, type SigningKey } from '../src/crypto/ed25519.ts';
import { signTransaction } from '../src/ledger/transaction.ts';
import { dataPaths } from '../src/node/data-dir.ts';
import { readKeyStore } from '../src/node/keystore.ts';
import type { IngotNode } from '../src/node/node.ts';
import { NodeHost } from '../src/host/node-host.ts';
import { startRpcServer, type RpcServer } from '../src/rpc/server.ts';
import { startTempNode, TEST_PASSPHRASE, type TempNode } from './support/temp-node.ts';

/** The identity contract as a client sees it: through the node's RPC API. */

interface RpcReply {
  result?: unknown;
  error?: { code: number; message: string; data: { code: string; field?: string } };
}
type Rpc = (method: string, params?: unknown) => Promise<RpcReply>;

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

function resultOf<T>(reply: RpcReply): T {
  assert.equal(reply.error, undefined, `unexpected error ${JSON.stringify(reply.error)}`);
  return reply.result as T;
}

function assertError(reply: RpcReply, dataCode: string, field?: string): void {
  assert.ok(reply.error !== undefined, `expected ${dataCode}, got ${JSON.stringify(reply)}`);
  assert.equal(reply.error.data.code, dataCode, reply.error.message);
  assert.equal(reply.error.code, -32000);
  if (field !== undefined) assert.equal(reply.error.data.field, field);
}

function rpcClient(port: number, token: string): Rpc {
  let id = 0;
  return async (method, params = {}) => {
    const response = await fetch(`http://127.0.0.1:${port}/rpc`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
    });
    return (await response.json()) as RpcReply;
  };
}

const org = async (rpc: Rpc, id: string) => resultOf<OrgJson>(await rpc('org.get', { id }));
const status = async (rpc: Rpc) => resultOf<Results['node.status']>(await rpc('node.status'));

async function update(rpc: Rpc, payload: Record<string, unknown>): Promise<Results['tx.submit']> {
  const submitted = resultOf<Results['tx.submit']>(await rpc('tx.submit', { contract: 'identity', method: 'updateProfile', payload, waitForCommit: true }));
  assert.equal(submitted.receipt?.ok, true, JSON.stringify(submitted.receipt));
  return submitted;
}

async function storedOrgKey(dataDir: string): Promise<{ key: SigningKey; seeds: number }> {
  const secrets = await readKeyStore(dataPaths(dataDir).keyStore, TEST_PASSPHRASE);
  return { key: signingKeyFromSeed(secrets.signingSeeds[0] as Uint8Array), seeds: secrets.signingSeeds.length };
}

async function signedUpdate(temp: { node: IngotNode }, rpc: Rpc, key: SigningKey, contact: string) {
  return signTransaction(
    {
      v: 1, chain: temp.node.ledger.chainId, contract: 'identity', method: 'updateProfile', payload: { contact },
      signer: key.publicKey, nonce: new Uint8Array(randomBytes(16)), expires: (await status(rpc)).height + 10,
    },
    key,
  );
}

/** Reads every page of a history with the given page size, checking the `next` cursors on the way. */
async function allPages(rpc: Rpc, method: 'state.history' | 'tx.bySigner', query: Record<string, unknown>, limit: number): Promise<HistoryEntryJson[]> {
  const entries: HistoryEntryJson[] = [];
  let after: { height: number; index: number } | undefined;
  for (let pages = 0; pages < 100; pages++) {
    const page = resultOf<Results['state.history']>(await rpc(method, { ...query, limit, ...(after ? { after } : {}) }));
    assert.ok(page.entries.length <= limit);
    entries.push(...page.entries);
    if (page.next === undefined) {
      // No cursor means nothing follows, even when the last page is exactly full.
      const last = entries.at(-1);
      if (last !== undefined) {
        const beyond = resultOf<Results['state.history']>(await rpc(method, { ...query, limit, after: { height: last.height, index: last.index } }));
        assert.deepEqual(beyond.entries, [], 'a page without next is the last');
      }
      return entries;
    }
    const last = page.entries.at(-1) as HistoryEntryJson;
    assert.deepEqual(page.next, { height: last.height, index: last.index }, 'next points at the last entry of the page');
    after = page.next;
  }
  throw new Error('pagination does not end');
}

function assertChainOrder(entries: readonly HistoryEntryJson[]): void {
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1] as HistoryEntryJson;
    const b = entries[i] as HistoryEntryJson;
    assert.ok(a.height < b.height || (a.height === b.height && a.index < b.index), `entry ${i} is out of chain order`);
  }
}

test('updateProfile changes the organisation record and nothing else in it', async () => {
  const temp = await startTempNode();
  try {
    const before = await org(temp.rpc, temp.init.orgId);
    assert.deepEqual({ name: before.name, registryId: before.registryId, contact: before.contact }, { name: 'Test Works', registryId: 'REG-1', contact: '' });

    const submitted = await update(temp.rpc, { name: '  Acme Gears Ltd  ', registryId: 'HRB 1234', contact: 'ops@acme.example' });
    assert.deepEqual(submitted.receipt?.subjects, [temp.init.orgId]);
    const after = await org(temp.rpc, temp.init.orgId);
    assert.deepEqual(after, { ...before, name: 'Acme Gears Ltd', registryId: 'HRB 1234', contact: 'ops@acme.example' });
    assert.equal((await status(temp.rpc)).organisation.name, 'Acme Gears Ltd');

    // A partial update keeps the other fields; empty registry id and contact are allowed.
    await update(temp.rpc, { contact: '' });
    assert.deepEqual(await org(temp.rpc, temp.init.orgId), { ...after, contact: '' });
    await update(temp.rpc, { registryId: '' });
    assert.deepEqual(await org(temp.rpc, temp.init.orgId), { ...after, contact: '', registryId: '' });
  } finally {
    await temp.close();
  }
});

test('an updateProfile payload that changes nothing, or breaks the rules, is PAYLOAD_INVALID and nothing commits', async () => {
  const temp = await startTempNode();
  try {
    const before = await status(temp.rpc);
    const record = await org(temp.rpc, temp.init.orgId);
    const submit = (payload: unknown) => temp.rpc('tx.submit', { contract: 'identity', method: 'updateProfile', payload, waitForCommit: true });
    assertError(await submit({}), 'PAYLOAD_INVALID');
    assertError(await submit({ name: '' }), 'PAYLOAD_INVALID', 'name');
    assertError(await submit({ name: 'x'.repeat(201) }), 'PAYLOAD_INVALID', 'name');
    assertError(await submit({ contact: 'x'.repeat(501) }), 'PAYLOAD_INVALID', 'contact');
    assertError(await submit({ contact: 'x', status: 'removed' }), 'PAYLOAD_INVALID');
    assertError(await submit({ contact: ['x'] }), 'PAYLOAD_INVALID', 'contact');
    const after = await status(temp.rpc);
    assert.equal(after.height, before.height);
    assert.equal(after.txCount, before.txCount);
    assert.equal(after.mempool.size, 0);
    assert.deepEqual(await org(temp.rpc, temp.init.orgId), record);
    assert.deepEqual(resultOf<Results['state.history']>(await temp.rpc('state.history', { subject: temp.init.orgId })).entries, []);
    await update(temp.rpc, { name: 'x'.repeat(200), contact: 'x'.repeat(500) });
  } finally {
    await temp.close();
  }
});

test('state.history lists the organisation’s updates in chain order, page by page', async () => {
  const temp = await startTempNode();
  try {
    assert.deepEqual(resultOf<Results['state.history']>(await temp.rpc('state.history', { subject: temp.init.orgId })), { entries: [] });
    const expected: string[] = [];
    for (let i = 0; i < 3; i++) expected.push((await update(temp.rpc, { contact: `single-${i}` })).hash);
    // A JSON-RPC batch is admitted together, so these three share one block, in batch order.
    const batch = [0, 1, 2].map((i) => ({
      jsonrpc: '2.0', id: i, method: 'tx.submit', params: { contract: 'identity', method: 'updateProfile', payload: { contact: `batched-${i}` }, waitForCommit: true },
    }));
    const response = await fetch(temp.url, { method: 'POST', headers: { authorization: `Bearer ${temp.server.token}` }, body: JSON.stringify(batch) });
    const replies = (await response.json()) as (RpcReply & { id: number })[];
    const batched = replies.sort((a, b) => a.id - b.id).map((r) => resultOf<Results['tx.submit']>(r));
    assert.equal(new Set(batched.map((r) => r.height)).size, 1, 'the batch went into one block');
    expected.push(...batched.map((r) => r.hash));
    for (let i = 0; i < 2; i++) expected.push((await update(temp.rpc, { name: `Renamed ${i}` })).hash);
    // A refused rotation is on the ledger but not about the organisation.
    const refused = resultOf<Results['tx.submit']>(
      await temp.rpc('tx.submit', { contract: 'identity', method: 'rotateKey', payload: { signingKey: 'ab'.repeat(32), proof: '00'.repeat(64) }, waitForCommit: true }),
    );
    assert.equal(refused.receipt?.ok, false);

    const full = resultOf<Results['state.history']>(await temp.rpc('state.history', { subject: temp.init.orgId, limit: 1000 }));
    assert.equal(full.next, undefined);
    assert.deepEqual(full.entries.map((e) => e.hash), expected);
    assertChainOrder(full.entries);
    const [first] = batched;
    assert.deepEqual(full.entries.slice(3, 6).map((e) => [e.height, e.index]), [0, 1, 2].map((i) => [first?.height, i]));
    for (const entry of full.entries) {
      assert.deepEqual({ contract: entry.contract, method: entry.method, ok: entry.ok, code: entry.code }, { contract: 'identity', method: 'updateProfile', ok: true, code: '' });
    }

    for (const limit of [1, 2, 3, 4, 8, 9]) assert.deepEqual(await allPages(temp.rpc, 'state.history', { subject: temp.init.orgId }, limit), full.entries, `pages of ${limit}`);
    const lastEntry = full.entries.at(-1) as HistoryEntryJson;
    assert.deepEqual(resultOf(await temp.rpc('state.history', { subject: temp.init.orgId, after: { height: lastEntry.height, index: lastEntry.index } })), { entries: [] });
    const middle = full.entries[4] as HistoryEntryJson;
    const rest = resultOf<Results['state.history']>(await temp.rpc('state.history', { subject: temp.init.orgId, after: { height: middle.height, index: middle.index } }));
    assert.deepEqual(rest.entries, full.entries.slice(5));

    // By signer, the refused rotation is there too, with its error code.
    const signer = (await org(temp.rpc, temp.init.orgId)).signingKey;
    const bySigner = await allPages(temp.rpc, 'tx.bySigner', { signer }, 2);
    assert.deepEqual(bySigner.map((e) => e.hash), [...expected, refused.hash]);
    assertChainOrder(bySigner);
    assert.deepEqual(bySigner.at(-1), { hash: refused.hash, height: refused.height, index: 0, contract: 'identity', method: 'rotateKey', ok: false, code: 'KEY_PROOF_INVALID' });
    assert.deepEqual(resultOf(await temp.rpc('state.history', { subject: 'someone-else' })), { entries: [] });
  } finally {
    await temp.close();
  }
});

/** Stops the temporary node and starts a new one on the same data directory. */
async function restart(temp: TempNode): Promise<{ host: NodeHost; server: RpcServer }> {
  await temp.server.close();
  await temp.host.close();
  const host = await NodeHost.start({ dataDir: temp.dataDir }, TEST_PASSPHRASE);
  const server = await startRpcServer(host, { port: 0, apiFile: dataPaths(temp.dataDir).api });
  return { host, server };
}

/** Closes the restarted node if the test got that far, else the original one, and removes the data. */
async function closeEither(temp: TempNode, restarted: { host: NodeHost; server: RpcServer } | undefined): Promise<void> {
  if (restarted === undefined) return temp.close();
  await restarted.server.close();
  await restarted.host.close();
  await rm(dirname(temp.dataDir), { recursive: true, force: true });
}

test('identity.rotateKey moves the organisation to a new key, the old key is refused, and the node keeps the new key over a restart', async () => {
  const temp = await startTempNode();
  let restarted: { host: NodeHost; server: RpcServer } | undefined;
  try {
    const { key: oldKey } = await storedOrgKey(temp.dataDir);
    const before = await org(temp.rpc, temp.init.orgId);
    assert.equal(before.signingKey, hex(oldKey.publicKey));
    await update(temp.rpc, { contact: 'before-rotation' });

    const rotated = resultOf<Results['identity.rotateKey']>(await temp.rpc('identity.rotateKey'));
    assert.notEqual(rotated.signingKey, before.signingKey);
    const after = await org(temp.rpc, temp.init.orgId);
    assert.deepEqual(after, { ...before, contact: 'before-rotation', signingKey: rotated.signingKey }, 'only the key changed; the id stays');
    const rotation = resultOf<Results['tx.get']>(await temp.rpc('tx.get', { hash: rotated.hash }));
    assert.deepEqual([rotation.height, rotation.tx.method, rotation.tx.signer, rotation.receipt.ok], [rotated.height, 'rotateKey', before.signingKey, true]);
    const { key: newKey, seeds } = await storedOrgKey(temp.dataDir);
    assert.equal(hex(newKey.publicKey), rotated.signingKey);
    assert.equal(seeds, 1, 'the key store forgets the old key once the rotation commits');

    // A transaction signed by hand with the old key: correctly signed, but no longer a member's key.
    const height = (await status(temp.rpc)).height;
    const stale = await signedUpdate(temp, temp.rpc, oldKey, 'from-the-old-key');
    assertError(await temp.rpc('tx.submitSigned', { tx: hex(stale.bytes), waitForCommit: true }), 'SIGNER_NOT_MEMBER');
    assert.equal((await status(temp.rpc)).height, height);
    assert.equal((await org(temp.rpc, temp.init.orgId)).contact, 'before-rotation');

    // The node signs with the new key, and so can anyone holding it.
    const signedByNode = await update(temp.rpc, { contact: 'after-rotation' });
    assert.equal(resultOf<Results['tx.get']>(await temp.rpc('tx.get', { hash: signedByNode.hash })).tx.signer, rotated.signingKey);
    const byHand = await signedUpdate(temp, temp.rpc, newKey, 'by-hand-with-new-key');
    assert.equal(resultOf<Results['tx.submitSigned']>(await temp.rpc('tx.submitSigned', { tx: hex(byHand.bytes), waitForCommit: true })).receipt?.ok, true);
    const oldKeyHistory = resultOf<Results['tx.bySigner']>(await temp.rpc('tx.bySigner', { signer: before.signingKey })).entries;
    assert.deepEqual(oldKeyHistory.map((e) => e.method), ['updateProfile', 'rotateKey']);
    const newKeyHistory = resultOf<Results['tx.bySigner']>(await temp.rpc('tx.bySigner', { signer: rotated.signingKey })).entries;
    assert.deepEqual(newKeyHistory.map((e) => e.hash), [signedByNode.hash, byHand.idHex]);

    // Restart on the same data directory.
    restarted = await restart(temp);
    const rpc = rpcClient(restarted.server.port, restarted.server.token);
    assert.equal((await org(rpc, temp.init.orgId)).signingKey, rotated.signingKey);
    const afterRestart = await update(rpc, { contact: 'after-restart' });
    assert.equal(resultOf<Results['tx.get']>(await rpc('tx.get', { hash: afterRestart.hash })).tx.signer, rotated.signingKey);
    const staleAgain = await signedUpdate({ node: restarted.host.node }, rpc, oldKey, 'old-key-after-restart');
    assertError(await rpc('tx.submitSigned', { tx: hex(staleAgain.bytes) }), 'SIGNER_NOT_MEMBER');
    assert.equal((await org(rpc, temp.init.orgId)).contact, 'after-restart');
  } finally {
    await closeEither(temp, restarted);
  }
});

test('identity.rotateKey calls made at once all rotate, one after the other, and the node still starts', async () => {
  const temp = await startTempNode();
  let restarted: { host: NodeHost; server: RpcServer } | undefined;
  try {
    const start = await org(temp.rpc, temp.init.orgId);
    const replies = await Promise.all([1, 2, 3].map(() => temp.rpc('identity.rotateKey')));
    const rotations = replies.map((reply) => resultOf<Results['identity.rotateKey']>(reply)).sort((a, b) => a.height - b.height);
    assert.equal(new Set([start.signingKey, ...rotations.map((r) => r.signingKey)]).size, 4, 'every rotation made its own key');
    assert.equal(new Set(rotations.map((r) => r.height)).size, 3, 'the rotations commit in different blocks');
    // Each rotation is signed with the key the previous one rotated to.
    let signer = start.signingKey;
    for (const rotation of rotations) {
      const stored = resultOf<Results['tx.get']>(await temp.rpc('tx.get', { hash: rotation.hash }));
      assert.deepEqual([stored.tx.signer, stored.receipt.ok], [signer, true]);
      signer = rotation.signingKey;
    }
    assert.equal((await org(temp.rpc, temp.init.orgId)).signingKey, signer);
    const { key, seeds } = await storedOrgKey(temp.dataDir);
    assert.deepEqual([hex(key.publicKey), seeds], [signer, 1]);
    await update(temp.rpc, { contact: 'after-three-rotations' });

    restarted = await restart(temp);
    const rpc = rpcClient(restarted.server.port, restarted.server.token);
    const submitted = await update(rpc, { contact: 'after-restart' });
    assert.equal(resultOf<Results['tx.get']>(await rpc('tx.get', { hash: submitted.hash })).tx.signer, signer);
  } finally {
    await closeEither(temp, restarted);
  }
});

test('a rotateKey transaction with a bad proof, or to a key in use, commits with an error receipt and changes no key', async () => {
  const temp = await startTempNode();
  try {
    const before = await org(temp.rpc, temp.init.orgId);
    const chain = temp.node.ledger.chainId;
    const { key: current } = await storedOrgKey(temp.dataDir);
    const next = signingKeyFromSeed(new Uint8Array(randomBytes(32)));
    const message = rotateKeyProofMessage(chain, temp.init.orgId, current.publicKey, next.publicKey);
    const proofs: [string, Uint8Array][] = [
      ['zero proof', new Uint8Array(64)],
      ['signed by the current key instead of the new one', current.sign(message)],
      ['for another consortium', next.sign(rotateKeyProofMessage(new Uint8Array(32), temp.init.orgId, current.publicKey, next.publicKey))],
      ['for another organisation', next.sign(rotateKeyProofMessage(chain, '0'.repeat(40), current.publicKey, next.publicKey))],
      ['from another old key', next.sign(rotateKeyProofMessage(chain, temp.init.orgId, next.publicKey, next.publicKey))],
    ];
    const rotate = (signingKey: string, proof: Uint8Array) =>
      temp.rpc('tx.submit', { contract: 'identity', method: 'rotateKey', payload: { signingKey, proof: hex(proof) }, waitForCommit: true });
    for (const [what, proof] of proofs) {
      const submitted = resultOf<Results['tx.submit']>(await rotate(hex(next.publicKey), proof));
      assert.ok(submitted.receipt !== undefined && submitted.height !== undefined, what);
      assert.equal(submitted.receipt.ok, false, what);
      assert.equal(submitted.receipt.code, 'KEY_PROOF_INVALID', what);
      assert.deepEqual(submitted.receipt.subjects, [], what);
      assert.equal(resultOf<Results['tx.get']>(await temp.rpc('tx.get', { hash: submitted.hash })).receipt.code, 'KEY_PROOF_INVALID');
    }
    const inUse = resultOf<Results['tx.submit']>(await rotate(before.signingKey, current.sign(rotateKeyProofMessage(chain, temp.init.orgId, current.publicKey, current.publicKey))));
    assert.deepEqual([inUse.receipt?.ok, inUse.receipt?.code], [false, 'KEY_IN_USE']);

    assert.deepEqual(await org(temp.rpc, temp.init.orgId), before);
    assert.equal((await status(temp.rpc)).txCount, proofs.length + 1, 'the refused rotations are committed transactions');
    // Nothing moved: the node still signs with its key.
    const after = await update(temp.rpc, { contact: 'still-me' });
    assert.equal(resultOf<Results['tx.get']>(await temp.rpc('tx.get', { hash: after.hash })).tx.signer, before.signingKey);
    // The control case: the right proof for that same new key rotates.
    const valid = resultOf<Results['tx.submit']>(await rotate(hex(next.publicKey), next.sign(message)));
    assert.deepEqual([valid.receipt?.ok, valid.receipt?.code], [true, '']);
    assert.equal((await org(temp.rpc, temp.init.orgId)).signingKey, hex(next.publicKey));
  } finally {
    await temp.close();
  }
});

test('submissions made while keys rotate are all signed with a key that still works', async () => {
  const temp = await startTempNode();
  try {
    let rotating = true;
    const submitters = [1, 2, 3].map(async (worker) => {
      const receipts: boolean[] = [];
      for (let i = 0; rotating && i < 200; i++) receipts.push((await update(temp.rpc, { contact: `w${worker}-${i}` })).receipt?.ok === true);
      return receipts;
    });
    for (let i = 0; i < 3; i++) resultOf<Results['identity.rotateKey']>(await temp.rpc('identity.rotateKey'));
    rotating = false;
    const receipts = (await Promise.all(submitters)).flat();
    assert.ok(receipts.length >= 3);
    assert.ok(receipts.every((ok) => ok));
    assert.equal((await storedOrgKey(temp.dataDir)).seeds, 1, 'the key store holds only the current key');
  } finally {
    await temp.close();
  }
});
