import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join as joinPath } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeSyncRequest } from '../src/codec/consensus-messages.ts';
import { IngotError } from '../src/codec/errors.ts';
import { decodeInviteCode, encodeInviteCode, signInvite } from '../src/codec/invite-code.ts';
import { joinProofMessage } from '../src/contracts/join-proof.ts';
import { peerIdOfKey } from '../src/contracts/peer-id.ts';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { toHex } from '../src/crypto/hex.ts';
import { inviteKeyFromSecret, inviteKeySeed } from '../src/crypto/invite-key.ts';
import { signTransaction } from '../src/ledger/transaction.ts';
import { systemClock, type Clock } from '../src/node/clock.ts';
import { dataPaths } from '../src/node/data-dir.ts';
import { createInvite } from '../src/node/governance.ts';
import { initConsortium } from '../src/node/init.ts';
import { JoinService } from '../src/node/join-service.ts';
import { joinConsortium, readJoinRecord, type JoinNetworkFactory } from '../src/node/joining.ts';
import { IngotNode, type NetworkFactory } from '../src/node/node.ts';
import { inlineVerifier } from '../src/node/signature-verifier.ts';
import { decodeJoinResponse, encodeJoinRequest, type JoinResponse } from '../src/p2p/join-protocol.ts';
import { MemoryHub, type MemoryNetwork } from '../src/p2p/memory-network.ts';
import type { PeerNetwork } from '../src/p2p/network.ts';
import { waitFor } from './support/peer-network-suite.ts';
import { LOOPBACK_P2P, TEST_KDF, TEST_PASSPHRASE, tempDir } from './support/temp-node.ts';

/**
 * Joining through the join protocol, on the in-memory network: a founder's node serves
 * /ingot/join/1.0.0 to the holder of an open invite; the joiner fetches genesis, sends its
 * requestJoin, runs as a non-member awaiting admission and becomes a member after the vote.
 */

const MEMBER_TIMEOUT_MS = 20_000;

