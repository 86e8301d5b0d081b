import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { JsonValue } from '../src/api/json.ts';
import type { Results } from '../src/api/methods.ts';
import { decodeInviteCode, inviteSignatureValid } from '../src/codec/invite-code.ts';
import type { Genesis } from '../src/codec/messages.ts';
import { orgIdOf } from '../src/contracts/membership-state.ts';
import { signingKeyFromSeed, verifySignature, type SigningKey } from '../src/crypto/ed25519.ts';
import { inviteKeyFromSecret } from '../src/crypto/invite-key.ts';
import { x25519PublicKey } from '../src/crypto/x25519.ts';
import { NodeHost } from '../src/host/node-host.ts';
import { signTransaction } from '../src/ledger/transaction.ts';
import { systemClock, type Clock } from '../src/node/clock.ts';
import { createNodeKey, dataPaths, DEFAULT_CONFIG, writeConfig } from '../src/node/data-dir.ts';
import { generateOrgSecrets, writeKeyStore } from '../src/node/keystore.ts';
import { writeGenesis } from '../src/node/node.ts';
import { startRpcServer, type RpcServer } from '../src/rpc/server.ts';
import { LOOPBACK_P2P, TEST_KDF, TEST_PASSPHRASE, tempDir } from './support/temp-node.ts';

/**
 * Governance over the RPC API on a consortium of two admin organisations: the node under test runs
 * for the first (the only validator); the second signs its own transactions, which reach the ledger
 * through tx.submitSigned, so votes can be counted, duplicated and decided. The second's node
 * starts in the middle, on loopback, to show up in members.list.
 */

