import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { cliEnv } from './support/cli.ts';
import type { MdnsPairReport } from './support/mdns-pair.ts';

/**
 * LAN discovery: two validators of one consortium with no static peers find each other over mDNS,
 * and with `p2p.mdns` off they do not. Multicast must not leave this machine, so each case runs in
 * a network namespace of its own holding only a loopback interface with multicast switched on
 * (creating one needs root, `unshare` from util-linux and `ip` from iproute2; .ci/run installs them).
 * The "off" case is meaningful only because the "on" case, the same setup but for the flag, connects.
 */

const PAIR_SCRIPT = fileURLToPath(new URL('./support/mdns-pair.ts', import.meta.url));
/** A loopback that carries multicast, with the mDNS group routed to it. */
const NAMESPACE_SETUP = 'ip link set lo up && ip link set lo multicast on && ip route add 224.0.0.0/4 dev lo';
/** @libp2p/mdns queries when it starts and every 10 s after; 20 s covers a node that missed the first round. */
const DISCOVERY_MS = 20_000;
/** How long nodes without mDNS are watched for a connection that must not come. */
const APART_MS = 5_000;

function missingPrerequisite(): string | undefined {
  if (process.platform !== 'linux') return `network namespaces need Linux, not ${process.platform}`;
  if (process.getuid?.() !== 0) return 'creating a network namespace needs root';
  for (const [tool, args, pkg] of [['unshare', ['--version'], 'util-linux'], ['ip', ['-V'], 'iproute2']] as const) {
    const probe = spawnSync(tool, args, { stdio: 'ignore' });
    if (probe.error !== undefined || probe.status !== 0) return `\`${tool}\` is not usable (${probe.error?.message ?? `exit ${probe.status}`}); install ${pkg}`;
  }
  return undefined;
}

/**
 * Runs test/support/mdns-pair.ts in a new network and PID namespace. `--kill-child` and the PID
 * namespace make a SIGKILL of `unshare` take the script and both nodes with it.
 */
async function runPair(mdns: 'on' | 'off', watchMs: number, timeoutMs: number): Promise<MdnsPairReport> {
  const child = spawn(
    'unshare',
    ['--net', '--pid', '--fork', '--kill-child', '--', 'sh', '-c', `${NAMESPACE_SETUP} && exec "$@"`, 'sh',
      process.execPath, PAIR_SCRIPT, '--mdns', mdns, '--watch-ms', String(watchMs)],
    { env: cliEnv(undefined), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('close', (c, s) => resolve([c, s])));
  clearTimeout(timer);
  const outcome = `exit ${code}${signal === null ? '' : ` (${signal}, limit ${timeoutMs} ms)`}\nstdout: ${stdout}\nstderr: ${stderr}`;
  assert.equal(code, 0, `the namespaced pair with mDNS ${mdns} failed: ${outcome}`);
  const line = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as MdnsPairReport;
  } catch {
    throw new Error(`the namespaced pair printed no report: ${outcome}`);
  }
}

function assertLoopbackOnly(report: MdnsPairReport): void {
  assert.ok(report.interfaces.length > 0 && report.interfaces.every((entry) => entry.startsWith('lo ')), `interfaces: ${report.interfaces.join(', ')}`);
  for (const node of report.nodes) {
    assert.ok(node.listen.length > 0 && node.listen.every((address) => address.startsWith('/ip4/127.0.0.1/tcp/')), `${node.name} listens on ${node.listen.join(', ')}`);
  }
}

describe('mDNS discovery in a loopback-only network namespace', { timeout: 120_000 }, () => {
  before(() => {
    const missing = missingPrerequisite();
    if (missing !== undefined) throw new Error(`the mDNS tests cannot run here: ${missing}`);
  });

  it('two nodes with mDNS on and no static peers connect directly and commit a block together', async () => {
    const report = await runPair('on', DISCOVERY_MS, 60_000);
    assertLoopbackOnly(report);
    assert.equal(report.mdns, true);
    assert.ok(report.connected, `not connected within ${DISCOVERY_MS} ms: ${JSON.stringify(report)}`);
    const [first, second] = report.nodes;
    assert.ok(first !== undefined && second !== undefined);
    assert.deepEqual(first.peers, [{ peerId: second.peerId, connection: 'direct' }]);
    assert.deepEqual(second.peers, [{ peerId: first.peerId, connection: 'direct' }]);
    assert.equal(report.commitError, null);
    assert.ok(first.height >= 1 && second.height >= 1, `heights ${first.height}, ${second.height}`);
  });

  it('the same two nodes with mDNS off stay unconnected', async () => {
    const report = await runPair('off', APART_MS, 30_000);
    assertLoopbackOnly(report);
    assert.equal(report.mdns, false);
    assert.equal(report.anyPeerSeen, false, JSON.stringify(report));
    assert.ok(report.watchedMs >= APART_MS, `watched only ${report.watchedMs} ms`);
    for (const node of report.nodes) {
      assert.deepEqual(node.peers, [], `${node.name} has peers`);
      assert.equal(node.height, 0);
    }
  });
});
