import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gatedPeerIds, readValidatorSchedule, VALIDATOR_CHANGE_DELAY } from '../src/contracts/governance.ts';
import { executeBlock } from '../src/contracts/execute.ts';
import { memberPeerIds, readOrg, readValidators } from '../src/contracts/membership-state.ts';
import { toHex } from '../src/crypto/hex.ts';
import { nextStateRoot } from '../src/ledger/state.ts';
import { DAY, invite, joinPayload, MemoryChain, party, type Party } from './support/governance-chain.ts';

/** Validator set changes at commit height + VALIDATOR_CHANGE_DELAY, and organisations' node lists. */

async function ok(chain: MemoryChain, signer: Party, method: string, payload: Record<string, unknown>) {
  const receipt = await chain.run(signer.key, 'membership', method, payload);
  assert.equal(receipt.ok, true, `${method}: ${receipt.code} ${receipt.message}`);
  return receipt;
}

async function refused(chain: MemoryChain, signer: Party, method: string, payload: Record<string, unknown>, code: string) {
  const before = chain.snapshot();
  const receipt = await chain.run(signer.key, 'membership', method, payload);
  assert.deepEqual([receipt.ok, receipt.code], [false, code], `${method} ${JSON.stringify(payload).slice(0, 120)}`);
  assert.deepEqual(chain.snapshot(), before, `${code} changed the state`);
}

const keys = async (chain: MemoryChain) => (await readValidators(chain)).map((v) => `${toHex(v.key)}:${v.org}:${v.power}`);
const entry = (p: Party, power = 1) => `${toHex(p.nodeKey.publicKey)}:${p.id}:${power}`;

/** Two admins (A validating, B not) and C admitted through an invite as a member. */
async function consortium() {
  const [a, b, c] = ['alpha', 'beta', 'gamma'].map(party) as [Party, Party, Party];
  const chain = new MemoryChain([{ party: a }, { party: b, roles: ['admin', 'member'] }]);
  const inv = invite('gamma');
  await ok(chain, a, 'createInvite', { inviteKey: inv.keyHex, organisation: 'Gamma', roles: ['member'], expiresAt: chain.time + DAY });
  const join = await chain.run(c.key, 'membership', 'requestJoin', joinPayload(chain.chain, inv.key, c));
  await ok(chain, a, 'vote', { proposal: join.txId, choice: 'yes' });
  assert.equal((await readOrg(chain, c.id))?.status, 'active');
  return { a, b, c, chain };
}

/** Proposes by A and passes with the votes of A and B; the height of the passing block. */
async function pass(chain: MemoryChain, a: Party, b: Party, payload: Record<string, unknown>): Promise<number> {
  const proposal = await ok(chain, a, 'propose', payload);
  await ok(chain, a, 'vote', { proposal: proposal.txId, choice: 'yes' });
  return (await ok(chain, b, 'vote', { proposal: proposal.txId, choice: 'yes' })).height;
}

test('a passed addValidator takes effect at commit height + 2: written at the end of the block before, not earlier', async () => {
  const { a, b, c, chain } = await consortium();
  assert.equal(VALIDATOR_CHANGE_DELAY, 2);
  const before = await keys(chain);
  assert.deepEqual(before, [entry(a)]);
  const committed = await pass(chain, a, b, { kind: 'addValidator', org: c.id, key: toHex(c.nodeKey.publicKey), power: 3 });
  // After the commit block: the set of height committed + 1 is still the old one; the change waits in the schedule.
  assert.deepEqual(await keys(chain), before);
  assert.deepEqual((await readValidatorSchedule(chain)).map((s) => s.height), [committed + 2]);
  assert.deepEqual((await readOrg(chain, c.id))?.roles, ['member', 'validator']);

  // Block committed + 1, with an unrelated transaction: at its end the set for committed + 2 is written.
  const { writes, height } = await chain.block([chain.tx(a.key, 'identity', 'updateProfile', { contact: 'x' })]);
  assert.equal(height, committed + 1);
  assert.ok(writes.has('validators'), 'the block before the change writes the set');
  assert.deepEqual(await keys(chain), [entry(a), entry(c, 3)]);
  assert.deepEqual(await readValidatorSchedule(chain), []);
  // Nothing more changes after.
  const next = await chain.block([chain.tx(a.key, 'identity', 'updateProfile', { contact: 'y' })]);
  assert.ok(!next.writes.has('validators'));
});