function memoryFactories(hub: MemoryHub): { node: NetworkFactory; joiner: JoinNetworkFactory; joiners: MemoryNetwork[] } {
  const joiners: MemoryNetwork[] = [];
  return {
    joiners,
    node: async ({ nodeKey, members }) => {
      const network = hub.create(nodeKey.peerId);
      network.setMembers(members);
      return network;
    },
    joiner: async ({ seed, peers }) => {
      const { peerIdFromPrivateKey } = await import('@libp2p/peer-id');
      const { generateKeyPairFromSeed } = await import('@libp2p/crypto/keys');
      const network = hub.create(peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', seed)).toString());
      network.setMembers(peers.map((address) => address.split('/p2p/').at(-1) as string));
      joiners.push(network);
      return network;
    },
  };
}

const expectCode = (code: string) => (error: unknown) => {
  assert.ok(error instanceof IngotError, `expected an IngotError ${code}, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  return true;
};

describe('joining a consortium over the join protocol (in memory)', { timeout: 90_000 }, () => {
  let dir: string;
  let remove: () => Promise<void>;
  let founder: IngotNode;
  let hub: MemoryHub;
  let factories: ReturnType<typeof memoryFactories>;
  const running: IngotNode[] = [];

  const startNode = async (dataDir: string, clock: Clock = systemClock) => {
    const node = await IngotNode.start({ dataDir, passphrase: TEST_PASSPHRASE, network: factories.node, verifier: inlineVerifier, clock });
    running.push(node);
    return node;
  };
  const join = (name: string, invite: string, clock: Clock = systemClock) =>
    joinConsortium({
      dataDir: join_(name), orgName: name, registryId: `REG-${name}`, invite, passphrase: TEST_PASSPHRASE, clock, kdf: TEST_KDF,
      config: { api: { host: '127.0.0.1', port: 0 }, blockIntervalMs: 20, p2p: LOOPBACK_P2P }, network: factories.joiner, requestTimeoutMs: 2_000,
    });
  const join_ = (name: string): string => joinPath(dir, name);
  const newInvite = async (organisation: string) => (await createInvite(founder, { organisation, roles: ['member'], expiresInHours: 1 })).code;

  before(async () => {
    ({ dir, remove } = await tempDir('ingot-join-'));
    hub = new MemoryHub();
    factories = memoryFactories(hub);
    await initConsortium({
      dataDir: joinPath(dir, 'founder'), orgName: 'Founder Works', passphrase: TEST_PASSPHRASE, clock: systemClock, kdf: TEST_KDF,
      config: { api: { host: '127.0.0.1', port: 0 }, blockIntervalMs: 20, p2p: LOOPBACK_P2P },
    });
    founder = await startNode(joinPath(dir, 'founder'));
  });
  after(async () => {
    for (const node of running.reverse()) await node.close().catch(() => undefined);
    for (const network of factories.joiners) await network.stop();
    await remove();
  });

  test('the joiner fetches genesis and sends its request; its node awaits admission, then after the vote connects, syncs and is a member', { timeout: 60_000 }, async () => {
    const code = await newInvite('Harbour Logistics');
    const result = await join('harbour', code);
    assert.equal(result.consortiumId, toHex(founder.ledger.chainId));
    assert.equal(result.status, 'pending');
    assert.match(result.request, /^[0-9a-f]{64}$/);
    const record = await readJoinRecord(dataPaths(join_('harbour')));
    assert.equal(record?.request, result.request);
    assert.equal(record?.admittedAt, null);
    assert.deepEqual((await readdir(join_('harbour'))).sort(), ['config.json', 'join.json', 'keys.json', 'ledger', 'node-key.json']);

    // The request is relayed to the validator and committed: the invite is used and an admit proposal is open.
    await waitFor(() => founder.ledger.head.height >= 2, 'the request to commit', 10_000);
    const stored = await founder.transaction(Buffer.from(result.request, 'hex'));
    assert.equal(stored?.receipt.ok, true, JSON.stringify(stored?.receipt));

    // Before admission the node starts, as a non-member that cannot sign.
    const joiner = await startNode(join_('harbour'));
    assert.equal(joiner.joinProgress?.state, 'awaiting-admission');
    assert.equal(joiner.joinProgress?.organisation, 'harbour');
    await assert.rejects(joiner.submit('identity', 'updateProfile', { contact: 'x' }), expectCode('ORG_NOT_ADMITTED'));
    assert.deepEqual(joiner.peers, []);

    const started = Date.now();
    const vote = await founder.submit('membership', 'vote', { proposal: result.request, choice: 'yes' });
    assert.equal((await founder.waitForCommit(vote)).receipt.ok, true);
    await waitFor(() => joiner.joinProgress?.state === 'member', 'the joiner to be a member that caught up', MEMBER_TIMEOUT_MS);
    const joinToMemberMs = Date.now() - started;
    assert.equal(joiner.orgId, result.orgId);
    assert.equal(joiner.ledger.head.height >= founder.ledger.head.height - 1, true);
    assert.equal((await readJoinRecord(dataPaths(join_('harbour'))))?.admittedAt !== null, true);
    // A member now: it signs, and what it signs is committed everywhere.
    const tx = await joiner.submit('identity', 'updateProfile', { contact: 'ops@harbour.example' });
    assert.equal((await joiner.waitForCommit(tx)).receipt.ok, true);
    console.error(`join-to-member (in memory): ${joinToMemberMs} ms`);
  });

  test('refusals before anything is written: an expired, forged or altered code', async () => {
    const code = await newInvite('Late Co');
    const invite = decodeInviteCode(code);
    const later: Clock = { ...systemClock, now: () => invite.expires + 1 };
    await assert.rejects(join('late', code, later), expectCode('INVITE_EXPIRED'));
    const forger = signingKeyFromSeed(new Uint8Array(32).fill(5));
    const forged = encodeInviteCode(signInvite({ ...invite, roles: ['admin', 'member'] }, forger.sign));
    await assert.rejects(join('forged', forged), expectCode('INVITE_SIGNATURE_INVALID'));
    const altered = encodeInviteCode({ ...invite, roles: ['admin', 'member'] });
    await assert.rejects(join('altered', altered), expectCode('INVITE_SIGNATURE_INVALID'));
    await assert.rejects(join('garbage', 'ingot-invite:nonsense!'), expectCode('INVITE_MALFORMED'));
    for (const name of ['late', 'forged', 'altered', 'garbage']) await assert.rejects(readdir(join_(name)), { code: 'ENOENT' });
  });

  test('a used invite lets nobody in again, and a member passing it on hears INVITE_USED', async () => {
    const code = await newInvite('Twice Ltd');
    const first = await join('twice-1', code);
    await waitFor(() => founder.ledger.head.height > 0, 'a block');
    for (let i = 0; i < 200 && (await founder.transaction(Buffer.from(first.request, 'hex'))) === undefined; i++) await new Promise((r) => setTimeout(r, 25));
    await assert.rejects(join('twice-2', code), expectCode('JOIN_UNREACHABLE'));
    await assert.rejects(readdir(join_('twice-2')), { code: 'ENOENT' });
    // The same request passed on again by a member: the serving side checks the invite before the mempool.
    const record = await readJoinRecord(dataPaths(join_('twice-1')));
    const member = 'member-peer';
    const service = new JoinService({
      ledger: founder.ledger, clock: systemClock, admit: async () => assert.fail('must not be admitted'),
      network: { peers: () => [{ peerId: member, connection: 'direct' }] } as unknown as PeerNetwork,
    });
    const answer = decodeJoinResponse(await service.handle(member, encodeJoinRequest({ t: 'join', tx: Buffer.from(record!.tx, 'hex') })));
    assert.equal(answer.t === 'error' ? answer.code : answer.t, 'INVITE_USED');
    const status = decodeJoinResponse(await service.handle(member, encodeJoinRequest({ t: 'status', org: first.orgId, request: Buffer.from(first.request, 'hex') })));
    assert.equal(status.t === 'status' ? status.state : status.t, 'pending', 'committed, awaiting the vote');
  });

  test('the serving node refuses a request not signed by the key the proof binds, and a joiner\'s sync request', async () => {
    const code = await newInvite('Sly Inc');
    const invite = decodeInviteCode(code);
    const inviteKey = inviteKeyFromSecret(invite.secret);
    const joinerNetwork = await factories.joiner({ seed: inviteKeySeed(invite.secret), peers: invite.peers });
    assert.equal(joinerNetwork.peerId, peerIdOfKey(inviteKey.publicKey));
    const ask = async (request: Parameters<typeof encodeJoinRequest>[0]): Promise<JoinResponse> =>
      decodeJoinResponse(await joinerNetwork.joinRequest(founder.nodeKey.peerId, encodeJoinRequest(request), 2_000));

    const genesis = await ask({ t: 'genesis' });
    assert.equal(genesis.t, 'genesis');
    await assert.rejects(joinerNetwork.request(founder.nodeKey.peerId, encodeSyncRequest({ chain: founder.ledger.chainId, from: 1, count: 1 }), 2_000), expectCode('PEER_NOT_MEMBER'));

    const bound = signingKeyFromSeed(new Uint8Array(randomBytes(32)));
    const other = signingKeyFromSeed(new Uint8Array(randomBytes(32)));
    const fields = { name: 'Sly Inc', registryId: '', nodes: ['12D3KooWGzGvXHnsZ5hWbdS7kU1F3fFpRZcmR8yUhc3VtCmEwzNm'], encryptionKey: new Uint8Array(32).fill(4) };
    const proof = inviteKey.sign(joinProofMessage(founder.ledger.chainId, { inviteKey: inviteKey.publicKey, signingKey: bound.publicKey, ...fields }));
    const tx = signTransaction({
      v: 1, chain: founder.ledger.chainId, contract: 'membership', method: 'requestJoin',
      payload: { inviteKey: toHex(inviteKey.publicKey), encryptionKey: toHex(fields.encryptionKey), name: fields.name, registryId: '', nodes: fields.nodes, proof: toHex(proof) },
      signer: other.publicKey, nonce: new Uint8Array(16), expires: founder.ledger.head.height + 10,
    }, other);
    const refused = await ask({ t: 'join', tx: tx.bytes });
    assert.deepEqual(refused.t === 'error' ? refused.code : refused.t, 'JOIN_PROOF_INVALID');
    assert.equal(founder.mempoolSize.size, 0, 'nothing entered the mempool');
    const status = await ask({ t: 'status', org: 'ab'.repeat(20), request: tx.id });
    assert.deepEqual(status.t === 'status' ? status.state : status, 'pending');
    const notJoin = await ask({ t: 'join', tx: signTransaction({ ...tx.body, method: 'createInvite' }, other).bytes });
    assert.equal(notJoin.t === 'error' ? notJoin.code : notJoin.t, 'JOIN_TX_INVALID');
  });

  test('a run\'s p2p settings (ingot ui\'s --listen, --no-mdns) keep the bootstrap peers a joined directory dials', async () => {
    const code = await newInvite('Window Co');
    await join('window', code);
    const node = await IngotNode.start({
      dataDir: join_('window'), passphrase: TEST_PASSPHRASE, network: factories.node, verifier: inlineVerifier,
      config: { api: { host: '127.0.0.1', port: 0 }, p2p: { ...LOOPBACK_P2P, peers: [] } },
    });
    running.push(node);
    assert.deepEqual(node.config.p2p.peers, decodeInviteCode(code).peers);
    assert.equal(node.joinProgress?.state, 'awaiting-admission');
  });

  test('a code for another consortium is refused with INVITE_WRONG_CONSORTIUM, and nothing is written', async () => {
    const invite = decodeInviteCode(await newInvite('Elsewhere GmbH'));
    const key = await founder.orgSigningKey();
    const wrongChain = encodeInviteCode(signInvite({ ...invite, chain: new Uint8Array(32).fill(9) }, key.sign));
    await assert.rejects(join('elsewhere', wrongChain), expectCode('INVITE_WRONG_CONSORTIUM'));
    await assert.rejects(readdir(join_('elsewhere')), { code: 'ENOENT' });
  });
});
