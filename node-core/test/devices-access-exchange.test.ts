import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Results } from '../src/api/methods.ts';
import { signAccessToken, verifyAccessToken, type AccessPermission } from '../src/codec/access-token.ts';
import { encode } from '../src/codec/cbor.ts';
import { IngotError } from '../src/codec/errors.ts';
import type { Genesis } from '../src/codec/messages.ts';
import { readToken } from '../src/contracts/device-state.ts';
import { orgIdOf, readOrg } from '../src/contracts/membership-state.ts';
import { signingKeyFromSeed, verifySignature, type SigningKey } from '../src/crypto/ed25519.ts';
import { toHex } from '../src/crypto/hex.ts';
import { AccessExchange, type IssueParams } from '../src/node/access-exchange.ts';
import { dataPaths } from '../src/node/data-dir.ts';
import { writeGenesis } from '../src/node/node.ts';
import { decodeAccessRequest, decodeAccessResponse, encodeAccessRequest, encodeAccessResponse, type AccessResponse } from '../src/p2p/access-protocol.ts';
import { MemoryHub } from '../src/p2p/memory-network.ts';
import { waitFor } from './support/peer-network-suite.ts';
import { assertError, prepareOrganisation, resultOf, startRpcNode, type RunningNode } from './support/rpc-node.ts';
import { tempDir } from './support/temp-node.ts';

/**
 * Access tokens between two organisations over /ingot/access/1.0.0, on two nodes connected by
 * libp2p on the loopback interface: the owner's node (Cell Maker, the validator) issues tokens for
 * its device; the grantee's node (Fleet Operator) asks for them with device.requestAccess and checks
 * each offline against the owner's key on its own ledger.
 */

const HOUR_MS = 3_600_000;

const coded = (code: string) => (error: unknown) => {
  assert.ok(error instanceof IngotError, String(error));
  assert.equal(error.code, code, error.message);
  return true;
};

