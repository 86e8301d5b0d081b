import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TelemetryFetchJson } from '../src/api/telemetry-methods.ts';
import { encode } from '../src/codec/cbor.ts';
import { IngotError } from '../src/codec/errors.ts';
import type { Genesis } from '../src/codec/messages.ts';
import type { TelemetryPoint } from '../src/codec/telemetry.ts';
import { orgIdOf } from '../src/contracts/membership-state.ts';
import { signTelemetryBatch, telemetryRoot } from '../src/contracts/telemetry-batch.ts';
import { readAnchor } from '../src/contracts/telemetry-state.ts';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { toHex } from '../src/crypto/hex.ts';
import { dataPaths } from '../src/node/data-dir.ts';
import { writeGenesis } from '../src/node/node.ts';
import { TelemetryExchange } from '../src/node/telemetry-exchange.ts';
import { MemoryHub } from '../src/p2p/memory-network.ts';
import { decodeTelemetryFetchRequest, decodeTelemetryFetchResponse, encodeTelemetryFetchRequest, encodeTelemetryFetchResponse } from '../src/p2p/telemetry-protocol.ts';
import { waitFor } from './support/peer-network-suite.ts';
import { assertError, prepareOrganisation, resultOf, startRpcNode, type RunningNode } from './support/rpc-node.ts';
import { tempDir } from './support/temp-node.ts';

/**
 * Raw telemetry between two organisations over /ingot/telemetry/1.0.0, on two nodes connected by
 * libp2p on the loopback interface: the owner's node (Cell Maker, the validator) keeps a device's
 * signed batches; the other organisation's node (Fleet Operator) fetches them with telemetry.fetch
 * and checks them against the anchors on its own ledger.
 */

const T0 = 1_760_000_000_000;
const HOUR_MS = 3_600_000;

function readings(count: number, start: number, value: (i: number) => number): TelemetryPoint[] {
  return Array.from({ length: count }, (_, i) => ({ t: start + i * 1000, metric: i % 5 === 4 ? 'humidity' : 'temperature', value: value(i), unit: i % 5 === 4 ? '%' : 'Cel' }));
}