test('changes passed in consecutive blocks compose; removeValidator and suspend take keys out two heights later', async () => {
  const { a, b, c, chain } = await consortium();
  const added = await pass(chain, a, b, { kind: 'addValidator', org: c.id, key: toHex(c.nodeKey.publicKey) });
  // In the next block, a proposal to add the same key is refused: it builds on the scheduled set. The
  // only writes of that block are its end-of-block step's, which puts the scheduled set in place.
  const before = chain.snapshot();
  const duplicate = await chain.run(a.key, 'membership', 'propose', { kind: 'addValidator', org: c.id, key: toHex(c.nodeKey.publicKey) });
  assert.deepEqual([duplicate.ok, duplicate.code, duplicate.height], [false, 'VALIDATOR_KNOWN', added + 1]);
  const after = chain.snapshot();
  assert.deepEqual([...new Set([...before.keys(), ...after.keys()])].filter((key) => before.get(key) !== after.get(key)).sort(), ['validator-schedule', 'validators']);
  assert.deepEqual(await keys(chain), [entry(a), entry(c)]);
  const removed = await pass(chain, a, b, { kind: 'removeValidator', key: toHex(a.nodeKey.publicKey) });
  assert.deepEqual(await keys(chain), [entry(a), entry(c)]);
  assert.deepEqual((await readOrg(chain, a.id))?.roles, ['admin', 'member'], 'the last key gone, the validator role goes');
  await chain.block([chain.tx(a.key, 'identity', 'updateProfile', { contact: 'x' })]);
  assert.equal(chain.height, removed + 1);
  assert.deepEqual(await keys(chain), [entry(c)]);

  // C is the only validator: suspending it would leave none.
  await refused(chain, a, 'propose', { kind: 'suspend', org: c.id }, 'VALIDATOR_SET_EMPTY');
  await refused(chain, a, 'propose', { kind: 'removeValidator', key: toHex(c.nodeKey.publicKey) }, 'VALIDATOR_SET_EMPTY');
  // Add A back, then suspend C: C leaves the gate at once and the set two heights later.
  await pass(chain, a, b, { kind: 'addValidator', org: a.id, key: toHex(a.nodeKey.publicKey) });
  await chain.block([chain.tx(a.key, 'identity', 'updateProfile', { contact: 'y' })]);
  assert.deepEqual(await keys(chain), [entry(c), entry(a)]);
  const suspended = await pass(chain, a, b, { kind: 'suspend', org: c.id });
  assert.ok(!(await memberPeerIds(chain)).includes(c.peerId));
  assert.deepEqual(await keys(chain), [entry(c), entry(a)], 'still validating at the next height');
  assert.deepEqual((await readValidatorSchedule(chain)).map((s) => s.height), [suspended + 2]);
  await chain.block([chain.tx(a.key, 'identity', 'updateProfile', { contact: 'z' })]);
  assert.deepEqual(await keys(chain), [entry(a)]);
});

test('addValidator refusals: a key that is none of the organisation’s nodes, an inactive organisation', async () => {
  const { a, b, c, chain } = await consortium();
  await refused(chain, a, 'propose', { kind: 'addValidator', org: c.id, key: toHex(b.nodeKey.publicKey) }, 'VALIDATOR_NOT_NODE');
  await refused(chain, a, 'propose', { kind: 'addValidator', org: c.id, key: toHex(c.key.publicKey) }, 'VALIDATOR_NOT_NODE');
  await refused(chain, a, 'propose', { kind: 'addValidator', org: a.id, key: toHex(a.nodeKey.publicKey) }, 'VALIDATOR_KNOWN');
  await refused(chain, a, 'propose', { kind: 'addValidator', org: c.id, key: toHex(c.nodeKey.publicKey), power: 0 }, 'PAYLOAD_INVALID');
  await pass(chain, a, b, { kind: 'suspend', org: c.id });
  await refused(chain, a, 'propose', { kind: 'addValidator', org: c.id, key: toHex(c.nodeKey.publicKey) }, 'ORG_NOT_ACTIVE');
});

test('a block’s end-of-block step is deterministic: the same block executed twice gives the same writes and state root', async () => {
  const { a, b, c, chain } = await consortium();
  const proposal = await ok(chain, a, 'propose', { kind: 'addValidator', org: c.id, key: toHex(c.nodeKey.publicKey) });
  await ok(chain, a, 'vote', { proposal: proposal.txId, choice: 'yes' });
  await ok(chain, b, 'vote', { proposal: proposal.txId, choice: 'yes' });
  const txs = [chain.tx(c.key, 'records', 'anchor', { subject: 'x', hash: '11'.repeat(32), label: '' })];
  const context = { chain: chain.chain, height: chain.height + 1, time: chain.time + 1 };
  const first = await executeBlock(chain, context, txs, { verifySignatures: true });
  const second = await executeBlock(chain, context, txs, { verifySignatures: true });
  assert.deepEqual([...first.writes.keys()].sort(), [...second.writes.keys()].sort());
  assert.ok(first.writes.has('validators') && first.writes.has('validator-schedule'));
  assert.deepEqual(nextStateRoot(chain.stateRoot, first.writes), nextStateRoot(chain.stateRoot, second.writes));
});

