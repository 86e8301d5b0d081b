import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listProposals, readOrgs, readPolicy, readProposal } from '../src/contracts/governance.ts';
import { memberPeerIds, ORGS_MAX, orgIdOfSigner, readOrg, readOrgIds, writeOrg, writeOrgIds } from '../src/contracts/membership-state.ts';
import { StateOverlay } from '../src/ledger/state.ts';
import { PROPOSALS_OPEN_MAX } from '../src/contracts/proposal-state.ts';
import { DAY, invite, joinPayload, MemoryChain, party, type Party } from './support/governance-chain.ts';

/** membership.propose and vote: admission and changes under the policy, effects applied in the passing block. */

async function ok(chain: MemoryChain, signer: Party, method: string, payload: Record<string, unknown>, advance?: number) {
  const receipt = await chain.run(signer.key, 'membership', method, payload, advance);
  assert.equal(receipt.ok, true, `${method}: ${receipt.code} ${receipt.message}`);
  return receipt;
}

async function refused(chain: MemoryChain, signer: Party, method: string, payload: Record<string, unknown>, code: string, advance = 1000) {
  const before = chain.snapshot();
  const receipt = await chain.run(signer.key, 'membership', method, payload, advance);
  assert.deepEqual([receipt.ok, receipt.code], [false, code], `${method} ${JSON.stringify(payload).slice(0, 120)}`);
  assert.deepEqual(chain.snapshot(), before, `${code} changed the state`);
}

/** Invite by `inviter`, join request by `joiner`: the admit proposal's id. */
async function requestJoin(chain: MemoryChain, inviter: Party, joiner: Party, roles: string[] = ['member']): Promise<string> {
  const inv = invite(`for-${joiner.label}`);
  await ok(chain, inviter, 'createInvite', { inviteKey: inv.keyHex, organisation: joiner.label, roles, expiresAt: chain.time + DAY });
  const receipt = await chain.run(joiner.key, 'membership', 'requestJoin', joinPayload(chain.chain, inv.key, joiner));
  assert.equal(receipt.ok, true, receipt.code);
  return receipt.txId;
}

const threeAdmins = () => {
  const [a, b, c] = ['alpha', 'beta', 'gamma'].map(party) as [Party, Party, Party];
  return { a, b, c, chain: new MemoryChain([{ party: a }, { party: b }, { party: c }]) };
};

test('invite → requestJoin → the inviter’s yes admits: the record, the signer, the org list and the gate follow', async () => {
  const { a, b, chain } = threeAdmins();
  const joiner = party('joiner');
  const proposal = await requestJoin(chain, a, joiner, ['member', 'auditor']);
  // Under the default policy only the inviter decides; another admin's vote is not counted.
  await refused(chain, b, 'vote', { proposal, choice: 'yes' }, 'VOTE_NOT_ELIGIBLE');
  assert.equal(await orgIdOfSigner(chain, joiner.key.publicKey), undefined);
  assert.ok(!(await memberPeerIds(chain)).includes(joiner.peerId));

  const voted = await ok(chain, a, 'vote', { proposal, choice: 'yes' });
  assert.deepEqual(voted.subjects, [a.id, joiner.id, `proposal/${proposal}`]);
  const org = await readOrg(chain, joiner.id);
  assert.deepEqual(org, {
    id: joiner.id, name: 'joiner', registryId: '', contact: '', roles: ['member', 'auditor'], signingKey: joiner.key.publicKey,
    encryptionKey: joiner.encryptionKey, nodes: [joiner.peerId], status: 'active', joinedAt: voted.height,
  });
  assert.equal(await orgIdOfSigner(chain, joiner.key.publicKey), joiner.id);
  assert.deepEqual((await readOrgIds(chain)).at(-1), joiner.id);
  assert.ok((await memberPeerIds(chain)).includes(joiner.peerId));
  const closed = await readProposal(chain, proposal);
  assert.deepEqual([closed?.status, closed?.closedAt, closed?.tally.yes, closed?.tally.needed], ['passed', voted.height, 1, 1]);
  assert.deepEqual(await listProposals(chain), []);
  await refused(chain, a, 'vote', { proposal, choice: 'no' }, 'PROPOSAL_CLOSED');

  // The new organisation signs as a member now.
  assert.equal((await chain.run(joiner.key, 'records', 'anchor', { subject: 'lot/1', hash: 'ab'.repeat(32), label: '' })).ok, true);
  // …but is no admin.
  assert.equal((await chain.run(joiner.key, 'membership', 'propose', { kind: 'suspend', org: b.id })).code, 'ROLE_FORBIDDEN');
});

