import { networkInterfaces } from 'node:os';
import { parseArgs } from 'node:util';
import { dataPaths, readConfig, writeConfig } from '../../node-core/src/node/data-dir.ts';
import { Testnet, type Status } from './testnet.ts';

/**
 * Run inside a fresh network namespace by test/mdns.test.ts: two validators of one `ingot testnet`
 * consortium, each an `ingot start` process listening on 127.0.0.1 only, with no static peers and
 * mDNS on or off. Watches both nodes' peer lists for up to --watch-ms (stopping early once each
 * lists the other) and prints one JSON line with what it saw.
 *
 *   node test/support/mdns-pair.ts --mdns on|off --watch-ms MS
 */

export interface MdnsPairNode {
  readonly name: string;
  readonly peerId: string;
  readonly listen: readonly string[];
  readonly addresses: readonly string[];
  readonly peers: Status['peers'];
  readonly height: number;
}

export interface MdnsPairReport {
  readonly mdns: boolean;
  /** Every network interface the nodes could see, to show the namespace held loopback only. */
  readonly interfaces: readonly string[];
  /** Whether both nodes listed each other as a peer at some poll. */
  readonly connected: boolean;
  /** Whether either node listed any peer at any poll. */
  readonly anyPeerSeen: boolean;
  /** Milliseconds from both nodes being up to the first poll that found them connected. */
  readonly connectedAfterMs: number | null;
  /** How long the nodes were watched. */
  readonly watchedMs: number;
  /** Why a transaction submitted once connected was not committed on both nodes, if it was not. */
  readonly commitError: string | null;
  /** Each node's status at the end: after that transaction's block when connected. */
  readonly nodes: readonly MdnsPairNode[];
}

const NAMES = ['org-1', 'org-2'] as const;
const POLL_MS = 100;
/** Two validators of power 1 need both votes: a transaction committed on both shows the link carries consensus. */
const FIRST_BLOCK_MS = 10_000;

const { values } = parseArgs({ options: { mdns: { type: 'string' }, 'watch-ms': { type: 'string' } }, strict: true });
if (values.mdns !== 'on' && values.mdns !== 'off') throw new Error('--mdns must be on or off');
const mdns = values.mdns === 'on';
const watchMs = Number(values['watch-ms']);
if (!Number.isInteger(watchMs) || watchMs <= 0) throw new Error('--watch-ms must be a positive integer');

// Multicast from here must never reach a real LAN: outside a namespace of its own this refuses to run.
const interfaces = Object.entries(networkInterfaces()).flatMap(([name, entries]) => (entries ?? []).map((entry) => ({ name, ...entry })));
const external = interfaces.filter((entry) => !entry.internal);
if (external.length > 0) {
  throw new Error(`mdns-pair runs only in a network namespace with loopback alone; found ${external.map((entry) => `${entry.name} ${entry.address}`).join(', ')}`);
}

const net = await Testnet.create({ validators: 2, observers: 0, blockIntervalMs: 200 });
try {
  for (const name of NAMES) {
    const paths = dataPaths(net.node(name).dataDir);
    const config = await readConfig(paths);
    await writeConfig(paths, { ...config, p2p: { ...config.p2p, peers: [], mdns, relay: false } });
  }
  await Promise.all(NAMES.map((name) => net.start(name)));
  const peerIds = NAMES.map((name) => net.node(name).peerId);
  const bothListed = (statuses: readonly Status[]) =>
    statuses.every((status, index) => status.peers.some((peer) => peer.peerId === peerIds[1 - index]));

  const startedAt = Date.now();
  let connectedAfterMs: number | null = null;
  let anyPeerSeen = false;
  for (;;) {
    const statuses = await Promise.all(NAMES.map((name) => net.status(name)));
    anyPeerSeen ||= statuses.some((status) => status.peers.length > 0);
    if (bothListed(statuses)) {
      connectedAfterMs = Date.now() - startedAt;
      break;
    }
    if (Date.now() - startedAt >= watchMs) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const watchedMs = Date.now() - startedAt;
  let commitError: string | null = null;
  if (connectedAfterMs !== null) {
    try {
      await net.submitAndCommit('org-2', 'found over mDNS', FIRST_BLOCK_MS);
      await net.waitForHeight([...NAMES], 1, FIRST_BLOCK_MS);
    } catch (error) {
      commitError = (error as Error).message;
    }
  }

  const nodes: MdnsPairNode[] = [];
  for (const name of NAMES) {
    const status = await net.status(name);
    const config = await readConfig(dataPaths(net.node(name).dataDir));
    nodes.push({ name, peerId: status.peerId, listen: config.p2p.listen, addresses: status.addresses, peers: status.peers, height: status.height });
  }
  const report: MdnsPairReport = {
    mdns,
    interfaces: interfaces.map((entry) => `${entry.name} ${entry.address}`),
    connected: connectedAfterMs !== null,
    anyPeerSeen,
    connectedAfterMs,
    watchedMs,
    commitError,
    nodes,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
} finally {
  await net.close();
}
