import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { z } from 'zod';
import { IngotError } from '../codec/errors.ts';
import { signingKeyFromSeed, type SigningKey } from '../crypto/ed25519.ts';
import { writeFileAtomic } from './files.ts';

const API_FILE = 'api.json';

/** Where a node keeps its files. Everything a node needs to start is here, so `--data` is its only required flag. */
export function dataPaths(dir: string) {
  return {
    dir,
    config: join(dir, 'config.json'),
    keyStore: join(dir, 'keys.json'),
    nodeKey: join(dir, 'node-key.json'),
    ledger: join(dir, 'ledger'),
    /** A copy of the consortium's genesis document, so that a lost or wiped ledger can start again from block 0 and sync. */
    genesis: join(dir, 'genesis.cbor'),
    api: join(dir, API_FILE),
    /** What this validator last signed, written before the signed message leaves (see consensus). */
    signingState: join(dir, 'signing-state.json'),
    /** A directory made by `ingot join`: the join request, kept until the organisation is admitted and after. */
    join: join(dir, 'join.json'),
  };
}
export type DataPaths = ReturnType<typeof dataPaths>;

const multiaddr = z.string().min(4).max(512).regex(/^\//, 'expected a multiaddr such as /ip4/127.0.0.1/tcp/7546');

export const p2pConfigSchema = z
  .object({
    /** Where libp2p listens; empty for a node that can only dial out (behind NAT, reached through a relay). */
    listen: z.array(multiaddr).max(8),
    /** Static peers dialled at start and kept connected (`--peer`), with their /p2p/<peer id>. */
    peers: z.array(multiaddr).max(64),
    /** Finds members on the same LAN. */
    mdns: z.boolean(),
    /** Offers circuit relay v2 to members that cannot accept connections. */
    relay: z.boolean(),
  })
  .strict();
export type P2pConfig = z.infer<typeof p2pConfigSchema>;

export const DEFAULT_P2P_CONFIG: P2pConfig = { listen: ['/ip4/0.0.0.0/tcp/7546'], peers: [], mdns: true, relay: false };

/**
 * The MQTT broker the node takes device telemetry from (docs/telemetry.md): topics are
 * `<topicPrefix>/<device id>`. Absent, the node subscribes to no broker.
 */
export const mqttConfigSchema = z
  .object({
    url: z.string().min(1).max(1024).regex(/^(?:mqtts?|wss?|tcp|tls):\/\//, 'expected a broker URL such as mqtt://127.0.0.1:1883'),
    topicPrefix: z.string().min(1).max(128).regex(/^[^#+\s]+$/, 'expected a topic prefix without wildcards or spaces').default('ingot/telemetry'),
  })
  .strict();
export type MqttConfigJson = z.infer<typeof mqttConfigSchema>;

export const configSchema = z
  .object({
    api: z.object({ host: z.literal('127.0.0.1'), port: z.number().int().min(0).max(65535) }).strict(),
    // Directories made before networking have no p2p section: they get the defaults.
    p2p: p2pConfigSchema.default(DEFAULT_P2P_CONFIG),
    blockIntervalMs: z.number().int().min(10).max(60_000),
    mempool: z.object({ txsMax: z.number().int().min(1).max(1_000_000), bytesMax: z.number().int().min(1024).max(1024 ** 3) }).strict(),
    mqtt: mqttConfigSchema.optional(),
  })
  .strict();
export type NodeConfig = z.infer<typeof configSchema>;

export const DEFAULT_CONFIG: NodeConfig = {
  api: { host: '127.0.0.1', port: 7545 },
  p2p: DEFAULT_P2P_CONFIG,
  blockIntervalMs: 1000,
  mempool: { txsMax: 50_000, bytesMax: 64 * 1024 * 1024 },
};

export function notInitialised(paths: DataPaths): IngotError {
  return new IngotError('DATA_DIR_NOT_INITIALISED', `${paths.dir} holds no Ingot node; run "ingot init --data ${paths.dir} --org NAME" first`);
}

export async function readConfig(paths: DataPaths): Promise<NodeConfig> {
  let text: string;
  try {
    text = await readFile(paths.config, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw notInitialised(paths);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new IngotError('CONFIG_INVALID', `${paths.config} is not valid JSON`);
  }
  const parsed = configSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IngotError('CONFIG_INVALID', `${paths.config}: ${issue?.path.join('.')}: ${issue?.message}`);
  }
  return parsed.data;
}

export async function writeConfig(paths: DataPaths, config: NodeConfig): Promise<void> {
  await writeFileAtomic(paths.config, `${JSON.stringify(configSchema.parse(config), null, 2)}\n`, 0o644);
}

/** api.json may already be there: the web mode serves its first-run screen from a directory it then initialises. */
export async function assertEmptyDataDir(dir: string): Promise<void> {
  try {
    const entries = (await readdir(dir)).filter((name) => name !== API_FILE);
    if (entries.length > 0) throw new IngotError('DATA_DIR_NOT_EMPTY', `${dir} is not empty; choose a new directory for a new node`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/** The node's own key: its libp2p identity and, for a validator, the key that signs votes. */
export interface NodeKey {
  readonly signing: SigningKey;
  readonly peerId: string;
  readonly seed: Uint8Array;
}

const nodeKeySchema = z.object({ version: z.literal(1), seed: z.string().regex(/^[0-9a-f]{64}$/) }).strict();

export async function nodeKeyFromSeed(seed: Uint8Array): Promise<NodeKey> {
  const peerId = peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', seed)).toString();
  return { signing: signingKeyFromSeed(seed), peerId, seed };
}

export async function createNodeKey(paths: DataPaths): Promise<NodeKey> {
  const seed = new Uint8Array(randomBytes(32));
  // Kept unencrypted, like a server's host key: it identifies the node and signs votes, nothing more.
  await writeFileAtomic(paths.nodeKey, `${JSON.stringify({ version: 1, seed: Buffer.from(seed).toString('hex') })}\n`);
  return nodeKeyFromSeed(seed);
}

export async function readNodeKey(paths: DataPaths): Promise<NodeKey> {
  let parsed;
  try {
    parsed = nodeKeySchema.parse(JSON.parse(await readFile(paths.nodeKey, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new IngotError('NODE_KEY_MISSING', `no node key at ${paths.nodeKey}`);
    throw new IngotError('NODE_KEY_CORRUPT', `${paths.nodeKey} is not a valid node key file`);
  }
  return nodeKeyFromSeed(new Uint8Array(Buffer.from(parsed.seed, 'hex')));
}