test('addNode and removeNode: an organisation’s own list, one node at least, none of another’s, no validating node', async () => {
  const { a, b, c, chain } = await consortium();
  const spare = party('spare');
  await refused(chain, c, 'addNode', { peerId: b.peerId }, 'NODE_IN_USE');
  await refused(chain, c, 'addNode', { peerId: c.peerId }, 'NODE_KNOWN');
  await refused(chain, c, 'removeNode', { peerId: c.peerId }, 'NODE_LAST');
  await refused(chain, c, 'removeNode', { peerId: spare.peerId }, 'NODE_UNKNOWN');
  await refused(chain, c, 'addNode', { peerId: 'has space' }, 'PAYLOAD_INVALID');
  const added = await ok(chain, c, 'addNode', { peerId: spare.peerId });
  assert.deepEqual(added.subjects, [c.id]);
  assert.deepEqual((await readOrg(chain, c.id))?.nodes, [c.peerId, spare.peerId]);
  assert.ok((await memberPeerIds(chain)).includes(spare.peerId));
  await refused(chain, b, 'addNode', { peerId: spare.peerId }, 'NODE_IN_USE');
  await ok(chain, c, 'removeNode', { peerId: c.peerId });
  assert.deepEqual((await readOrg(chain, c.id))?.nodes, [spare.peerId]);
  assert.ok(!(await memberPeerIds(chain)).includes(c.peerId));

  // A's node validates: it stays listed while its key is in the set.
  await ok(chain, a, 'addNode', { peerId: party('alpha-2').peerId });
  await refused(chain, a, 'removeNode', { peerId: a.peerId }, 'NODE_IS_VALIDATOR');
  for (let i = (await readOrg(chain, a.id))?.nodes.length ?? 0; i < 16; i++) await ok(chain, a, 'addNode', { peerId: `peer-${i}` });
  await refused(chain, a, 'addNode', { peerId: 'peer-16' }, 'NODES_FULL');
});

test('changes passing in consecutive blocks each take effect two heights after their own block', async () => {
  const { a, b, c, chain } = await consortium();
  const add = await ok(chain, a, 'propose', { kind: 'addValidator', org: c.id, key: toHex(c.nodeKey.publicKey) });
  await ok(chain, a, 'vote', { proposal: add.txId, choice: 'yes' });
  const x = (await ok(chain, b, 'vote', { proposal: add.txId, choice: 'yes' })).height;
  // Block x + 1 opens and passes the removal of A's key: it builds on the set scheduled for x + 2.
  const remove = chain.tx(a.key, 'membership', 'propose', { kind: 'removeValidator', key: toHex(a.nodeKey.publicKey) });
  const votes = [a, b].map((p) => chain.tx(p.key, 'membership', 'vote', { proposal: remove.idHex, choice: 'yes' }));
  const { receipts } = await chain.block([remove, ...votes]);
  assert.deepEqual(receipts.map((r) => r.code), ['', '', '']);
  assert.deepEqual(await keys(chain), [entry(a), entry(c)], 'the set of height x + 2');
  assert.deepEqual((await readValidatorSchedule(chain)).map((s) => s.height), [x + 3]);
  await chain.block([chain.tx(a.key, 'identity', 'updateProfile', { contact: 'x' })]);
  assert.equal(chain.height, x + 2);
  assert.deepEqual(await keys(chain), [entry(c)], 'the set of height x + 3');
});

test('a suspended or removed validator organisation’s nodes stay in the gate until its keys leave the set', async () => {
  for (const kind of ['suspend', 'remove'] as const) {
    const { a, b, c, chain } = await consortium();
    await pass(chain, a, b, { kind: 'addValidator', org: c.id, key: toHex(c.nodeKey.publicKey) });
    await chain.block([chain.tx(a.key, 'identity', 'updateProfile', { contact: 'x' })]);
    assert.deepEqual(await keys(chain), [entry(a), entry(c)]);
    await pass(chain, a, b, { kind, org: c.id });
    // C is no member any more, but its key validates height passed + 1: its node must still connect.
    assert.ok(!(await memberPeerIds(chain)).includes(c.peerId));
    assert.deepEqual(await keys(chain), [entry(a), entry(c)]);
    assert.ok((await gatedPeerIds(chain)).includes(c.peerId), `${kind}: the gate keeps a validating node`);
    // End of block passed + 1: the set of passed + 2 no longer holds C's key, and the gate lets C go.
    await chain.block([chain.tx(a.key, 'identity', 'updateProfile', { contact: 'y' })]);
    assert.deepEqual(await keys(chain), [entry(a)]);
    assert.deepEqual(await readValidatorSchedule(chain), []);
    assert.ok(!(await gatedPeerIds(chain)).includes(c.peerId), `${kind}: gone once out of the set`);
    assert.ok((await gatedPeerIds(chain)).includes(b.peerId) && (await gatedPeerIds(chain)).includes(a.peerId));
  }
});

