import type { BridgeOutcome, NodeEvent } from './bridge.ts';
import { rpcErrorNumbers, type RpcError } from './errors.ts';

/**
 * The client side of JSON-RPC over a message link (the web mode's WebSocket, the desktop window's
 * MessagePort): what one message from the node means. Free of Node and of the schema library, so
 * the window can bundle it.
 */

/** Server-to-client notification on a `blocks.subscribe` subscription. */
export const BLOCK_NOTIFICATION_METHOD = 'blocks.header';

export function isRpcError(value: unknown): value is RpcError {
  if (value === null || typeof value !== 'object') return false;
  const { code, message, data } = value as Record<string, unknown>;
  return typeof code === 'number' && typeof message === 'string' && data !== null && typeof data === 'object' && typeof (data as Record<string, unknown>).code === 'string';
}

export function rpcError(code: number, dataCode: string, message: string): RpcError {
  return { code, message, data: { code: dataCode } };
}

export type ServerMessage =
  | { kind: 'event'; event: NodeEvent }
  | { kind: 'reply'; id: number; outcome: BridgeOutcome<unknown> };

const badResponse = (message: string): BridgeOutcome<never> => ({ ok: false, error: rpcError(rpcErrorNumbers.INTERNAL_ERROR, 'BAD_RESPONSE', message) });

/**
 * Classifies one text message: a block notification, or the reply to the call with that id.
 * Anything else (not JSON, a reply with no id this client could have sent) is undefined, to drop.
 */
export function parseServerMessage(data: unknown): ServerMessage | undefined {
  if (typeof data !== 'string') return undefined;
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (message === null || typeof message !== 'object' || Array.isArray(message)) return undefined;
  const { id, method, params, result, error } = message as Record<string, unknown>;
  if (id === undefined || id === null) {
    return method === BLOCK_NOTIFICATION_METHOD && params !== null && typeof params === 'object'
      ? { kind: 'event', event: { method: BLOCK_NOTIFICATION_METHOD, params } as NodeEvent }
      : undefined;
  }
  if (typeof id !== 'number') return undefined;
  if (error !== undefined) return { kind: 'reply', id, outcome: isRpcError(error) ? { ok: false, error } : badResponse('the node answered with a malformed error') };
  if (result === undefined) return { kind: 'reply', id, outcome: badResponse('the node answered without a result') };
  return { kind: 'reply', id, outcome: { ok: true, result } };
}
