import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openInvites, readInvite, readProposal } from '../src/contracts/governance.ts';
import { rotateKeyProofMessage } from '../src/contracts/identity.ts';
import { INVITES_OPEN_MAX, listInvites } from '../src/contracts/invite-state.ts';
import { orgIdOf } from '../src/contracts/membership-state.ts';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { toHex } from '../src/crypto/hex.ts';
import { DAY, invite, joinPayload, MemoryChain, party, type Party } from './support/governance-chain.ts';

/** membership.createInvite, revokeInvite and requestJoin, run in blocks through executeBlock. */

const founders = () => {
  const a = party('alpha');
  const b = party('beta');
  const m = party('member-only');
  return { a, b, m, chain: new MemoryChain([{ party: a }, { party: b }, { party: m, roles: ['member'] }]) };
};

async function createInvite(chain: MemoryChain, by: Party, label: string, fields: Record<string, unknown> = {}) {
  const inv = invite(label);
  const receipt = await chain.run(by.key, 'membership', 'createInvite', { inviteKey: inv.keyHex, organisation: `Org ${label}`, roles: ['member'], expiresAt: chain.time + DAY, ...fields });
  return { inv, receipt };
}

/** Runs a call that must be refused with `code`, and checks that the state is exactly as before. */
async function refused(chain: MemoryChain, signer: Party | { key: Party['key'] }, method: string, payload: Record<string, unknown>, code: string, advance = 1000) {
  const before = chain.snapshot();
  const receipt = await chain.run(signer.key, 'membership', method, payload, advance);
  assert.deepEqual([receipt.ok, receipt.code], [false, code], `${method} ${JSON.stringify(payload).slice(0, 120)}`);
  assert.deepEqual(chain.snapshot(), before, `${code} changed the state`);
}

test('createInvite records the invite key, organisation, roles and expiry, and refuses bad expiries and reused keys', async () => {
  const { a, b, chain } = founders();
  const { inv, receipt } = await createInvite(chain, a, 'one', { roles: ['member', 'auditor'] });
  assert.deepEqual([receipt.ok, receipt.subjects], [true, [a.id]]);
  const stored = await readInvite(chain, inv.keyHex);
  assert.deepEqual(stored, { key: inv.key.publicKey, inviter: a.id, organisation: 'Org one', roles: ['member', 'auditor'], expiresAt: chain.time - 1000 + DAY, status: 'open', createdAt: receipt.height, usedBy: null });
  assert.deepEqual((await openInvites(chain, chain.time)).map((i) => toHex(i.key)), [inv.keyHex]);

  const fresh = invite('two').keyHex;
  const base = { inviteKey: fresh, organisation: 'Org two', roles: ['member'] };
  // The block runs 1000 ms after the chain's current time.
  await refused(chain, a, 'createInvite', { ...base, expiresAt: chain.time + 1000 }, 'INVITE_EXPIRY_INVALID');
  await refused(chain, a, 'createInvite', { ...base, expiresAt: chain.time - 5 }, 'INVITE_EXPIRY_INVALID');
  await refused(chain, a, 'createInvite', { ...base, expiresAt: chain.time + 1000 + 30 * DAY + 1 }, 'INVITE_EXPIRY_INVALID');
  await refused(chain, b, 'createInvite', { ...base, inviteKey: inv.keyHex, expiresAt: chain.time + DAY }, 'INVITE_KNOWN');
  await refused(chain, a, 'createInvite', { ...base, roles: [], expiresAt: chain.time + DAY }, 'PAYLOAD_INVALID');
  await refused(chain, a, 'createInvite', { ...base, roles: ['member', 'member'], expiresAt: chain.time + DAY }, 'PAYLOAD_INVALID');
  await refused(chain, a, 'createInvite', { ...base, roles: ['owner'], expiresAt: chain.time + DAY }, 'PAYLOAD_INVALID');
  assert.equal((await chain.run(a.key, 'membership', 'createInvite', { ...base, expiresAt: chain.time + 1000 + 30 * DAY })).ok, true, '30 days is allowed');
});

test('revokeInvite: by the inviter or another admin, not by anyone else; a revoked or used invite stays so', async () => {
  const { a, b, m, chain } = founders();
  const first = await createInvite(chain, a, 'first');
  const second = await createInvite(chain, a, 'second');
  await refused(chain, m, 'revokeInvite', { inviteKey: first.inv.keyHex }, 'ROLE_FORBIDDEN');
  await refused(chain, a, 'revokeInvite', { inviteKey: invite('nothing').keyHex }, 'INVITE_UNKNOWN');
  const revoked = await chain.run(b.key, 'membership', 'revokeInvite', { inviteKey: first.inv.keyHex });
  assert.deepEqual([revoked.ok, revoked.subjects], [true, [b.id, a.id]]);
  assert.equal((await readInvite(chain, first.inv.keyHex))?.status, 'revoked');
  await refused(chain, a, 'revokeInvite', { inviteKey: first.inv.keyHex }, 'INVITE_REVOKED');
  assert.deepEqual((await listInvites(chain)).map((i) => toHex(i.key)), [second.inv.keyHex]);
  assert.equal((await chain.run(a.key, 'membership', 'revokeInvite', { inviteKey: second.inv.keyHex })).ok, true);
  assert.deepEqual(await listInvites(chain), []);
});