describe('access tokens between organisations over /ingot/access/1.0.0', { timeout: 180_000 }, () => {
  let remove: () => Promise<void>;
  let owner: RunningNode;
  let grantee: RunningNode;
  let ownerOrg: string;
  let granteeOrg: string;
  let ownerKey: SigningKey;
  let ownerPeer: string;
  let granteePeer: string;
  const device = signingKeyFromSeed(new Uint8Array(32).fill(71));
  let deviceId: string;

  const ask = (permission: AccessPermission, params: Record<string, unknown> = {}) => grantee.rpc('device.requestAccess', { device: deviceId, permission, ...params });
  const setPolicy = async (permissions: string[], window: { validFrom?: number; validUntil?: number } = {}) => {
    resultOf(await owner.rpc('device.setPolicy', { device: deviceId, grantee: granteeOrg, permissions, ...window }));
  };

  before(async () => {
    const made = await tempDir('ingot-access-exchange-');
    remove = made.remove;
    const a = await prepareOrganisation(join(made.dir, 'owner'));
    const b = await prepareOrganisation(join(made.dir, 'grantee'));
    const genesis: Genesis = {
      v: 1,
      name: 'Access exchange test',
      time: Date.now(),
      orgs: [
        { name: 'Cell Maker', registryId: 'REG-M', roles: ['admin', 'validator', 'member'], signingKey: a.signing.publicKey, encryptionKey: a.encryption, nodes: [a.nodeKey.peerId] },
        { name: 'Fleet Operator', registryId: 'REG-F', roles: ['member'], signingKey: b.signing.publicKey, encryptionKey: b.encryption, nodes: [b.nodeKey.peerId] },
      ],
      validators: [{ key: a.nodeKey.signing.publicKey, org: 0, power: 1 }],
    };
    await writeGenesis(dataPaths(a.dataDir).ledger, genesis);
    await writeGenesis(dataPaths(b.dataDir).ledger, genesis);
    ownerOrg = orgIdOf(a.signing.publicKey);
    granteeOrg = orgIdOf(b.signing.publicKey);
    ownerKey = a.signing;
    ownerPeer = a.nodeKey.peerId;
    granteePeer = b.nodeKey.peerId;
    owner = await startRpcNode(a.dataDir, []);
    grantee = await startRpcNode(b.dataDir, owner.host.node.addresses());
    await waitFor(() => owner.host.node.peers.length === 1 && grantee.host.node.peers.length === 1, 'the two nodes to connect', 20_000);
    deviceId = resultOf<{ id: string }>(await owner.rpc('device.register', { publicKey: toHex(device.publicKey), model: 'Charger 7', serial: 'CH-7' })).id;
    const registeredAt = owner.host.node.ledger.head.height;
    await waitFor(() => grantee.host.node.ledger.head.height >= registeredAt, 'the grantee to have the device', 20_000);
  });
  after(async () => {
    await grantee?.close();
    await owner?.close();
    await remove?.();
  });

  test('without a grant, or with one that lacks the permission, the owner\'s node refuses with PERMISSION_DENIED', async () => {
    assertError(await ask('operate'), 'PERMISSION_DENIED');
    await setPolicy(['read-history', 'read-telemetry']);
    assertError(await ask('operate'), 'PERMISSION_DENIED');
    // The grantee's node asks for its own organisation only; a token for anyone else comes from the owner's node itself.
    assertError(await ask('read-history', { grantee: ownerOrg }), 'DEVICE_NOT_OWNER');
    assertError(await grantee.rpc('device.requestAccess', { device: '00'.repeat(20), permission: 'operate' }), 'DEVICE_UNKNOWN');
  });

  test('a grantee\'s node gets a token from the owner\'s node: recorded on both ledgers, valid offline with the owner\'s key', async () => {
    await setPolicy(['operate', 'read-history']);
    const issued = resultOf<Results['device.requestAccess']>(await ask('operate', { ttlSeconds: 60 }));
    assert.equal(issued.grantee, granteeOrg);
    assert.equal(issued.issuerKey, toHex(ownerKey.publicKey));
    assert.ok(issued.expiresAt - issued.notBefore <= 5 * 60_000);

    // A device knowing only the owner's key (as the grantee's ledger has it) accepts it once.
    const onGranteeLedger = await readOrg(grantee.host.node.ledger, ownerOrg);
    const seen = new Set<string>();
    const verify = () => verifyAccessToken(issued.token, {
      ownerKey: onGranteeLedger?.signingKey as Uint8Array, device: deviceId, permission: 'operate', grantee: granteeOrg, chain: grantee.host.node.ledger.chainId,
      now: Date.now(), seen, verify: verifySignature,
    });
    assert.equal(verify().issuer, ownerOrg);
    assert.throws(verify, coded('ACCESS_TOKEN_REPLAYED'));

    for (const node of [owner, grantee]) {
      const recorded = await readToken(node.host.node.ledger, issued.tokenId);
      assert.deepEqual([recorded?.device, recorded?.grantee, recorded?.permission, recorded?.issuer, recorded?.expiresAt], [deviceId, granteeOrg, 'operate', ownerOrg, issued.expiresAt]);
      assert.equal(recorded?.height, issued.height);
    }
    const history = resultOf<Results['device.history']>(await grantee.rpc('device.history', { id: deviceId })).entries;
    const entry = history.find((e) => e.method === 'recordToken' && e.payload.tokenId === issued.tokenId);
    assert.deepEqual([entry?.hash, entry?.org, entry?.payload.grantee], [issued.hash, ownerOrg, granteeOrg]);

    // The owner's side still issues through its own API for a grantee it identified (a gateway, a portal).
    const viaGateway = resultOf<Results['device.requestAccess']>(await owner.rpc('device.requestAccess', { device: deviceId, permission: 'operate', grantee: granteeOrg }));
    assert.equal(viaGateway.grantee, granteeOrg);
    assert.notEqual(viaGateway.tokenId, issued.tokenId);
  });

  test('after revocation, and outside the grant\'s window, PERMISSION_DENIED', async () => {
    await setPolicy([]);
    assertError(await ask('operate'), 'PERMISSION_DENIED');
    const now = Date.now();
    await setPolicy(['operate'], { validFrom: now + HOUR_MS });
    assertError(await ask('operate'), 'PERMISSION_DENIED');
    await setPolicy(['operate'], { validFrom: now - 2 * HOUR_MS, validUntil: now - HOUR_MS });
    assertError(await ask('operate'), 'PERMISSION_DENIED');
  });

  test('the owner\'s side: the grantee is the organisation of the requesting peer; refusals are coded', async () => {
    const hub = new MemoryHub();
    const network = hub.create('unused');
    const issued: IssueParams[] = [];
    const exchange = new AccessExchange({
      ledger: owner.host.node.ledger, network, orgId: () => ownerOrg, now: () => Date.now(), onBlock: () => () => {},
      issue: async (params) => {
        issued.push(params);
        return { hash: 'ab'.repeat(32), height: 7, token: 'ingot-access:x', tokenId: '00'.repeat(16), grantee: params.grantee, notBefore: 0, expiresAt: 1, issuerKey: '00'.repeat(32) };
      },
    });
    const serve = async (from: string, request: Uint8Array): Promise<AccessResponse> => decodeAccessResponse(await exchange.serve(from, request));
    const request = (permission: AccessPermission, id = deviceId) => encodeAccessRequest({ v: 1, device: Buffer.from(id, 'hex'), permission, ttlSeconds: 30 });
    try {
      await setPolicy(['maintain']);
      assert.deepEqual(await serve(granteePeer, request('maintain')), { t: 'token', token: 'ingot-access:x', tx: new Uint8Array(32).fill(0xab), height: 7 });
      assert.deepEqual(issued, [{ device: deviceId, grantee: granteeOrg, permission: 'maintain', ttlSeconds: 30 }]);
      const refusal = async (from: string, bytes: Uint8Array) => {
        const response = await serve(from, bytes);
        return response.t === 'error' ? response.code : 'token';
      };
      assert.equal(await refusal(granteePeer, request('operate')), 'PERMISSION_DENIED');
      assert.equal(await refusal('12D3KooWNotTheNodeOfAnyOrganisation', request('maintain')), 'PERMISSION_DENIED');
      assert.equal(await refusal(granteePeer, request('maintain', '11'.repeat(20))), 'DEVICE_UNKNOWN');
      assert.equal(await refusal(granteePeer, new Uint8Array([0xa1, 0x61, 0x76])), 'ACCESS_REQUEST_MALFORMED');
      // A device of the grantee's own: not this node's to issue for.
      const other = signingKeyFromSeed(new Uint8Array(32).fill(72));
      const theirs = resultOf<{ id: string }>(await grantee.rpc('device.register', { publicKey: toHex(other.publicKey), model: 'Truck', serial: 'T-1' })).id;
      const at = grantee.host.node.ledger.head.height;
      await waitFor(() => owner.host.node.ledger.head.height >= at, 'the owner to have the grantee\'s device', 20_000);
      assert.equal(await refusal(ownerPeer, request('operate', theirs)), 'DEVICE_NOT_OWNER');
      assert.equal(issued.length, 1);
      // An unexpected failure while issuing is answered with a code, not a failed stream.
      const failing = new AccessExchange({
        ledger: owner.host.node.ledger, network, orgId: () => ownerOrg, now: () => Date.now(), onBlock: () => () => {},
        issue: () => Promise.reject(new Error('the mempool is gone')),
      });
      const failed = decodeAccessResponse(await failing.serve(granteePeer, request('maintain')));
      assert.deepEqual(failed.t === 'error' ? failed.code : failed.t, 'ACCESS_REQUEST_FAILED');
    } finally {
      await network.stop();
      await setPolicy([]);
    }
  });

  test('the requesting node does not take the owner node\'s word: forged, out-of-scope, expired and unrecorded tokens are refused', async () => {
    // The requester's side alone, on the grantee's real ledger, facing a peer with the owner node's peer id that answers what the test says.
    const hub = new MemoryHub();
    const requester = hub.create(granteePeer);
    const liar = hub.create(ownerPeer);
    requester.setMembers([ownerPeer]);
    liar.setMembers([granteePeer]);
    let answer: Uint8Array = new Uint8Array(0);
    liar.handleAccessRequests(async () => answer);
    const ledger = grantee.host.node.ledger;
    const exchange = new AccessExchange({
      ledger, network: requester, orgId: () => granteeOrg, now: () => Date.now(), onBlock: (listener) => grantee.host.node.onBlock(listener),
      issue: () => Promise.reject(new Error('not the owner')),
    });
    const token = (over: { key?: SigningKey; grantee?: string; permission?: AccessPermission; notBefore?: number; expiresAt?: number } = {}) => {
      const key = over.key ?? ownerKey;
      const now = Date.now();
      return signAccessToken({
        v: 1, chain: ledger.chainId, id: new Uint8Array(randomBytes(16)), device: deviceId, grantee: over.grantee ?? granteeOrg, permission: over.permission ?? 'operate',
        issuer: ownerOrg, issuerKey: key.publicKey, notBefore: over.notBefore ?? now - 1000, expiresAt: over.expiresAt ?? now + 60_000,
      }, (message) => key.sign(message));
    };
    const answering = (text: string) => {
      answer = encodeAccessResponse({ t: 'token', token: text, tx: new Uint8Array(32).fill(1), height: ledger.head.height });
    };
    const get = () => exchange.request({ device: deviceId, permission: 'operate', ttlSeconds: 60 });
    try {
      await waitFor(() => requester.peers().length === 1, 'the memory link');
      answering(token({ key: signingKeyFromSeed(new Uint8Array(32).fill(73)) }));
      await assert.rejects(get(), coded('ACCESS_TOKEN_SIGNATURE_INVALID'));
      answering(token({ grantee: ownerOrg }));
      await assert.rejects(get(), coded('ACCESS_TOKEN_OUT_OF_SCOPE'));
      answering(token({ permission: 'maintain' }));
      await assert.rejects(get(), coded('ACCESS_TOKEN_OUT_OF_SCOPE'));
      answering(token({ notBefore: Date.now() - 120_000, expiresAt: Date.now() - 60_000 }));
      await assert.rejects(get(), coded('ACCESS_TOKEN_EXPIRED'));
      // Signed by the owner's key, but not recorded in the block it names: the ledger has no such issuance.
      answering(token());
      await assert.rejects(get(), coded('ACCESS_TOKEN_UNRECORDED'));
      // Signed by the owner's key, naming a block this ledger does not reach in time: not returned unchecked.
      answer = encodeAccessResponse({ t: 'token', token: token(), tx: new Uint8Array(32).fill(1), height: ledger.head.height + 1_000 });
      await assert.rejects(get(), (error: unknown) => coded('ACCESS_TOKEN_UNRECORDED')(error) && /did not reach/.test((error as Error).message));
      answer = new Uint8Array([0xa1, 0x61, 0x74]);
      await assert.rejects(get(), coded('ACCESS_RESPONSE_MALFORMED'));
      answer = encodeAccessResponse({ t: 'error', code: 'PERMISSION_DENIED', message: 'no grant' });
      await assert.rejects(get(), coded('PERMISSION_DENIED'));
      // An owner node that takes the request and never answers: a timeout, asked once.
      let asked = 0;
      const never = Promise.withResolvers<Uint8Array>();
      liar.handleAccessRequests(() => {
        asked += 1;
        return never.promise;
      });
      const impatient = new AccessExchange({
        ledger, network: requester, orgId: () => granteeOrg, now: () => Date.now(), onBlock: () => () => {}, issue: () => Promise.reject(new Error('not the owner')), requestTimeoutMs: 300,
      });
      await assert.rejects(impatient.request({ device: deviceId, permission: 'operate', ttlSeconds: 60 }), coded('ACCESS_REQUEST_TIMEOUT'));
      assert.equal(asked, 1);
      never.resolve(new Uint8Array(0));
    } finally {
      await requester.stop();
      await liar.stop();
    }
  });

  test('with the owner\'s node gone, PEER_UNREACHABLE', async () => {
    await setPolicy(['operate']);
    await owner.close();
    await waitFor(() => grantee.host.node.peers.length === 0, 'the grantee to see the owner gone', 20_000);
    assertError(await ask('operate'), 'PEER_UNREACHABLE');
  });
});

