import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import mqtt from 'mqtt';
import { signTelemetryBatch } from '../node-core/src/contracts/telemetry-batch.ts';
import { signingKeyFromSeed } from '../node-core/src/crypto/ed25519.ts';
import { readDeviceKeyFile } from '../node-core/src/node/telemetry-simulator.ts';
import { MqttIngest } from '../node-core/src/node/mqtt-ingest.ts';
import { systemClock } from '../node-core/src/node/clock.ts';
import type { TelemetryQueryJson, TelemetryStatsJson } from '../node-core/src/api/telemetry-methods.ts';
import { describeResult, killStrays, rpcResult, runCli, startNode, stdoutJson, tempDir, waitUntil, type RunningNode } from './support/cli.ts';
import { MOSQUITTO_BIN, startMosquitto, type Broker } from './support/mosquitto.ts';

/**
 * Telemetry over MQTT end to end, against a real mosquitto on 127.0.0.1: `ingot start --mqtt`
 * subscribes the node, `ingot device simulate` publishes signed batches as a registered device,
 * the points are stored and anchored; malformed messages are counted and the node carries on; the
 * node reconnects when the broker comes back.
 */

describe('telemetry over MQTT with a real mosquitto', { timeout: 180_000, skip: MOSQUITTO_BIN === undefined ? 'mosquitto is not installed' : false }, () => {
  let dir: string;
  let remove: () => Promise<void>;
  let broker: Broker;
  let node: RunningNode;
  let deviceId: string;
  let keyPath: string;

  before(async () => {
    ({ dir, remove } = await tempDir('ingot-mqtt-test-'));
    broker = await startMosquitto(dir);
    const dataDir = join(dir, 'node');
    const init = await runCli(['init', '--data', dataDir, '--org', 'Cold Chain Ltd', '--api', '0', '--block-interval', '50']);
    assert.equal(init.code, 0, describeResult(init));
    node = await startNode(dataDir, { args: ['--mqtt', broker.url] });
    keyPath = join(dir, 'reefer.key.json');
    const registered = await runCli(['device', 'register', '--data', dataDir, '--model', 'Reefer 9', '--serial', 'RF-1', '--generate-key', keyPath]);
    assert.equal(registered.code, 0, describeResult(registered));
    deviceId = stdoutJson<{ id: string }>(registered).id;
    await waitUntil(async () => (await stats()).mqtt?.state === 'connected', 'the node to connect to the broker', 15_000);
  });

  after(async () => {
    await node?.stop().catch(() => undefined);
    await broker?.stop();
    killStrays();
    await remove?.();
  });

  const stats = () => rpcResult<TelemetryStatsJson>(node.api, 'telemetry.stats');
  const query = (params: Record<string, unknown> = {}) => rpcResult<TelemetryQueryJson>(node.api, 'telemetry.query', { deviceId, limit: 10_000, ...params });

  test('ingot device simulate publishes signed batches that the node stores and anchors', async () => {
    const run = await runCli(['device', 'simulate', '--key', keyPath, '--mqtt', broker.url, '--rate', '400', '--batch', '100', '--count', '4'], { timeoutMs: 30_000 });
    assert.equal(run.code, 0, describeResult(run));
    const summary = stdoutJson<{ device: string; batches: number; points: number; topic: string }>(run);
    assert.deepEqual([summary.device, summary.batches, summary.points, summary.topic], [deviceId, 4, 400, `ingot/telemetry/${deviceId}`]);
    await waitUntil(async () => {
      const result = await query();
      return result.points.length === 400 && result.batches.every((b) => b.status === 'anchored');
    }, '400 anchored points', 30_000, 100);
    const result = await query({ limit: 5, order: 'desc' });
    assert.ok(result.points.every((p) => p.metric === 'temperature' && p.unit === 'Cel' && p.value > -25_000 && p.value < -10_000));
    assert.ok(result.batches[0]?.anchor !== null);
    const counted = await stats();
    assert.equal(counted.mqtt?.accepted, 4);
    assert.equal(counted.accepted.points, 400);
  });

  test('malformed messages are counted and logged, and the node carries on', async () => {
    const before = (await stats()).mqtt;
    assert.ok(before !== undefined);
    const client = await mqtt.connectAsync(broker.url, { connectTimeout: 5_000 });
    try {
      const device = await readDeviceKeyFile(keyPath);
      const stranger = signingKeyFromSeed(new Uint8Array(32).fill(99));
      const strangerBatch = signTelemetryBatch({ v: 1, device: stranger.publicKey, seq: 1, points: [{ t: Date.now(), metric: 'temperature', value: 1, unit: 'Cel' }] }, stranger);
      await client.publishAsync(`ingot/telemetry/${deviceId}`, Buffer.from('not a batch'), { qos: 1 });
      await client.publishAsync(`ingot/telemetry/${deviceId}`, Buffer.alloc(0), { qos: 1 });
      await client.publishAsync(`ingot/telemetry/${deviceId}`, Buffer.from([0xa2, 0x64, 0x62, 0x6f]), { qos: 1 });
      await client.publishAsync('ingot/telemetry/not-a-device', Buffer.from('x'), { qos: 0 });
      // A well-formed batch of another key on this device's topic.
      await client.publishAsync(`ingot/telemetry/${deviceId}`, Buffer.from(strangerBatch), { qos: 1 });
      // A batch of this device with a forged signature: well formed, refused.
      const good = signTelemetryBatch({ v: 1, device: device.key.publicKey, seq: Date.now(), points: [{ t: Date.now(), metric: 'temperature', value: -18_000, unit: 'Cel' }] }, device.key);
      const forged = Buffer.from(good);
      forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 1;
      await client.publishAsync(`ingot/telemetry/${deviceId}`, forged, { qos: 1 });
      await waitUntil(async () => ((await stats()).mqtt?.received ?? 0) >= before.received + 6, 'the node to take in the six messages', 15_000, 50);
      const after = (await stats()).mqtt;
      assert.ok(after !== undefined);
      assert.equal(after.malformed - before.malformed, 5, JSON.stringify(after));
      assert.equal(after.rejected - before.rejected, 1, JSON.stringify(after));
      assert.equal(after.accepted, before.accepted);
      assert.ok(node.alive());
      assert.match(node.stderr(), /MQTT: /);
      // Still ingesting: a good batch after the bad ones.
      await client.publishAsync(`ingot/telemetry/${deviceId}`, Buffer.from(good), { qos: 1 });
      await waitUntil(async () => (await stats()).mqtt?.accepted === before.accepted + 1, 'the good batch to be accepted', 15_000, 50);
    } finally {
      await client.endAsync();
    }
  });

  test('a batch the node fails to store is not acknowledged and the broker delivers it again', async () => {
    const seen: string[] = [];
    let failures = 0;
    const ingest = new MqttIngest({ url: broker.url, topicPrefix: 'ingot/failing', clientId: 'ingot-failing-store-test' }, async (bytes) => {
      seen.push(Buffer.from(bytes).toString());
      if (failures-- > 0) throw new Error('the store could not write');
      return { duplicate: false };
    }, systemClock);
    const client = await mqtt.connectAsync(broker.url, { connectTimeout: 5_000 });
    try {
      await waitUntil(async () => ingest.stats.state === 'connected', 'the ingest to connect', 15_000, 20);
      // Let the subscription reach the broker before publishing.
      await waitUntil(async () => { await client.publishAsync(`ingot/failing/${'0'.repeat(40)}`, Buffer.from('probe'), { qos: 1 }); return seen.length > 0; }, 'the subscription', 15_000, 200);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const accepted = ingest.stats.accepted;
      failures = 1;
      await client.publishAsync(`ingot/failing/${'a'.repeat(40)}`, Buffer.from('batch'), { qos: 1 });
      await waitUntil(async () => ingest.stats.accepted === accepted + 1, 'the batch to be delivered again and stored', 15_000, 50);
      assert.deepEqual(seen.filter((s) => s === 'batch').length, 2, JSON.stringify(seen));
      assert.equal(ingest.stats.failed, 1);
      assert.ok(ingest.stats.reconnects >= 1);
    } finally {
      await client.endAsync();
      await ingest.close();
    }
  });

  test('the node reconnects when the broker comes back on its port', async () => {
    const port = broker.port;
    await broker.stop();
    await waitUntil(async () => (await stats()).mqtt?.state === 'reconnecting', 'the node to notice the broker is gone', 15_000, 50);
    broker = await startMosquitto(dir, port);
    await waitUntil(async () => (await stats()).mqtt?.state === 'connected', 'the node to reconnect', 30_000, 100);
    const before = (await stats()).mqtt?.accepted ?? 0;
    const run = await runCli(['device', 'simulate', '--key', keyPath, '--mqtt', broker.url, '--rate', '100', '--batch', '50', '--count', '2'], { timeoutMs: 30_000 });
    assert.equal(run.code, 0, describeResult(run));
    await waitUntil(async () => ((await stats()).mqtt?.accepted ?? 0) === before + 2, 'the batches after the reconnection', 15_000, 50);
    assert.ok(((await stats()).mqtt?.reconnects ?? 0) >= 1);
  });
});
