import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { RpcError } from '../api/errors.ts';
import { IngotError } from '../codec/errors.ts';
import { dataPaths } from '../node/data-dir.ts';

const apiFileSchema = z.object({ url: z.string(), port: z.number().int(), token: z.string().min(1) });

export class RpcCallError extends Error {
  readonly error: RpcError;
  constructor(error: RpcError) {
    super(error.message);
    this.error = error;
  }
}

/** Calls a running node over HTTP with the token its api.json holds. */
export async function callNode(dataDir: string, method: string, params: unknown, timeoutMs = 120_000): Promise<unknown> {
  const { api } = dataPaths(dataDir);
  let text: string;
  try {
    text = await readFile(api, 'utf8');
  } catch {
    throw new IngotError('NODE_NOT_RUNNING', `no running node for ${dataDir} (${api} is missing); start it with "ingot start --data ${dataDir}"`);
  }
  let apiFile: z.infer<typeof apiFileSchema>;
  try {
    apiFile = apiFileSchema.parse(JSON.parse(text));
  } catch {
    throw new IngotError('API_FILE_INVALID', `${api} is damaged; restart the node to write it again`);
  }
  const { url, token } = apiFile;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new IngotError('NODE_NOT_RUNNING', `cannot reach the node at ${url} (${(error as Error).message}); it may have stopped or crashed — start it with "ingot start --data ${dataDir}"`);
  }
  const reply = (await response.json()) as { result?: unknown; error?: RpcError };
  if (reply.error !== undefined) throw new RpcCallError(reply.error);
  return reply.result;
}
