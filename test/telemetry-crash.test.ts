import assert from 'node:assert/strict';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { TelemetryQueryJson, TelemetryStatsJson } from '../node-core/src/api/telemetry-methods.ts';
import type { TelemetryPoint } from '../node-core/src/codec/telemetry.ts';
import { signTelemetryBatch, telemetryRoot } from '../node-core/src/contracts/telemetry-batch.ts';
import { signingKeyFromSeed, type SigningKey } from '../node-core/src/crypto/ed25519.ts';
import { toHex } from '../node-core/src/crypto/hex.ts';
import { describeResult, killStrays, rpc, rpcResult, runCli, startNode, stdoutJson, tempDir, waitUntil, type RunningNode } from './support/cli.ts';

/**
 * Nothing acknowledged is lost: a node in a child process takes telemetry batches from several
 * devices at once over RPC and is killed with SIGKILL mid-ingestion, several times. After each
 * restart every batch it acknowledged is in its store with the same root, and in the end every one
 * is anchored on the ledger (the pending anchors survive the kills).
 */

const KILLS = 4;
const DEVICES = 3;
const POINTS = 50;

interface Acked {
  readonly device: string;
  readonly seq: number;
  readonly root: string;
}

test('SIGKILL during ingestion loses no acknowledged batch, and every one is anchored after restarts', { timeout: 240_000 }, async (context) => {
  const { dir, remove } = await tempDir('ingot-telemetry-crash-');
  let node: RunningNode | undefined;
  try {
    const dataDir = join(dir, 'node');
    const init = await runCli(['init', '--data', dataDir, '--org', 'Crash Works', '--api', '0', '--block-interval', '100']);
    assert.equal(init.code, 0, describeResult(init));
    node = await startNode(dataDir);
    const devices: { key: SigningKey; id: string; nextSeq: number }[] = [];
    for (let i = 0; i < DEVICES; i++) {
      const key = signingKeyFromSeed(new Uint8Array(32).fill(40 + i));
      const registered = await runCli(['device', 'register', '--data', dataDir, '--model', 'Gateway', '--serial', `GW-${i}`, '--public-key', toHex(key.publicKey)]);
      assert.equal(registered.code, 0, describeResult(registered));
      devices.push({ key, id: stdoutJson<{ id: string }>(registered).id, nextSeq: 1 });
    }
    const acked: Acked[] = [];
    let t = 1_760_000_000_000;

    for (let kill = 0; kill <= KILLS; kill++) {
      const running = node;
      let stopping = false;
      // One submitter per device (a device's seqs go in order), all at once.
      const submitters = devices.map(async (device) => {
        while (!stopping) {
          const seq = device.nextSeq++;
          const points: TelemetryPoint[] = Array.from({ length: POINTS }, (_, i) => ({ t: t + i, metric: 'pressure', value: seq * 1000 + i, unit: 'kPa' }));
          t += POINTS;
          const batch = signTelemetryBatch({ v: 1, device: device.key.publicKey, seq, points }, device.key);
          let reply;
          try {
            reply = await rpc(running.api, 'telemetry.submit', { batch: toHex(batch) }, 5_000);
          } catch {
            return; // the node is gone: this batch was never acknowledged
          }
          if (reply.error !== undefined) {
            if (stopping || !running.alive()) return;
            assert.fail(`batch ${seq} of ${device.id} refused: ${JSON.stringify(reply.error)}`);
          }
          acked.push({ device: device.id, seq, root: toHex(telemetryRoot(points)) });
        }
      });
      if (kill < KILLS) {
        await sleep(300 + kill * 150);
        running.child.kill('SIGKILL');
        await running.exited();
        stopping = true;
        await Promise.all(submitters);
        node = await startNode(dataDir);
      } else {
        await sleep(500);
        stopping = true;
        await Promise.all(submitters);
      }
      // Every batch acknowledged so far is stored, with the root computed from what was sent.
      await checkStored(node, acked);
    }
    assert.ok(acked.length >= DEVICES * KILLS, `only ${acked.length} batches were acknowledged`);
    context.diagnostic(`${acked.length} batches acknowledged across ${KILLS} SIGKILLs`);

    const api = node.api;
    await waitUntil(async () => (await rpcResult<TelemetryStatsJson>(api, 'telemetry.stats')).pendingAnchors === 0, 'every pending anchor to commit', 60_000, 100);
    const batches = await allBatches(node, devices.map((d) => d.id));
    for (const batch of acked) {
      const found = batches.get(`${batch.device}/${batch.seq}`);
      assert.equal(found?.status, 'anchored', `batch ${batch.seq} of ${batch.device} is ${found?.status}`);
      assert.equal(found?.anchor?.root, batch.root);
    }
    const verify = await (async () => {
      await node.stop();
      return runCli(['verify-ledger', '--data', dataDir], { timeoutMs: 60_000 });
    })();
    assert.equal(verify.code, 0, describeResult(verify));
  } finally {
    await node?.stop().catch(() => undefined);
    killStrays();
    await remove();
  }
});

async function allBatches(node: RunningNode, deviceIds: readonly string[]): Promise<Map<string, TelemetryQueryJson['batches'][number]>> {
  const found = new Map<string, TelemetryQueryJson['batches'][number]>();
  for (const deviceId of deviceIds) {
    let after: TelemetryQueryJson['next'];
    do {
      const page: TelemetryQueryJson = await rpcResult<TelemetryQueryJson>(node.api, 'telemetry.query', { deviceId, limit: 10_000, ...(after === undefined ? {} : { after }) }, 30_000);
      for (const batch of page.batches) found.set(`${deviceId}/${batch.seq}`, batch);
      after = page.next;
    } while (after !== undefined);
  }
  return found;
}

async function checkStored(node: RunningNode, acked: readonly Acked[]): Promise<void> {
  const batches = await allBatches(node, [...new Set(acked.map((a) => a.device))]);
  for (const batch of acked) {
    const found = batches.get(`${batch.device}/${batch.seq}`);
    assert.ok(found !== undefined, `acknowledged batch ${batch.seq} of ${batch.device} is missing after a kill`);
    assert.equal(found.root, batch.root);
    assert.notEqual(found.status, 'mismatch');
  }
}
