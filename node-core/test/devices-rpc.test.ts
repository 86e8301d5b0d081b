import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { JsonValue } from '../src/api/json.ts';
import type { Results } from '../src/api/methods.ts';
import { verifyAccessToken } from '../src/codec/access-token.ts';
import type { Genesis } from '../src/codec/messages.ts';
import { deviceIdOf } from '../src/contracts/device-state.ts';
import { orgIdOf } from '../src/contracts/membership-state.ts';
import { signingKeyFromSeed, verifySignature, type SigningKey } from '../src/crypto/ed25519.ts';
import { x25519PublicKey } from '../src/crypto/x25519.ts';
import { NodeHost } from '../src/host/node-host.ts';
import { signTransaction } from '../src/ledger/transaction.ts';
import { createNodeKey, dataPaths, DEFAULT_CONFIG, writeConfig } from '../src/node/data-dir.ts';
import { generateOrgSecrets, writeKeyStore } from '../src/node/keystore.ts';
import { writeGenesis } from '../src/node/node.ts';
import { startRpcServer } from '../src/rpc/server.ts';
import { LOOPBACK_P2P, TEST_KDF, TEST_PASSPHRASE, tempDir } from './support/temp-node.ts';

/**
 * Devices over the RPC API on a consortium of two organisations: the node under test runs for the
 * founder (the only validator); the partner signs its own device transactions, which reach the
 * ledger through tx.submitSigned. The partner's node never runs, so every grant the founder's node
 * honours or refuses is decided by its own ledger.
 */

