import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log, round } from './support.ts';
import { buildScaleLedger, measureScaleNode } from './scale.ts';
import { ed25519VerifyBaseline, throughput } from './throughput.ts';

/**
 * `npm run bench`: figures as JSON on stdout, progress on stderr. Sizes can be lowered for a quick
 * look: BENCH_TXS (throughput run), BENCH_SCALE_BLOCKS (× 10,000 transactions).
 */
const txCount = Number(process.env.BENCH_TXS ?? 50_000);
const scaleBlocks = Number(process.env.BENCH_SCALE_BLOCKS ?? 100);
const dir = await mkdtemp(join(tmpdir(), 'ingot-bench-'));
try {
  log('measuring the Ed25519 verify baseline');
  const verifyPerSecond = ed25519VerifyBaseline();
  const single = await throughput(dir, txCount, 1000);
  const fast = await throughput(dir, txCount, 100);
  log(`building a ledger of ${scaleBlocks * 10_000} transactions`);
  const scaleDir = await buildScaleLedger(dir, scaleBlocks, 10_000);
  const scale = await measureScaleNode(scaleDir, 500);
  const result = {
    machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
    baseline: { ed25519VerifyPerSecond: round(verifyPerSecond, 0) },
    singleNode: [single, fast].map((run) => ({ ...run, ratioToVerifyBaseline: round(run.sustainedTxPerSecond / verifyPerSecond, 3) })),
    ledgerScale: scale,
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
