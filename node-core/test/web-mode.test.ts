import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { WebSocket } from 'ws';
import { RPC_PATH, WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../src/api/web-mode.ts';
import { NodeHost } from '../src/host/node-host.ts';
import { CALLS_IN_FLIGHT_PER_CONNECTION_MAX, openRpcConnection } from '../src/rpc/connection.ts';
import { startRpcServer, type RpcServer } from '../src/rpc/server.ts';
import { TEST_KDF, tempDir } from './support/temp-node.ts';

interface WebMode {
  server: RpcServer;
  close(): Promise<void>;
}

/** A fresh directory served like `ingot ui` does, with a stand-in UI build. */
async function startWebMode(): Promise<WebMode> {
  const { dir, remove } = await tempDir();
  const uiRoot = join(dir, 'ui');
  await mkdir(join(uiRoot, 'assets'), { recursive: true });
  await writeFile(join(uiRoot, 'index.html'), '<!doctype html><title>Ingot</title>');
  await writeFile(join(uiRoot, 'assets', 'app.js'), 'export {};');
  await writeFile(join(dir, 'secret.txt'), 'not for browsers');
  const dataDir = join(dir, 'node');
  await mkdir(dataDir);
  const host = await NodeHost.open({ dataDir, kdf: TEST_KDF });
  const server = await startRpcServer(host, { port: 0, apiFile: join(dataDir, 'api.json'), uiRoot });
  return {
    server,
    async close() {
      await server.close();
      await host.close();
      await remove();
    },
  };
}

/** A raw GET, so the test controls the Host header and the path exactly as sent. */
function get(port: number, path: string, host = `127.0.0.1:${port}`): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host } }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Resolves with the reply to one call, or rejects with how the socket ended. */
function wsCall(url: string, protocols: string[], method: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.on('open', () => ws.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: {} })));
    ws.on('message', (data) => {
      resolve(JSON.parse(String(data)));
      ws.close();
    });
    ws.on('unexpected-response', (_req, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.on('error', reject);
  });
}

test('web mode serves the UI under a strict content policy and nothing outside the build', async () => {
  const web = await startWebMode();
  try {
    const page = await get(web.server.port, '/');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
    assert.equal((await get(web.server.port, '/assets/app.js')).status, 200);
    assert.equal((await get(web.server.port, '/../secret.txt')).status, 404);
    assert.equal((await get(web.server.port, '/%2e%2e/secret.txt')).status, 404);
    assert.equal((await get(web.server.port, '/missing.js')).status, 404);
    // DNS rebinding: a page of another site that resolves to 127.0.0.1 arrives with its own host name.
    assert.equal((await get(web.server.port, '/', `evil.example:${web.server.port}`)).status, 403);
    assert.equal((await get(web.server.port, RPC_PATH, `evil.example:${web.server.port}`)).status, 403);
  } finally {
    await web.close();
  }
});

test('web mode answers only with the token: HTTP 401 without it, the WebSocket refused without it or with a wrong one', async () => {
  const web = await startWebMode();
  try {
    const url = `ws://127.0.0.1:${web.server.port}${RPC_PATH}`;
    const post = await fetch(`http://127.0.0.1:${web.server.port}${RPC_PATH}`, { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"app.state"}' });
    assert.equal(post.status, 401);
    assert.equal(((await post.json()) as { error: { data: { code: string } } }).error.data.code, 'UNAUTHORIZED');
    await assert.rejects(wsCall(url, [WS_PROTOCOL], 'app.state'), /HTTP 401/);
    await assert.rejects(wsCall(url, [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL_PREFIX}${'0'.repeat(64)}`], 'app.state'), /HTTP 401/);
    await assert.rejects(wsCall(url, [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL_PREFIX}${web.server.token.slice(1)}`], 'app.state'), /HTTP 401/);
    const reply = (await wsCall(url, [WS_PROTOCOL, `${WS_TOKEN_PROTOCOL_PREFIX}${web.server.token}`], 'app.state')) as { result: { phase: string } };
    assert.equal(reply.result.phase, 'uninitialised');
  } finally {
    await web.close();
  }
});

test('web mode listens on 127.0.0.1 only', async () => {
  const web = await startWebMode();
  try {
    // 127.0.0.2 is loopback too: a server bound to every address would accept it.
    const refused = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.2', port: web.server.port });
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    assert.equal(refused, 'ECONNREFUSED');
  } finally {
    await web.close();
  }
});

test('a connection over its limit of calls in flight refuses the extra ones with their own ids', async () => {
  const { dir, remove } = await tempDir();
  const host = await NodeHost.open({ dataDir: join(dir, 'node'), kdf: TEST_KDF });
  try {
    const sent: { id: unknown; error?: { data: { code: string } } }[] = [];
    const connection = openRpcConnection(host, { send: (message) => sent.push(message as (typeof sent)[number]) });
    const calls = CALLS_IN_FLIGHT_PER_CONNECTION_MAX + 4;
    for (let id = 1; id <= calls; id++) connection.receive(JSON.stringify({ jsonrpc: '2.0', id, method: 'app.state', params: {} }));
    const refused = sent.filter((message) => message.error?.data.code === 'TOO_MANY_CALLS');
    assert.deepEqual(refused.map((message) => message.id), [257, 258, 259, 260]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(sent.length, calls, 'every call got exactly one answer');
    connection.close();
  } finally {
    await host.close();
    await remove();
  }
});
