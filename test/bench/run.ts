import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log, round } from './support.ts';
import { consensusBench } from './consensus.ts';
import { buildScaleLedger, measureScaleNode } from './scale.ts';
import { syncBench } from './sync.ts';
import { ed25519VerifyBaseline, throughput } from './throughput.ts';
import { telemetryBench } from './telemetry.ts';

/**
 * `npm run bench`: figures as JSON on stdout, progress on stderr. Sizes can be lowered for a quick
 * look: BENCH_TXS (throughput run), BENCH_SCALE_BLOCKS (× 10,000 transactions), BENCH_CONSENSUS_RATE
 * (tx/s offered to the four validators), BENCH_CONSENSUS_SECONDS, BENCH_CONSENSUS_BLOCK_MS,
 * BENCH_SYNC_TXS, BENCH_SYNC_BLOCK_TXS, BENCH_TELEMETRY_BATCHES (of 500 points). BENCH_ONLY=consensus,sync (a comma
 * list of singleNode, ledgerScale, consensus, sync, telemetry) runs only those sections; the baseline is always measured.
 */
const txCount = Number(process.env.BENCH_TXS ?? 50_000);
const scaleBlocks = Number(process.env.BENCH_SCALE_BLOCKS ?? 100);
const consensusRate = Number(process.env.BENCH_CONSENSUS_RATE ?? 2_100);
const consensusSeconds = Number(process.env.BENCH_CONSENSUS_SECONDS ?? 20);
const consensusBlockMs = Number(process.env.BENCH_CONSENSUS_BLOCK_MS ?? 200);
const syncTxs = Number(process.env.BENCH_SYNC_TXS ?? 200_000);
const syncBlockTxs = Number(process.env.BENCH_SYNC_BLOCK_TXS ?? 1_000);
const telemetryBatches = Number(process.env.BENCH_TELEMETRY_BATCHES ?? 2_000);
const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const runs = (section: string) => only === undefined || only.includes(section);

const dir = await mkdtemp(join(tmpdir(), 'ingot-bench-'));
try {
  log('measuring the Ed25519 verify baseline');
  const verifyBaseline = ed25519VerifyBaseline();
  const verifyPerSecond = verifyBaseline.node;
  const result: Record<string, unknown> = {
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    baseline: { ed25519VerifyPerSecond: round(verifyPerSecond, 0), opensslEd25519VerifyPerSecond: round(verifyBaseline.openssl, 0) },
  };
  if (runs('singleNode')) {
    const single = await throughput(dir, txCount, 1000);
    const fast = await throughput(dir, txCount, 100);
    result.singleNode = [single, fast].map((run) => ({ ...run, ratioToVerifyBaseline: round(run.sustainedTxPerSecond / verifyPerSecond, 3) }));
  }
  if (runs('ledgerScale')) {
    log(`building a ledger of ${scaleBlocks * 10_000} transactions`);
    const scaleDir = await buildScaleLedger(dir, scaleBlocks, 10_000);
    result.ledgerScale = await measureScaleNode(scaleDir, 500);
  }
  if (runs('consensus')) result.consensus = await consensusBench(dir, consensusRate, consensusSeconds, consensusBlockMs);
  if (runs('sync')) result.sync = await syncBench(dir, syncTxs, syncBlockTxs, verifyPerSecond);
  if (runs('telemetry')) result.telemetry = await telemetryBench(dir, telemetryBatches, verifyPerSecond);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