test('requestJoin uses the invite once and opens an admit proposal about the candidate and the inviter', async () => {
  const { a, chain } = founders();
  const { inv } = await createInvite(chain, a, 'join', { roles: ['member', 'auditor'] });
  const joiner = party('joiner');
  const payload = joinPayload(chain.chain, inv.key, joiner, { name: 'Joiner GmbH', registryId: 'HRB 77' });
  const receipt = await chain.run(joiner.key, 'membership', 'requestJoin', payload);
  assert.equal(receipt.ok, true, receipt.code);
  assert.deepEqual(receipt.subjects, [joiner.id, a.id, `proposal/${receipt.txId}`]);
  assert.deepEqual(await readInvite(chain, inv.keyHex), { ...(await readInvite(chain, inv.keyHex)), status: 'used', usedBy: joiner.id });
  assert.deepEqual(await openInvites(chain, chain.time), []);
  const proposal = await readProposal(chain, receipt.txId);
  assert.ok(proposal !== undefined);
  assert.equal(proposal.subject, orgIdOf(joiner.key.publicKey));
  assert.deepEqual(proposal.effect, {
    kind: 'admit', signingKey: joiner.key.publicKey, encryptionKey: joiner.encryptionKey, name: 'Joiner GmbH', registryId: 'HRB 77', nodes: [joiner.peerId],
    roles: ['member', 'auditor'], inviter: a.id, inviteKey: inv.key.publicKey,
  });
  assert.deepEqual([proposal.status, proposal.proposer, proposal.expiresAt], ['open', null, chain.time + 7 * DAY]);
  assert.deepEqual({ yes: proposal.tally.yes, needed: proposal.tally.needed, voters: proposal.tally.voters }, { yes: 0, needed: 1, voters: [a.id] });
  // Not admitted yet: the key is still no organisation's.
  assert.equal(chain.state.has(`org/${joiner.id}`), false);

  // A second use, by anyone, with a valid proof: INVITE_USED.
  const other = party('other');
  await refused(chain, other, 'requestJoin', joinPayload(chain.chain, inv.key, other), 'INVITE_USED');
});

test('requestJoin refusals: unknown, revoked and expired invites, bad proofs, keys and nodes in use — nothing changes', async () => {
  const { a, b, chain } = founders();
  const joiner = party('joiner');
  const { inv } = await createInvite(chain, a, 'good');
  const { inv: toRevoke } = await createInvite(chain, a, 'revoke');
  await chain.run(a.key, 'membership', 'revokeInvite', { inviteKey: toRevoke.keyHex });
  const { inv: shortLived } = await createInvite(chain, a, 'short', { expiresAt: chain.time + 60_000 });

  await refused(chain, joiner, 'requestJoin', joinPayload(chain.chain, invite('never-made').key, joiner), 'INVITE_UNKNOWN');
  await refused(chain, joiner, 'requestJoin', joinPayload(chain.chain, toRevoke.key, joiner), 'INVITE_REVOKED');
  // Block time past the expiry.
  await refused(chain, joiner, 'requestJoin', joinPayload(chain.chain, shortLived.key, joiner), 'INVITE_EXPIRED', 120_000);

  const good = joinPayload(chain.chain, inv.key, joiner);
  const stranger = signingKeyFromSeed(new Uint8Array(32).fill(3));
  await refused(chain, joiner, 'requestJoin', { ...good, proof: '00'.repeat(64) }, 'JOIN_PROOF_INVALID');
  await refused(chain, joiner, 'requestJoin', { ...good, name: 'Someone else' }, 'JOIN_PROOF_INVALID');
  await refused(chain, joiner, 'requestJoin', { ...good, nodes: [party('x').peerId] }, 'JOIN_PROOF_INVALID');
  await refused(chain, joiner, 'requestJoin', joinPayload(new Uint8Array(32), inv.key, joiner), 'JOIN_PROOF_INVALID');
  await refused(chain, joiner, 'requestJoin', { ...good, proof: toHex(stranger.sign(new Uint8Array(32))) }, 'JOIN_PROOF_INVALID');
  // The proof names the joiner's key, so another key cannot use it.
  await refused(chain, { key: stranger }, 'requestJoin', good, 'JOIN_PROOF_INVALID');
  await refused(chain, b, 'requestJoin', joinPayload(chain.chain, inv.key, b), 'KEY_IN_USE');
  await refused(chain, joiner, 'requestJoin', joinPayload(chain.chain, inv.key, joiner, { nodes: [joiner.peerId, b.peerId] }), 'NODE_IN_USE');
  await refused(chain, joiner, 'requestJoin', { ...good, nodes: [] }, 'PAYLOAD_INVALID');
  await refused(chain, joiner, 'requestJoin', { ...good, nodes: ['a b'] }, 'PAYLOAD_INVALID');
  await refused(chain, joiner, 'requestJoin', { ...good, nodes: Array.from({ length: 17 }, (_, i) => `peer-${i}`) }, 'PAYLOAD_INVALID');
  // The control case.
  assert.equal((await chain.run(joiner.key, 'membership', 'requestJoin', good)).ok, true);
});