describe('raw telemetry between organisations over /ingot/telemetry/1.0.0', { timeout: 180_000 }, () => {
  let remove: () => Promise<void>;
  let owner: RunningNode;
  let reader: RunningNode;
  let readerOrg: string;
  let ownerPeer: string;
  const device = signingKeyFromSeed(new Uint8Array(32).fill(61));
  let deviceId: string;
  const batches = [1, 2, 3].map((seq) => readings(500, T0 + (seq - 1) * 500_000, (i) => -18_000 + seq * 1000 + i));

  const fetchAsReader = (params: Record<string, unknown> = {}) => reader.rpc('telemetry.fetch', { deviceId, limit: 10_000, ...params });
  const setPolicy = async (permissions: string[], window: { validFrom?: number; validUntil?: number } = {}) => {
    resultOf(await owner.rpc('device.setPolicy', { device: deviceId, grantee: readerOrg, permissions, ...window }));
  };

  before(async () => {
    const made = await tempDir('ingot-telemetry-exchange-');
    remove = made.remove;
    const a = await prepareOrganisation(join(made.dir, 'owner'));
    const b = await prepareOrganisation(join(made.dir, 'reader'));
    const genesis: Genesis = {
      v: 1,
      name: 'Telemetry exchange test',
      time: Date.now(),
      orgs: [
        { name: 'Cell Maker', registryId: 'REG-M', roles: ['admin', 'validator', 'member'], signingKey: a.signing.publicKey, encryptionKey: a.encryption, nodes: [a.nodeKey.peerId] },
        { name: 'Fleet Operator', registryId: 'REG-F', roles: ['member'], signingKey: b.signing.publicKey, encryptionKey: b.encryption, nodes: [b.nodeKey.peerId] },
      ],
      validators: [{ key: a.nodeKey.signing.publicKey, org: 0, power: 1 }],
    };
    await writeGenesis(dataPaths(a.dataDir).ledger, genesis);
    await writeGenesis(dataPaths(b.dataDir).ledger, genesis);
    readerOrg = orgIdOf(b.signing.publicKey);
    owner = await startRpcNode(a.dataDir, []);
    ownerPeer = a.nodeKey.peerId;
    reader = await startRpcNode(b.dataDir, owner.host.node.addresses());
    await waitFor(() => owner.host.node.peers.length === 1 && reader.host.node.peers.length === 1, 'the two nodes to connect', 20_000);

    deviceId = resultOf<{ id: string }>(await owner.rpc('device.register', { publicKey: toHex(device.publicKey), model: 'Reefer 9', serial: 'RF-1' })).id;
    for (const [i, points] of batches.entries()) {
      resultOf(await owner.rpc('telemetry.submit', { batch: toHex(signTelemetryBatch({ v: 1, device: device.publicKey, seq: i + 1, points }, device)) }));
    }
    await owner.host.node.telemetry.waitAnchored(30_000);
    const anchoredAt = owner.host.node.ledger.head.height;
    await waitFor(() => reader.host.node.ledger.head.height >= anchoredAt, 'the reader to have the anchors', 20_000);
  });
  after(async () => {
    await reader?.close();
    await owner?.close();
    await remove?.();
  });

  test('without a grant, or with a grant that does not include read-telemetry, the owner refuses with PERMISSION_DENIED', async () => {
    assertError(await fetchAsReader(), 'PERMISSION_DENIED');
    await setPolicy(['read-history', 'maintain']);
    assertError(await fetchAsReader(), 'PERMISSION_DENIED');
  });

  test('a grantee holding read-telemetry fetches the signed batches and verifies each against the anchor on its own ledger', async () => {
    await setPolicy(['read-telemetry']);
    const all = resultOf<TelemetryFetchJson>(await fetchAsReader());
    assert.equal(all.owner, owner.host.node.orgId);
    assert.equal(all.peer, owner.host.node.nodeKey.peerId);
    assert.equal(all.points.length, 1500);
    assert.deepEqual(all.points.slice(0, 2), [
      { t: T0, metric: 'temperature', value: -17_000, unit: 'Cel', seq: 1 },
      { t: T0 + 1000, metric: 'temperature', value: -16_999, unit: 'Cel', seq: 1 },
    ]);
    assert.equal(all.next, undefined);
    assert.deepEqual(all.batches.map((b) => [b.seq, b.status, b.count]), [[1, 'verified', 500], [2, 'verified', 500], [3, 'verified', 500]]);
    for (const batch of all.batches) {
      const anchor = await readAnchor(reader.host.node.ledger, deviceId, batch.seq as number);
      assert.equal(batch.root, toHex(telemetryRoot(batches[(batch.seq as number) - 1] as TelemetryPoint[])));
      assert.equal(batch.anchor?.root, toHex(anchor?.root as Uint8Array));
      assert.equal(batch.anchor?.height, anchor?.height);
      assert.equal(batch.ownerAnchor?.height, anchor?.height);
    }

    // Pages, a time window and a metric, as telemetry.query has them.
    const first = resultOf<TelemetryFetchJson>(await fetchAsReader({ limit: 700 }));
    assert.equal(first.points.length, 700);
    assert.deepEqual(first.next, { seq: 2, index: 200 });
    const second = resultOf<TelemetryFetchJson>(await fetchAsReader({ limit: 700, after: first.next }));
    assert.deepEqual(second.points[0], { t: T0 + 500_000 + 200_000, metric: 'temperature', value: -16_000 + 200, unit: 'Cel', seq: 2 });
    assert.deepEqual(second.next, { seq: 3, index: 400 });
    const humidity = resultOf<TelemetryFetchJson>(await fetchAsReader({ metric: 'humidity', from: T0 + 500_000, to: T0 + 999_000 }));
    assert.equal(humidity.points.length, 100);
    assert.ok(humidity.points.every((p) => p.metric === 'humidity' && p.seq === 2));
    assert.deepEqual(humidity.batches.map((b) => b.seq), [2]);

    // The owner's own node answers telemetry.fetch from its store, checked the same way.
    const own = resultOf<TelemetryFetchJson>(await owner.rpc('telemetry.fetch', { deviceId, limit: 10 }));
    assert.equal(own.peer, owner.host.node.nodeKey.peerId);
    assert.deepEqual(own.batches.map((b) => b.status), ['verified']);
  });

  test('a batch the receiver\'s ledger holds no anchor for is reported as unanchored, with its points', async () => {
    // Put in the owner's store without going through ingestion, so it is never anchored.
    const points = readings(10, T0 + 2_000_000, () => -20_000);
    const bytes = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 9, points }, device);
    await owner.host.node.telemetry.store.put({ device: deviceId, seq: 9, bytes, from: T0 + 2_000_000, to: T0 + 2_009_000, count: 10, root: telemetryRoot(points), received: Date.now() });
    const result = resultOf<TelemetryFetchJson>(await fetchAsReader({ from: T0 + 1_400_000 }));
    assert.deepEqual(result.batches.map((b) => [b.seq, b.status, b.anchor, b.ownerAnchor]), [[3, 'verified', result.batches[0]?.anchor, result.batches[0]?.ownerAnchor], [9, 'unanchored', null, null]]);
    assert.equal(result.points.filter((p) => p.seq === 9).length, 10);
    // Not forged, so `strict` does not refuse it: whether to trust it before its anchor arrives is the caller's choice.
    assert.deepEqual(resultOf<TelemetryFetchJson>(await fetchAsReader({ from: T0 + 2_000_000, strict: true })).batches.map((b) => b.status), ['unanchored']);
  });

  test('batches altered in the owner\'s store are reported as mismatches by the receiver, and their points left out', async () => {
    const store = owner.host.node.telemetry.store;
    // Batch 2 replaced by other points, even validly signed by the device key: its root is not the anchored one.
    const other = readings(500, T0 + 500_000, () => 40_000);
    const resigned = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 2, points: other }, device);
    // Batch 3 with one byte of its signature changed.
    const flipped = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 3, points: batches[2] as TelemetryPoint[] }, device);
    flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 1;
    for (const [seq, bytes, points] of [[2, resigned, other], [3, flipped, batches[2] as TelemetryPoint[]]] as const) {
      const root = seq === 2 ? telemetryRoot(points) : new Uint8Array(32);
      await store.put({ device: deviceId, seq, bytes, from: (points[0] as TelemetryPoint).t, to: (points.at(-1) as TelemetryPoint).t, count: points.length, root, received: Date.now() });
    }

    const result = resultOf<TelemetryFetchJson>(await fetchAsReader({ to: T0 + 1_499_000 }));
    assert.deepEqual(result.batches.map((b) => [b.seq, b.status, b.code]), [[1, 'verified', undefined], [2, 'mismatch', 'TELEMETRY_MISMATCH'], [3, 'mismatch', 'TELEMETRY_BAD_SIGNATURE']]);
    assert.equal(result.points.length, 500);
    assert.ok(result.points.every((p) => p.seq === 1));
    const mismatch = result.batches[1];
    assert.equal(mismatch?.root, toHex(telemetryRoot(other)));
    assert.notEqual(mismatch?.root, mismatch?.anchor?.root);
    assertError(await fetchAsReader({ strict: true }), 'TELEMETRY_MISMATCH');
    // A batch another device signed, stored under this device: signed, but not by the device asked for.
    const stranger = signingKeyFromSeed(new Uint8Array(32).fill(62));
    const strangers = readings(5, T0 + 3_000_000, () => 1);
    const foreign = signTelemetryBatch({ v: 1, device: stranger.publicKey, seq: 10, points: strangers }, stranger);
    await store.put({ device: deviceId, seq: 10, bytes: foreign, from: T0 + 3_000_000, to: T0 + 3_004_000, count: 5, root: telemetryRoot(strangers), received: Date.now() });
    const late = resultOf<TelemetryFetchJson>(await fetchAsReader({ from: T0 + 3_000_000 }));
    assert.deepEqual(late.batches.map((b) => [b.seq, b.status, b.code]), [[10, 'mismatch', 'TELEMETRY_WRONG_DEVICE']]);
    assert.deepEqual(late.points, []);
    // Only the first batch asked for: nothing refused, strict or not.
    assert.equal(resultOf<TelemetryFetchJson>(await fetchAsReader({ to: T0 + 10_000, strict: true })).points.length, 11);
  });

  test('after revocation, and outside the grant\'s validity window, the owner refuses with PERMISSION_DENIED', async () => {
    await setPolicy([]);
    assertError(await fetchAsReader(), 'PERMISSION_DENIED');
    const now = Date.now();
    await setPolicy(['read-telemetry'], { validFrom: now + HOUR_MS });
    assertError(await fetchAsReader(), 'PERMISSION_DENIED');
    await setPolicy(['read-telemetry'], { validFrom: now - 2 * HOUR_MS, validUntil: now - HOUR_MS });
    assertError(await fetchAsReader(), 'PERMISSION_DENIED');
    await setPolicy(['read-telemetry'], { validFrom: now - HOUR_MS, validUntil: now + HOUR_MS });
    assert.equal(resultOf<TelemetryFetchJson>(await fetchAsReader({ limit: 1 })).points.length, 1);
  });

  test('invalid parameters and unknown devices are refused; with the owner\'s node gone, PEER_UNREACHABLE', async () => {
    assertError(await fetchAsReader({ from: 5, to: 4 }), 'INVALID_PARAMS');
    assertError(await reader.rpc('telemetry.fetch', { deviceId: '00'.repeat(20) }), 'DEVICE_UNKNOWN');
    await owner.close();
    await waitFor(() => reader.host.node.peers.length === 0, 'the reader to see the owner gone', 20_000);
    assertError(await fetchAsReader(), 'PEER_UNREACHABLE');
  });

  test('the requester does not take a lying owner node\'s word: a batch twice, a malformed answer, a refusal passed on with its code', async () => {
    // The requester's side alone, on its real ledger, facing a network peer with the owner node's peer id that answers what the test says.
    const hub = new MemoryHub();
    const requester = hub.create('requester');
    const liar = hub.create(ownerPeer);
    requester.setMembers([ownerPeer]);
    liar.setMembers(['requester']);
    let answer: Uint8Array = new Uint8Array(0);
    liar.handleTelemetryRequests(async () => answer);
    const exchange = new TelemetryExchange({ ledger: reader.host.node.ledger, network: requester, orgId: () => readerOrg, store: () => reader.host.node.telemetry.store });
    try {
      await waitFor(() => requester.peers().length === 1, 'the memory link');
      const first = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 1, points: batches[0] as TelemetryPoint[] }, device);
      answer = encodeTelemetryFetchResponse({ t: 'batches', batches: [{ batch: first, anchor: null }, { batch: first, anchor: null }], more: false, height: 1, time: 1 });
      const twice = await exchange.fetch({ deviceId, limit: 10_000 });
      assert.deepEqual(twice.batches.map((b) => [b.seq, b.status, b.code]), [[1, 'verified', undefined], [1, 'mismatch', 'TELEMETRY_SEQ_REPLAYED']]);
      assert.equal(twice.points.length, 500);
      answer = new Uint8Array([0xa1, 0x61, 0x74]);
      await assert.rejects(exchange.fetch({ deviceId, limit: 10 }), (error: unknown) => error instanceof IngotError && error.code === 'TELEMETRY_RESPONSE_MALFORMED');
      answer = encodeTelemetryFetchResponse({ t: 'error', code: 'PERMISSION_DENIED', message: 'no grant' });
      await assert.rejects(exchange.fetch({ deviceId, limit: 10 }), (error: unknown) => error instanceof IngotError && error.code === 'PERMISSION_DENIED');
      // The owner's side (on the reader's ledger, the owner's node being gone): an unexpected failure (here reading the ledger) is answered with a code, not a failed stream.
      const realLedger = reader.host.node.ledger;
      const failingLedger = new Proxy(realLedger, {
        get(target, prop) {
          if (prop === 'get') return () => Promise.reject(new Error('disk read failed'));
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
        },
      });
      const failing = new TelemetryExchange({ ledger: failingLedger, network: liar, orgId: () => 'ee'.repeat(20), store: () => reader.host.node.telemetry.store });
      const request = encodeTelemetryFetchRequest({ v: 1, device: Buffer.from(deviceId, 'hex'), from: null, to: null, metric: null, limit: 10, after: null });
      const failed = decodeTelemetryFetchResponse(await failing.serve('requester', request));
      assert.equal(failed.t === 'error' ? failed.code : failed.t, 'TELEMETRY_FETCH_FAILED');
    } finally {
      await requester.stop();
      await liar.stop();
    }
  });
});