test('an inviter’s no rejects the admission; the candidate stays out', async () => {
  const { a, chain } = threeAdmins();
  const joiner = party('joiner');
  const proposal = await requestJoin(chain, a, joiner);
  await ok(chain, a, 'vote', { proposal, choice: 'no' });
  assert.equal((await readProposal(chain, proposal))?.status, 'rejected');
  assert.equal(await readOrg(chain, joiner.id), undefined);
  assert.equal((await chain.run(joiner.key, 'identity', 'updateProfile', { contact: 'x' })).code, 'SIGNER_NOT_MEMBER');
});

test('vote refusals: unknown, duplicate, expired — nothing changes', async () => {
  const { a, b, c, chain } = threeAdmins();
  await refused(chain, a, 'vote', { proposal: 'ab'.repeat(32), choice: 'yes' }, 'PROPOSAL_UNKNOWN');
  const opened = await ok(chain, a, 'propose', { kind: 'setRoles', org: c.id, roles: ['admin', 'validator', 'member', 'auditor'], expiresAt: chain.time + 60_000 });
  await ok(chain, b, 'vote', { proposal: opened.txId, choice: 'yes' });
  await refused(chain, b, 'vote', { proposal: opened.txId, choice: 'yes' }, 'VOTE_DUPLICATE');
  await refused(chain, b, 'vote', { proposal: opened.txId, choice: 'no' }, 'VOTE_DUPLICATE');
  await refused(chain, a, 'vote', { proposal: opened.txId, choice: 'yes' }, 'PROPOSAL_EXPIRED', 120_000);
  assert.deepEqual((await readOrg(chain, c.id))?.roles, ['admin', 'validator', 'member']);
  await refused(chain, a, 'vote', { proposal: opened.txId, choice: 'banana' }, 'PAYLOAD_INVALID');
});

test('majority of the admins: the proposer’s proposal is not its vote, the second yes of three passes in that block', async () => {
  const { a, b, c, chain } = threeAdmins();
  const opened = await ok(chain, a, 'propose', { kind: 'setRoles', org: c.id, roles: ['member', 'auditor'] });
  assert.deepEqual(opened.subjects, [a.id, c.id, `proposal/${opened.txId}`]);
  const [listed] = await listProposals(chain);
  assert.deepEqual([listed?.id, listed?.tally.yes, listed?.tally.needed, listed?.tally.voters], [opened.txId, 0, 2, [a.id, b.id, c.id]]);
  await ok(chain, a, 'vote', { proposal: opened.txId, choice: 'yes' });
  assert.deepEqual((await readOrg(chain, c.id))?.roles, ['admin', 'validator', 'member'], 'one yes of three is not enough');
  assert.deepEqual((await readProposal(chain, opened.txId))?.tally.votes, { [a.id]: 'yes' });
  await ok(chain, c, 'vote', { proposal: opened.txId, choice: 'yes' });
  assert.deepEqual((await readOrg(chain, c.id))?.roles, ['member', 'auditor']);
  assert.equal((await readProposal(chain, opened.txId))?.status, 'passed');
  // C is no admin any more: it cannot vote or propose.
  assert.equal((await chain.run(c.key, 'membership', 'propose', { kind: 'suspend', org: b.id })).code, 'ROLE_FORBIDDEN');

  // Two admins now: majority is both. One no rejects.
  const second = await ok(chain, a, 'propose', { kind: 'suspend', org: b.id });
  assert.equal((await readProposal(chain, second.txId))?.tally.needed, 2);
  await ok(chain, b, 'vote', { proposal: second.txId, choice: 'no' });
  assert.equal((await readProposal(chain, second.txId))?.status, 'rejected');
  assert.equal((await readOrg(chain, b.id))?.status, 'active');
});