test('at most INVITES_OPEN_MAX invites are open at once; expired ones make room', async () => {
  const { a, chain } = founders();
  const expiresAt = chain.time + 1000 + 60_000;
  const txs = Array.from({ length: INVITES_OPEN_MAX }, (_, i) =>
    chain.tx(a.key, 'membership', 'createInvite', { inviteKey: invite(`bulk-${i}`).keyHex, organisation: `Bulk ${i}`, roles: ['member'], expiresAt }));
  const { receipts } = await chain.block(txs);
  assert.ok(receipts.every((r) => r.ok));
  assert.equal((await listInvites(chain)).length, INVITES_OPEN_MAX);
  const extra = { inviteKey: invite('extra').keyHex, organisation: 'Extra', roles: ['member'], expiresAt: chain.time + DAY };
  await refused(chain, a, 'createInvite', extra, 'INVITES_FULL');
  // Once those expire, the next invite sweeps them out of the open list.
  const receipt = await chain.run(a.key, 'membership', 'createInvite', extra, 120_000);
  assert.equal(receipt.ok, true, receipt.code);
  assert.deepEqual((await listInvites(chain)).map((i) => toHex(i.key)), [extra.inviteKey]);
  assert.equal((await readInvite(chain, invite('bulk-0').keyHex))?.status, 'expired');
});

test('an invite whose inviter is suspended or removed cannot be used and leaves the gate (INVITE_INVITER_INACTIVE)', async () => {
  const { a, b, chain } = founders();
  const { inv } = await createInvite(chain, b, 'from-beta');
  assert.deepEqual((await openInvites(chain, chain.time)).map((i) => toHex(i.key)), [inv.keyHex]);
  const suspend = await chain.run(a.key, 'membership', 'propose', { kind: 'suspend', org: b.id });
  for (const voter of [a, b]) assert.equal((await chain.run(voter.key, 'membership', 'vote', { proposal: suspend.txId, choice: 'yes' })).ok, true);
  assert.deepEqual(await openInvites(chain, chain.time), [], 'the gate no longer admits the invite key');
  const joiner = party('late-joiner');
  await refused(chain, joiner, 'requestJoin', joinPayload(chain.chain, inv.key, joiner), 'INVITE_INVITER_INACTIVE');
});

test('revoking an expired invite answers INVITE_EXPIRED', async () => {
  const { a, chain } = founders();
  const { inv } = await createInvite(chain, a, 'short', { expiresAt: chain.time + 1000 + 60_000 });
  await refused(chain, a, 'revokeInvite', { inviteKey: inv.keyHex }, 'INVITE_EXPIRED', 120_000);
});

test('a signing key an organisation rotated away from cannot be taken up again: KEY_IN_USE for a join request or a rotation', async () => {
  const { a, b, chain } = founders();
  const next = signingKeyFromSeed(new Uint8Array(32).fill(7));
  const proof = next.sign(rotateKeyProofMessage(chain.chain, a.id, a.key.publicKey, next.publicKey));
  assert.equal((await chain.run(a.key, 'identity', 'rotateKey', { signingKey: toHex(next.publicKey), proof: toHex(proof) })).ok, true);
  // A's first key is nobody's now, but was A's.
  const { inv } = await createInvite(chain, b, 'reuse');
  const impostor: Party = { ...party('impostor'), key: a.key };
  await refused(chain, impostor, 'requestJoin', joinPayload(chain.chain, inv.key, impostor), 'KEY_IN_USE');
  const bProof = a.key.sign(rotateKeyProofMessage(chain.chain, b.id, b.key.publicKey, a.key.publicKey));
  const rotated = await chain.run(b.key, 'identity', 'rotateKey', { signingKey: toHex(a.key.publicKey), proof: toHex(bProof) });
  assert.deepEqual([rotated.ok, rotated.code], [false, 'KEY_IN_USE']);
});
