import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { BLOCK_NOTIFICATION_METHOD } from '../../node-core/src/api/json-rpc.ts';
import { WS_PROTOCOL } from '../../node-core/src/api/web-mode.ts';
import { fromHex } from '../../node-core/src/crypto/hex.ts';
import type { Transaction } from '../../node-core/src/ledger/transaction.ts';
import { killStrays, rpcResult, runCli, startNode, stdoutJson, type ApiFile, type RunningNode } from '../support/cli.ts';
import { BENCH_PASSPHRASE, log, orgKeyOf, percentile, profileUpdates, round } from './support.ts';

export const VALIDATORS = 4;
/** Calls per JSON-RPC batch: the server's maximum. */
const BATCH_MAX = 64;
/** The load generator wakes this often and sends what has come due since. */
const TICK_MS = 50;
/** Batches in flight per node; past this the generator falls behind and says so (`offeredTxPerSecond`). */
const IN_FLIGHT_PER_NODE_MAX = 16;
/** After the load stops, how long the transactions it got in may take to commit everywhere. */
const DRAIN_MS_MAX = 30_000;
/** Load at the measured rate before the measured window, so that it finds the nodes' code warm. */
const WARMUP_SECONDS = 5;
const TARGET = { committedTxPerSecond: 2_000, p99FinalityMs: 1_500 };

interface ProcSample {
  readonly cpuSeconds: number;
  readonly rssMB: number;
  readonly peakRssMB: number;
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU time (user + system, all threads) and memory of a process, from /proc. */
function procSample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { cpuSeconds, rssMB: kb('VmRSS') / 1024, peakRssMB: kb('VmHWM') / 1024 };
}

interface CallReply {
  readonly id: number;
  readonly result?: unknown;
  readonly error?: { message: string; data?: { code: string } };
}

async function batch(api: ApiFile, calls: readonly { method: string; params: unknown }[]): Promise<CallReply[]> {
  const response = await fetch(api.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(calls.map((call, id) => ({ jsonrpc: '2.0', id, method: call.method, params: call.params }))),
    signal: AbortSignal.timeout(30_000),
  });
  const replies = (await response.json()) as CallReply[];
  if (!Array.isArray(replies)) throw new Error(`a batch got ${JSON.stringify(replies).slice(0, 300)}`);
  return replies;
}

/** Times at which each node announced each height over its `blocks.subscribe` subscription. */
class BlockWatch {
  readonly #sockets: WebSocket[] = [];
  /** height → per node, the time it announced the height. */
  readonly seen = new Map<number, { times: (number | undefined)[]; txCount: number }>();
  #onAll: (() => void) | undefined;

  async open(apis: readonly ApiFile[]): Promise<void> {
    await Promise.all(apis.map(async (api, node) => {
      const ws = new WebSocket(api.url.replace(/^http/, 'ws'), [WS_PROTOCOL], { headers: { authorization: `Bearer ${api.token}` } });
      this.#sockets.push(ws);
      const subscribed = Promise.withResolvers<void>();
      const timer = setTimeout(() => subscribed.reject(new Error(`no blocks.subscribe answer from node ${node + 1}`)), 10_000);
      ws.on('error', (error) => subscribed.reject(error));
      ws.on('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'blocks.subscribe', params: {} })));
      ws.on('message', (data) => {
        const now = performance.now();
        const message = JSON.parse(data.toString()) as { id?: number; method?: string; params?: { header: { height: number }; txCount: number } };
        if (message.id === 1) {
          clearTimeout(timer);
          subscribed.resolve();
          return;
        }
        if (message.method !== BLOCK_NOTIFICATION_METHOD || message.params === undefined) return;
        const { header, txCount } = message.params;
        let entry = this.seen.get(header.height);
        if (entry === undefined) this.seen.set(header.height, (entry = { times: new Array<number | undefined>(apis.length).fill(undefined), txCount }));
        entry.times[node] = now;
        if (entry.times.every((time) => time !== undefined)) this.#onAll?.();
      });
      await subscribed.promise;
    }));
  }

  /** Heights every node announced, with the time the last of them did. */
  committedOnAll(): { height: number; at: number; txCount: number }[] {
    const all: { height: number; at: number; txCount: number }[] = [];
    for (const [height, { times, txCount }] of this.seen) {
      if (times.every((time) => time !== undefined)) all.push({ height, at: Math.max(...(times as number[])), txCount });
    }
    return all.sort((a, b) => a.height - b.height);
  }

  /** Transactions in blocks above `height` committed on all nodes. */
  transactionsAbove(height: number): number {
    return this.committedOnAll().filter((block) => block.height > height).reduce((sum, block) => sum + block.txCount, 0);
  }

  /** Resolves with the count once `count` transactions above `height` are committed on all nodes, or when `timeoutMs` passes. */
  async waitForTransactions(height: number, count: number, timeoutMs: number): Promise<number> {
    const done = Promise.withResolvers<void>();
    this.#onAll = () => {
      if (this.transactionsAbove(height) >= count) done.resolve();
    };
    this.#onAll();
    const timer = setTimeout(() => done.resolve(), timeoutMs);
    await done.promise;
    clearTimeout(timer);
    this.#onAll = undefined;
    return this.transactionsAbove(height);
  }

