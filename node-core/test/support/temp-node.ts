import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock, type Clock } from '../../src/node/clock.ts';
import { dataPaths, type NodeConfig } from '../../src/node/data-dir.ts';
import { initConsortium, type InitResult } from '../../src/node/init.ts';
import type { KdfParams } from '../../src/node/keystore.ts';
import { NodeHost } from '../../src/host/node-host.ts';
import type { IngotNode } from '../../src/node/node.ts';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.ts';

export const TEST_PASSPHRASE = 'test passphrase 1';
/** Test nodes listen on a free loopback port and look for no one on the LAN. */
export const LOOPBACK_P2P = { listen: ['/ip4/127.0.0.1/tcp/0'], peers: [], mdns: false, relay: false };
/** Cheap scrypt settings so tests do not spend their time deriving keys. */
export const TEST_KDF: KdfParams = { N: 2 ** 10, r: 8, p: 1 };

export async function tempDir(prefix = 'ingot-test-'): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

export interface TempNode {
  readonly dataDir: string;
  readonly init: InitResult;
  readonly host: NodeHost;
  readonly node: IngotNode;
  readonly server: RpcServer;
  readonly url: string;
  /** POSTs one JSON-RPC call with the node's token and returns the parsed reply. */
  rpc(method: string, params?: unknown): Promise<{ result?: unknown; error?: { code: number; message: string; data: { code: string; field?: string } } }>;
  close(): Promise<void>;
}

/**
 * Starts a fresh one-organisation node. `config` overrides parts of the config.json written at init
 * (for example a small `mempool`); without it the API port is 0 and blocks come every 20 ms.
 */
export async function startTempNode(options: { blockIntervalMs?: number; clock?: Clock; config?: Partial<NodeConfig> } = {}): Promise<TempNode> {
  const { dir, remove } = await tempDir();
  const dataDir = join(dir, 'node');
  const init = await initConsortium({
    dataDir,
    orgName: 'Test Works',
    registryId: 'REG-1',
    passphrase: TEST_PASSPHRASE,
    clock: options.clock ?? systemClock,
    kdf: TEST_KDF,
    config: { api: { host: '127.0.0.1', port: 0 }, blockIntervalMs: options.blockIntervalMs ?? 20, p2p: LOOPBACK_P2P, ...options.config },
  });
  const host = await NodeHost.start({ dataDir, ...(options.clock ? { clock: options.clock } : {}) }, TEST_PASSPHRASE);
  const node = host.node;
  const server = await startRpcServer(host, { port: 0, apiFile: dataPaths(dataDir).api });
  const url = `http://127.0.0.1:${server.port}/rpc`;
  let id = 0;
  return {
    dataDir,
    init,
    host,
    node,
    server,
    url,
    async rpc(method, params = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
      });
      return (await response.json()) as Awaited<ReturnType<TempNode['rpc']>>;
    },
    async close() {
      await server.close();
      await host.close();
      await remove();
    },
  };
}