test('setPolicy changes what the next admission needs; { yes: M } is capped at the number of voters', async () => {
  const { a, b, c, chain } = threeAdmins();
  assert.deepEqual(await readPolicy(chain), { admission: 'inviter', changes: 'majority' });
  const policy = await ok(chain, a, 'propose', { kind: 'setPolicy', policy: { admission: 'majority', changes: { yes: 5 } } });
  await ok(chain, a, 'vote', { proposal: policy.txId, choice: 'yes' });
  await ok(chain, b, 'vote', { proposal: policy.txId, choice: 'yes' });
  assert.deepEqual(await readPolicy(chain), { admission: 'majority', changes: { yes: 5 } });

  const joiner = party('joiner');
  const admit = await requestJoin(chain, a, joiner);
  await ok(chain, a, 'vote', { proposal: admit, choice: 'yes' });
  assert.equal(await readOrg(chain, joiner.id), undefined, 'the inviter alone no longer admits');
  await ok(chain, c, 'vote', { proposal: admit, choice: 'yes' });
  assert.equal((await readOrg(chain, joiner.id))?.status, 'active');

  // Changes need { yes: 5 } of three admins: all three.
  const change = await ok(chain, a, 'propose', { kind: 'suspend', org: joiner.id });
  assert.equal((await readProposal(chain, change.txId))?.tally.needed, 3);
  await ok(chain, a, 'vote', { proposal: change.txId, choice: 'yes' });
  await ok(chain, b, 'vote', { proposal: change.txId, choice: 'yes' });
  assert.equal((await readOrg(chain, joiner.id))?.status, 'active');
  await ok(chain, c, 'vote', { proposal: change.txId, choice: 'yes' });
  assert.equal((await readOrg(chain, joiner.id))?.status, 'suspended');
  await refused(chain, a, 'propose', { kind: 'setPolicy', policy: { admission: 'everyone', changes: 'majority' } }, 'PAYLOAD_INVALID');
});

test('suspend takes an organisation off the gate and out of signing; reinstate brings it back; remove for good', async () => {
  const a = party('alpha');
  const m = party('member');
  const chain = new MemoryChain([{ party: a }, { party: m, roles: ['member'] }]);
  const suspend = await ok(chain, a, 'propose', { kind: 'suspend', org: m.id });
  await ok(chain, a, 'vote', { proposal: suspend.txId, choice: 'yes' });
  assert.equal((await readOrg(chain, m.id))?.status, 'suspended');
  assert.ok(!(await memberPeerIds(chain)).includes(m.peerId));
  assert.equal((await chain.run(m.key, 'records', 'anchor', { subject: 's', hash: 'cd'.repeat(32), label: '' })).code, 'SIGNER_NOT_ACTIVE');
  await refused(chain, a, 'propose', { kind: 'suspend', org: m.id }, 'ORG_NOT_ACTIVE');

  const reinstate = await ok(chain, a, 'propose', { kind: 'reinstate', org: m.id });
  await refused(chain, a, 'propose', { kind: 'reinstate', org: a.id }, 'ORG_NOT_SUSPENDED');
  await ok(chain, a, 'vote', { proposal: reinstate.txId, choice: 'yes' });
  assert.ok((await memberPeerIds(chain)).includes(m.peerId));

  const remove = await ok(chain, a, 'propose', { kind: 'remove', org: m.id });
  await ok(chain, a, 'vote', { proposal: remove.txId, choice: 'yes' });
  assert.equal((await readOrg(chain, m.id))?.status, 'removed');
  assert.ok(!(await memberPeerIds(chain)).includes(m.peerId));
  await refused(chain, a, 'propose', { kind: 'remove', org: m.id }, 'ORG_REMOVED');
  await refused(chain, a, 'propose', { kind: 'setRoles', org: m.id, roles: ['member'] }, 'ORG_REMOVED');
  assert.deepEqual((await readOrgs(chain)).map((o) => o.status), ['active', 'removed']);
});

