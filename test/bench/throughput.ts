import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { join } from 'node:path';
import { systemClock } from '../../node-core/src/node/clock.ts';
import { initConsortium } from '../../node-core/src/node/init.ts';
import { IngotNode } from '../../node-core/src/node/node.ts';
import { assert, IngotError } from '../../node-core/src/codec/errors.ts';
import { verifySignature } from '../../node-core/src/crypto/ed25519.ts';
import { BENCH_PASSPHRASE, LOOPBACK_P2P, log, orgKeyOf, percentile, profileUpdates, round } from './support.ts';

export const SUBMITTERS = 1024;

/** Checks per second that `check` keeps up on one core, over `durationMs`. */
function rateOf(check: () => void, durationMs: number): number {
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    for (let i = 0; i < 100; i++) check();
    count += 100;
  }
  return count / ((performance.now() - start) / 1000);
}

/**
 * This machine's Ed25519 verify rate on one core: with the node's own check (libsodium), the
 * ceiling the ratios are taken against, and with OpenSSL (a cached key object) for comparison.
 */
export function ed25519VerifyBaseline(durationMs = 1500): { node: number; openssl: number } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const publicKey = createPublicKey(privateKey);
  const rawPublicKey = new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }).subarray(-32));
  const message = Buffer.alloc(32, 7);
  const signature = sign(null, message, privateKey);
  assert(verifySignature(rawPublicKey, message, signature), 'the baseline signature checks');
  return {
    node: rateOf(() => verifySignature(rawPublicKey, message, signature), durationMs),
    openssl: rateOf(() => verify(null, message, publicKey, signature), durationMs),
  };
}

/**
 * Signed transactions submitted, validated, executed and durably committed per second by one node,
 * with pre-signed transactions offered as fast as the mempool takes them.
 */
export async function throughput(dir: string, txCount: number, blockIntervalMs: number) {
  const dataDir = join(dir, `throughput-${blockIntervalMs}`);
  await initConsortium({ dataDir, orgName: 'Bench Works', passphrase: BENCH_PASSPHRASE, clock: systemClock, config: { api: { host: '127.0.0.1', port: 0 }, blockIntervalMs, p2p: LOOPBACK_P2P } });
  const node = await IngotNode.start({ dataDir, passphrase: BENCH_PASSPHRASE });
  const key = await orgKeyOf(dataDir);
  log(`signing ${txCount} transactions`);
  const txs = profileUpdates(key, node.ledger.chainId, txCount, 1000, 'tp');

  const submittedAt = new Map<string, number>();
  const latencies: number[] = [];
  let committed = 0;
  let blocks = 0;
  let lastCommit = 0;
  let firstCommit = 0;
  let firstBlockTxs = 0;
  let peakRss = process.memoryUsage().rss;
  const allCommitted = Promise.withResolvers<void>();
  node.onBlock((block) => {
    const now = performance.now();
    blocks++;
    if (blocks === 1) {
      firstCommit = now;
      firstBlockTxs = block.txs.length;
    }
    for (const tx of block.txs) {
      const at = submittedAt.get(tx.idHex);
      if (at !== undefined) latencies.push(now - at);
    }
    committed += block.txs.length;
    lastCommit = now;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    if (committed >= txCount) allCommitted.resolve();
  });

  log(`submitting ${txCount} transactions (block interval ${blockIntervalMs} ms)`);
  const start = performance.now();
  const cpuAtStart = process.cpuUsage();
  let rejectedFull = 0;
  let next = 0;
  // Clients submit concurrently (a gateway, several users); SUBMITTERS keeps that many calls in flight.
  const submitter = async () => {
    while (next < txs.length) {
      const tx = txs[next++] as (typeof txs)[number];
      for (;;) {
        try {
          submittedAt.set(tx.idHex, performance.now());
          await node.submitSigned(tx.bytes);
          break;
        } catch (error) {
          if (!(error instanceof IngotError) || (error.code !== 'MEMPOOL_FULL' && error.code !== 'NODE_BUSY')) throw error;
          rejectedFull++;
          await new Promise((resolve) => setTimeout(resolve, 5));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: SUBMITTERS }, submitter));
  const submitEnd = performance.now();
  await allCommitted.promise;
  const cpu = process.cpuUsage(cpuAtStart);
  await node.close();
  latencies.sort((a, b) => a - b);
  const seconds = (lastCommit - start) / 1000;
  return {
    transactions: txCount,
    blockIntervalMs,
    blocks,
    seconds: round(seconds),
    /** From the first submission to the last commit, including the wait for the first and last block. */
    txPerSecond: round(txCount / seconds, 0),
    /** Between the first and the last block: the rate the node keeps up while it is loaded. */
    sustainedTxPerSecond: round((txCount - firstBlockTxs) / ((lastCommit - firstCommit) / 1000), 0),
    admissionTxPerSecond: round(txCount / ((submitEnd - start) / 1000), 0),
    commitLatencyMs: { p50: round(percentile(latencies, 50), 1), p99: round(percentile(latencies, 99), 1) },
    mempoolFullRetries: rejectedFull,
    peakRssMB: round(peakRss / 2 ** 20, 0),
    /** CPU time of the whole process (all threads) per second of the run: 2.0 means both cores busy. */
    coresBusy: round((cpu.user + cpu.system) / 1e6 / seconds),
  };
}
