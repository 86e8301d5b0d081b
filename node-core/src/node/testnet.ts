import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { IngotError } from '../codec/errors.ts';
import type { Genesis, Role } from '../codec/messages.ts';
import { signingKeyFromSeed } from '../crypto/ed25519.ts';
import { toHex } from '../crypto/hex.ts';
import { x25519PublicKey } from '../crypto/x25519.ts';
import { orgIdOf } from '../contracts/membership-state.ts';
import type { Clock } from './clock.ts';
import { assertEmptyDataDir, createNodeKey, dataPaths, DEFAULT_CONFIG, writeConfig, type NodeConfig, type NodeKey } from './data-dir.ts';
import { generateOrgSecrets, writeKeyStore, type KdfParams, type OrgSecrets } from './keystore.ts';
import { writeGenesis } from './node.ts';

/**
 * `ingot testnet`: a consortium of N validating organisations and M observers on one machine, each
 * in its own data directory with the same genesis and fixed loopback ports in its config, so that
 * `ingot start --data DIR/org-K` needs no other flag.
 */

export const TESTNET_VALIDATORS_MAX = 16;
export const TESTNET_OBSERVERS_MAX = 8;
export const TESTNET_BASE_PORT = 7600;
/** Each node takes two consecutive ports from the base: its API, then its libp2p listener. */
export const PORTS_PER_NODE = 2;

export interface TestnetOptions {
  readonly dir: string;
  readonly validators: number;
  readonly observers: number;
  readonly basePort?: number;
  readonly blockIntervalMs?: number;
  /** One passphrase for every organisation's key store. */
  readonly passphrase: string;
  readonly clock: Clock;
  readonly kdf?: KdfParams;
}

export interface TestnetNode {
  /** org-K or observer-K: also the name of its data directory under DIR. */
  readonly name: string;
  readonly role: 'validator' | 'observer';
  readonly dataDir: string;
  readonly orgName: string;
  readonly orgId: string;
  readonly peerId: string;
  /** Hex of the node key that signs votes (validators only). */
  readonly validatorKey?: string;
  readonly apiPort: number;
  /** The libp2p port; observers only dial out and have none. */
  readonly p2pPort?: number;
  /** The address others dial, with /p2p/<peer id> (validators only). */
  readonly address?: string;
  readonly command: string;
}

export interface TestnetResult {
  readonly consortiumId: string;
  readonly consortiumName: string;
  readonly nodes: TestnetNode[];
}

export function testnetPorts(basePort: number, index: number): { api: number; p2p: number } {
  return { api: basePort + index * PORTS_PER_NODE, p2p: basePort + index * PORTS_PER_NODE + 1 };
}

/** Resolves when 127.0.0.1:port can be bound now; a port taken by anything else fails with PORT_IN_USE. */
function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(new IngotError('PORT_IN_USE', `port ${port} on 127.0.0.1 is in use (${error.code ?? error.message}); choose another --base-port`, { field: 'basePort' }));
    });
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve()));
  });
}

/** Quotes a path for a POSIX shell when it needs it, so the printed command can be pasted as is. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

export function startCommand(dataDir: string): string {
  return `ingot start --data ${shellWord(dataDir)}`;
}

interface Member {
  readonly name: string;
  readonly role: 'validator' | 'observer';
  readonly dataDir: string;
  readonly ports: { api: number; p2p: number };
  readonly secrets: OrgSecrets;
  readonly nodeKey: NodeKey;
}

/**
 * Writes the data directories. Nothing is written until every directory is known to be empty and
 * every port free; config.json, which marks a directory as a complete node, is written last.
 */