test('proposals that make no sense are refused when made: unknown org, the last admin, the last validator', async () => {
  const a = party('alpha');
  const m = party('member');
  const chain = new MemoryChain([{ party: a }, { party: m, roles: ['member'] }]);
  await refused(chain, a, 'propose', { kind: 'suspend', org: '0'.repeat(40) }, 'ORG_UNKNOWN');
  await refused(chain, a, 'propose', { kind: 'setRoles', org: '0'.repeat(40), roles: ['member'] }, 'ORG_UNKNOWN');
  await refused(chain, a, 'propose', { kind: 'setRoles', org: a.id, roles: ['member', 'validator'] }, 'ADMIN_SET_EMPTY');
  await refused(chain, a, 'propose', { kind: 'setRoles', org: a.id, roles: ['admin', 'member'] }, 'VALIDATOR_ROLE_IN_USE');
  await refused(chain, a, 'propose', { kind: 'remove', org: a.id }, 'ADMIN_SET_EMPTY');
  await refused(chain, a, 'propose', { kind: 'removeValidator', key: Buffer.from(a.nodeKey.publicKey).toString('hex') }, 'VALIDATOR_SET_EMPTY');
  await refused(chain, a, 'propose', { kind: 'removeValidator', key: 'ab'.repeat(32) }, 'VALIDATOR_UNKNOWN');
  await refused(chain, a, 'propose', { kind: 'suspend', org: m.id, expiresAt: chain.time + 1000 }, 'PROPOSAL_EXPIRY_INVALID');
  await refused(chain, a, 'propose', { kind: 'suspend', org: m.id, expiresAt: chain.time + 1000 + 30 * DAY + 1 }, 'PROPOSAL_EXPIRY_INVALID');
  await refused(chain, a, 'propose', { kind: 'dissolve', org: m.id }, 'PAYLOAD_INVALID');
  await refused(chain, a, 'propose', { kind: 'suspend', org: m.id, extra: 1 }, 'PAYLOAD_INVALID');

  // A second admin, who is the only validator: suspending it would empty the set.
  const b = party('beta');
  const two = new MemoryChain([{ party: b }, { party: a }]);
  await refused(two, a, 'propose', { kind: 'suspend', org: b.id }, 'VALIDATOR_SET_EMPTY');
});

test('at most PROPOSALS_OPEN_MAX proposals are open; expired ones make room', async () => {
  const a = party('alpha');
  const m = party('member');
  const chain = new MemoryChain([{ party: a }, { party: m, roles: ['member'] }]);
  const expiresAt = chain.time + 1000 + 60_000;
  const txs = Array.from({ length: PROPOSALS_OPEN_MAX }, () => chain.tx(a.key, 'membership', 'propose', { kind: 'suspend', org: m.id, expiresAt }));
  const { receipts } = await chain.block(txs);
  assert.ok(receipts.every((r) => r.ok));
  assert.equal((await listProposals(chain)).length, PROPOSALS_OPEN_MAX);
  await refused(chain, a, 'propose', { kind: 'suspend', org: m.id }, 'PROPOSALS_FULL');
  const later = await ok(chain, a, 'propose', { kind: 'suspend', org: m.id }, 120_000);
  assert.deepEqual((await listProposals(chain)).map((p) => p.id), [later.txId]);
  assert.equal((await readProposal(chain, txs[0]?.idHex ?? ''))?.status, 'expired');
  await refused(chain, a, 'vote', { proposal: txs[0]?.idHex, choice: 'yes' }, 'PROPOSAL_EXPIRED');
});