test('telemetry protocol messages: canonical round trip, strict schema, bounds', () => {
  const request = { v: 1 as const, device: new Uint8Array(20).fill(7), from: 5, to: null, metric: 'temperature', limit: 100, after: { seq: 3, index: 2 } };
  assert.deepEqual(decodeTelemetryFetchRequest(encodeTelemetryFetchRequest(request)), request);
  const refused = (bytes: Uint8Array) => assert.throws(() => decodeTelemetryFetchRequest(bytes), (error: unknown) => error instanceof IngotError && error.code === 'TELEMETRY_REQUEST_MALFORMED');
  refused(encode({ ...request, extra: 1 }));
  refused(encode({ ...request, limit: 10_001 }));
  refused(encode({ ...request, limit: 0 }));
  refused(encode({ ...request, from: 9, to: 8 }));
  refused(encode({ ...request, device: new Uint8Array(32) }));
  refused(encode({ ...request, metric: 'Not A Metric' }));
  refused(new Uint8Array([0xff]));
  const error = { t: 'error' as const, code: 'PERMISSION_DENIED', message: 'no' };
  assert.deepEqual(decodeTelemetryFetchResponse(encodeTelemetryFetchResponse(error)), error);
  const tooMany = { t: 'batches', batches: Array.from({ length: 65 }, () => ({ batch: new Uint8Array(1), anchor: null })), more: false, height: 1, time: 1 };
  assert.throws(() => decodeTelemetryFetchResponse(encode(tooMany)), (e: unknown) => e instanceof IngotError && e.code === 'TELEMETRY_RESPONSE_MALFORMED');
});
