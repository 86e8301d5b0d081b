import { randomBytes } from 'node:crypto';
import { rpcErrorNumbers } from '../api/errors.ts';
import { BLOCK_NOTIFICATION_METHOD } from '../api/json-rpc.ts';
import type { BlockNotification } from '../api/methods.ts';
import { IngotError } from '../codec/errors.ts';
import type { NodeHost } from '../host/node-host.ts';
import { dispatch } from './dispatch.ts';
import type { RpcSession } from './methods.ts';
import { headerJson } from './to-json.ts';

export const SUBSCRIPTIONS_PER_CONNECTION_MAX = 16;
export const CALLS_IN_FLIGHT_PER_CONNECTION_MAX = 256;

/** A message-based link to one client: a WebSocket, or the desktop window's MessagePort. */
export interface RpcChannel {
  send(message: unknown): void;
}

export interface RpcConnection {
  /** One JSON-RPC message (or batch) as text. */
  receive(text: string): void;
  /** The client went away: its subscriptions end. */
  close(): void;
}

export function rpcErrorMessage(dataCode: string, message: string, code: number = rpcErrorNumbers.INVALID_REQUEST, id: string | number | null = null) {
  return { jsonrpc: '2.0', id, error: { code, message, data: { code: dataCode } } };
}

/** The id of a single call, so that even a refusal reaches the caller waiting for it. */
function idOf(text: string): string | number | null {
  try {
    const request: unknown = JSON.parse(text);
    const id = request !== null && typeof request === 'object' && !Array.isArray(request) ? (request as { id?: unknown }).id : undefined;
    return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id)) ? id : null;
  } catch {
    return null;
  }
}

/** Calls and block subscriptions of one long-lived client, bounded in both. */
export function openRpcConnection(host: NodeHost, channel: RpcChannel): RpcConnection {
  const subscriptions = new Map<string, () => void>();
  let inFlight = 0;
  const session: RpcSession = {
    subscribeBlocks() {
      if (subscriptions.size >= SUBSCRIPTIONS_PER_CONNECTION_MAX) {
        throw new IngotError('TOO_MANY_SUBSCRIPTIONS', `at most ${SUBSCRIPTIONS_PER_CONNECTION_MAX} subscriptions per connection`);
      }
      const id = randomBytes(8).toString('hex');
      subscriptions.set(id, host.onBlock((block) => {
        const params: BlockNotification = { subscription: id, header: headerJson(block.header), txCount: block.txs.length };
        channel.send({ jsonrpc: '2.0', method: BLOCK_NOTIFICATION_METHOD, params });
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
  return {
    receive(text) {
      if (inFlight >= CALLS_IN_FLIGHT_PER_CONNECTION_MAX) {
        channel.send(rpcErrorMessage('TOO_MANY_CALLS', `at most ${CALLS_IN_FLIGHT_PER_CONNECTION_MAX} calls may be pending on one connection`, rpcErrorNumbers.APPLICATION_ERROR, idOf(text)));
        return;
      }
      inFlight++;
      dispatch(host, text, session)
        .then((reply) => {
          if (reply !== undefined) channel.send(reply);
        })
        .catch((error: unknown) => setImmediate(() => { throw error; }))
        .finally(() => inFlight--);
    },
    close() {
      for (const unsubscribe of subscriptions.values()) unsubscribe();
      subscriptions.clear();
    },
  };
}