test('an admission granting admin or validator is decided by the changes policy, all admins voting, not by the inviter alone', async () => {
  for (const roles of [['admin', 'member'], ['validator', 'member']]) {
    const { a, b, chain } = threeAdmins();
    const joiner = party(`joiner-${roles[0]}`);
    const proposal = await requestJoin(chain, a, joiner, roles);
    const open = await readProposal(chain, proposal);
    assert.deepEqual([open?.tally.needed, open?.tally.voters.length], [2, 3], 'majority of the three admins');
    await ok(chain, a, 'vote', { proposal, choice: 'yes' });
    assert.equal(await readOrg(chain, joiner.id), undefined, `the inviter alone does not admit ${roles[0]}`);
    await ok(chain, b, 'vote', { proposal, choice: 'yes' });
    assert.deepEqual((await readOrg(chain, joiner.id))?.roles, roles);
  }
  // A member-only admission stays the inviter's to decide.
  const { a, b, chain } = threeAdmins();
  const proposal = await requestJoin(chain, a, party('plain'), ['member', 'auditor']);
  await refused(chain, b, 'vote', { proposal, choice: 'yes' }, 'VOTE_NOT_ELIGIBLE');
});

test('membership.settle decides a proposal whose threshold the votes cast reach after the admin set shrank; a vote does too', async () => {
  const [a, b, c, d] = ['alpha', 'beta', 'gamma', 'delta'].map(party) as [Party, Party, Party, Party];
  const m = party('member');
  const chain = new MemoryChain([{ party: a }, { party: b }, { party: c }, { party: d, roles: ['admin', 'member'] }, { party: m, roles: ['member'] }]);
  // Two proposals, each with two yes of the three a majority of four admins needs.
  const first = await ok(chain, a, 'propose', { kind: 'setRoles', org: m.id, roles: ['member', 'auditor'] });
  for (const voter of [a, b]) await ok(chain, voter, 'vote', { proposal: first.txId, choice: 'yes' });
  const third = await ok(chain, a, 'propose', { kind: 'setPolicy', policy: { admission: 'majority', changes: 'majority' } });
  for (const voter of [a, b]) await ok(chain, voter, 'vote', { proposal: third.txId, choice: 'yes' });
  assert.equal((await readProposal(chain, first.txId))?.tally.needed, 3);
  await refused(chain, m, 'settle', { proposal: first.txId }, 'PROPOSAL_UNDECIDED');

  // D stops being an admin: three admins, two yes are a majority — but nobody votes again.
  const demote = await ok(chain, a, 'propose', { kind: 'setRoles', org: d.id, roles: ['member'] });
  for (const voter of [a, b, c]) await ok(chain, voter, 'vote', { proposal: demote.txId, choice: 'yes' });
  const overdue = await readProposal(chain, first.txId);
  assert.deepEqual([overdue?.status, overdue?.tally.yes, overdue?.tally.needed], ['open', 2, 2]);

  // Any active organisation, admin or not, settles it: the effect applies in that block.
  const settled = await ok(chain, m, 'settle', { proposal: first.txId });
  assert.deepEqual(settled.subjects, [m.id, `proposal/${first.txId}`]);
  const closed = await readProposal(chain, first.txId);
  assert.deepEqual([closed?.status, closed?.closedAt, closed?.tally.yes, closed?.tally.needed], ['passed', settled.height, 2, 2]);
  assert.deepEqual((await readOrg(chain, m.id))?.roles, ['member', 'auditor']);
  await refused(chain, m, 'settle', { proposal: first.txId }, 'PROPOSAL_CLOSED');
  await refused(chain, m, 'settle', { proposal: 'ab'.repeat(32) }, 'PROPOSAL_UNKNOWN');

  // A vote counts again too: C's no on the other overdue proposal passes it, the yes votes being enough.
  const voted = await ok(chain, c, 'vote', { proposal: third.txId, choice: 'no' });
  assert.deepEqual([(await readProposal(chain, third.txId))?.status, (await readProposal(chain, third.txId))?.closedAt], ['passed', voted.height]);
  assert.deepEqual(await readPolicy(chain), { admission: 'majority', changes: 'majority' });
});

