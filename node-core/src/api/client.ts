import type { RpcError } from './errors.ts';
import { isRpcError } from './json-rpc.ts';
import type { MethodName, Params, Results } from './methods.ts';

/**
 * The typed client of the node's RPC API, for every environment: the CLI over HTTP today, the
 * renderer over WebSocket or the desktop bridge later. Transports only move text.
 */
export interface RpcTransport {
  send(body: string): Promise<string>;
}

/** The node answered the call with an error; `error.data.code` says which. */
export class RpcCallError extends Error {
  readonly error: RpcError;
  constructor(error: RpcError) {
    super(error.message);
    this.name = 'RpcCallError';
    this.error = error;
  }
}

function badResponse(message: string): RpcCallError {
  return new RpcCallError({ code: -32603, message, data: { code: 'BAD_RESPONSE' } });
}

export class RpcClient {
  readonly #transport: RpcTransport;
  #nextId = 1;

  constructor(transport: RpcTransport) {
    this.#transport = transport;
  }

  call<M extends MethodName>(method: M, params: Params<M>): Promise<Results[M]> {
    return this.request(method, params) as Promise<Results[M]>;
  }

  /** Any method by name, for tools that take it from their user. */
  async request(method: string, params: unknown): Promise<unknown> {
    const id = this.#nextId++;
    const text = await this.#transport.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    let reply: unknown;
    try {
      reply = JSON.parse(text);
    } catch {
      throw badResponse('the node answered with something that is not JSON');
    }
    if (reply === null || typeof reply !== 'object' || Array.isArray(reply)) throw badResponse('the node answered with something that is not a JSON-RPC response');
    const { id: replyId, result, error } = reply as Record<string, unknown>;
    if (error !== undefined) {
      if (!isRpcError(error)) throw badResponse('the node answered with a malformed error');
      throw new RpcCallError(error);
    }
    if (replyId !== id) throw badResponse(`the node answered call ${String(replyId)} instead of ${id}`);
    if (result === undefined) throw badResponse('the node answered without a result');
    return result;
  }
}

/** JSON-RPC over HTTP POST with the node's bearer token; the error replies of 401/404/413 are JSON too. */
export function httpTransport(url: string, token: string, timeoutMs = 120_000): RpcTransport {
  return {
    async send(body) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      return response.text();
    },
  };
}
