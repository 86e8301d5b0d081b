import { NODE_PROCESS_FLAGS } from '../../node-core/src/host/node-process-flags.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

/**
 * Helpers for tests that drive the real `ingot` CLI in child processes: run a command to its end,
 * start a node and wait until its API is up, call its API over HTTP, stop or kill it.
 * Every wait is bounded; every child is tracked so a failing test can kill what it left running.
 */

export const INGOT_BIN = fileURLToPath(new URL('../../node-core/bin/ingot.js', import.meta.url));
export const TEST_PASSPHRASE = 'cli test passphrase';

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ApiFile {
  readonly url: string;
  readonly port: number;
  readonly token: string;
}

export interface RpcReply {
  readonly id?: number;
  readonly result?: unknown;
  readonly error?: { code: number; message: string; data: { code: string; field?: string } };
}

/** Children started through this module and not yet exited. */
const live = new Set<ChildProcess>();

/** SIGKILLs every child this module started that is still running (for `after` hooks). */
export function killStrays(): void {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

export async function tempDir(prefix = 'ingot-cli-test-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }) };
}

/** The environment of a CLI child: ours, the passphrase (none when undefined), and nothing of the test runner's child protocol. */
export function cliEnv(passphrase: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.INGOT_PASSPHRASE;
  if (passphrase !== undefined) env.INGOT_PASSPHRASE = passphrase;
  return env;
}

/** Nodes made by tests listen on a free loopback port and look for no one on the LAN. */
const LOOPBACK_P2P = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'];

/** `INGOT_CPU_PROF_DIR=DIR` makes every spawned node write a V8 CPU profile there when it exits (benchmarks). */
function profiling(): string[] {
  const dir = process.env.INGOT_CPU_PROF_DIR;
  return dir === undefined || dir === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

/** `stdin`, when given, is written to the child's standard input, which is then closed; otherwise the child reads nothing. */
function spawnCli(args: readonly string[], passphrase: string | undefined, stdin?: string): ChildProcess {
  const loopback = (args[0] === 'init' || args[0] === 'ui') && !args.includes('--listen') ? LOOPBACK_P2P : [];
  // With the flags the `ingot` command gives itself on its first line, which running it through node bypasses.
  const child = spawn(process.execPath, [...NODE_PROCESS_FLAGS, ...profiling(), INGOT_BIN, ...args, ...loopback], {
    env: cliEnv(passphrase), stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  // A child that exits without reading all of its input closes the pipe early: that is its answer, not a test failure.
  child.stdin?.on('error', () => {});
  child.stdin?.end(stdin);
  return child;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Runs `ingot ARGS` to its end, with `stdin` as its input if given; a command still running after `timeoutMs` is killed and the call fails. */
export async function runCli(args: readonly string[], options: { passphrase?: string | undefined; timeoutMs?: number; stdin?: string } = {}): Promise<CliResult> {
  const child = spawnCli(args, 'passphrase' in options ? options.passphrase : TEST_PASSPHRASE, options.stdin);
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timer = new AbortController();
  const timedOut = sleep(timeoutMs, 'timeout' as const, { signal: timer.signal }).catch(() => 'cancelled' as const);
  const outcome = await Promise.race([closed, timedOut]);
  timer.abort();
  if (outcome === 'timeout' || outcome === 'cancelled') {
    child.kill('SIGKILL');
    await exitOf(child);
    throw new Error(`ingot ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`);
  }
  return { ...outcome, stdout, stderr };
}

/** The JSON a command printed on stdout; a readable failure when it is not JSON. */
export function stdoutJson<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${result.code})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  }
}

export function describeResult(result: CliResult): string {
  return `exit ${result.code}${result.signal === null ? '' : ` (${result.signal})`}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
}

export async function readApiFile(dataDir: string): Promise<ApiFile | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, 'api.json'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const parsed = JSON.parse(text) as ApiFile;
    return typeof parsed.token === 'string' && typeof parsed.url === 'string' && typeof parsed.port === 'number' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** One JSON-RPC call over HTTP with the node's token. Connection failures throw; RPC errors are in the reply. */
export async function rpc(api: ApiFile, method: string, params: unknown = {}, timeoutMs = 15_000): Promise<RpcReply> {
  const response = await fetch(api.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return (await response.json()) as RpcReply;
}

/** A JSON-RPC batch (at most 64 calls); the replies come back in the order of the calls. */
export async function rpcBatch(api: ApiFile, calls: readonly { method: string; params: unknown }[], timeoutMs = 15_000): Promise<RpcReply[]> {
  const response = await fetch(api.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${api.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(calls.map((call, id) => ({ jsonrpc: '2.0', id, method: call.method, params: call.params }))),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const replies = (await response.json()) as RpcReply[];
  if (!Array.isArray(replies) || replies.length !== calls.length) throw new Error(`batch of ${calls.length} calls got ${JSON.stringify(replies).slice(0, 300)}`);
  return [...replies].sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
}

/** The result of a call that must succeed. */
export async function rpcResult<T>(api: ApiFile, method: string, params: unknown = {}, timeoutMs?: number): Promise<T> {
  const reply = await rpc(api, method, params, timeoutMs);
  if (reply.error !== undefined) throw new Error(`${method} failed: ${JSON.stringify(reply.error)}`);
  return reply.result as T;
}

export interface RunningNode {
  readonly dataDir: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** The api.json this run wrote. */
  readonly api: ApiFile;
  /** Everything the node wrote to stderr so far. */
  stderr(): string;
  alive(): boolean;
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Sends `signal` and waits for the exit; a node still running after `timeoutMs` is SIGKILLed and the call fails. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts `ingot start --data DIR` (or `ingot ui`) and waits until it has written an api.json of its own: one whose
 * token differs from any api.json already there (a node killed with SIGKILL leaves its file behind).
 * Fails with the node's stderr if it exits first or is not up within `timeoutMs`.
 */
export async function startNode(
  dataDir: string,
  options: { command?: 'start' | 'ui'; passphrase?: string | undefined; timeoutMs?: number; args?: readonly string[] } = {},
): Promise<RunningNode> {
  const stale = (await readApiFile(dataDir))?.token;
  const command = options.command ?? 'start';
  const child = spawnCli([command, '--data', dataDir, ...(options.args ?? [])], 'passphrase' in options ? options.passphrase : TEST_PASSPHRASE);
  let stderr = '';
  child.stdout?.resume();
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const timeoutMs = options.timeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  let api: ApiFile | undefined;
  while (api === undefined) {
    if (!alive()) {
      await exitOf(child);
      throw new Error(`ingot ${command} exited (code ${child.exitCode}, signal ${child.signalCode}) before its API was up\nstderr: ${stderr}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      await exitOf(child);
      throw new Error(`ingot ${command} did not write a new api.json within ${timeoutMs} ms\nstderr: ${stderr}`);
    }
    const found = await readApiFile(dataDir);
    if (found !== undefined && found.token !== stale) api = found;
    else await sleep(15);
  }
  const running: RunningNode = {
    dataDir,
    child,
    pid: child.pid as number,
    api,
    stderr: () => stderr,
    alive,
    exited: () => exitOf(child),
    async stop(signal = 'SIGTERM', stopTimeoutMs = 15_000) {
      if (alive()) child.kill(signal);
      const timer = new AbortController();
      const outcome = await Promise.race([exitOf(child), sleep(stopTimeoutMs, 'timeout' as const, { signal: timer.signal }).catch(() => 'cancelled' as const)]);
      timer.abort();
      if (typeof outcome === 'string') {
        child.kill('SIGKILL');
        await exitOf(child);
        throw new Error(`the node did not exit within ${stopTimeoutMs} ms of ${signal}\nstderr: ${stderr}`);
      }
      return outcome;
    },
  };
  return running;
}

/** Polls `check` every `intervalMs` until it returns true; fails after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}