test('membership.settle rejects a proposal the no votes already decide, and refuses an expired one', async () => {
  const [a, b, c, d] = ['alpha', 'beta', 'gamma', 'delta'].map(party) as [Party, Party, Party, Party];
  const chain = new MemoryChain([{ party: a }, { party: b }, { party: c }, { party: d, roles: ['admin', 'member'] }]);
  // Changes need three yes: of four admins, one no leaves the proposal open.
  const policy = await ok(chain, a, 'propose', { kind: 'setPolicy', policy: { admission: 'majority', changes: { yes: 3 } } });
  for (const voter of [a, b, c]) await ok(chain, voter, 'vote', { proposal: policy.txId, choice: 'yes' });
  const proposal = await ok(chain, a, 'propose', { kind: 'setRoles', org: d.id, roles: ['admin', 'member', 'auditor'], expiresAt: chain.time + 1000 + 60_000 });
  await ok(chain, b, 'vote', { proposal: proposal.txId, choice: 'no' });
  await refused(chain, a, 'settle', { proposal: proposal.txId }, 'PROPOSAL_UNDECIDED');
  // C stops being an admin: three voters, three yes needed, one no — it can no longer pass.
  const demote = await ok(chain, a, 'propose', { kind: 'setRoles', org: c.id, roles: ['validator', 'member'] });
  for (const voter of [a, b, c]) await ok(chain, voter, 'vote', { proposal: demote.txId, choice: 'yes' });
  await ok(chain, c, 'settle', { proposal: proposal.txId });
  assert.equal((await readProposal(chain, proposal.txId))?.status, 'rejected');
  assert.deepEqual((await readOrg(chain, d.id))?.roles, ['admin', 'member']);

  const late = await ok(chain, a, 'propose', { kind: 'setRoles', org: d.id, roles: ['member'], expiresAt: chain.time + 1000 + 60_000 });
  await refused(chain, a, 'settle', { proposal: late.txId }, 'PROPOSAL_EXPIRED', 120_000);
});

test('ORGS_FULL counts the organisations that are not removed: removing one frees its slot', async () => {
  const a = party('alpha');
  const m = party('member');
  const chain = new MemoryChain([{ party: a }, { party: m, roles: ['member'] }]);
  // Fill the consortium up to ORGS_MAX with member organisations written straight into state.
  const overlay = new StateOverlay(chain);
  const ids = await readOrgIds(chain);
  for (let i = ids.length; i < ORGS_MAX; i++) {
    const id = i.toString(16).padStart(40, '0');
    const key = new Uint8Array(32).fill(i % 251 + 1);
    writeOrg(overlay, { id, name: `org ${i}`, registryId: '', contact: '', roles: ['member'], signingKey: key, encryptionKey: key, nodes: [`node-${i}`], status: 'active', joinedAt: 0 });
    ids.push(id);
  }
  writeOrgIds(overlay, ids);
  for (const [key, value] of overlay.writes) if (value !== null) chain.state.set(key, value);

  const proposal = await requestJoin(chain, a, party('joiner'));
  await refused(chain, a, 'vote', { proposal, choice: 'yes' }, 'ORGS_FULL');
  const remove = await ok(chain, a, 'propose', { kind: 'remove', org: m.id });
  await ok(chain, a, 'vote', { proposal: remove.txId, choice: 'yes' });
  await ok(chain, a, 'vote', { proposal, choice: 'yes' });
  assert.equal((await readOrg(chain, party('joiner').id))?.status, 'active');
  const listed = await readOrgIds(chain);
  assert.deepEqual([listed.length, listed.indexOf(m.id), listed.at(-1)], [ORGS_MAX + 1, 1, party('joiner').id], 'the removed one stays listed, in its place');
});

test('listing open proposals reads the policy and the organisations once, not once per proposal', async () => {
  const { a, b, chain } = threeAdmins();
  const txs = Array.from({ length: 20 }, () => chain.tx(a.key, 'membership', 'propose', { kind: 'suspend', org: b.id }));
  assert.ok((await chain.block(txs)).receipts.every((r) => r.ok));
  const reads = new Map<string, number>();
  const counting = { get: (key: string) => (reads.set(key, (reads.get(key) ?? 0) + 1), chain.get(key)) };
  const listed = await listProposals(counting);
  assert.equal(listed.length, 20);
  assert.ok(listed.every((p) => p.tally.needed === 2 && p.tally.voters.length === 3));
  assert.deepEqual([reads.get('policy'), reads.get('orgs'), reads.get(`org/${b.id}`)], [1, 1, 1]);
});
