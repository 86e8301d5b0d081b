import { randomBytes, timingSafeEqual } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { BLOCK_NOTIFICATION_METHOD, type BlockNotification } from '../api/methods.ts';
import { rpcErrorNumbers } from '../api/errors.ts';
import { IngotError } from '../codec/errors.ts';
import { writeFileAtomic } from './files.ts';
import type { IngotNode } from './node.ts';
import { dispatch } from './rpc-dispatch.ts';
import type { RpcSession } from './rpc-methods.ts';
import { headerJson } from './to-json.ts';

export const RPC_PATH = '/rpc';
export const REQUEST_BYTES_MAX = 1024 * 1024;
/** A subscriber that falls this far behind is disconnected rather than buffered without end. */
export const SUBSCRIBER_BUFFER_BYTES_MAX = 8 * 1024 * 1024;
export const SUBSCRIPTIONS_PER_CONNECTION_MAX = 16;
export const CALLS_IN_FLIGHT_PER_CONNECTION_MAX = 256;
export const WS_CLOSE_GRACE_MS = 1000;
export const CONNECTIONS_MAX = 256;
/** Browsers cannot set headers on a WebSocket, so they offer the token as a subprotocol next to this one. */
export const WS_PROTOCOL = 'ingot-rpc';
export const WS_TOKEN_PROTOCOL_PREFIX = 'ingot-token.';

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

function errorBody(code: number, dataCode: string, message: string) {
  return { jsonrpc: '2.0', id: null, error: { code, message, data: { code: dataCode } } };
}

/**
 * JSON-RPC over HTTP POST and WebSocket at /rpc on 127.0.0.1, behind a random bearer token that is
 * written with the port to `<data>/api.json` (mode 0600) for local clients.
 */
export async function startRpcServer(node: IngotNode, options: { port: number; apiFile: string }): Promise<RpcServer> {
  const token = randomBytes(32).toString('hex');
  const expected = Buffer.from(token);
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: REQUEST_BYTES_MAX,
    handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
  });

  const server: Server = createServer((request, response) => {
    if (request.url !== RPC_PATH) return sendJson(response, 404, errorBody(rpcErrorNumbers.INVALID_REQUEST, 'NOT_FOUND', `the API is at ${RPC_PATH}`));
    if (!tokenMatches(expected, bearer(request))) {
      return sendJson(response, 401, errorBody(rpcErrorNumbers.INVALID_REQUEST, 'UNAUTHORIZED', 'missing or wrong bearer token; it is in api.json in the data directory'));
    }
    if (request.method !== 'POST') return sendJson(response, 405, errorBody(rpcErrorNumbers.INVALID_REQUEST, 'METHOD_NOT_ALLOWED', 'use POST, or a WebSocket'));
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      // After the 413 the rest of the body is read and dropped: destroying a socket that still has
      // unread input resets the connection, and the client would lose the answer before reading it.
      if (size > REQUEST_BYTES_MAX) return;
      size += chunk.length;
      if (size > REQUEST_BYTES_MAX) {
        chunks.length = 0;
        sendJson(response, 413, errorBody(rpcErrorNumbers.INVALID_REQUEST, 'REQUEST_TOO_LARGE', `requests are limited to ${REQUEST_BYTES_MAX} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > REQUEST_BYTES_MAX) return;
      dispatch(node, Buffer.concat(chunks).toString('utf8'), undefined).then(
        (reply) => (reply === undefined ? response.writeHead(204).end() : sendJson(response, 200, reply)),
        (error: unknown) => {
          sendJson(response, 500, errorBody(rpcErrorNumbers.INTERNAL_ERROR, 'INTERNAL_ERROR', 'internal error'));
          setImmediate(() => { throw error; });
        },
      );
    });
  });

  server.on('upgrade', (request, socket, head) => {
    const protocols = offeredProtocols(request);
    const offered = bearer(request) ?? protocols.find((p) => p.startsWith(WS_TOKEN_PROTOCOL_PREFIX))?.slice(WS_TOKEN_PROTOCOL_PREFIX.length);
    if (request.url !== RPC_PATH || !tokenMatches(expected, offered)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveSocket(node, ws));
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

function serveSocket(node: IngotNode, ws: WebSocket): void {
  const subscriptions = new Map<string, () => void>();
  let inFlight = 0;
  const send = (message: unknown) => {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > SUBSCRIBER_BUFFER_BYTES_MAX) {
      ws.close(1008, 'client is not reading fast enough');
      return;
    }
    ws.send(JSON.stringify(message));
  };
  const session: RpcSession = {
    subscribeBlocks() {
      if (subscriptions.size >= SUBSCRIPTIONS_PER_CONNECTION_MAX) {
        throw new IngotError('TOO_MANY_SUBSCRIPTIONS', `at most ${SUBSCRIPTIONS_PER_CONNECTION_MAX} subscriptions per connection`);
      }
      const id = randomBytes(8).toString('hex');
      subscriptions.set(id, node.onBlock((block) => {
        const params: BlockNotification = { subscription: id, header: headerJson(block.header), txCount: block.txs.length };
        send({ jsonrpc: '2.0', method: BLOCK_NOTIFICATION_METHOD, params });
      }));
      return id;
    },
    unsubscribeBlocks(id) {
      const unsubscribe = subscriptions.get(id);
      if (unsubscribe === undefined) return false;
      unsubscribe();
      subscriptions.delete(id);
      return true;
    },
  };
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      send(errorBody(rpcErrorNumbers.INVALID_REQUEST, 'INVALID_REQUEST', 'send JSON text frames'));
      return;
    }
    if (inFlight >= CALLS_IN_FLIGHT_PER_CONNECTION_MAX) {
      send(errorBody(rpcErrorNumbers.APPLICATION_ERROR, 'TOO_MANY_CALLS', `at most ${CALLS_IN_FLIGHT_PER_CONNECTION_MAX} calls may be pending on one connection`));
      return;
    }
    inFlight++;
    dispatch(node, data.toString(), session)
      .then((reply) => {
        if (reply !== undefined) send(reply);
      })
      .catch((error: unknown) => setImmediate(() => { throw error; }))
      .finally(() => inFlight--);
  });
  ws.on('close', () => {
    for (const unsubscribe of subscriptions.values()) unsubscribe();
    subscriptions.clear();
  });
  ws.on('error', () => ws.terminate());
}
