import assert from 'node:assert/strict';
import { test } from 'node:test';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import type { AppState, ProposalJson } from '../../node-core/src/api/methods.ts';
import { appStateChanged, joining } from '../src/app/app-state.ts';
import { parseRoute, routeHref, sectionOf } from '../src/app/routes.ts';
import { duration } from '../src/lib/duration.ts';
import { findInviteCode } from '../src/lib/invite-code.ts';
import { nodeKeyOfPeerId } from '../src/lib/peer-id.ts';
import { proposalFacts, tallyShares } from '../src/lib/proposal-summary.ts';
import { qrModules, rasterise, readQr } from '../src/lib/qr.ts';

test('the node key inside an Ed25519 peer id is what libp2p put there', async () => {
  for (const fill of [0, 7, 255]) {
    const key = await generateKeyPairFromSeed('Ed25519', new Uint8Array(32).fill(fill));
    const peerId = peerIdFromPublicKey(key.publicKey).toString();
    assert.equal(nodeKeyOfPeerId(peerId), Buffer.from(key.publicKey.raw).toString('hex'));
  }
  assert.equal(nodeKeyOfPeerId('12D3KooW'), undefined, 'too short');
  assert.equal(nodeKeyOfPeerId('QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N'), undefined, 'a SHA-256 peer id holds no key');
  assert.equal(nodeKeyOfPeerId('0OIl'), undefined, 'not base58');
});

test('an invite code is found in whatever was pasted around it', () => {
  const code = 'ingot-invite:o2F2AWVjaGFpblgg_-9';
  assert.equal(findInviteCode(code), code);
  assert.equal(findInviteCode(`Hello,\n\nhere is your invite: ${code.slice(0, 20)}\n${code.slice(20)}\n\nRegards`), code, 'line breaks a mail program added');
  assert.equal(findInviteCode('ingot-invite:'), undefined);
  assert.equal(findInviteCode('some other text'), undefined);
});

test('durations round up into a readable unit', () => {
  assert.deepEqual(duration(0.2), { value: 1, unit: 's' });
  assert.deepEqual(duration(-5), { value: 0, unit: 's' });
  assert.deepEqual(duration(89), { value: 89, unit: 's' });
  assert.deepEqual(duration(91), { value: 2, unit: 'min' });
  assert.deepEqual(duration(3 * 3600), { value: 3, unit: 'h' });
  assert.deepEqual(duration(168 * 3600), { value: 7, unit: 'd' });
});

test('a QR code drawn from an invite code reads back as the same code', () => {
  const code = `ingot-invite:${'Ab_-x9'.repeat(120)}`;
  const modules = qrModules(code);
  assert.ok(modules.length > 21 && modules.every((row) => row.length === modules.length));
  assert.equal(readQr(rasterise(modules, 3)), code);
  assert.equal(readQr({ width: 50, height: 50, data: new Uint8ClampedArray(50 * 50 * 4).fill(255) }), undefined, 'a blank image holds none');
});

test('members and organisation routes round-trip and belong to the members section', () => {
  const org = 'ab'.repeat(20);
  assert.deepEqual(parseRoute(routeHref({ name: 'members' })), { name: 'members' });
  assert.deepEqual(parseRoute(routeHref({ name: 'org', id: org })), { name: 'org', id: org });
  assert.deepEqual(parseRoute('#/members/org/not-an-id'), { name: 'members' });
  assert.equal(sectionOf({ name: 'org', id: org }), 'members');
});

test('proposal facts read the details of each kind; the tally shares stay within the bar', () => {
  const base: ProposalJson = {
    id: 'ef'.repeat(32),
    kind: 'admit',
    subject: 'cd'.repeat(20),
    details: { name: 'Beta Metals', roles: ['member', 'admin', 'bogus'], nodes: ['12D3KooWabc', 7], inviter: 'ab'.repeat(20) },
    proposer: 'ab'.repeat(20),
    createdAt: 0,
    expiresAt: 1,
    status: 'open',
    tally: { yes: 0, no: 0, needed: 1, voters: 1, votes: [] },
    ownVote: null,
  };
  const admit = proposalFacts(base);
  assert.equal(admit.name, 'Beta Metals');
  assert.equal(admit.org, 'cd'.repeat(20));
  assert.deepEqual(admit.roles, ['admin', 'member'], 'known roles, in their usual order');
  assert.deepEqual(admit.nodes, ['12D3KooWabc']);
  const validator = proposalFacts({ ...base, kind: 'addValidator', subject: '12'.repeat(20), details: { org: '12'.repeat(20), key: 'aa'.repeat(32), power: 3 } });
  assert.equal(validator.key, 'aa'.repeat(32));
  assert.equal(validator.power, 3);
  const policy = proposalFacts({ ...base, kind: 'setPolicy', subject: 'policy', details: { policy: { admission: 'majority', changes: { yes: 2 } } } });
  assert.deepEqual(policy.policy, { admission: 'majority', changes: { yes: 2 } });
  assert.deepEqual(tallyShares({ yes: 1, no: 1, needed: 2, voters: 3, votes: [] }), { yes: 1 / 3, no: 1 / 3, needed: 2 / 3, missing: 1 });
  assert.deepEqual(tallyShares({ yes: 0, no: 0, needed: 1, voters: 0, votes: [] }), { yes: 0, no: 0, needed: 1, missing: 1 });
});

test('a joining node shows its progress until it is a member, and a change in it counts as a change', () => {
  const progress = { state: 'awaiting-admission', consortium: 'C', organisation: 'B', inviter: 'ab'.repeat(20), request: 'cd'.repeat(32), height: 0, target: 0, blocksLeft: 0, rate: null, etaSeconds: null } as const;
  const waiting: AppState = { phase: 'running', dataDir: '/d', canRememberPassphrase: false, join: progress };
  assert.equal(joining(waiting), true);
  assert.equal(joining({ ...waiting, join: { ...progress, state: 'member' } }), false);
  assert.equal(joining({ ...waiting, join: undefined }), false);
  assert.equal(joining({ ...waiting, phase: 'locked' }), false, 'a locked node asks for its passphrase first');
  const syncing: AppState = { ...waiting, join: { ...progress, state: 'syncing', height: 5, target: 100, blocksLeft: 95, rate: 20, etaSeconds: 5 } };
  assert.equal(appStateChanged(waiting, syncing), true);
  assert.equal(appStateChanged(syncing, { ...syncing, join: { ...syncing.join!, blocksLeft: 90 } }), true);
  assert.equal(appStateChanged(syncing, { ...syncing, join: { ...syncing.join! } }), false);
});
