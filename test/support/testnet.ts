import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Results } from '../../node-core/src/api/methods.ts';
import type { TestnetResult } from '../../node-core/src/node/testnet.ts';
import { BYZANTINE_READY } from './byzantine-node.ts';
import {
  cliEnv, describeResult, killStrays as killCliStrays, rpc, rpcBatch, runCli, startNode, stdoutJson, tempDir, TEST_PASSPHRASE,
  waitUntil, type ApiFile, type RunningNode,
} from './cli.ts';

/**
 * A consortium of separate `ingot start` processes on 127.0.0.1, made with `ingot testnet`: start,
 * stop, kill and wipe its nodes by name (org-1…, observer-1…), ask them over RPC, and check that
 * they agree block by block. Every wait is bounded; `killStrays` kills whatever a failed test left.
 */

export type Status = Results['node.status'];
export type Header = Results['block.get']['header'];
export type TestnetNodeInfo = TestnetResult['nodes'][number];

const BYZANTINE_ENTRY = fileURLToPath(new URL('./byzantine-node.ts', import.meta.url));
/** A copy of a ledger holding block 0 only, taken before any node ran: what a wiped node starts from. */

/** Children started here (byzantine nodes) and not yet exited; CLI children are tracked by cli.ts. */
const live = new Set<ChildProcess>();