interface RpcErrorReply {
  code: number;
  message: string;
  data: { code: string; field?: string };
}
interface RpcReply {
  result?: unknown;
  error?: RpcErrorReply;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const HOUR_MS = 3_600_000;

function resultOf<T>(reply: RpcReply): T {
  assert.equal(reply.error, undefined, `unexpected error ${JSON.stringify(reply.error)}`);
  return reply.result as T;
}

function assertError(reply: RpcReply, dataCode: string, field?: string): RpcErrorReply {
  assert.equal(reply.result, undefined, `expected ${dataCode}, got the result ${JSON.stringify(reply.result)}`);
  const error = reply.error;
  assert.ok(error !== undefined, `expected error ${dataCode}`);
  assert.equal(error.data.code, dataCode, error.message);
  assert.equal(error.code, dataCode === 'INVALID_PARAMS' ? -32602 : -32000, `${dataCode} has number ${error.code}`);
  assert.ok(error.message.length > 0);
  if (field !== undefined) assert.equal(error.data.field, field, error.message);
  return error;
}

interface Consortium {
  founderId: string;
  partner: { id: string; key: SigningKey };
  peerId: string;
  validatorKey: string;
  /** The partner's node (listed in genesis, offline until this starts it), dialling the founder's node over loopback. */
  partnerNode: {
    peerId: string;
    start(): Promise<void>;
    /** The partner node's API, once started. */
    rpc(method: string, params?: unknown): Promise<RpcReply>;
    /** Moves the partner node's clock, not the founder's (which makes every block). */
    advanceClock(ms: number): void;
  };
  /** Moves the node's clock (and so the time of the blocks it makes) forward. */
  advanceClock(ms: number): void;
  rpc(method: string, params?: unknown): Promise<RpcReply>;
  close(): Promise<void>;
}

/** Writes a consortium of two admin organisations whose first runs the only node, and starts that node with its API. */
async function startTwoAdminConsortium(): Promise<Consortium> {
  const { dir, remove } = await tempDir('ingot-governance-');
  const dataDir = join(dir, 'founder');
  const paths = dataPaths(dataDir);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const founderSecrets = generateOrgSecrets();
  await writeKeyStore(paths.keyStore, founderSecrets, TEST_PASSPHRASE, TEST_KDF);
  const nodeKey = await createNodeKey(paths);
  const founderKey = signingKeyFromSeed(founderSecrets.signingSeeds[0] as Uint8Array);
  const partnerSecrets = generateOrgSecrets();
  const partnerKey = signingKeyFromSeed(partnerSecrets.signingSeeds[0] as Uint8Array);
  const partnerPaths = dataPaths(join(dir, 'partner'));
  await mkdir(partnerPaths.dir, { recursive: true, mode: 0o700 });
  await writeKeyStore(partnerPaths.keyStore, partnerSecrets, TEST_PASSPHRASE, TEST_KDF);
  const partnerNodeKey = await createNodeKey(partnerPaths);
  const genesis: Genesis = {
    v: 1,
    name: 'Governance test consortium',
    time: Date.now(),
    orgs: [
      { name: 'Founder Works', registryId: 'REG-F', roles: ['admin', 'validator', 'member'], signingKey: founderKey.publicKey, encryptionKey: x25519PublicKey(founderSecrets.encryptionKey), nodes: [nodeKey.peerId] },
      { name: 'Partner Foundry', registryId: 'REG-P', roles: ['admin', 'member'], signingKey: partnerKey.publicKey, encryptionKey: x25519PublicKey(partnerSecrets.encryptionKey), nodes: [partnerNodeKey.peerId] },
    ],
    validators: [{ key: nodeKey.signing.publicKey, org: 0, power: 1 }],
  };
  await writeGenesis(paths.ledger, genesis);
  await writeGenesis(partnerPaths.ledger, genesis);
  await writeConfig(paths, { ...DEFAULT_CONFIG, api: { host: '127.0.0.1', port: 0 }, blockIntervalMs: 20, p2p: LOOPBACK_P2P });
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset, setTimeout: systemClock.setTimeout };
  const host = await NodeHost.start({ dataDir, clock }, TEST_PASSPHRASE);
  const server = await startRpcServer(host, { port: 0, apiFile: paths.api });
  let partnerHost: NodeHost | undefined;
  let partnerServer: RpcServer | undefined;
  let partnerOffset = 0;
  const call = async (server: RpcServer | undefined, method: string, params: unknown): Promise<RpcReply> => {
    assert.ok(server !== undefined, 'the node is not started');
    const response = await fetch(`http://127.0.0.1:${server.port}/rpc`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
      signal: AbortSignal.timeout(70_000),
    });
    return (await response.json()) as RpcReply;
  };
  let id = 0;
  return {
    founderId: orgIdOf(founderKey.publicKey),
    partner: { id: orgIdOf(partnerKey.publicKey), key: partnerKey },
    peerId: nodeKey.peerId,
    validatorKey: hex(nodeKey.signing.publicKey),
    partnerNode: {
      peerId: partnerNodeKey.peerId,
      async start() {
        const peers = host.node.addresses().filter((address) => address.startsWith('/ip4/127.0.0.1/'));
        await writeConfig(partnerPaths, { ...DEFAULT_CONFIG, api: { host: '127.0.0.1', port: 0 }, blockIntervalMs: 20, p2p: { ...LOOPBACK_P2P, peers } });
        const partnerClock: Clock = { now: () => Date.now() + partnerOffset, setTimeout: systemClock.setTimeout };
        partnerHost = await NodeHost.start({ dataDir: partnerPaths.dir, clock: partnerClock }, TEST_PASSPHRASE);
        partnerServer = await startRpcServer(partnerHost, { port: 0, apiFile: partnerPaths.api });
      },
      rpc: (method, params = {}) => call(partnerServer, method, params),
      advanceClock(ms) {
        partnerOffset += ms;
      },
    },
    advanceClock(ms) {
      offset += ms;
    },
    rpc: (method, params = {}) => call(server, method, params),
    async close() {
      await partnerServer?.close();
      await partnerHost?.close();
      await server.close();
      await host.close();
      await remove();
    },
  };
}