export async function createTestnet(options: TestnetOptions): Promise<TestnetResult> {
  const { validators, observers } = options;
  const basePort = options.basePort ?? TESTNET_BASE_PORT;
  if (!Number.isInteger(validators) || validators < 1 || validators > TESTNET_VALIDATORS_MAX) {
    throw new IngotError('INVALID_ARGUMENT', `--validators must be 1 to ${TESTNET_VALIDATORS_MAX}`, { field: 'validators' });
  }
  if (!Number.isInteger(observers) || observers < 0 || observers > TESTNET_OBSERVERS_MAX) {
    throw new IngotError('INVALID_ARGUMENT', `--observers must be 0 to ${TESTNET_OBSERVERS_MAX}`, { field: 'observers' });
  }
  const count = validators + observers;
  if (!Number.isInteger(basePort) || basePort < 1024 || basePort + count * PORTS_PER_NODE - 1 > 65535) {
    throw new IngotError('INVALID_ARGUMENT', `--base-port must leave room for ${count * PORTS_PER_NODE} ports from 1024 to 65535`, { field: 'basePort' });
  }
  if (options.passphrase.length < 8) throw new IngotError('PASSPHRASE_TOO_SHORT', 'the passphrase must be at least 8 characters');

  const layout = [
    ...Array.from({ length: validators }, (_, i) => ({ name: `org-${i + 1}`, role: 'validator' as const })),
    ...Array.from({ length: observers }, (_, i) => ({ name: `observer-${i + 1}`, role: 'observer' as const })),
  ].map((entry, index) => ({ ...entry, dataDir: join(options.dir, entry.name), ports: testnetPorts(basePort, index) }));

  for (const entry of layout) await assertEmptyDataDir(entry.dataDir);
  for (const entry of layout) {
    await assertPortFree(entry.ports.api);
    // An observer only dials out: its p2p port stays unused.
    if (entry.role === 'validator') await assertPortFree(entry.ports.p2p);
  }

  const members: Member[] = [];
  for (const entry of layout) {
    const paths = dataPaths(entry.dataDir);
    await mkdir(paths.dir, { recursive: true, mode: 0o700 });
    const secrets = generateOrgSecrets();
    await writeKeyStore(paths.keyStore, secrets, options.passphrase, options.kdf);
    members.push({ ...entry, secrets, nodeKey: await createNodeKey(paths) });
  }

  const validatorRoles: Role[] = ['admin', 'validator', 'member'];
  const observerRoles: Role[] = ['member'];
  const orgName = (member: Member) => (member.role === 'validator' ? `Validator ${member.name.slice(4)}` : `Observer ${member.name.slice(9)}`);
  const signingKeyOf = (member: Member) => signingKeyFromSeed(member.secrets.signingSeeds[0] as Uint8Array).publicKey;
  const genesis: Genesis = {
    v: 1,
    name: `Ingot testnet (${plural(validators, 'validator')}, ${plural(observers, 'observer')})`,
    time: options.clock.now(),
    orgs: members.map((member) => ({
      name: orgName(member),
      registryId: '',
      roles: member.role === 'validator' ? validatorRoles : observerRoles,
      signingKey: signingKeyOf(member),
      encryptionKey: x25519PublicKey(member.secrets.encryptionKey),
      nodes: [member.nodeKey.peerId],
    })),
    validators: members.flatMap((member, org) => (member.role === 'validator' ? [{ key: member.nodeKey.signing.publicKey, org, power: 1 }] : [])),
  };

  const addressOf = (member: Member) => `/ip4/127.0.0.1/tcp/${member.ports.p2p}/p2p/${member.nodeKey.peerId}`;
  const validatorMembers = members.filter((member) => member.role === 'validator');
  const relay = validatorMembers[0] as Member;
  let chainId: Uint8Array | undefined;
  for (const member of members) {
    chainId = await writeGenesis(dataPaths(member.dataDir).ledger, genesis);
  }
  for (const member of members) {
    const p2p: NodeConfig['p2p'] = member.role === 'validator'
      ? {
          listen: [`/ip4/127.0.0.1/tcp/${member.ports.p2p}`],
          peers: validatorMembers.filter((other) => other !== member).map(addressOf),
          mdns: false,
          relay: true,
        }
      : // Dial-only, like a member behind an office NAT: the first validator relays the others to it.
        { listen: [], peers: [addressOf(relay)], mdns: false, relay: false };
    const config: NodeConfig = {
      ...DEFAULT_CONFIG,
      api: { host: '127.0.0.1', port: member.ports.api },
      p2p,
      ...(options.blockIntervalMs === undefined ? {} : { blockIntervalMs: options.blockIntervalMs }),
    };
    await writeConfig(dataPaths(member.dataDir), config);
  }

  return {
    consortiumId: toHex(chainId as Uint8Array),
    consortiumName: genesis.name,
    nodes: members.map((member) => ({
      name: member.name,
      role: member.role,
      dataDir: member.dataDir,
      orgName: orgName(member),
      orgId: orgIdOf(signingKeyOf(member)),
      peerId: member.nodeKey.peerId,
      ...(member.role === 'validator' ? { validatorKey: toHex(member.nodeKey.signing.publicKey), p2pPort: member.ports.p2p, address: addressOf(member) } : {}),
      apiPort: member.ports.api,
      command: startCommand(member.dataDir),
    })),
  };
}
