import { mkdir } from 'node:fs/promises';
import { IngotError } from '../codec/errors.ts';
import { limits } from '../codec/limits.ts';
import type { Genesis } from '../codec/messages.ts';
import { signingKeyFromSeed } from '../crypto/ed25519.ts';
import { toHex } from '../crypto/hex.ts';
import { x25519PublicKey } from '../crypto/x25519.ts';
import { orgIdOf } from '../contracts/membership-state.ts';
import type { Clock } from './clock.ts';
import { assertEmptyDataDir, createNodeKey, dataPaths, DEFAULT_CONFIG, writeConfig, type NodeConfig } from './data-dir.ts';
import { generateOrgSecrets, writeKeyStore, type KdfParams } from './keystore.ts';
import { writeGenesis } from './node.ts';

export interface InitOptions {
  readonly dataDir: string;
  readonly orgName: string;
  readonly registryId?: string;
  readonly consortiumName?: string;
  readonly passphrase: string;
  readonly clock: Clock;
  readonly config?: Partial<NodeConfig>;
  readonly kdf?: KdfParams;
}

export interface InitResult {
  readonly consortiumId: string;
  readonly orgId: string;
  readonly peerId: string;
}

/** The name, registry id and passphrase of an organisation being set up here (init or join), trimmed and checked. */
export function checkNewOrganisation(options: { readonly orgName: string; readonly registryId?: string | undefined; readonly passphrase: string }): { orgName: string; registryId: string } {
  const orgName = options.orgName.trim();
  if (orgName.length === 0 || orgName.length > limits.nameCharsMax) {
    throw new IngotError('INVALID_ARGUMENT', `--org must be 1 to ${limits.nameCharsMax} characters`, { field: 'org' });
  }
  const registryId = (options.registryId ?? '').trim();
  if (registryId.length > limits.nameCharsMax) throw new IngotError('INVALID_ARGUMENT', `--registry-id must be at most ${limits.nameCharsMax} characters`, { field: 'registryId' });
  if (options.passphrase.length < 8) throw new IngotError('PASSPHRASE_TOO_SHORT', 'the passphrase must be at least 8 characters');
  return { orgName, registryId };
}

/**
 * Creates a one-organisation consortium in an empty directory: the organisation's keys, the node
 * key, block 0 and, last, config.json, whose presence marks the directory as a complete node.
 */
export async function initConsortium(options: InitOptions): Promise<InitResult> {
  const { orgName, registryId } = checkNewOrganisation(options);
  const paths = dataPaths(options.dataDir);
  await assertEmptyDataDir(paths.dir);
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });

  const secrets = generateOrgSecrets();
  await writeKeyStore(paths.keyStore, secrets, options.passphrase, options.kdf);
  const nodeKey = await createNodeKey(paths);
  const signingKey = signingKeyFromSeed(secrets.signingSeeds[0] as Uint8Array).publicKey;
  const genesis: Genesis = {
    v: 1,
    name: (options.consortiumName?.trim() || `${orgName} consortium`).slice(0, limits.nameCharsMax),
    time: options.clock.now(),
    orgs: [{ name: orgName, registryId, roles: ['admin', 'validator', 'member'], signingKey, encryptionKey: x25519PublicKey(secrets.encryptionKey), nodes: [nodeKey.peerId] }],
    validators: [{ key: nodeKey.signing.publicKey, org: 0, power: 1 }],
  };
  const chainId = await writeGenesis(paths.ledger, genesis);
  await writeConfig(paths, { ...DEFAULT_CONFIG, ...options.config });
  return { consortiumId: toHex(chainId), orgId: orgIdOf(signingKey), peerId: nodeKey.peerId };
}
