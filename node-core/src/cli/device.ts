import { open, rm } from 'node:fs/promises';
import type { ParseArgsConfig } from 'node:util';
import type { Params } from '../api/methods.ts';
import { IngotError } from '../codec/errors.ts';
import { nodeClient } from './rpc-client.ts';

/**
 * `ingot device …` subcommands, each talking to the node running on --data. main.ts passes the
 * option parser and the usage error it reports, so every subcommand fails the same way.
 */

export interface DeviceCliTools {
  parse(args: string[], options: ParseArgsConfig['options'], positionals?: number): { values: Record<string, unknown>; positionals: string[] };
  required(values: Record<string, unknown>, name: string): string;
  usage(message: string): Error;
  print(value: unknown): void;
}

export type DeviceSubcommand = (args: string[], tools: DeviceCliTools) => Promise<void>;

/**
 * `ingot device register --data DIR --model M --serial S [--manufacturer X] [--generate-key FILE | --public-key HEX]`:
 * registers the device for this node's organisation and prints `{ id, hash, height }` (and `keyFile`,
 * the path written). With --generate-key the node makes the device's key pair and the file receives
 * it (mode 0600; an existing file is never overwritten).
 */
export const register: DeviceSubcommand = async (args, { parse, required, usage, print }) => {
  const { values } = parse(args, {
    data: { type: 'string' }, model: { type: 'string' }, serial: { type: 'string' }, manufacturer: { type: 'string' },
    'generate-key': { type: 'string' }, 'public-key': { type: 'string' },
  });
  const dataDir = required(values, 'data');
  const model = required(values, 'model');
  const serial = required(values, 'serial');
  const keyPath = values['generate-key'];
  const publicKey = values['public-key'];
  if ((keyPath === undefined) === (publicKey === undefined)) throw usage('give either --generate-key FILE or --public-key HEX');
  const params: Params<'device.register'> = {
    model, serial,
    ...(typeof values.manufacturer === 'string' ? { manufacturer: values.manufacturer } : {}),
    ...(typeof publicKey === 'string' ? { publicKey: publicKey.toLowerCase() } : { generateKey: true }),
  };
  const client = await nodeClient(dataDir);
  if (typeof keyPath !== 'string' || keyPath === '') {
    const { id, hash, height } = await client.call('device.register', params);
    print({ id, hash, height });
    return;
  }
  // The file is claimed before the key exists, so a key the ledger knows always has somewhere to go.
  const file = await open(keyPath, 'wx', 0o600).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') throw new IngotError('KEY_FILE_EXISTS', `${keyPath} exists; the device key goes to a new file`);
    throw error;
  });
  let written = false;
  try {
    const result = await client.call('device.register', params);
    await file.writeFile(`${JSON.stringify(result.keyFile, null, 2)}\n`);
    await file.sync();
    written = true;
    print({ id: result.id, hash: result.hash, height: result.height, keyFile: keyPath });
  } finally {
    await file.close();
    if (!written) await rm(keyPath, { force: true });
  }
};
