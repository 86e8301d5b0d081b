import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import {
  describeResult, killStrays, rpc, rpcBatch, rpcResult, runCli, startNode, stdoutJson, tempDir,
  type ApiFile, type RpcReply, type RunningNode,
} from './support/cli.ts';
import { seededRandom } from '../node-core/test/support/seeded-random.ts';

/**
 * Crash safety: a node in a child process takes a stream of transactions from several concurrent
 * clients and is killed with SIGKILL at random moments, again and again. Every transaction it
 * reported committed must still be there after each restart, at the same height with an ok
 * receipt, the state must be what the chain says, and `ingot verify-ledger` must pass.
 *
 * The kill delays come from a seeded PRNG; the seed is printed. Re-run a failure with
 * INGOT_CRASH_SEED=<seed>.
 */

/** Kills aimed for; on a slow machine the kill phase stops after its time budget, but never before KILLS_MIN. */
const KILLS = 24;
const KILLS_MIN = 20;
const KILL_PHASE_BUDGET_MS = 55_000;
const SUBMITTERS = 6;
const KILL_DELAY_MIN_MS = 50;
const KILL_DELAY_MAX_MS = 400;
/** verify-ledger runs on the killed node's directory after every this many kills (and at the end). */
const VERIFY_EVERY = 4;
/** A bound on each submitter's loop within one node run. */
const SUBMITS_PER_RUN_MAX = 5_000;

interface Payload {
  contact: string;
  name?: string;
  registryId?: string;
}

interface Committed {
  readonly hash: string;
  readonly height: number;
  readonly payload: Payload;
  readonly run: number;
}

interface TxGet {
  height: number;
  index: number;
  tx: { hash: string; contract: string; method: string; payload: Payload };
  receipt: { ok: boolean; code: string };
}

interface Status {
  height: number;
  txCount: number;
  organisation: { id: string; name: string };
}

function payloadFor(random: () => number, run: number, worker: number, seq: number): Payload {
  // Lengths and characters vary so that blocks and state values differ in size and content.
  const filler = 'äöü€-x'.repeat(Math.floor(random() * 60));
  const payload: Payload = { contact: `run ${run} worker ${worker} seq ${seq} ${filler}`.slice(0, 500) };
  const roll = random();
  if (roll < 0.15) payload.name = `Crash Works ${run}.${worker}.${seq}`;
  else if (roll < 0.3) payload.registryId = `HRB ${run * 1000 + worker * 100 + seq}`;
  return payload;
}

/** tx.get for many hashes, 64 to a batch. */
async function getTransactions(api: ApiFile, hashes: readonly string[]): Promise<Map<string, RpcReply>> {
  const replies = new Map<string, RpcReply>();
  for (let start = 0; start < hashes.length; start += 64) {
    const chunk = hashes.slice(start, start + 64);
    const batch = await rpcBatch(api, chunk.map((hash) => ({ method: 'tx.get', params: { hash } })));
    chunk.forEach((hash, index) => replies.set(hash, batch[index] as RpcReply));
  }
  return replies;
}

/** Asserts that each transaction reported committed is stored at the height reported, with an ok receipt and its payload. */
async function assertAllStored(api: ApiFile, committed: readonly Committed[], when: string): Promise<void> {
  const replies = await getTransactions(api, committed.map((c) => c.hash));
  for (const entry of committed) {
    const reply = replies.get(entry.hash);
    assert.ok(reply !== undefined && reply.error === undefined, `${when}: tx ${entry.hash} (committed at height ${entry.height} in run ${entry.run}) is lost: ${JSON.stringify(reply?.error)}`);
    const got = reply.result as TxGet;
    assert.equal(got.height, entry.height, `${when}: tx ${entry.hash} moved from height ${entry.height} to ${got.height}`);
    assert.equal(got.receipt.ok, true, `${when}: tx ${entry.hash} has a failed receipt ${got.receipt.code}`);
    assert.equal(got.tx.hash, entry.hash);
    assert.deepEqual(got.tx.payload, entry.payload, `${when}: tx ${entry.hash} has another payload`);
  }
}

