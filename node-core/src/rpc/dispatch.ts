import { rpcErrorNumbers, type RpcError } from '../api/errors.ts';
import { paramsSchemas, type MethodName } from '../api/methods.ts';
import { IngotError, InvariantError } from '../codec/errors.ts';
import type { NodeHost } from '../host/node-host.ts';
import { handle, type RpcSession } from './methods.ts';

/** JSON-RPC 2.0 framing over any transport: parse, validate, call, and shape the answer. */

export const BATCH_CALLS_MAX = 64;

type Id = string | number | null;
export interface RpcResponse {
  jsonrpc: '2.0';
  id: Id;
  result?: unknown;
  error?: RpcError;
}

function failure(id: Id, code: number, dataCode: string, message: string, field?: string): RpcResponse {
  return { jsonrpc: '2.0', id, error: { code, message, data: field === undefined ? { code: dataCode } : { code: dataCode, field } } };
}

function isMethod(name: string): name is MethodName {
  return Object.hasOwn(paramsSchemas, name);
}

function validId(id: unknown): id is Id {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id));
}

async function call(host: NodeHost, request: unknown, session: RpcSession | undefined): Promise<RpcResponse | undefined> {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) {
    return failure(null, rpcErrorNumbers.INVALID_REQUEST, 'INVALID_REQUEST', 'a request must be a JSON object');
  }
  const { jsonrpc, id, method, params } = request as Record<string, unknown>;
  const isNotification = !Object.hasOwn(request, 'id');
  if (!isNotification && !validId(id)) return failure(null, rpcErrorNumbers.INVALID_REQUEST, 'INVALID_REQUEST', 'id must be a string, an integer or null');
  const replyId = isNotification ? null : (id as Id);
  if (jsonrpc !== '2.0') return failure(replyId, rpcErrorNumbers.INVALID_REQUEST, 'INVALID_REQUEST', 'jsonrpc must be "2.0"');
  if (typeof method !== 'string') return failure(replyId, rpcErrorNumbers.INVALID_REQUEST, 'INVALID_REQUEST', 'method must be a string');
  // A notification gets no reply, not even an error (JSON-RPC 2.0 §4.1).
  if (!isMethod(method)) return isNotification ? undefined : failure(replyId, rpcErrorNumbers.METHOD_NOT_FOUND, 'METHOD_NOT_FOUND', `there is no method ${JSON.stringify(method.slice(0, 64))}`);
  const response = await run(host, method, params ?? {}, replyId, session);
  return isNotification ? undefined : response;
}

async function run(host: NodeHost, method: MethodName, rawParams: unknown, id: Id, session: RpcSession | undefined): Promise<RpcResponse> {
  const parsed = paramsSchemas[method].safeParse(rawParams);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(',') : '');
    const where = field === '' ? 'params' : `params.${field}`;
    return failure(id, rpcErrorNumbers.INVALID_PARAMS, 'INVALID_PARAMS', `${where}: ${issue?.message ?? 'invalid'}`, field);
  }
  try {
    return { jsonrpc: '2.0', id, result: await handle(host, method, parsed.data, session) };
  } catch (error) {
    if (error instanceof IngotError) {
      const field = typeof error.details?.field === 'string' ? error.details.field : undefined;
      return failure(id, rpcErrorNumbers.APPLICATION_ERROR, error.code, error.message, field);
    }
    if (error instanceof InvariantError) throw error;
    console.error(`rpc ${method} failed:`, error);
    return failure(id, rpcErrorNumbers.INTERNAL_ERROR, 'INTERNAL_ERROR', 'the node failed to handle this call; see its log');
  }
}

/** Handles one message body; undefined means nothing to send back (only notifications). */
export async function dispatch(host: NodeHost, body: string, session: RpcSession | undefined): Promise<unknown> {
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    return failure(null, rpcErrorNumbers.PARSE_ERROR, 'PARSE_ERROR', 'the request body is not valid JSON');
  }
  if (!Array.isArray(request)) return call(host, request, session);
  if (request.length === 0) return failure(null, rpcErrorNumbers.INVALID_REQUEST, 'INVALID_REQUEST', 'a batch must hold at least one call');
  if (request.length > BATCH_CALLS_MAX) return failure(null, rpcErrorNumbers.INVALID_REQUEST, 'BATCH_TOO_LARGE', `a batch may hold at most ${BATCH_CALLS_MAX} calls`);
  const responses = (await Promise.all(request.map((item) => call(host, item, session)))).filter((r) => r !== undefined);
  return responses.length === 0 ? undefined : responses;
}