describe('governance over RPC', { timeout: 120_000 }, () => {
  let c: Consortium;
  before(async () => {
    c = await startTwoAdminConsortium();
  });
  after(async () => {
    await c?.close();
  });

  /** A membership call signed by the partner organisation, submitted through the API and awaited. */
  async function asPartner(method: string, payload: Record<string, JsonValue>): Promise<Results['tx.submitSigned']> {
    const status = resultOf<Results['node.status']>(await c.rpc('node.status'));
    const tx = signTransaction(
      {
        v: 1,
        chain: Buffer.from(status.consortiumId, 'hex'),
        contract: 'membership',
        method,
        payload,
        signer: c.partner.key.publicKey,
        nonce: new Uint8Array(randomBytes(16)),
        expires: status.height + 50,
      },
      c.partner.key,
    );
    return resultOf<Results['tx.submitSigned']>(await c.rpc('tx.submitSigned', { tx: hex(tx.bytes), waitForCommit: true }));
  }

  const invalid: [string, unknown, string][] = [
    ['members.list', { all: true }, 'all'],
    ['invites.create', { organisation: 'Acme', roles: [] }, 'roles'],
    ['invites.create', { organisation: 'Acme', roles: ['king'] }, 'roles.0'],
    ['invites.create', { organisation: 'Acme', roles: ['member', 'member'] }, 'roles'],
    ['invites.create', { organisation: 'Acme', roles: ['admin', 'validator', 'member', 'auditor', 'member'] }, 'roles'],
    ['invites.create', { organisation: '   ', roles: ['member'] }, 'organisation'],
    ['invites.create', { roles: ['member'] }, 'organisation'],
    ['invites.create', { organisation: 'Acme', roles: ['member'], expiresInHours: 0 }, 'expiresInHours'],
    ['invites.create', { organisation: 'Acme', roles: ['member'], expiresInHours: 721 }, 'expiresInHours'],
    ['invites.create', { organisation: 'Acme', roles: ['member'], expiresInHours: 1.5 }, 'expiresInHours'],
    ['invites.list', { open: true }, 'open'],
    ['invites.revoke', { inviteKey: 'ABC' }, 'inviteKey'],
    ['invites.revoke', {}, 'inviteKey'],
    ['proposals.list', { includeClosed: 'yes' }, 'includeClosed'],
    ['proposals.create', { kind: 'admit', org: '00'.repeat(20) }, 'kind'],
    ['proposals.create', { kind: 'setRoles', org: 'acme', roles: ['member'] }, 'org'],
    ['proposals.create', { kind: 'setRoles', org: '00'.repeat(20), roles: [] }, 'roles'],
    ['proposals.create', { kind: 'addValidator', org: '00'.repeat(20), key: '00'.repeat(31) }, 'key'],
    ['proposals.create', { kind: 'setPolicy', policy: { admission: 'everyone', changes: 'majority' } }, 'policy.admission'],
    ['proposals.create', { kind: 'suspend', org: '00'.repeat(20), extra: 1 }, 'extra'],
    ['proposals.create', { kind: 'suspend', org: '00'.repeat(20), expiresInHours: 0 }, 'expiresInHours'],
    ['proposals.create', { kind: 'reinstate', org: '00'.repeat(20), expiresInHours: 721 }, 'expiresInHours'],
    ['proposals.vote', { id: '00'.repeat(32), choice: 'maybe' }, 'choice'],
    ['proposals.vote', { id: 'xyz', choice: 'yes' }, 'id'],
  ];
  for (const [method, params, field] of invalid) {
    test(`${method} ${JSON.stringify(params)} is INVALID_PARAMS naming ${field}`, async () => {
      assertError(await c.rpc(method, params), 'INVALID_PARAMS', field);
    });
  }

  test('members.list shows both organisations with roles and status, the founder as self with its node online and validating', async () => {
    const { orgs } = resultOf<Results['members.list']>(await c.rpc('members.list'));
    assert.deepEqual(orgs.map((org) => org.id), [c.founderId, c.partner.id]);
    const [founder, partner] = orgs;
    assert.ok(founder !== undefined && partner !== undefined);
    assert.equal(founder.name, 'Founder Works');
    assert.equal(founder.registryId, 'REG-F');
    assert.deepEqual(founder.roles, ['admin', 'validator', 'member']);
    assert.equal(founder.status, 'active');
    assert.equal(founder.self, true);
    assert.match(founder.signingKey, /^[0-9a-f]{64}$/);
    assert.deepEqual(founder.nodes, [{ peerId: c.peerId, online: true, connection: null, validator: { power: 1 } }]);
    assert.equal(partner.self, false);
    assert.deepEqual(partner.roles, ['admin', 'member']);
    assert.deepEqual(partner.nodes, [{ peerId: c.partnerNode.peerId, online: false, connection: null, validator: null }], 'the partner\'s node is not running yet');
    assert.equal(partner.signingKey, hex(c.partner.key.publicKey));
  });

  test('members.list shows a member\'s node online and directly connected once it dials in', async () => {
    await c.partnerNode.start();
    let nodes: Results['members.list']['orgs'][number]['nodes'] = [];
    await waitFor(async () => {
      nodes = resultOf<Results['members.list']>(await c.rpc('members.list')).orgs.find((org) => org.id === c.partner.id)?.nodes ?? [];
      return nodes[0]?.online === true;
    }, 'the partner node to connect', 15_000);
    assert.deepEqual(nodes, [{ peerId: c.partnerNode.peerId, online: true, connection: 'direct', validator: null }]);
  });

  test('a node whose clock runs ahead of block time makes an invite and a proposal at the 30-day maximum: held to block time + 30 days', async () => {
    c.partnerNode.advanceClock(3 * HOUR_MS);
    try {
      const headTime = resultOf<Results['blocks.list']>(await c.rpc('blocks.list', { limit: 1 })).blocks[0]?.header.time ?? 0;
      const invite = resultOf<Results['invites.create']>(await c.partnerNode.rpc('invites.create', { organisation: 'Far Ahead Ltd', roles: ['member'], expiresInHours: 720 }));
      assert.ok(invite.expiresAt >= headTime + 720 * HOUR_MS - 60_000 && invite.expiresAt <= Date.now() + 720 * HOUR_MS, `expiresAt ${invite.expiresAt}`);
      const proposal = resultOf<Results['proposals.create']>(await c.partnerNode.rpc('proposals.create', { kind: 'setRoles', org: c.partner.id, roles: ['admin', 'member'], expiresInHours: 720 }));
      const listed = resultOf<Results['proposals.list']>(await c.rpc('proposals.list')).proposals.find((p) => p.id === proposal.id);
      assert.ok(listed !== undefined && listed.expiresAt <= Date.now() + 720 * HOUR_MS, `expiresAt ${listed?.expiresAt}`);
      // Out of the way of the tests after this one.
      resultOf(await c.partnerNode.rpc('invites.revoke', { inviteKey: invite.inviteKey }));
      assert.equal(resultOf<Results['proposals.vote']>(await c.rpc('proposals.vote', { id: proposal.id, choice: 'no' })).status, 'rejected');
    } finally {
      c.partnerNode.advanceClock(-3 * HOUR_MS);
    }
  });

  test('an invite is committed, carries a code signed by the founder, is listed open, and can be revoked once', async () => {
    const before = Date.now();
    const created = resultOf<Results['invites.create']>(await c.rpc('invites.create', { organisation: 'Gamma Castings', roles: ['member', 'auditor'], expiresInHours: 48 }));
    assert.ok(created.height > 0);
    assert.ok(created.expiresAt >= before + 48 * HOUR_MS && created.expiresAt <= Date.now() + 48 * HOUR_MS, `expiresAt ${created.expiresAt}`);

    // The code: signed by the founder's key, naming this consortium, the invite's roles and this node as bootstrap peer.
    const invite = decodeInviteCode(created.code);
    assert.equal(inviteSignatureValid(invite, verifySignature), true);
    const status = resultOf<Results['node.status']>(await c.rpc('node.status'));
    assert.equal(hex(invite.chain), status.consortiumId);
    assert.equal(invite.consortium, 'Governance test consortium');
    assert.equal(invite.org, 'Gamma Castings');
    assert.deepEqual(invite.roles, ['member', 'auditor']);
    assert.equal(invite.expires, created.expiresAt);
    assert.equal(invite.inviter, c.founderId);
    assert.ok(invite.peers.length > 0 && invite.peers.every((peer) => peer.endsWith(`/p2p/${c.peerId}`)), invite.peers.join(' '));
    assert.equal(hex(inviteKeyFromSecret(invite.secret).publicKey), created.inviteKey);

    // On the ledger: the createInvite transaction holds the public invite key, never the secret.
    const stored = resultOf<Results['tx.get']>(await c.rpc('tx.get', { hash: created.hash }));
    assert.equal(stored.height, created.height);
    assert.equal(`${stored.tx.contract}.${stored.tx.method}`, 'membership.createInvite');
    assert.equal(stored.receipt.ok, true);
    assert.equal((stored.tx.payload as Record<string, JsonValue>).inviteKey, created.inviteKey);
    assert.ok(!stored.tx.raw.includes(hex(invite.secret)), 'the secret stays off the ledger');

    const listed = resultOf<Results['invites.list']>(await c.rpc('invites.list')).invites.find((i) => i.inviteKey === created.inviteKey);
    assert.deepEqual(listed && { ...listed, createdAt: 0 }, {
      inviteKey: created.inviteKey, organisation: 'Gamma Castings', roles: ['member', 'auditor'], expiresAt: created.expiresAt,
      inviter: c.founderId, status: 'open', createdAt: 0, usedBy: null,
    });

    const revoked = resultOf<Results['invites.revoke']>(await c.rpc('invites.revoke', { inviteKey: created.inviteKey }));
    assert.ok(revoked.height > created.height);
    const after = resultOf<Results['invites.list']>(await c.rpc('invites.list')).invites.find((i) => i.inviteKey === created.inviteKey);
    assert.equal(after?.status, 'revoked');
    // A second revocation, and one of an invite that never existed, are refused with the contract's codes.
    assertError(await c.rpc('invites.revoke', { inviteKey: created.inviteKey }), 'INVITE_REVOKED');
    assertError(await c.rpc('invites.revoke', { inviteKey: 'ab'.repeat(32) }), 'INVITE_UNKNOWN');
  });

  test('a proposal\'s tally follows the votes; a second vote is VOTE_DUPLICATE; the second yes passes it', async () => {
    const created = resultOf<Results['proposals.create']>(await c.rpc('proposals.create', { kind: 'setRoles', org: c.partner.id, roles: ['admin', 'member', 'auditor'] }));
    assert.equal(created.id, created.hash);
    const find = async (includeClosed: boolean) =>
      resultOf<Results['proposals.list']>(await c.rpc('proposals.list', { includeClosed })).proposals.find((p) => p.id === created.id);

    const opened = await find(false);
    assert.ok(opened !== undefined, 'the new proposal is listed as open');
    assert.equal(opened.kind, 'setRoles');
    assert.equal(opened.subject, c.partner.id);
    assert.equal(opened.proposer, c.founderId);
    assert.equal(opened.status, 'open');
    assert.deepEqual(opened.details, { org: c.partner.id, roles: ['admin', 'member', 'auditor'] });
    assert.ok(opened.expiresAt > opened.createdAt);
    assert.equal(opened.tally.voters, 2);
    assert.equal(opened.tally.needed, 2, 'a majority of two admins is both');
    assert.equal(opened.tally.no, 0);
    const yesBefore = opened.tally.yes;

    if (opened.ownVote === null) {
      const voted = resultOf<Results['proposals.vote']>(await c.rpc('proposals.vote', { id: created.id, choice: 'yes' }));
      assert.equal(voted.status, 'open');
      const counted = await find(false);
      assert.equal(counted?.tally.yes, yesBefore + 1);
      assert.equal(counted?.ownVote, 'yes');
      assert.deepEqual(counted?.tally.votes, [{ org: c.founderId, choice: 'yes' }]);
    }
    assertError(await c.rpc('proposals.vote', { id: created.id, choice: 'no' }), 'VOTE_DUPLICATE');
    assert.equal((await find(false))?.tally.no, 0, 'the refused vote is not counted');

    const partnerVote = await asPartner('vote', { proposal: created.id, choice: 'yes' });
    assert.equal(partnerVote.receipt?.ok, true, JSON.stringify(partnerVote.receipt));
    assert.equal(await find(false), undefined, 'a passed proposal is not listed by default');
    const closed = await find(true);
    assert.equal(closed?.status, 'passed');
    assert.equal(closed?.tally.yes, 2);
    assert.deepEqual(new Set(closed?.tally.votes.map((v) => `${v.org}:${v.choice}`)), new Set([`${c.founderId}:yes`, `${c.partner.id}:yes`]));
    const partner = resultOf<Results['org.get']>(await c.rpc('org.get', { id: c.partner.id }));
    assert.deepEqual(partner.roles, ['admin', 'member', 'auditor']);
    // Voting on a decided proposal is refused too.
    assertError(await c.rpc('proposals.vote', { id: created.id, choice: 'yes' }), 'PROPOSAL_CLOSED');
  });

  test('a no vote that makes passing impossible rejects the proposal', async () => {
    const created = resultOf<Results['proposals.create']>(await c.rpc('proposals.create', { kind: 'setPolicy', policy: { admission: 'majority', changes: { yes: 2 } } }));
    const voted = resultOf<Results['proposals.vote']>(await c.rpc('proposals.vote', { id: created.id, choice: 'no' }));
    assert.equal(voted.status, 'rejected');
    const listed = resultOf<Results['proposals.list']>(await c.rpc('proposals.list', { includeClosed: true })).proposals.find((p) => p.id === created.id);
    assert.equal(listed?.status, 'rejected');
    assert.equal(listed?.ownVote, 'no');
    assert.equal(listed?.kind, 'setPolicy');
    assert.deepEqual(listed?.details, { policy: { admission: 'majority', changes: { yes: 2 } } });
  });

  test('governance refusals are coded: unknown proposal, unknown validator, unknown organisation', async () => {
    assertError(await c.rpc('proposals.vote', { id: '11'.repeat(32), choice: 'yes' }), 'PROPOSAL_UNKNOWN');
    assertError(await c.rpc('proposals.create', { kind: 'removeValidator', key: '22'.repeat(32) }), 'VALIDATOR_UNKNOWN');
    assertError(await c.rpc('proposals.create', { kind: 'suspend', org: '33'.repeat(20) }), 'ORG_UNKNOWN');
  });

  test('invites.list and proposals.list --all come in pages of at most `limit`, continued with `after`', async () => {
    for (let i = 0; i < 3; i++) resultOf(await c.rpc('invites.create', { organisation: `Paged ${i}`, roles: ['member'], expiresInHours: 1 }));
    const everyInvite = resultOf<Results['invites.list']>(await c.rpc('invites.list', { limit: 500 }));
    assert.ok(everyInvite.invites.length >= 4 && everyInvite.next === null);
    const paged: string[] = [];
    let after: string | null | undefined;
    for (let pages = 0; after !== null; pages++) {
      assert.ok(pages <= everyInvite.invites.length, 'paging ends');
      const page = resultOf<Results['invites.list']>(await c.rpc('invites.list', { limit: 2, ...(after === undefined ? {} : { after }) }));
      assert.ok(page.invites.length <= 2);
      paged.push(...page.invites.map((invite) => invite.inviteKey));
      after = page.next;
    }
    assert.deepEqual(paged.sort(), everyInvite.invites.map((invite) => invite.inviteKey).sort());

    const everyProposal = resultOf<Results['proposals.list']>(await c.rpc('proposals.list', { includeClosed: true, limit: 500 }));
    assert.ok(everyProposal.proposals.length >= 3);
    const first = resultOf<Results['proposals.list']>(await c.rpc('proposals.list', { includeClosed: true, limit: 1 }));
    assert.equal(first.proposals.length, 1);
    assert.equal(first.next, first.proposals[0]?.id);
    const rest = resultOf<Results['proposals.list']>(await c.rpc('proposals.list', { includeClosed: true, limit: 500, after: first.next }));
    assert.deepEqual([...first.proposals, ...rest.proposals].map((p) => p.id).sort(), everyProposal.proposals.map((p) => p.id).sort());
    assertError(await c.rpc('invites.list', { limit: 501 }), 'INVALID_PARAMS', 'limit');
    assertError(await c.rpc('proposals.list', { limit: 0 }), 'INVALID_PARAMS', 'limit');
  });

  test('a policy may ask for up to 1024 yes votes, as the contract allows', async () => {
    const created = resultOf<Results['proposals.create']>(await c.rpc('proposals.create', { kind: 'setPolicy', policy: { admission: 'majority', changes: { yes: 1024 } } }));
    assert.equal(resultOf<Results['proposals.vote']>(await c.rpc('proposals.vote', { id: created.id, choice: 'no' })).status, 'rejected');
  });

  // Last: it moves the node's clock two hours on.
  test('an invite and a proposal past their expiry show as expired by the latest block\'s time, and a late vote is PROPOSAL_EXPIRED', async () => {
    const invite = resultOf<Results['invites.create']>(await c.rpc('invites.create', { organisation: 'Short Notice Ltd', roles: ['member'], expiresInHours: 1 }));
    const proposal = resultOf<Results['proposals.create']>(await c.rpc('proposals.create', { kind: 'suspend', org: c.partner.id, expiresInHours: 1 }));
    const statusOf = async () => resultOf<Results['invites.list']>(await c.rpc('invites.list')).invites.find((i) => i.inviteKey === invite.inviteKey)?.status;
    assert.equal(await statusOf(), 'open');
    assert.ok(resultOf<Results['proposals.list']>(await c.rpc('proposals.list')).proposals.some((p) => p.id === proposal.id));

    c.advanceClock(2 * HOUR_MS);
    // Nothing changes until a block carries the new time.
    assert.equal(await statusOf(), 'open');
    const later = resultOf<Results['tx.submit']>(await c.rpc('tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: 'ops@founder.example' }, waitForCommit: true }));
    assert.equal(later.receipt?.ok, true);
    assert.equal(await statusOf(), 'expired');
    assert.ok(!resultOf<Results['proposals.list']>(await c.rpc('proposals.list')).proposals.some((p) => p.id === proposal.id), 'an expired proposal is not open');
    const closed = resultOf<Results['proposals.list']>(await c.rpc('proposals.list', { includeClosed: true })).proposals.find((p) => p.id === proposal.id);
    assert.equal(closed?.status, 'expired');
    assertError(await c.rpc('proposals.vote', { id: proposal.id, choice: 'yes' }), 'PROPOSAL_EXPIRED');
  });
});