async function verifyLedger(dataDir: string, when: string): Promise<{ ok: boolean; height: number; txCount: number }> {
  const result = await runCli(['verify-ledger', '--data', dataDir], { timeoutMs: 30_000 });
  assert.equal(result.code, 0, `verify-ledger ${when}: ${describeResult(result)}`);
  const verified = stdoutJson<{ ok: boolean; height: number; txCount: number }>(result);
  assert.equal(verified.ok, true, `verify-ledger ${when}: ${result.stdout}`);
  return verified;
}

test('transactions reported committed survive repeated SIGKILLs, and the ledger verifies', { timeout: 90_000 }, async (t) => {
  const seedText = process.env.INGOT_CRASH_SEED;
  const seed = seedText !== undefined && /^\d+$/.test(seedText) ? Number(seedText) : randomInt(2 ** 31);
  // Kill delays have their own stream, so that the seed alone fixes them whatever the submitters draw.
  const killDelay = seededRandom(seed);
  const random = seededRandom(seed ^ 0x5bd1e995);
  t.diagnostic(`crash-safety seed ${seed} (re-run with INGOT_CRASH_SEED=${seed})`);
  process.stderr.write(`crash-safety seed ${seed}\n`);

  const temp = await tempDir('ingot-crash-test-');
  t.after(async () => {
    killStrays();
    await temp.remove();
  });
  const dataDir = join(temp.dir, 'node');
  const init = await runCli(['init', '--data', dataDir, '--org', 'Crash Works', '--api', '0', '--block-interval', '20']);
  assert.equal(init.code, 0, describeResult(init));
  const { orgId } = stdoutJson<{ orgId: string }>(init);

  const committed: Committed[] = [];
  const rpcErrors: string[] = [];
  let connectionErrors = 0;
  let highestCommitted = 0;
  let verifications = 0;
  let lastVerifiedHeight = 0;
  const started = Date.now();

  let kills = 0;
  for (let run = 0; run < KILLS && (run < KILLS_MIN || Date.now() - started < KILL_PHASE_BUDGET_MS); run++) {
    const node: RunningNode = await startNode(dataDir);
    const status = await rpcResult<Status>(node.api, 'node.status');
    assert.ok(status.height >= highestCommitted, `run ${run}: the node restarted at height ${status.height}, below the committed ${highestCommitted}`);
    assert.ok(status.height >= lastVerifiedHeight, `run ${run}: the node restarted at height ${status.height}, below the verified ${lastVerifiedHeight}`);
    assert.equal(status.organisation.id, orgId);
    // Each restart: what the previous run reported committed is there.
    await assertAllStored(node.api, committed.filter((c) => c.run === run - 1), `after restart ${run}`);

    let stop = false;
    const submitter = async (worker: number): Promise<void> => {
      for (let seq = 0; !stop && seq < SUBMITS_PER_RUN_MAX; seq++) {
        const payload = payloadFor(random, run, worker, seq);
        let reply: RpcReply;
        try {
          reply = await rpc(node.api, 'tx.submit', { contract: 'identity', method: 'updateProfile', payload, waitForCommit: true }, 10_000);
        } catch {
          connectionErrors++; // the node was killed with this call in flight: it does not count as committed
          return;
        }
        if (reply.error !== undefined) {
          rpcErrors.push(`run ${run} worker ${worker}: ${JSON.stringify(reply.error)}`);
          continue;
        }
        const result = reply.result as { hash: string; height: number; receipt: { ok: boolean; code: string } };
        assert.equal(typeof result.height, 'number');
        assert.equal(result.receipt.ok, true, `tx ${result.hash}: ${result.receipt.code}`);
        committed.push({ hash: result.hash, height: result.height, payload, run });
        highestCommitted = Math.max(highestCommitted, result.height);
      }
    };
    const submitters = Array.from({ length: SUBMITTERS }, (_, worker) => submitter(worker));

    const delay = KILL_DELAY_MIN_MS + Math.floor(killDelay() * (KILL_DELAY_MAX_MS - KILL_DELAY_MIN_MS + 1));
    await sleep(delay);
    assert.ok(node.alive(), `run ${run}: the node died on its own before the kill\n${node.stderr()}`);
    const exit = await node.stop('SIGKILL', 10_000);
    assert.deepEqual(exit, { code: null, signal: 'SIGKILL' });
    kills++;
    stop = true;
    await Promise.all(submitters);
    assert.doesNotMatch(node.stderr(), /block production failed|invariant broken/, `run ${run}: ${node.stderr()}`);

    if ((run + 1) % VERIFY_EVERY === 0) {
      const verified = await verifyLedger(dataDir, `after kill ${run + 1}`);
      assert.ok(verified.height >= highestCommitted, `verify-ledger after kill ${run + 1}: height ${verified.height} < committed ${highestCommitted}`);
      lastVerifiedHeight = verified.height;
      verifications++;
    }
  }

  // A last run: everything ever reported committed is there, and the state is what the chain says.
  const node = await startNode(dataDir);
  const status = await rpcResult<Status>(node.api, 'node.status');
  assert.ok(status.height >= highestCommitted);
  await assertAllStored(node.api, committed, 'at the end');

  // Read the organisation's whole history (every transaction on the chain touches it), in order.
  const history: { hash: string; height: number; index: number; ok: boolean }[] = [];
  let after: { height: number; index: number } | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await rpcResult<{ entries: typeof history; next?: { height: number; index: number } }>(
      node.api, 'state.history', { subject: orgId, limit: 1000, ...(after === undefined ? {} : { after }) });
    history.push(...result.entries);
    if (result.next === undefined) break;
    after = result.next;
  }
  assert.equal(history.length, status.txCount, 'every transaction is in the organisation history');
  const positions = new Map(history.map((entry) => [entry.hash, entry]));
  for (const entry of committed) assert.equal(positions.get(entry.hash)?.height, entry.height, `history lacks ${entry.hash}`);

  // Replay the profile updates in chain order and compare with the stored organisation record.
  const all = await getTransactions(node.api, history.map((entry) => entry.hash));
  const expected = { name: 'Crash Works', registryId: '', contact: '' };
  for (const entry of history) {
    const got = all.get(entry.hash)?.result as TxGet | undefined;
    assert.ok(got !== undefined && got.receipt.ok, `history entry ${entry.hash} cannot be read back`);
    assert.deepEqual([got.height, got.index], [entry.height, entry.index]);
    // The identity contract stores profile fields without surrounding whitespace.
    for (const [field, value] of Object.entries(got.tx.payload)) Object.assign(expected, { [field]: String(value).trim() });
  }
  const org = await rpcResult<{ name: string; registryId: string; contact: string }>(node.api, 'org.get', { id: orgId });
  assert.deepEqual({ name: org.name, registryId: org.registryId, contact: org.contact }, expected);

  const exit = await node.stop('SIGTERM');
  assert.deepEqual(exit, { code: 0, signal: null }, node.stderr());
  const verified = await verifyLedger(dataDir, 'at the end');
  verifications++;
  assert.equal(verified.height, status.height);
  assert.equal(verified.txCount, status.txCount);

  assert.deepEqual(rpcErrors, [], 'no call failed other than by losing its connection');
  const multiTxBlocks = new Set(committed.map((c) => c.height)).size < committed.length;
  assert.ok(multiTxBlocks, 'some blocks hold several transactions');
  assert.ok(kills >= KILLS_MIN, `only ${kills} kills`);
  assert.ok(committed.length >= kills * 5, `only ${committed.length} transactions were committed; the test did not exercise the node`);
  const summary = `${kills} kills, ${committed.length} committed transactions checked (${status.txCount - committed.length} more committed unreported), ` +
    `${connectionErrors} calls cut by kills, height ${status.height}, ${verifications} verify-ledger runs, ${((Date.now() - started) / 1000).toFixed(1)} s, seed ${seed}`;
  t.diagnostic(summary);
  process.stderr.write(`${summary}\n`);
});
