import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { encodeTelemetryBatch, encodeTelemetryBody, type TelemetryPoint } from '../src/codec/telemetry.ts';
import { signTelemetryBatch, telemetryBatchId, telemetryRoot } from '../src/contracts/telemetry-batch.ts';
import { readAlert, readAnchor, readMaintenanceRequest } from '../src/contracts/telemetry-state.ts';
import { signingKeyFromSeed, type SigningKey } from '../src/crypto/ed25519.ts';
import { toHex } from '../src/crypto/hex.ts';
import { NodeHost } from '../src/host/node-host.ts';
import { TELEMETRY_DB_DIR } from '../src/node/telemetry-store.ts';
import { startTempNode, TEST_PASSPHRASE, type TempNode } from './support/temp-node.ts';

const T0 = 1_760_000_000_000;

function keyOf(n: number): SigningKey {
  return signingKeyFromSeed(new Uint8Array(32).fill(n));
}

function temperatures(count: number, start: number, value: (i: number) => number, stepMs = 1000): TelemetryPoint[] {
  return Array.from({ length: count }, (_, i) => ({ t: start + i * stepMs, metric: 'temperature', value: value(i), unit: 'Cel' }));
}

const hex = (bytes: Uint8Array) => toHex(bytes);

async function register(node: TempNode, key: SigningKey, serial: string): Promise<string> {
  const reply = await node.rpc('device.register', { publicKey: hex(key.publicKey), model: 'Reefer 9', serial });
  assert.equal(reply.error, undefined, JSON.stringify(reply.error));
  return (reply.result as { id: string }).id;
}

async function submit(node: TempNode, batch: Uint8Array, encoding: 'hex' | 'base64' = 'hex') {
  return node.rpc('telemetry.submit', { batch: encoding === 'hex' ? hex(batch) : Buffer.from(batch).toString('base64') });
}

async function waitAnchored(node: TempNode): Promise<void> {
  await node.node.telemetry.waitAnchored(20_000);
}

