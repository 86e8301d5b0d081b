import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { httpTransport, RpcClient } from '../api/client.ts';
import { IngotError } from '../codec/errors.ts';
import { dataPaths } from '../node/data-dir.ts';

const apiFileSchema = z.object({ url: z.string(), port: z.number().int(), token: z.string().min(1) });

type ApiFile = z.infer<typeof apiFileSchema>;

async function readApiFile(dataDir: string): Promise<ApiFile> {
  const { api } = dataPaths(dataDir);
  let text: string;
  try {
    text = await readFile(api, 'utf8');
  } catch {
    throw new IngotError('NODE_NOT_RUNNING', `no running node for ${dataDir} (${api} is missing); start it with "ingot start --data ${dataDir}"`);
  }
  try {
    return apiFileSchema.parse(JSON.parse(text));
  } catch {
    throw new IngotError('API_FILE_INVALID', `${api} is damaged; restart the node to write it again`);
  }
}

/**
 * The API address of the node serving a data directory, if one answers there: api.json outlives a
 * crashed node, so its presence alone proves nothing.
 */
export async function runningNode(dataDir: string): Promise<ApiFile | undefined> {
  let apiFile: ApiFile;
  try {
    apiFile = await readApiFile(dataDir);
  } catch {
    return undefined;
  }
  try {
    await new RpcClient(httpTransport(apiFile.url, apiFile.token, 2000)).call('app.state', {});
    return apiFile;
  } catch {
    return undefined;
  }
}

/** A client for the node running on a data directory, from the address and token in its api.json. */
export async function nodeClient(dataDir: string): Promise<RpcClient> {
  const { url, token } = await readApiFile(dataDir);
  const transport = httpTransport(url, token);
  return new RpcClient({
    async send(body) {
      try {
        return await transport.send(body);
      } catch (error) {
        throw new IngotError('NODE_NOT_RUNNING', `cannot reach the node at ${url} (${(error as Error).message}); it may have stopped or crashed — start it with "ingot start --data ${dataDir}"`);
      }
    },
  });
}
