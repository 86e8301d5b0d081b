import { join } from 'node:path';
import { telemetryLimits, type TelemetryPoint } from '../../node-core/src/codec/telemetry.ts';
import { signTelemetryBatch, verifyTelemetryBatch } from '../../node-core/src/contracts/telemetry-batch.ts';
import { signingKeyFromSeed } from '../../node-core/src/crypto/ed25519.ts';
import { toHex } from '../../node-core/src/crypto/hex.ts';
import { systemClock } from '../../node-core/src/node/clock.ts';
import { registerDevice } from '../../node-core/src/node/devices.ts';
import { initConsortium } from '../../node-core/src/node/init.ts';
import { IngotNode } from '../../node-core/src/node/node.ts';
import { batchRoot } from '../../node-core/src/node/telemetry-root.ts';
import { BENCH_PASSPHRASE, LOOPBACK_P2P, log, round } from './support.ts';

/**
 * Telemetry ingestion on one node (docs/telemetry.md): signed batches of 500 points from several
 * devices, each checked (form, device signature, registration), stored durably, and anchored on the
 * ledger in telemetry.anchor transactions. The figure is points per second from the first
 * submission until the last batch's anchor is committed. The same-run baselines are the CPU ceiling
 * of the per-batch checks alone (decode, verify, root on one thread) and the Ed25519 verify rate.
 */

const POINTS_PER_BATCH = 500;
/** Devices submitting at once, one batch in flight each (a device's batches go in seq order). */
const DEVICES = 16;

function batchesFor(deviceIndex: number, count: number, start: number): Uint8Array[] {
  const key = signingKeyFromSeed(new Uint8Array(32).fill(100 + deviceIndex));
  const out: Uint8Array[] = [];
  let t = start;
  for (let seq = 1; seq <= count; seq++) {
    const points: TelemetryPoint[] = [];
    for (let i = 0; i < POINTS_PER_BATCH; i++) {
      points.push({ t, metric: i % 2 === 0 ? 'temperature' : 'humidity', value: i % 2 === 0 ? -18_000 + (i % 300) : 65_000 - (i % 500), unit: i % 2 === 0 ? 'Cel' : '%' });
      t += 10;
    }
    out.push(signTelemetryBatch({ v: 1, device: key.publicKey, seq, points }, key));
  }
  return out;
}

/** What one thread does per batch before storage: decode, verify the signature, compute the root. */
function checkCeiling(batch: Uint8Array, durationMs = 1500): number {
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    const verified = verifyTelemetryBatch(batch);
    batchRoot(verified.bodyBytes);
    count++;
  }
  return (count * POINTS_PER_BATCH) / ((performance.now() - start) / 1000);
}

export async function telemetryBench(dir: string, totalBatches: number, verifyPerSecond: number) {
  const dataDir = join(dir, 'telemetry');
  await initConsortium({ dataDir, orgName: 'Bench Sensors', passphrase: BENCH_PASSPHRASE, clock: systemClock, config: { api: { host: '127.0.0.1', port: 0 }, blockIntervalMs: 200, p2p: LOOPBACK_P2P } });
  const node = await IngotNode.start({ dataDir, passphrase: BENCH_PASSPHRASE });
  try {
    log(`registering ${DEVICES} devices`);
    for (let d = 0; d < DEVICES; d++) {
      const key = signingKeyFromSeed(new Uint8Array(32).fill(100 + d));
      await registerDevice(node, { publicKey: toHex(key.publicKey), generateKey: false, model: 'Bench sensor', serial: `BS-${d}` });
    }
    const perDevice = Math.ceil(totalBatches / DEVICES);
    log(`signing ${perDevice * DEVICES} batches of ${POINTS_PER_BATCH} points`);
    const start = 1_760_000_000_000;
    const batches = Array.from({ length: DEVICES }, (_, d) => batchesFor(d, perDevice, start));
    const ceiling = checkCeiling(batches[0]?.[0] as Uint8Array);
    const points = perDevice * DEVICES * POINTS_PER_BATCH;

    log(`submitting ${points} points`);
    const cpuAtStart = process.cpuUsage();
    const began = performance.now();
    await Promise.all(batches.map(async (list) => {
      for (const batch of list) await node.telemetry.submit(batch);
    }));
    const stored = performance.now();
    await node.telemetry.waitAnchored(300_000);
    const anchored = performance.now();
    const cpu = process.cpuUsage(cpuAtStart);
    const stats = node.telemetry.stats;
    const seconds = (anchored - began) / 1000;
    const pointsPerSecond = points / seconds;
    return {
      devices: DEVICES,
      pointsPerBatch: POINTS_PER_BATCH,
      batches: perDevice * DEVICES,
      points,
      seconds: round(seconds),
      /** Verified, stored and anchored: from the first submission to the last anchor's commit. */
      pointsPerSecond: round(pointsPerSecond, 0),
      /** Verified and durably stored (acknowledged), before the anchors are counted. */
      storedPointsPerSecond: round(points / ((stored - began) / 1000), 0),
      anchorTransactions: stats.anchored.transactions,
      batchesPerAnchorTx: round(stats.anchored.batches / Math.max(1, stats.anchored.transactions), 1),
      targetPointsPerSecond: 100_000,
      meetsTarget: pointsPerSecond >= 100_000,
      baseline: {
        /** One thread decoding, verifying and rooting batches, nothing stored: the ceiling of the checks. */
        checkOnlyPointsPerSecond: round(ceiling, 0),
        ed25519VerifyPerSecond: round(verifyPerSecond, 0),
      },
      ratioToCheckOnly: round(pointsPerSecond / ceiling, 3),
      /** Batches per second against signature checks per second: how far from one verify per batch. */
      batchRatioToVerifyBaseline: round(pointsPerSecond / POINTS_PER_BATCH / verifyPerSecond, 3),
      coresBusy: round((cpu.user + cpu.system) / 1e6 / seconds),
      maxPointsPerBatch: telemetryLimits.pointsMax,
    };
  } finally {
    await node.close();
  }
}