test('access protocol messages: canonical round trip, strict schema, bounds', () => {
  const request = { v: 1 as const, device: new Uint8Array(20).fill(7), permission: 'operate' as const, ttlSeconds: 120 };
  assert.deepEqual(decodeAccessRequest(encodeAccessRequest(request)), request);
  const refused = (bytes: Uint8Array) => assert.throws(() => decodeAccessRequest(bytes), coded('ACCESS_REQUEST_MALFORMED'));
  refused(encode({ ...request, extra: 1 }));
  refused(encode({ ...request, ttlSeconds: 9 }));
  refused(encode({ ...request, ttlSeconds: 301 }));
  refused(encode({ ...request, permission: 'own' }));
  refused(encode({ ...request, device: new Uint8Array(32) }));
  refused(new Uint8Array([0xff]));
  const answer = { t: 'token' as const, token: 'ingot-access:abc', tx: new Uint8Array(32), height: 3 };
  assert.deepEqual(decodeAccessResponse(encodeAccessResponse(answer)), answer);
  assert.throws(() => decodeAccessResponse(encode({ ...answer, token: 'x'.repeat(1025) })), coded('ACCESS_RESPONSE_MALFORMED'));
  assert.throws(() => decodeAccessResponse(encode({ t: 'error', code: 'lower', message: '' })), coded('ACCESS_RESPONSE_MALFORMED'));
});
