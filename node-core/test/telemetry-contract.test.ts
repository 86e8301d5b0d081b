import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { toHex } from '../src/crypto/hex.ts';
import { startTempNode, type TempNode } from './support/temp-node.ts';

/** The telemetry contract's refusals, through transactions the node signs and commits. */

const root = 'ab'.repeat(32);

describe('telemetry contract', { timeout: 60_000 }, () => {
  let node: TempNode;
  const ids: string[] = [];

  before(async () => {
    node = await startTempNode();
    for (let i = 0; i < 9; i++) {
      const key = signingKeyFromSeed(new Uint8Array(32).fill(60 + i));
      const reply = await node.rpc('device.register', { publicKey: toHex(key.publicKey), model: 'Meter', serial: `M-${i}` });
      assert.equal(reply.error, undefined, JSON.stringify(reply.error));
      ids.push((reply.result as { id: string }).id);
    }
  });
  after(async () => {
    await node?.close();
  });

  /** Submits and waits; answers the receipt code ('' when ok), or the admission error's code. */
  async function call(method: string, payload: Record<string, unknown>): Promise<string> {
    const reply = await node.rpc('tx.submit', { contract: 'telemetry', method, payload, waitForCommit: true });
    if (reply.error !== undefined) return reply.error.data.code;
    return (reply.result as { receipt: { code: string } }).receipt.code;
  }

  const entry = (device: string, seq: number) => ({ device, seq, root, count: 10, from: 1000, to: 2000 });

  test('anchors are kept once per batch, for the owner\'s registered devices only', async () => {
    assert.equal(await call('anchor', { batches: [entry(ids[0] as string, 1), entry(ids[0] as string, 2)] }), '');
    assert.equal(await call('anchor', { batches: [entry(ids[0] as string, 2)] }), 'TELEMETRY_ANCHOR_KNOWN');
    assert.equal(await call('anchor', { batches: [entry('00'.repeat(20), 1)] }), 'DEVICE_UNKNOWN');
    assert.equal(await call('anchor', { batches: [entry(ids[1] as string, 1), entry(ids[1] as string, 1)] }), 'PAYLOAD_INVALID');
    assert.equal(await call('anchor', { batches: ids.map((id) => entry(id, 5)) }), 'PAYLOAD_INVALID');
    assert.equal(await call('anchor', { batches: [{ ...entry(ids[1] as string, 1), from: 3000 }] }), 'PAYLOAD_INVALID');
    assert.equal(await call('anchor', { batches: Array.from({ length: 65 }, (_, i) => entry(ids[2] as string, i)) }), 'PAYLOAD_INVALID');
    assert.equal(await call('anchor', { batches: Array.from({ length: 64 }, (_, i) => entry(ids[2] as string, i)) }), '');
    const history = (await node.rpc('state.history', { subject: `telemetry/${ids[0]}` })).result as { entries: { method: string }[] };
    assert.ok(history.entries.some((e) => e.method === 'anchor'));
  });

  test('rules: set, replace, remove; alerts need a rule and are kept once', async () => {
    const device = ids[3] as string;
    assert.equal(await call('setRule', { device, name: 'hot', metric: 'temperature' }), 'PAYLOAD_INVALID');
    assert.equal(await call('setRule', { device, name: 'hot', metric: 'temperature', above: 8_000, forSeconds: 60 }), '');
    assert.equal(await call('setRule', { device, name: 'hot', metric: 'temperature', above: 9_000, assignTo: 'ff'.repeat(20) }), 'ORG_NOT_ACTIVE');
    assert.equal(await call('setRule', { device, name: 'hot', metric: 'temperature', above: 9_000 }), '');
    const rules = (await node.rpc('telemetry.rules', { deviceId: device })).result as { rules: { name: string; above: number; forSeconds: number }[] };
    assert.deepEqual(rules.rules.map((r) => [r.name, r.above, r.forSeconds]), [['hot', 9_000, 0]]);
    const alert = { device, rule: 'hot', from: 1000, to: 5000, value: 9_500, seq: 3 };
    assert.equal(await call('recordAlert', { ...alert, rule: 'cold' }), 'RULE_UNKNOWN');
    assert.equal(await call('recordAlert', alert), '');
    assert.equal(await call('recordAlert', alert), 'ALERT_KNOWN');
    assert.equal(await call('removeRule', { device, name: 'hot' }), '');
    assert.equal(await call('removeRule', { device, name: 'hot' }), 'RULE_UNKNOWN');
    for (let i = 0; i < 16; i++) assert.equal(await call('setRule', { device, name: `r${i}`, metric: 'temperature', below: -i }), '');
    assert.equal(await call('setRule', { device, name: 'r16', metric: 'temperature', below: 0 }), 'RULES_FULL');
  });

  test('a decommissioned device takes no rule and no alert', async () => {
    const device = ids[4] as string;
    assert.equal(await call('setRule', { device, name: 'hot', metric: 'temperature', above: 8_000 }), '');
    const event = await node.rpc('tx.submit', { contract: 'device', method: 'recordEvent', payload: { device, kind: 'decommissioned' }, waitForCommit: true });
    assert.equal((event.result as { receipt: { code: string } } | undefined)?.receipt.code, '', JSON.stringify(event));
    assert.equal(await call('setRule', { device, name: 'cold', metric: 'temperature', below: 0 }), 'DEVICE_DECOMMISSIONED');
    assert.equal(await call('recordAlert', { device, rule: 'hot', from: 1000, to: 5000, value: 9_500, seq: 3 }), 'DEVICE_DECOMMISSIONED');
  });
});