test('the gate admits a key scheduled to join the set, and not a suspended organisation that validates nothing', async () => {
  const { a, b, c, chain } = await consortium();
  await pass(chain, a, b, { kind: 'addValidator', org: c.id, key: toHex(c.nodeKey.publicKey) });
  assert.equal((await readValidatorSchedule(chain)).length, 1);
  assert.ok((await gatedPeerIds(chain)).includes(c.peerId));
  await pass(chain, a, b, { kind: 'suspend', org: b.id });
  assert.ok(!(await gatedPeerIds(chain)).includes(b.peerId));
});

test('removeNode is refused for a key scheduled for an intermediate height, not only the last scheduled set', async () => {
  const { a, b, c, chain } = await consortium();
  await ok(chain, c, 'addNode', { peerId: party('gamma-2').peerId });
  const add = await ok(chain, a, 'propose', { kind: 'addValidator', org: c.id, key: toHex(c.nodeKey.publicKey) });
  await ok(chain, a, 'vote', { proposal: add.txId, choice: 'yes' });
  const x = (await ok(chain, b, 'vote', { proposal: add.txId, choice: 'yes' })).height;
  // Block x + 1 passes the key's removal: scheduled sets x + 2 (with C's key) and x + 3 (without), current set without.
  const remove = chain.tx(a.key, 'membership', 'propose', { kind: 'removeValidator', key: toHex(c.nodeKey.publicKey) });
  const votes = [a, b].map((p) => chain.tx(p.key, 'membership', 'vote', { proposal: remove.idHex, choice: 'yes' }));
  const removeNode = chain.tx(c.key, 'membership', 'removeNode', { peerId: c.peerId });
  const { receipts } = await chain.block([remove, ...votes, removeNode]);
  assert.deepEqual(receipts.map((r) => r.code), ['', '', '', 'NODE_IS_VALIDATOR']);
  assert.deepEqual(await keys(chain), [entry(a), entry(c)], 'the set of height x + 2 holds the key');
  assert.equal(chain.height, x + 1);
  // Once the key has left every set, the node may go.
  await chain.block([chain.tx(a.key, 'identity', 'updateProfile', { contact: 'x' })]);
  await ok(chain, c, 'removeNode', { peerId: c.peerId });
});

test('an organisation invited with the validator role validates from two heights after its admission, with every node it listed', async () => {
  const [a, b, v] = ['alpha', 'beta', 'vega'].map(party) as [Party, Party, Party];
  const chain = new MemoryChain([{ party: a }, { party: b, roles: ['admin', 'member'] }]);
  const inv = invite('vega');
  await ok(chain, a, 'createInvite', { inviteKey: inv.keyHex, organisation: 'Vega', roles: ['member', 'validator'], expiresAt: chain.time + DAY });
  const join = await chain.run(v.key, 'membership', 'requestJoin', joinPayload(chain.chain, inv.key, v));
  assert.equal(join.ok, true, `${join.code} ${join.message}`);
  await ok(chain, a, 'vote', { proposal: join.txId, choice: 'yes' });
  let admitted = (await readOrg(chain, v.id))?.status === 'active' ? chain.height : undefined;
  if (admitted === undefined) admitted = (await ok(chain, b, 'vote', { proposal: join.txId, choice: 'yes' })).height;
  assert.equal((await readOrg(chain, v.id))?.status, 'active');
  assert.deepEqual(await keys(chain), [entry(a)], 'not before the fixed height');
  assert.deepEqual((await readValidatorSchedule(chain)).map((s) => s.height), [admitted + VALIDATOR_CHANGE_DELAY]);
  await chain.block([chain.tx(a.key, 'identity', 'updateProfile', { contact: 'x' })]);
  assert.deepEqual(await keys(chain), [entry(a), entry(v)]);
});

test('suspend and remove take the validator role away with the organisation’s last key, as removeValidator does', async () => {
  for (const kind of ['suspend', 'remove'] as const) {
    const { a, b, c, chain } = await consortium();
    await pass(chain, a, b, { kind: 'addValidator', org: c.id, key: toHex(c.nodeKey.publicKey) });
    assert.deepEqual((await readOrg(chain, c.id))?.roles, ['member', 'validator']);
    await pass(chain, a, b, { kind, org: c.id });
    assert.deepEqual((await readOrg(chain, c.id))?.roles, ['member'], kind);
  }
});