interface RpcReply {
  result?: unknown;
  error?: { code: number; message: string; data: { code: string; field?: string } };
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const HOUR_MS = 3_600_000;

function resultOf<T>(reply: RpcReply): T {
  assert.equal(reply.error, undefined, `unexpected error ${JSON.stringify(reply.error)}`);
  return reply.result as T;
}

function assertError(reply: RpcReply, dataCode: string, field?: string): void {
  assert.equal(reply.result, undefined, `expected ${dataCode}, got the result ${JSON.stringify(reply.result)}`);
  assert.equal(reply.error?.data.code, dataCode, reply.error?.message);
  if (field !== undefined) assert.equal(reply.error?.data.field, field, reply.error?.message);
}

describe('devices over RPC', { timeout: 120_000 }, () => {
  let rpc: (method: string, params?: unknown) => Promise<RpcReply>;
  let close: () => Promise<void>;
  let founder: { id: string; key: SigningKey };
  let partner: { id: string; key: SigningKey };

  before(async () => {
    const { dir, remove } = await tempDir('ingot-devices-');
    const paths = dataPaths(join(dir, 'founder'));
    await mkdir(paths.dir, { recursive: true, mode: 0o700 });
    const founderSecrets = generateOrgSecrets();
    await writeKeyStore(paths.keyStore, founderSecrets, TEST_PASSPHRASE, TEST_KDF);
    const nodeKey = await createNodeKey(paths);
    const founderKey = signingKeyFromSeed(founderSecrets.signingSeeds[0] as Uint8Array);
    const partnerKey = signingKeyFromSeed(new Uint8Array(randomBytes(32)));
    const partnerNode = signingKeyFromSeed(new Uint8Array(randomBytes(32)));
    const { peerIdOfKey } = await import('../src/contracts/peer-id.ts');
    const genesis: Genesis = {
      v: 1,
      name: 'Devices test consortium',
      time: Date.now(),
      orgs: [
        { name: 'Cell Maker', registryId: 'REG-M', roles: ['admin', 'validator', 'member'], signingKey: founderKey.publicKey, encryptionKey: x25519PublicKey(founderSecrets.encryptionKey), nodes: [nodeKey.peerId] },
        { name: 'Fleet Operator', registryId: 'REG-F', roles: ['member'], signingKey: partnerKey.publicKey, encryptionKey: new Uint8Array(32).fill(9), nodes: [peerIdOfKey(partnerNode.publicKey)] },
      ],
      validators: [{ key: nodeKey.signing.publicKey, org: 0, power: 1 }],
    };
    await writeGenesis(paths.ledger, genesis);
    await writeConfig(paths, { ...DEFAULT_CONFIG, api: { host: '127.0.0.1', port: 0 }, blockIntervalMs: 20, p2p: LOOPBACK_P2P });
    const host = await NodeHost.start({ dataDir: paths.dir }, TEST_PASSPHRASE);
    const server = await startRpcServer(host, { port: 0, apiFile: paths.api });
    founder = { id: orgIdOf(founderKey.publicKey), key: founderKey };
    partner = { id: orgIdOf(partnerKey.publicKey), key: partnerKey };
    let id = 0;
    rpc = async (method, params = {}) => {
      const response = await fetch(`http://127.0.0.1:${server.port}/rpc`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
        signal: AbortSignal.timeout(70_000),
      });
      return (await response.json()) as RpcReply;
    };
    close = async () => {
      await server.close();
      await host.close();
      await remove();
    };
  });
  after(async () => {
    await close?.();
  });

  /** A device call signed by the partner organisation, through tx.submitSigned; its receipt. */
  async function asPartner(method: string, payload: Record<string, JsonValue>): Promise<NonNullable<Results['tx.submitSigned']['receipt']>> {
    const status = resultOf<Results['node.status']>(await rpc('node.status'));
    const tx = signTransaction(
      { v: 1, chain: Buffer.from(status.consortiumId, 'hex'), contract: 'device', method, payload, signer: partner.key.publicKey, nonce: new Uint8Array(randomBytes(16)), expires: status.height + 50 },
      partner.key,
    );
    const receipt = resultOf<Results['tx.submitSigned']>(await rpc('tx.submitSigned', { tx: hex(tx.bytes), waitForCommit: true })).receipt;
    assert.ok(receipt !== undefined);
    return receipt;
  }

  let generated: string;
  let given: string;
  let partnerDevice: string;

  test('register with a generated key returns the key file once; with a given key, its id; a known key is refused', async () => {
    const made = resultOf<Results['device.register']>(await rpc('device.register', {
      generateKey: true, model: 'LFP-280', manufacturer: 'Cells Ltd', serial: 'SN-0001', codes: [{ scheme: 'GB/T 34014', code: '03HPE0A0000001' }], metadata: { site: 'Hall 3' },
    }));
    const keyFile = made.keyFile;
    assert.ok(keyFile !== undefined);
    assert.equal(keyFile.kind, 'ingot-device-key');
    assert.equal(hex(signingKeyFromSeed(Buffer.from(keyFile.seed, 'hex')).publicKey), keyFile.publicKey, 'the seed makes the public key');
    assert.equal(made.id, deviceIdOf(Buffer.from(keyFile.publicKey, 'hex')));
    assert.equal(keyFile.id, made.id);
    generated = made.id;

    const key = signingKeyFromSeed(new Uint8Array(randomBytes(32)));
    const byKey = resultOf<Results['device.register']>(await rpc('device.register', { publicKey: hex(key.publicKey), model: 'Gateway G2', serial: 'GW-17' }));
    assert.equal(byKey.id, deviceIdOf(key.publicKey));
    assert.equal(byKey.keyFile, undefined);
    given = byKey.id;
    assertError(await rpc('device.register', { publicKey: hex(key.publicKey), model: 'Gateway G2', serial: 'GW-17' }), 'DEVICE_KNOWN');
    assertError(await rpc('device.register', { model: 'M', serial: 'S' }), 'INVALID_PARAMS', 'publicKey');
    assertError(await rpc('device.register', { publicKey: hex(key.publicKey), generateKey: true, model: 'M', serial: 'S' }), 'INVALID_PARAMS', 'publicKey');

    const device = resultOf<Results['device.get']>(await rpc('device.get', { id: generated }));
    assert.deepEqual([device.owner, device.status, device.model, device.serial, device.codes, device.metadata, device.grants, device.offer], [
      founder.id, 'active', 'LFP-280', 'SN-0001', [{ scheme: 'GB/T 34014', code: '03HPE0A0000001' }], { site: 'Hall 3' }, [], null,
    ]);
    assertError(await rpc('device.get', { id: '0'.repeat(40) }), 'DEVICE_UNKNOWN');

    const partnerKey = signingKeyFromSeed(new Uint8Array(randomBytes(32)));
    assert.equal((await asPartner('register', { publicKey: hex(partnerKey.publicKey), model: 'Reefer R1', serial: 'RF-9' })).ok, true);
    partnerDevice = deviceIdOf(partnerKey.publicKey);

    const all = resultOf<Results['device.list']>(await rpc('device.list', {})).devices.map((d) => d.id);
    assert.deepEqual(new Set(all), new Set([generated, given, partnerDevice]));
    assert.deepEqual(resultOf<Results['device.list']>(await rpc('device.list', { owner: partner.id })).devices.map((d) => d.id), [partnerDevice]);
    assert.deepEqual(resultOf<Results['device.list']>(await rpc('device.list', { query: 'sn-00' })).devices.map((d) => d.id), [generated]);
    assert.deepEqual(resultOf<Results['device.list']>(await rpc('device.list', { query: given.slice(3, 15) })).devices.map((d) => d.id), [given]);
  });

  test('history is refused without a read-history grant, outside its window and after revocation', async () => {
    const history = () => rpc('device.history', { id: partnerDevice });
    assertError(await history(), 'PERMISSION_DENIED');
    const now = Date.now();
    assert.equal((await asPartner('setPolicy', { device: partnerDevice, grantee: founder.id, permissions: ['read-history'], validFrom: now + HOUR_MS })).ok, true);
    assertError(await history(), 'PERMISSION_DENIED');
    assert.equal((await asPartner('setPolicy', { device: partnerDevice, grantee: founder.id, permissions: ['read-history'], validFrom: now - 2 * HOUR_MS, validUntil: now - HOUR_MS })).ok, true);
    assertError(await history(), 'PERMISSION_DENIED');
    assert.equal((await asPartner('setPolicy', { device: partnerDevice, grantee: founder.id, permissions: ['read-telemetry'] })).ok, true);
    assertError(await history(), 'PERMISSION_DENIED');
    assert.equal((await asPartner('setPolicy', { device: partnerDevice, grantee: founder.id, permissions: ['read-history', 'read-telemetry'], validUntil: now + HOUR_MS })).ok, true);
    const entries = resultOf<Results['device.history']>(await history()).entries;
    assert.deepEqual(entries.map((e) => e.method), ['register', 'setPolicy', 'setPolicy', 'setPolicy', 'setPolicy']);
    assert.ok(entries.every((e) => e.org === partner.id && e.ok));
    assert.deepEqual(entries[0]?.payload.model, 'Reefer R1');
    const grants = resultOf<Results['device.get']>(await rpc('device.get', { id: partnerDevice })).grants;
    assert.deepEqual(grants.map((g) => [g.grantee, g.permissions, g.active]), [[founder.id, ['read-history', 'read-telemetry'], true]]);

    assert.equal((await asPartner('setPolicy', { device: partnerDevice, grantee: founder.id, permissions: [] })).ok, true);
    assertError(await history(), 'PERMISSION_DENIED');
    assert.deepEqual(resultOf<Results['device.get']>(await rpc('device.get', { id: partnerDevice })).grants, []);
    // The owner reads its own device's history without a grant.
    assert.equal(resultOf<Results['device.history']>(await rpc('device.history', { id: generated })).entries[0]?.method, 'register');
  });

  test('requestAccess: the owner node signs a recorded, single-use token only for a grantee holding the permission', async () => {
    const request = (permission: string) => rpc('device.requestAccess', { device: generated, permission, grantee: partner.id, ttlSeconds: 60 });
    assertError(await request('operate'), 'PERMISSION_DENIED');
    // Another organisation's device: only its node issues tokens to others, and this node asks it over libp2p for its own (the partner's node is not running).
    assertError(await rpc('device.requestAccess', { device: partnerDevice, permission: 'operate', grantee: partner.id }), 'DEVICE_NOT_OWNER');
    assertError(await rpc('device.requestAccess', { device: partnerDevice, permission: 'operate' }), 'PEER_UNREACHABLE');
    resultOf(await rpc('device.setPolicy', { device: generated, grantee: partner.id, permissions: ['operate'] }));
    const issued = resultOf<Results['device.requestAccess']>(await request('operate'));
    const founderKey = hex(founder.key.publicKey);
    assert.equal(issued.issuerKey, founderKey);
    assert.ok(issued.expiresAt - issued.notBefore <= 5 * 60_000);

    const seen = new Set<string>();
    const check = (over: { permission?: 'operate' | 'maintain'; now?: number; device?: string; key?: Uint8Array } = {}) => {
      try {
        verifyAccessToken(issued.token, {
          ownerKey: over.key ?? founder.key.publicKey, device: over.device ?? generated, permission: over.permission ?? 'operate', now: over.now ?? Date.now(), seen, verify: verifySignature,
        });
        return 'ok';
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    assert.equal(check({ permission: 'maintain' }), 'ACCESS_TOKEN_OUT_OF_SCOPE');
    assert.equal(check({ device: given }), 'ACCESS_TOKEN_OUT_OF_SCOPE');
    assert.equal(check({ now: issued.expiresAt }), 'ACCESS_TOKEN_EXPIRED');
    assert.equal(check({ key: partner.key.publicKey }), 'ACCESS_TOKEN_SIGNATURE_INVALID');
    assert.equal(check(), 'ok');
    assert.equal(check(), 'ACCESS_TOKEN_REPLAYED');

    assertError(await request('maintain'), 'PERMISSION_DENIED');
    // The issuance is on the ledger, in the device's history.
    const history = resultOf<Results['device.history']>(await rpc('device.history', { id: generated })).entries;
    const recorded = history.find((e) => e.method === 'recordToken');
    assert.deepEqual([recorded?.hash, recorded?.payload.tokenId, recorded?.payload.grantee], [issued.hash, issued.tokenId, partner.id]);

    resultOf(await rpc('device.setPolicy', { device: generated, grantee: partner.id, permissions: [] }));
    assertError(await request('operate'), 'PERMISSION_DENIED');
  });

  test('transfer over RPC: an offer changes nothing; the recipient accepts; the previous owner loses the device and its grants end', async () => {
    resultOf(await rpc('device.setPolicy', { device: given, grantee: partner.id, permissions: ['read-telemetry'] }));
    const offer = resultOf<Results['device.offerTransfer']>(await rpc('device.offerTransfer', { device: given, to: partner.id, expiresInHours: 1 }));
    assert.ok(offer.expiresAt > Date.now());
    let device = resultOf<Results['device.get']>(await rpc('device.get', { id: given }));
    assert.deepEqual([device.owner, device.offer?.to, device.offer?.status], [founder.id, partner.id, 'open']);
    assertError(await rpc('device.acceptTransfer', { device: given }), 'TRANSFER_NOT_RECIPIENT');
    assertError(await rpc('device.offerTransfer', { device: given, to: partner.id }), 'TRANSFER_OPEN');
    assert.equal((await asPartner('acceptTransfer', { device: given })).ok, true);
    device = resultOf<Results['device.get']>(await rpc('device.get', { id: given }));
    assert.deepEqual([device.owner, device.offer, device.grants], [partner.id, null, []]);
    assertError(await rpc('device.recordEvent', { device: given, kind: 'inspected' }), 'EVENT_FORBIDDEN');
    assertError(await rpc('device.history', { id: given }), 'PERMISSION_DENIED');
    assert.deepEqual(resultOf<Results['device.list']>(await rpc('device.list', { owner: founder.id })).devices.map((d) => d.id), [generated]);
  });

  test('lifecycle: firmware updates need a hash; a decommissioned device records nothing more', async () => {
    assertError(await rpc('device.recordEvent', { device: generated, kind: 'firmwareUpdated' }), 'EVENT_INVALID');
    resultOf(await rpc('device.recordEvent', { device: generated, kind: 'firmwareUpdated', firmwareHash: 'ab'.repeat(32), note: 'v2.1' }));
    resultOf(await rpc('device.recordEvent', { device: generated, kind: 'decommissioned' }));
    const device = resultOf<Results['device.get']>(await rpc('device.get', { id: generated }));
    assert.deepEqual([device.status, device.firmwareHash, device.lastEvent?.kind], ['decommissioned', 'ab'.repeat(32), 'decommissioned']);
    assertError(await rpc('device.recordEvent', { device: generated, kind: 'inspected' }), 'DEVICE_DECOMMISSIONED');
    assertError(await rpc('device.offerTransfer', { device: generated, to: partner.id }), 'DEVICE_DECOMMISSIONED');
  });
});
