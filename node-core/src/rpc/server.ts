import { randomBytes, timingSafeEqual } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { rpcErrorNumbers } from '../api/errors.ts';
import { RPC_PATH, WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../api/web-mode.ts';
import { writeFileAtomic } from '../node/files.ts';
import type { NodeHost } from '../host/node-host.ts';
import { openRpcConnection, rpcErrorMessage } from './connection.ts';
import { dispatch } from './dispatch.ts';
import { staticFiles } from './static-files.ts';

export const REQUEST_BYTES_MAX = 1024 * 1024;
/** A subscriber that falls this far behind is disconnected rather than buffered without end. */
export const SUBSCRIBER_BUFFER_BYTES_MAX = 8 * 1024 * 1024;
export const WS_CLOSE_GRACE_MS = 1000;
export const CONNECTIONS_MAX = 256;

export interface RpcServer {
  readonly port: number;
  readonly token: string;
  close(): Promise<void>;
}

function tokenMatches(expected: Buffer, offered: string | undefined): boolean {
  if (offered === undefined) return false;
  const given = Buffer.from(offered);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function bearer(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice(7) : undefined;
}

function offeredProtocols(request: IncomingMessage): string[] {
  return (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim()).filter((p) => p.length > 0);
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  response.end(text);
}


/**
 * A page on another site could reach 127.0.0.1 through DNS rebinding; it would arrive with its own
 * host name, so only requests addressed to the loopback address itself are served.
 */
function addressedToLoopback(request: IncomingMessage): boolean {
  const host = request.headers.host ?? '';
  return /^(?:127\.0\.0\.1|localhost|\[::1\])(?::\d{1,5})?$/.test(host);
}

export interface RpcServerOptions {
  readonly port: number;
  readonly apiFile: string;
  /** The renderer build to serve at `/` (web mode); without it only /rpc answers. */
  readonly uiRoot?: string;
}

/**
 * JSON-RPC over HTTP POST and WebSocket at /rpc on 127.0.0.1, behind a random bearer token that is
 * written with the port to `<data>/api.json` (mode 0600) for local clients.
 */
export async function startRpcServer(host: NodeHost, options: RpcServerOptions): Promise<RpcServer> {
  const token = randomBytes(32).toString('hex');
  const expected = Buffer.from(token);
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: REQUEST_BYTES_MAX,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });

  const ui = options.uiRoot === undefined ? undefined : await staticFiles(options.uiRoot);
  const server: Server = createServer((request, response) => {
    if (!addressedToLoopback(request)) return sendJson(response, 403, rpcErrorMessage('FORBIDDEN_HOST', 'address the node as 127.0.0.1'));
    if (request.url !== RPC_PATH && ui !== undefined) {
      ui.serve(request, response).catch((error: unknown) => setImmediate(() => { throw error; }));
      return;
    }
    if (request.url !== RPC_PATH) return sendJson(response, 404, rpcErrorMessage('NOT_FOUND', `the API is at ${RPC_PATH}`));
    if (!tokenMatches(expected, bearer(request))) {
      return sendJson(response, 401, rpcErrorMessage('UNAUTHORIZED', 'missing or wrong bearer token; it is in api.json in the data directory'));
    }
    if (request.method !== 'POST') return sendJson(response, 405, rpcErrorMessage('METHOD_NOT_ALLOWED', 'use POST, or a WebSocket'));
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      // After the 413 the rest of the body is read and dropped: destroying a socket that still has
      // unread input resets the connection, and the client would lose the answer before reading it.
      if (size > REQUEST_BYTES_MAX) return;
      size += chunk.length;
      if (size > REQUEST_BYTES_MAX) {
        chunks.length = 0;
        sendJson(response, 413, rpcErrorMessage('REQUEST_TOO_LARGE', `requests are limited to ${REQUEST_BYTES_MAX} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > REQUEST_BYTES_MAX) return;
      dispatch(host, Buffer.concat(chunks).toString('utf8'), undefined).then(
        (reply) => (reply === undefined ? response.writeHead(204).end() : sendJson(response, 200, reply)),
        (error: unknown) => {
          sendJson(response, 500, rpcErrorMessage('INTERNAL_ERROR', 'internal error', rpcErrorNumbers.INTERNAL_ERROR));
          setImmediate(() => { throw error; });
        },
      );
    });
  });

  server.on('upgrade', (request, socket, head) => {
    const protocols = offeredProtocols(request);
    const offered = bearer(request) ?? protocols.find((p) => p.startsWith(WS_TOKEN_PROTOCOL_PREFIX))?.slice(WS_TOKEN_PROTOCOL_PREFIX.length);
    if (request.url !== RPC_PATH || !addressedToLoopback(request) || !tokenMatches(expected, offered)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveSocket(host, ws));
  });

  // Local clients are few (the desktop window, a CLI, scripts); a flood of connections is refused by the OS queue.
  server.maxConnections = CONNECTIONS_MAX;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  await writeFileAtomic(options.apiFile, `${JSON.stringify({ url: `http://127.0.0.1:${port}${RPC_PATH}`, port, token }, null, 2)}\n`);

  return {
    port,
    token,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const client of sockets.clients) client.close(1001, 'node stopping');
      // A client that does not answer the close frame is cut off rather than holding up the shutdown.
      for (let waitedMs = 0; sockets.clients.size > 0 && waitedMs < WS_CLOSE_GRACE_MS; waitedMs += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      for (const client of sockets.clients) client.terminate();
      await closed;
      await rm(options.apiFile, { force: true });
    },
  };
}

function serveSocket(host: NodeHost, ws: WebSocket): void {
  const connection = openRpcConnection(host, {
    send(message) {
      if (ws.readyState !== ws.OPEN) return;
      if (ws.bufferedAmount > SUBSCRIBER_BUFFER_BYTES_MAX) {
        ws.close(1008, 'client is not reading fast enough');
        return;
      }
      ws.send(JSON.stringify(message));
    },
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      ws.send(JSON.stringify(rpcErrorMessage('INVALID_REQUEST', 'send JSON text frames')));
      return;
    }
    connection.receive(data.toString());
  });
  ws.on('close', () => connection.close());
  ws.on('error', () => ws.terminate());
}
