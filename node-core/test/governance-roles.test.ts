import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { keyOfPeerId, peerIdOfKey } from '../src/contracts/peer-id.ts';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { DAY, invite, joinPayload, MemoryChain, party } from './support/governance-chain.ts';

/** Who may call what: roles declared by methods, checked by the framework before a method runs. */

const hash = (n: number) => n.toString(16).padStart(64, '0');

test('records.anchor: a member or admin anchors a hash once under a subject; an auditor is refused and nothing changes', async () => {
  const [admin, member, auditor, adminOnly] = ['admin', 'member', 'auditor', 'admin-only'].map(party) as [ReturnType<typeof party>, ReturnType<typeof party>, ReturnType<typeof party>, ReturnType<typeof party>];
  const chain = new MemoryChain([{ party: admin }, { party: member, roles: ['member'] }, { party: auditor, roles: ['auditor'] }, { party: adminOnly, roles: ['admin'] }]);
  const payload = { subject: 'cert/ISO-9001/2024-17', hash: hash(1), label: 'Certificate scan' };

  const before = chain.snapshot();
  const refused = await chain.run(auditor.key, 'records', 'anchor', payload);
  assert.deepEqual([refused.ok, refused.code, refused.subjects], [false, 'ROLE_FORBIDDEN', []]);
  assert.deepEqual(chain.snapshot(), before, 'a refused anchor writes nothing');

  const anchored = await chain.run(member.key, 'records', 'anchor', payload);
  assert.deepEqual([anchored.ok, anchored.subjects], [true, ['cert/ISO-9001/2024-17']]);
  assert.ok(chain.state.has(`record/cert/ISO-9001/2024-17/${hash(1)}`));

  const afterFirst = chain.snapshot();
  const again = await chain.run(adminOnly.key, 'records', 'anchor', { ...payload, label: 'another label' });
  assert.deepEqual([again.ok, again.code], [false, 'RECORD_KNOWN']);
  assert.deepEqual(chain.snapshot(), afterFirst);
  // The same hash under another subject, and another hash under the same subject, are new anchors.
  assert.equal((await chain.run(adminOnly.key, 'records', 'anchor', { ...payload, subject: 'inspection/7' })).ok, true);
  assert.equal((await chain.run(admin.key, 'records', 'anchor', { ...payload, hash: hash(2) })).ok, true);
  assert.equal((await chain.run(member.key, 'records', 'anchor', { ...payload, subject: 'has space' })).code, 'PAYLOAD_INVALID');
});

test('governance methods need admin: a member-only organisation is refused createInvite, propose and vote', async () => {
  const admin = party('admin');
  const member = party('member');
  const chain = new MemoryChain([{ party: admin }, { party: member, roles: ['member', 'auditor'] }]);
  const before = chain.snapshot();
  const calls: [string, Record<string, unknown>][] = [
    ['createInvite', { inviteKey: invite('x').keyHex, organisation: 'X', roles: ['member'], expiresAt: chain.time + DAY }],
    ['propose', { kind: 'suspend', org: admin.id }],
    ['vote', { proposal: hash(3), choice: 'yes' }],
  ];
  for (const [method, payload] of calls) {
    const receipt = await chain.run(member.key, 'membership', method, payload);
    assert.deepEqual([receipt.ok, receipt.code], [false, 'ROLE_FORBIDDEN'], method);
  }
  assert.deepEqual(chain.snapshot(), before);
  // The same createInvite signed by the admin goes through.
  assert.equal((await chain.run(admin.key, 'membership', 'createInvite', calls[0]?.[1] as Record<string, unknown>)).ok, true);
});

test('requestJoin is the only method a key of no organisation may sign, and an organisation key may not sign it', async () => {
  const admin = party('admin');
  const stranger = party('stranger');
  const chain = new MemoryChain([{ party: admin }]);
  const inv = invite('one');
  assert.equal((await chain.run(admin.key, 'membership', 'createInvite', { inviteKey: inv.keyHex, organisation: 'Stranger', roles: ['member'], expiresAt: chain.time + DAY })).ok, true);
  const before = chain.snapshot();
  const asStranger = await chain.run(stranger.key, 'identity', 'updateProfile', { contact: 'x' });
  assert.deepEqual([asStranger.ok, asStranger.code], [false, 'SIGNER_NOT_MEMBER']);
  // The admin's own key, with a valid proof for that key: still refused, the key is an organisation's.
  const byMember = await chain.run(admin.key, 'membership', 'requestJoin', joinPayload(chain.chain, inv.key, admin));
  assert.deepEqual([byMember.ok, byMember.code], [false, 'KEY_IN_USE']);
  assert.deepEqual(chain.snapshot(), before);
  assert.equal((await chain.run(stranger.key, 'membership', 'requestJoin', joinPayload(chain.chain, inv.key, stranger))).ok, true);
});

test('peerIdOfKey gives the libp2p peer id of a node key, and keyOfPeerId the key back from exactly that text', async () => {
  for (const fill of [0, 1, 7, 255]) {
    const seed = new Uint8Array(32).fill(fill);
    const expected = peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', seed)).toString();
    const publicKey = signingKeyFromSeed(seed).publicKey;
    assert.equal(peerIdOfKey(publicKey), expected);
    assert.deepEqual(keyOfPeerId(expected), publicKey);
  }
  const some = peerIdOfKey(signingKeyFromSeed(new Uint8Array(32).fill(3)).publicKey);
  for (const text of ['', 'node-1', `${some}1`, `1${some}`, some.slice(0, -1), some.replace(/.$/, '0'), 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N']) {
    assert.equal(keyOfPeerId(text), undefined, JSON.stringify(text));
  }
});