  close(): void {
    for (const ws of this.#sockets) ws.terminate();
  }
}

function gaps(times: readonly number[]): { p50: number; max: number } {
  const between = times.slice(1).map((time, i) => time - (times[i] as number)).sort((a, b) => a - b);
  return { p50: round(percentile(between, 50), 0), max: round(between.at(-1) ?? NaN, 0) };
}

interface Submission {
  readonly hex: string;
  readonly idHex: string;
}

/**
 * Offers `perNode[n]` to node n's API at `rate` tx/s in all, in JSON-RPC batches, for at most
 * `seconds` (plus a bounded flush of what is queued), and waits for every batch's answer.
 */
async function offerLoad(nodes: readonly RunningNode[], perNode: readonly (readonly Submission[])[], rate: number, seconds: number) {
  const total = perNode.reduce((sum, list) => sum + list.length, 0);
  const submittedAt = new Map<string, number>();
  const rejected = new Map<string, number>();
  const queues = perNode.map(() => [] as Submission[]);
  const inFlight = nodes.map(() => 0);
  const pending = new Set<Promise<void>>();
  let accepted = 0;
  let sent = 0;
  let requestFailures = 0;
  const send = (n: number) => {
    const queue = queues[n] as Submission[];
    while (queue.length > 0 && (inFlight[n] as number) < IN_FLIGHT_PER_NODE_MAX) {
      const calls = queue.splice(0, BATCH_MAX);
      const at = performance.now();
      for (const call of calls) submittedAt.set(call.idHex, at);
      sent += calls.length;
      inFlight[n] = (inFlight[n] as number) + 1;
      const request = batch((nodes[n] as RunningNode).api, calls.map((call) => ({ method: 'tx.submitSigned', params: { tx: call.hex } })))
        .then((replies) => {
          for (const reply of replies) {
            if (reply.error === undefined) {
              accepted++;
              continue;
            }
            const code = reply.error.data?.code ?? reply.error.message;
            rejected.set(code, (rejected.get(code) ?? 0) + 1);
            submittedAt.delete((calls[reply.id] as Submission).idHex);
          }
        }, () => {
          requestFailures++;
          for (const call of calls) submittedAt.delete(call.idHex);
        })
        .finally(() => {
          inFlight[n] = (inFlight[n] as number) - 1;
          pending.delete(request);
        });
      pending.add(request);
    }
  };

  const start = performance.now();
  const cursors = perNode.map(() => 0);
  let due = 0;
  while (due < total) {
    const elapsed = performance.now() - start;
    // The generator stops at the end of the window even if it fell behind: what it could not offer is not offered.
    if (elapsed > seconds * 1000 + 5_000) break;
    const nextDue = Math.min(total, Math.floor((rate * elapsed) / 1000));
    for (; due < nextDue; due++) {
      const n = due % VALIDATORS;
      const list = perNode[n] as readonly Submission[];
      const cursor = cursors[n] as number;
      if (cursor < list.length) {
        (queues[n] as Submission[]).push(list[cursor] as Submission);
        cursors[n] = cursor + 1;
      }
    }
    for (let n = 0; n < VALIDATORS; n++) send(n);
    await sleep(TICK_MS);
  }
  // What is still queued goes out as the batches in flight come back, for a bounded time.
  const flushDeadline = performance.now() + 10_000;
  while (queues.some((queue) => queue.length > 0) && performance.now() < flushDeadline) {
    for (let n = 0; n < VALIDATORS; n++) send(n);
    await sleep(TICK_MS);
  }
  const offerEnd = performance.now();
  await Promise.all([...pending]);
  return { start, offerEnd, submittedAt, rejected, accepted, sent, requestFailures };
}

/** Writes the testnet on a free range of ports: the range is picked at random and tried again if taken. */
async function writeTestnet(dir: string, blockIntervalMs: number): Promise<{ dataDirs: string[]; basePort: number }> {
  for (let attempt = 1; ; attempt++) {
    const basePort = 20_000 + 2 * Math.floor(Math.random() * 10_000);
    const result = await runCli(['testnet', '--validators', String(VALIDATORS), '--dir', join(dir, `net-${attempt}`), '--base-port', String(basePort), '--block-interval', String(blockIntervalMs)], { passphrase: BENCH_PASSPHRASE, timeoutMs: 60_000 });
    if (result.code === 0) {
      const summary = stdoutJson<{ nodes: { dataDir: string }[] }>(result);
      return { dataDirs: summary.nodes.map((node) => node.dataDir), basePort };
    }
    if (attempt >= 5 || !result.stderr.includes('PORT_IN_USE') && !result.stderr.includes('in use')) {
      throw new Error(`ingot testnet failed (exit ${result.code}): ${result.stderr}`);
    }
  }
}

/**
 * Four validators, each an `ingot start` process, under a fixed offered load of signed profile
 * updates spread over their four APIs in JSON-RPC batches: committed rate, finality (submission to
 * the block being committed on all four), CPU and memory of each node process.
 */
export async function consensusBench(dir: string, rate: number, seconds: number, blockIntervalMs: number) {
  const { dataDirs, basePort } = await writeTestnet(dir, blockIntervalMs);
  const nodes: RunningNode[] = [];
  const watch = new BlockWatch();
  const stopped: { node: string; cleanly: boolean; exit: string }[] = [];
  try {
    log(`consensus: starting ${VALIDATORS} validators (ports from ${basePort}, block interval ${blockIntervalMs} ms)`);
    nodes.push(...await Promise.all(dataDirs.map((dataDir) => startNode(dataDir, { passphrase: BENCH_PASSPHRASE, timeoutMs: 60_000 }))));
    const deadline = Date.now() + 60_000;
    for (;;) {
      const statuses = await Promise.all(nodes.map((node) => rpcResult<{ peers: unknown[]; consortiumId: string; height: number }>(node.api, 'node.status')));
      if (statuses.every((status) => status.peers.length >= VALIDATORS - 1)) break;
      if (Date.now() > deadline) throw new Error(`the validators did not all connect: peers ${statuses.map((s) => s.peers.length).join(',')}`);
      await sleep(200);
    }
    const status = await rpcResult<{ consortiumId: string; height: number }>(nodes[0]?.api as ApiFile, 'node.status');
    const chain = fromHex(status.consortiumId, 32, 'consortiumId');
    await watch.open(nodes.map((node) => node.api));

    // Each organisation's transactions go to its own node's API, signed here with its key.
    const signFor = async (count: number, label: string) => {
      const perNode: Submission[][] = [];
      for (const [i, dataDir] of dataDirs.entries()) {
        const key = await orgKeyOf(dataDir);
        const share = Math.floor(count / VALIDATORS) + (i < count % VALIDATORS ? 1 : 0);
        const txs: Transaction[] = profileUpdates(key, chain, share, status.height + 900, `${label}-${i + 1}`);
        perNode.push(txs.map((tx) => ({ hex: Buffer.from(tx.bytes).toString('hex'), idHex: tx.idHex })));
      }
      return perNode;
    };
    const total = Math.round(rate * seconds);
    const warmupTotal = Math.round(rate * WARMUP_SECONDS);
    log(`consensus: signing ${warmupTotal} warm-up and ${total} measured transactions`);
    const warmupTxs = await signFor(warmupTotal, 'warmup');
    const measuredTxs = await signFor(total, 'consensus');

    // A node just started runs cold code (the JIT has not optimised it, worker threads start on
    // the first batch); the measured window begins once a warm-up at the same rate has committed.
    log(`consensus: warming up with ${rate} tx/s for ${WARMUP_SECONDS} s`);
    const warmup = await offerLoad(nodes, warmupTxs, rate, WARMUP_SECONDS);
    const warmupCommitted = await watch.waitForTransactions(status.height, warmup.accepted, DRAIN_MS_MAX);
    // Blocks of the warm-up still coming would be counted in the measured window.
    if (warmupCommitted < warmup.accepted) throw new Error(`the warm-up committed ${warmupCommitted} of ${warmup.accepted} transactions within ${DRAIN_MS_MAX / 1000} s; the nodes cannot take ${rate} tx/s`);
    const measuredFrom = watch.committedOnAll().at(-1)?.height ?? status.height;

    log(`consensus: offering ${rate} tx/s for ${seconds} s over ${VALIDATORS} APIs`);
    const cpuBefore = nodes.map((node) => procSample(node.pid));
    const benchCpuBefore = process.cpuUsage();
    const load = await offerLoad(nodes, measuredTxs, rate, seconds);
    const { start, offerEnd, submittedAt, rejected, accepted, sent, requestFailures } = load;

    // Every accepted transaction committed on all four nodes, or the drain bound passed.
    await watch.waitForTransactions(measuredFrom, accepted, DRAIN_MS_MAX);
    const cpuAfter = nodes.map((node) => procSample(node.pid));
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const end = performance.now();

    // Which transactions each block holds, from one node (all four hold the same blocks).
    const blocks = watch.committedOnAll().filter((block) => block.height > measuredFrom);
    const latencies: number[] = [];
    const rounds = new Map<number, number>();
    for (let i = 0; i < blocks.length; i += BATCH_MAX) {
      const slice = blocks.slice(i, i + BATCH_MAX);
      const replies = await batch((nodes[0] as RunningNode).api, slice.map((block) => ({ method: 'block.get', params: { height: block.height } })));
      for (const reply of replies) {
        const block = slice[reply.id] as { height: number; at: number };
        const { txs, commit } = reply.result as { txs: string[]; commit: { round: number } | null };
        if (commit !== null) rounds.set(commit.round, (rounds.get(commit.round) ?? 0) + 1);
        if (process.env.BENCH_TRACE !== undefined) log(`block ${block.height} at ${round((block.at - start) / 1000)} s: ${txs.length} txs, round ${commit?.round}`);
        for (const id of txs) {
          const at = submittedAt.get(id);
          if (at !== undefined) latencies.push(block.at - at);
        }
      }
    }
    latencies.sort((a, b) => a - b);
    const committed = blocks.reduce((sum, block) => sum + block.txCount, 0);
    const loadSeconds = (offerEnd - start) / 1000;
    const inWindow = blocks.filter((block) => block.at <= offerEnd).reduce((sum, block) => sum + block.txCount, 0);
    const lastAt = blocks.at(-1)?.at ?? end;
    const committedTxPerSecond = inWindow / loadSeconds;
    const p99 = percentile(latencies, 99);
    const elapsedSeconds = (end - start) / 1000;
    const result = {
      validators: VALIDATORS,
      blockIntervalMs,
      offered: { targetTxPerSecond: rate, seconds, transactions: total },
      /** Before the measured window, at the same rate, committed in full before it began. */
      warmup: { seconds: WARMUP_SECONDS, accepted: warmup.accepted, committedOnAll: warmupCommitted },
      /** What the generator managed to send, over the load window: below the target when it or the nodes fell behind. */
      offeredTxPerSecond: round(sent / loadSeconds, 0),
      accepted,
      rejected: Object.fromEntries(rejected),
      requestFailures,
      /** Transactions in blocks committed on all four nodes before the load stopped, per second of load. */
      committedTxPerSecond: round(committedTxPerSecond, 0),
      /** All accepted transactions committed on all four, from the first submission to the last such block. */
      committedOverallTxPerSecond: round(committed / ((lastAt - start) / 1000), 0),
      committedOnAll: committed,
      blocks: blocks.length,
      txsPerBlock: { mean: round(committed / Math.max(1, blocks.length), 0), max: Math.max(0, ...blocks.map((block) => block.txCount)) },
      /** Blocks by the round that committed them: rounds above 0 mean a proposal or its votes came too late. */
      blocksByRound: Object.fromEntries([...rounds].sort((a, b) => a[0] - b[0])),
      /** Time between consecutive blocks being committed on all four. */
      blockGapMs: gaps(blocks.map((block) => block.at)),
      drainSeconds: round((end - offerEnd) / 1000, 2),
      finalityMs: { samples: latencies.length, p50: round(percentile(latencies, 50), 0), p99: round(p99, 0), max: round(latencies.at(-1) ?? NaN, 0) },
      nodes: nodes.map((node, i) => {
        const before = cpuBefore[i] as ProcSample;
        const after = cpuAfter[i] as ProcSample;
        const cpuSeconds = after.cpuSeconds - before.cpuSeconds;
        return { node: `org-${i + 1}`, cpuSeconds: round(cpuSeconds, 1), coresBusy: round(cpuSeconds / elapsedSeconds), rssMB: round(after.rssMB, 0), peakRssMB: round(after.peakRssMB, 0) };
      }),
      /** The load generator (signing excluded) and the block watch, on the same two cores. */
      benchProcessCpuSeconds: round((benchCpu.user + benchCpu.system) / 1e6, 1),
      target: TARGET,
      targetMet: {
        throughput: committedTxPerSecond >= TARGET.committedTxPerSecond,
        finality: p99 <= TARGET.p99FinalityMs,
        both: committedTxPerSecond >= TARGET.committedTxPerSecond && p99 <= TARGET.p99FinalityMs,
      },
      stopped,
    };
    return result;
  } finally {
    watch.close();
    await Promise.all(nodes.map(async (node, i) => {
      try {
        const exit = await node.stop('SIGTERM', 15_000);
        stopped.push({ node: `org-${i + 1}`, cleanly: exit.code === 0, exit: exit.signal ?? String(exit.code) });
      } catch {
        stopped.push({ node: `org-${i + 1}`, cleanly: false, exit: 'SIGKILL after 15 s' });
      }
    }));
    stopped.sort((a, b) => a.node.localeCompare(b.node));
    killStrays();
  }
}