export function killStrays(): void {
  killCliStrays();
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** What the harness needs of a running node, whether `ingot start` or the byzantine variant. */
export interface NodeProcess {
  readonly name: string;
  alive(): boolean;
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export class Testnet {
  readonly dir: string;
  readonly info: TestnetResult;
  readonly #remove: () => Promise<void>;
  readonly running = new Map<string, NodeProcess>();
  /** The API of each node's last `ingot start` run. */
  readonly #apis = new Map<string, ApiFile>();

  private constructor(dir: string, info: TestnetResult, remove: () => Promise<void>) {
    this.dir = dir;
    this.info = info;
    this.#remove = remove;
  }

  /**
   * Runs `ingot testnet` in a new temporary directory. The base port is drawn at random, and drawn
   * again when `ingot testnet` finds one of its ports taken (PORT_IN_USE).
   */
  static async create(options: { validators: number; observers: number; blockIntervalMs: number }): Promise<Testnet> {
    const temp = await tempDir('ingot-testnet-');
    const dir = join(temp.dir, 'net');
    for (let attempt = 0; ; attempt++) {
      const basePort = 20_000 + 64 * Math.floor(Math.random() * 600);
      const result = await runCli([
        'testnet', '--validators', String(options.validators), '--observers', String(options.observers), '--dir', dir,
        '--base-port', String(basePort), '--block-interval', String(options.blockIntervalMs),
      ]);
      if (result.code === 0) {
        return new Testnet(dir, stdoutJson<TestnetResult>(result), temp.remove);
      }
      if (!/PORT_IN_USE/.test(result.stderr) || attempt >= 5) {
        await temp.remove();
        throw new Error(`ingot testnet failed: ${describeResult(result)}`);
      }
    }
  }

  node(name: string): TestnetNodeInfo {
    const node = this.info.nodes.find((candidate) => candidate.name === name);
    assert.ok(node !== undefined, `no node ${name} in the testnet`);
    return node;
  }

  get validators(): TestnetNodeInfo[] {
    return this.info.nodes.filter((node) => node.role === 'validator');
  }

  /** Names of the nodes running now. */
  get up(): string[] {
    return [...this.running].filter(([, node]) => node.alive()).map(([name]) => name);
  }

  api(name: string): ApiFile {
    const api = this.#apis.get(name);
    assert.ok(api !== undefined, `${name} was never started with ingot start`);
    return api;
  }

  /** `ingot start --data DIR/<name>`, with no other flag. */
  async start(name: string): Promise<RunningNode> {
    assert.ok(!this.running.get(name)?.alive(), `${name} is already running`);
    const node = await startNode(this.node(name).dataDir, { timeoutMs: 30_000 });
    this.#apis.set(name, node.api);
    this.running.set(name, { name, alive: () => node.alive(), output: () => node.stderr(), stop: (signal) => node.stop(signal) });
    return node;
  }

  /** Starts the byzantine variant (test/support/byzantine-node.ts) on the node's data directory. */
  async startByzantine(name: string, timeoutMs = 30_000): Promise<NodeProcess> {
    assert.ok(!this.running.get(name)?.alive(), `${name} is already running`);
    const child = spawn(process.execPath, [BYZANTINE_ENTRY, this.node(name).dataDir], { env: cliEnv(TEST_PASSPHRASE), stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    child.once('exit', () => live.delete(child));
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (output += text));
    const alive = () => child.exitCode === null && child.signalCode === null;
    const exited = () => (alive() ? new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))) : Promise.resolve({ code: child.exitCode, signal: child.signalCode }));
    const node: NodeProcess = {
      name,
      alive,
      output: () => output,
      async stop(signal = 'SIGTERM') {
        const exit = exited();
        if (alive()) child.kill(signal);
        const outcome = await Promise.race([exit, sleep(15_000, 'timeout' as const)]);
        if (outcome === 'timeout') {
          child.kill('SIGKILL');
          await exited();
          throw new Error(`the byzantine node did not stop within 15 s\n${output}`);
        }
        return outcome;
      },
    };
    this.running.set(name, node);
    try {
      await waitUntil(() => {
        if (!alive()) throw new Error(`the byzantine node exited before it was up\n${output}`);
        return output.includes(BYZANTINE_READY);
      }, 'the byzantine node to start', timeoutMs, 50);
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    }
    return node;
  }

  async stop(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const node = this.running.get(name);
    assert.ok(node !== undefined && node.alive(), `${name} is not running`);
    const exit = await node.stop(signal);
    if (signal === 'SIGKILL') assert.equal(exit.signal, 'SIGKILL');
    else assert.deepEqual(exit, { code: 0, signal: null }, `${name} did not stop cleanly:\n${node.output()}`);
  }

  /**
   * Removes the node's ledger (its keys, node key, signing state and config stay) and puts back a
   * ledger holding block 0 only: the node must get every later block from its peers.
   */
  async wipeLedger(name: string): Promise<void> {
    assert.ok(!this.running.get(name)?.alive(), `${name} must be stopped before its ledger is wiped`);
    const ledger = join(this.node(name).dataDir, 'ledger');
    await rm(ledger, { recursive: true, force: true });
  }

  async call<T>(name: string, method: string, params: unknown = {}, timeoutMs = 15_000): Promise<T> {
    const reply = await rpc(this.api(name), method, params, timeoutMs);
    if (reply.error !== undefined) throw new Error(`${name}: ${method} failed: ${JSON.stringify(reply.error)}`);
    return reply.result as T;
  }

  status(name: string): Promise<Status> {
    return this.call<Status>(name, 'node.status');
  }

  async height(name: string): Promise<number> {
    return (await this.status(name)).height;
  }

  async heights(names: readonly string[]): Promise<Record<string, number>> {
    const entries = await Promise.all(names.map(async (name) => [name, await this.height(name)] as const));
    return Object.fromEntries(entries);
  }

  /** Submits identity.updateProfile through the node, signed by its organisation; returns the transaction hash. */
  async submit(name: string, contact: string): Promise<string> {
    return (await this.call<Results['tx.submit']>(name, 'tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact }, waitForCommit: false })).hash;
  }

  /** Submits and waits (bounded) until the node reports the transaction committed with an ok receipt. */
  async submitAndCommit(name: string, contact: string, timeoutMs = 20_000): Promise<{ hash: string; height: number }> {
    const reply = await rpc(this.api(name), 'tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact }, waitForCommit: true }, timeoutMs);
    if (reply.error !== undefined) throw new Error(`${name}: tx.submit failed: ${JSON.stringify(reply.error)}`);
    const result = reply.result as Results['tx.submit'];
    assert.equal(result.receipt?.ok, true, `${name}: ${JSON.stringify(result.receipt)}`);
    return { hash: result.hash, height: result.height as number };
  }

  /** The height of the committed transaction on that node, or undefined while it is not committed there. */
  async committedAt(name: string, hash: string): Promise<number | undefined> {
    const reply = await rpc(this.api(name), 'tx.get', { hash });
    if (reply.error?.data.code === 'TX_NOT_FOUND') return undefined;
    if (reply.error !== undefined) throw new Error(`${name}: tx.get failed: ${JSON.stringify(reply.error)}`);
    return (reply.result as Results['tx.get']).height;
  }

  async waitForHeight(names: readonly string[], height: number, timeoutMs = 20_000): Promise<void> {
    let last: Record<string, number> = {};
    await waitUntil(async () => {
      last = await this.heights(names);
      return Object.values(last).every((h) => h >= height);
    }, `height ${height} on ${names.join(', ')}`, timeoutMs, 100).catch((error: Error) => {
      throw new Error(`${error.message}; heights ${JSON.stringify(last)}`);
    });
  }

  /** Waits until the nodes report the same head, and returns it. */
  async waitForSameHead(names: readonly string[], timeoutMs = 20_000): Promise<number> {
    let last: Record<string, number> = {};
    await waitUntil(async () => {
      last = await this.heights(names);
      return new Set(Object.values(last)).size === 1;
    }, `the same head on ${names.join(', ')}`, timeoutMs, 100).catch((error: Error) => {
      throw new Error(`${error.message}; heights ${JSON.stringify(last)}`);
    });
    return Object.values(last)[0] as number;
  }

  /** The headers of heights `from`…`to` on one node, in order. */
  async headers(name: string, from: number, to: number): Promise<Header[]> {
    const headers: Header[] = [];
    for (let start = from; start <= to; start += 64) {
      const heights = Array.from({ length: Math.min(64, to - start + 1) }, (_, i) => start + i);
      const replies = await rpcBatch(this.api(name), heights.map((height) => ({ method: 'block.get', params: { height } })));
      replies.forEach((reply, i) => {
        if (reply.error !== undefined) throw new Error(`${name}: block.get ${heights[i]} failed: ${JSON.stringify(reply.error)}`);
        headers.push((reply.result as Results['block.get']).header);
      });
    }
    return headers;
  }

  /**
   * Every height up to the lowest head among the nodes has one block hash and one state root on all
   * of them (no fork). Returns the height checked up to.
   */
  async assertAgreement(names: readonly string[]): Promise<number> {
    const top = Math.min(...Object.values(await this.heights(names)));
    const byNode = await Promise.all(names.map((name) => this.headers(name, 0, top)));
    for (let height = 0; height <= top; height++) {
      const seen = byNode.map((headers, i) => ({ node: names[i], hash: headers[height]?.hash, stateRoot: headers[height]?.stateRoot }));
      const first = seen[0];
      for (const other of seen) {
        assert.equal(other.hash, first?.hash, `block hash at height ${height} differs: ${JSON.stringify(seen)}`);
        assert.equal(other.stateRoot, first?.stateRoot, `state root at height ${height} differs: ${JSON.stringify(seen)}`);
      }
    }
    return top;
  }

  /** Stops every node still running (SIGKILL when asked to hurry) and removes the directory. */
  async close(): Promise<void> {
    await Promise.all([...this.running.values()].filter((node) => node.alive()).map((node) => node.stop('SIGKILL').catch(() => undefined)));
    killStrays();
    await this.#remove();
  }
}
