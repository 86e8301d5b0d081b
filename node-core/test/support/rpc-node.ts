import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { signingKeyFromSeed, type SigningKey } from '../../src/crypto/ed25519.ts';
import { x25519PublicKey } from '../../src/crypto/x25519.ts';
import { NodeHost } from '../../src/host/node-host.ts';
import { createNodeKey, dataPaths, DEFAULT_CONFIG, writeConfig, type NodeKey } from '../../src/node/data-dir.ts';
import { generateOrgSecrets, writeKeyStore } from '../../src/node/keystore.ts';
import { startRpcServer, type RpcServer } from '../../src/rpc/server.ts';
import { LOOPBACK_P2P, TEST_KDF, TEST_PASSPHRASE } from './temp-node.ts';

/**
 * Nodes of several organisations in one test process, each with its own data directory, libp2p on
 * loopback and an RPC server: for tests of what organisations' nodes ask each other.
 */

export interface RpcReply {
  result?: unknown;
  error?: { code: number; message: string; data: { code: string; field?: string } };
}

export interface RunningNode {
  readonly host: NodeHost;
  readonly server: RpcServer;
  rpc(method: string, params?: unknown): Promise<RpcReply>;
  close(): Promise<void>;
}

export function resultOf<T>(reply: RpcReply): T {
  assert.equal(reply.error, undefined, `unexpected error ${JSON.stringify(reply.error)}`);
  return reply.result as T;
}

export function assertError(reply: RpcReply, code: string): void {
  assert.equal(reply.result, undefined, `expected ${code}, got ${JSON.stringify(reply.result)?.slice(0, 300)}`);
  assert.equal(reply.error?.data.code, code, reply.error?.message);
}

/** An organisation's keys in a fresh data directory, before any genesis: what a shared genesis names. */
export async function prepareOrganisation(dir: string): Promise<{ dataDir: string; nodeKey: NodeKey; signing: SigningKey; encryption: Uint8Array }> {
  const paths = dataPaths(dir);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const secrets = generateOrgSecrets();
  await writeKeyStore(paths.keyStore, secrets, TEST_PASSPHRASE, TEST_KDF);
  return { dataDir: paths.dir, nodeKey: await createNodeKey(paths), signing: signingKeyFromSeed(secrets.signingSeeds[0] as Uint8Array), encryption: x25519PublicKey(secrets.encryptionKey) };
}

/** Starts the node of a prepared directory (genesis written) with these static peers, and its RPC server. */
export async function startRpcNode(dataDir: string, peers: string[]): Promise<RunningNode> {
  const paths = dataPaths(dataDir);
  await writeConfig(paths, { ...DEFAULT_CONFIG, api: { host: '127.0.0.1', port: 0 }, blockIntervalMs: 20, p2p: { ...LOOPBACK_P2P, peers } });
  const host = await NodeHost.start({ dataDir }, TEST_PASSPHRASE);
  const server = await startRpcServer(host, { port: 0, apiFile: paths.api });
  let id = 0;
  let closed = false;
  return {
    host,
    server,
    async rpc(method, params = {}) {
      const response = await fetch(`http://127.0.0.1:${server.port}/rpc`, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: ++id, method, params }),
        signal: AbortSignal.timeout(70_000),
      });
      return (await response.json()) as RpcReply;
    },
    async close() {
      if (closed) return;
      closed = true;
      await server.close();
      await host.close();
    },
  };
}