describe('telemetry ingestion through a running node', { timeout: 120_000 }, () => {
  let node: TempNode;
  const device = keyOf(21);
  let deviceId: string;

  before(async () => {
    node = await startTempNode();
    deviceId = await register(node, device, 'SN-1');
  });
  after(async () => {
    await node?.close();
  });

  test('a signed batch is stored, anchored on the ledger and answered with the anchor', async () => {
    const points = temperatures(500, T0, (i) => -18_000 + i);
    const batch = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 1, points }, device);
    const reply = await submit(node, batch);
    assert.equal(reply.error, undefined, JSON.stringify(reply.error));
    assert.deepEqual(reply.result, { device: deviceId, seq: 1, count: 500, root: hex(telemetryRoot(points)), duplicate: false });

    await waitAnchored(node);
    const anchor = await readAnchor(node.node.ledger, deviceId, 1);
    assert.ok(anchor !== undefined);
    assert.equal(hex(anchor.root), hex(telemetryRoot(points)));
    assert.equal(anchor.count, 500);
    assert.equal(anchor.from, T0);
    assert.equal(anchor.to, T0 + 499_000);

    const query = await node.rpc('telemetry.query', { deviceId, limit: 10 });
    const result = query.result as { points: { t: number; value: number; seq: number }[]; batches: { seq: number; status: string; anchor: { tx: string; height: number; root: string } }[]; next?: unknown };
    assert.equal(result.points.length, 10);
    assert.deepEqual(result.points[0], { t: T0, metric: 'temperature', value: -18_000, unit: 'Cel', seq: 1 });
    assert.equal(result.batches.length, 1);
    assert.equal(result.batches[0]?.status, 'anchored');
    assert.equal(result.batches[0]?.anchor.root, hex(telemetryRoot(points)));
    assert.equal(result.batches[0]?.anchor.height, anchor.height);
    assert.equal(result.batches[0]?.anchor.tx, hex(anchor.tx));
    assert.deepEqual(result.next, { seq: 1, index: 10 });
    // The anchor transaction is a committed telemetry.anchor.
    const tx = await node.rpc('tx.get', { hash: hex(anchor.tx) });
    assert.equal((tx.result as { tx: { contract: string; method: string } }).tx.method, 'anchor');
  });

  test('base64 is accepted as well as hex; the same batch again is acknowledged as a duplicate, another with its seq is refused', async () => {
    const points = temperatures(3, T0 + 600_000, () => -17_000);
    const batch = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 2, points }, device);
    assert.equal((await submit(node, batch, 'base64')).error, undefined);
    const again = await submit(node, batch);
    assert.equal((again.result as { duplicate: boolean }).duplicate, true);
    const replay = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 2, points: temperatures(3, T0 + 700_000, () => 0) }, device);
    assert.equal((await submit(node, replay)).error?.data.code, 'TELEMETRY_SEQ_REPLAYED');
    const older = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 1, points: temperatures(3, T0 + 700_000, () => 0) }, device);
    assert.equal((await submit(node, older)).error?.data.code, 'TELEMETRY_SEQ_REPLAYED');
  });

  test('forged, wrong-device, unregistered and decommissioned batches are refused with their codes and not stored', async () => {
    const points = temperatures(5, T0 + 800_000, () => 1);
    const body = { v: 1 as const, device: device.publicKey, seq: 10, points };
    const bodyBytes = encodeTelemetryBody(body);
    const forged = encodeTelemetryBatch(bodyBytes, new Uint8Array(64).fill(3));
    assert.equal((await submit(node, forged)).error?.data.code, 'TELEMETRY_BAD_SIGNATURE');
    // Another (registered) device's key signing a batch that names this device.
    const other = keyOf(22);
    await register(node, other, 'SN-2');
    const wrongDevice = encodeTelemetryBatch(bodyBytes, other.sign(telemetryBatchId(bodyBytes)));
    assert.equal((await submit(node, wrongDevice)).error?.data.code, 'TELEMETRY_BAD_SIGNATURE');
    // A batch signed correctly by a key no device on the ledger has.
    const stranger = keyOf(23);
    const unregistered = signTelemetryBatch({ ...body, device: stranger.publicKey }, stranger);
    assert.equal((await submit(node, unregistered)).error?.data.code, 'TELEMETRY_DEVICE_UNKNOWN');
    assert.equal((await submit(node, new Uint8Array([0xa2, 1, 2]))).error?.data.code, 'TELEMETRY_MALFORMED');

    const retired = keyOf(24);
    const retiredId = await register(node, retired, 'SN-3');
    const event = await node.rpc('device.recordEvent', { device: retiredId, kind: 'decommissioned' });
    assert.equal(event.error, undefined, JSON.stringify(event.error));
    const late = signTelemetryBatch({ ...body, device: retired.publicKey }, retired);
    assert.equal((await submit(node, late)).error?.data.code, 'TELEMETRY_DEVICE_INACTIVE');

    const query = await node.rpc('telemetry.query', { deviceId, from: T0 + 800_000 });
    assert.deepEqual((query.result as { points: unknown[] }).points, []);
    const stats = (await node.rpc('telemetry.stats')).result as { rejected: Record<string, number> };
    assert.equal(stats.rejected.TELEMETRY_BAD_SIGNATURE, 2);
    assert.equal(stats.rejected.TELEMETRY_DEVICE_UNKNOWN, 1);
    assert.equal(stats.rejected.TELEMETRY_DEVICE_INACTIVE, 1);
  });

  test('queries filter by time and metric, page forwards and backwards', async () => {
    const mixed: TelemetryPoint[] = [];
    for (let i = 0; i < 20; i++) {
      mixed.push({ t: T0 + 2_000_000 + i * 1000, metric: 'humidity', value: 40_000 + i, unit: '%' });
      mixed.push({ t: T0 + 2_000_000 + i * 1000, metric: 'temperature', value: -20_000 + i, unit: 'Cel' });
    }
    const batch = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 20, points: mixed }, device);
    assert.equal((await submit(node, batch)).error, undefined);
    type Page = { points: { t: number; metric: string; value: number }[]; next?: { seq: number; index: number } };
    const first = (await node.rpc('telemetry.query', { deviceId, from: T0 + 2_000_000, metric: 'humidity', limit: 8 })).result as Page;
    assert.deepEqual(first.points.map((p) => p.value), [0, 1, 2, 3, 4, 5, 6, 7].map((i) => 40_000 + i));
    const second = (await node.rpc('telemetry.query', { deviceId, from: T0 + 2_000_000, metric: 'humidity', limit: 100, after: first.next })).result as Page;
    assert.deepEqual(second.points.map((p) => p.value), Array.from({ length: 12 }, (_, i) => 40_008 + i));
    assert.equal(second.next, undefined);
    const latest = (await node.rpc('telemetry.query', { deviceId, metric: 'temperature', order: 'desc', limit: 3 })).result as Page;
    assert.deepEqual(latest.points.map((p) => p.value), [-19_981, -19_982, -19_983]);
    const older = (await node.rpc('telemetry.query', { deviceId, metric: 'temperature', order: 'desc', limit: 2, after: latest.next })).result as Page;
    assert.deepEqual(older.points.map((p) => p.value), [-19_984, -19_985]);
    const window = (await node.rpc('telemetry.query', { deviceId, from: T0 + 2_005_000, to: T0 + 2_006_000 })).result as Page;
    assert.deepEqual(window.points.map((p) => `${p.metric}@${p.t - T0 - 2_000_000}`), ['humidity@5000', 'temperature@5000', 'humidity@6000', 'temperature@6000']);
    assert.equal((await node.rpc('telemetry.query', { deviceId, from: 5, to: 4 })).error?.data.code, 'INVALID_PARAMS');
  });

  test('a threshold rule held for its duration records an alert on the ledger and opens a maintenance request', async () => {
    const setRule = await node.rpc('tx.submit', {
      contract: 'telemetry', method: 'setRule', waitForCommit: true,
      payload: { device: deviceId, name: 'cold-chain', metric: 'temperature', above: 0, forSeconds: 30, assignTo: node.node.orgId },
    });
    assert.equal((setRule.result as { receipt: { ok: boolean; code: string } }).receipt.ok, true, JSON.stringify(setRule.result));
    const rules = (await node.rpc('telemetry.rules', { deviceId })).result as { rules: { name: string; above: number }[] };
    assert.deepEqual(rules.rules.map((r) => [r.name, r.above]), [['cold-chain', 0]]);
    const start = T0 + 3_000_000;
    // Above 0 °C for 20 s, back below (no alert), then above for 40 s: one alert, from the start of the second episode.
    const points = [
      ...temperatures(20, start, () => 1_500),
      ...temperatures(5, start + 20_000, () => -1_000),
      ...temperatures(41, start + 25_000, (i) => (i === 10 ? 4_200 : 2_000)),
    ];
    const batch = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 30, points }, device);
    assert.equal((await submit(node, batch)).error, undefined);
    const deadline = Date.now() + 20_000;
    let alert;
    while ((alert = await readAlert(node.node.ledger, deviceId, 'cold-chain', start + 25_000)) === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(alert !== undefined, 'the alert is on the ledger');
    assert.equal(alert.to, start + 55_000);
    assert.equal(alert.value, 4_200);
    assert.equal(alert.seq, 30);
    assert.equal(alert.maintenance, node.node.orgId);
    const request = await readMaintenanceRequest(node.node.ledger, deviceId, 'cold-chain', start + 25_000);
    assert.equal(request?.assignee, node.node.orgId);
    assert.equal(request?.status, 'open');
    const history = (await node.rpc('state.history', { subject: `device/${deviceId}` })).result as { entries: { method: string; ok: boolean }[] };
    assert.ok(history.entries.some((e) => e.method === 'recordAlert' && e.ok));
    assert.equal(((await node.rpc('telemetry.stats')).result as { alerts: { raised: number } }).alerts.raised, 1);
  });

  test('a batch whose store failed while a later seq was stored can be sent again', async () => {
    const key = keyOf(31);
    const id = await register(node, key, 'SN-RETRY');
    const store = node.node.telemetry.store;
    const put = store.put.bind(store);
    let failOnce = true;
    let putStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => { putStarted = resolve; });
    store.put = async (entry) => {
      if (entry.device === id && entry.seq === 1 && failOnce) {
        failOnce = false;
        putStarted();
        await new Promise((resolve) => setTimeout(resolve, 100));
        throw new Error('disk full');
      }
      return put(entry);
    };
    try {
      const first = signTelemetryBatch({ v: 1, device: key.publicKey, seq: 1, points: temperatures(3, T0, () => 1) }, key);
      const second = signTelemetryBatch({ v: 1, device: key.publicKey, seq: 2, points: temperatures(3, T0 + 10_000, () => 2) }, key);
      const failing = submit(node, first);
      await started;
      const later = await submit(node, second);
      assert.equal(later.error, undefined, JSON.stringify(later.error));
      assert.notEqual((await failing).error, undefined, 'the first store failed');
      const retried = await submit(node, first);
      assert.equal(retried.error, undefined, JSON.stringify(retried.error));
      assert.equal((retried.result as { duplicate: boolean }).duplicate, false);
      const again = await submit(node, first);
      assert.equal((again.result as { duplicate: boolean }).duplicate, true, 'once stored it is a duplicate');
      const query = await node.rpc('telemetry.query', { deviceId: id, limit: 10 });
      assert.equal((query.result as { points: unknown[] }).points.length, 6);
    } finally {
      store.put = put;
    }
  });

  test('rules are evaluated batch after batch even when reading the rules is slow for the first', async () => {
    const key = keyOf(41);
    const id = await register(node, key, 'SN-ORDER');
    const setRule = await node.rpc('tx.submit', {
      contract: 'telemetry', method: 'setRule', waitForCommit: true,
      payload: { device: id, name: 'warm', metric: 'temperature', above: 0, forSeconds: 4 },
    });
    assert.equal((setRule.result as { receipt: { ok: boolean } }).receipt.ok, true, JSON.stringify(setRule.result));
    const ledger = node.node.ledger as unknown as { get(key: string): Promise<Uint8Array | undefined> };
    const get = ledger.get.bind(ledger);
    let slowOnce = true;
    ledger.get = async (stateKey: string) => {
      if (slowOnce && stateKey === `telemetry-rules/${id}`) {
        slowOnce = false;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      return get(stateKey);
    };
    try {
      const start = T0 + 9_000_000;
      // Above 0 from start to start + 5 s, across two batches: one alert from the start, fired at start + 4 s.
      const first = signTelemetryBatch({ v: 1, device: key.publicKey, seq: 1, points: temperatures(3, start, () => 1_000) }, key);
      const second = signTelemetryBatch({ v: 1, device: key.publicKey, seq: 2, points: temperatures(3, start + 3_000, () => 1_000) }, key);
      assert.equal((await submit(node, first)).error, undefined);
      assert.equal((await submit(node, second)).error, undefined);
      const deadline = Date.now() + 10_000;
      let alert;
      while ((alert = await readAlert(node.node.ledger, id, 'warm', start)) === undefined && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok(alert !== undefined, 'the alert spanning both batches is on the ledger');
      assert.equal(alert.to, start + 4_000);
      assert.equal(alert.seq, 2);
      // Removing the rule drops its state.
      const held = node.node.telemetry.ruleStatesHeld;
      assert.ok(held >= 1);
      const removed = await node.rpc('tx.submit', { contract: 'telemetry', method: 'removeRule', payload: { device: id, name: 'warm' }, waitForCommit: true });
      assert.equal((removed.result as { receipt: { ok: boolean } }).receipt.ok, true, JSON.stringify(removed.result));
      const until = Date.now() + 2_000;
      while (node.node.telemetry.ruleStatesHeld !== held - 1 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(node.node.telemetry.ruleStatesHeld, held - 1, 'the removed rule\'s state is gone');
    } finally {
      delete (ledger as { get?: unknown }).get;
      if (ledger.get === undefined) ledger.get = get;
    }
  });

  test('a batch altered in the store after anchoring is reported as a mismatch by the query', async () => {
    const points = temperatures(50, T0 + 4_000_000, () => -5_000);
    const batch = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 40, points }, device);
    assert.equal((await submit(node, batch)).error, undefined);
    await waitAnchored(node);
    const dataDir = node.dataDir;
    await node.host.close();
    // Someone with access to the disk puts other points in place of batch 40, even validly signed by the device key.
    const tampered = signTelemetryBatch({ v: 1, device: device.publicKey, seq: 40, points: temperatures(50, T0 + 4_000_000, () => -25_000) }, device);
    const db = new ClassicLevel<Uint8Array, Uint8Array>(join(dataDir, TELEMETRY_DB_DIR), { keyEncoding: 'view', valueEncoding: 'view' });
    await db.open();
    const key = new Uint8Array(29);
    key[0] = 0x62;
    key.set(Buffer.from(deviceId, 'hex'), 1);
    new DataView(key.buffer).setBigUint64(21, 40n);
    assert.ok((await db.get(key)) !== undefined);
    await db.put(key, tampered);
    await db.close();

    const host = await NodeHost.start({ dataDir }, TEST_PASSPHRASE);
    try {
      const result = await host.node.telemetry.query({ device: deviceId, from: T0 + 4_000_000, to: T0 + 4_100_000, limit: 100 });
      assert.equal(result.batches.length, 1);
      assert.equal(result.batches[0]?.status, 'mismatch');
      assert.notEqual(result.batches[0]?.anchor?.root, undefined);
      const earlier = await host.node.telemetry.query({ device: deviceId, to: T0 + 10_000, limit: 1 });
      assert.equal(earlier.batches[0]?.status, 'anchored');
    } finally {
      await host.close();
    }
  });
});
