import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { z } from 'zod';
import { decode, encode } from '../codec/cbor.ts';
import { IngotError } from '../codec/errors.ts';
import { fromHex } from '../crypto/hex.ts';
import { writeFileAtomic } from './files.ts';

const scrypt = promisify(scryptCallback) as (password: string, salt: Uint8Array, keylen: number, options: object) => Promise<Buffer>;

/** The organisation's secrets: signing seeds (the current one first, then one being rotated to) and the X25519 key. */
export interface OrgSecrets {
  readonly signingSeeds: readonly Uint8Array[];
  readonly encryptionKey: Uint8Array;
}

export interface KdfParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** 2^15 × 8 × 128 bytes = 32 MiB and about a tenth of a second here: costly to guess, quick to unlock. */
export const DEFAULT_KDF: KdfParams = { N: 2 ** 15, r: 8, p: 1 };

const hex = z.string().regex(/^(?:[0-9a-f]{2})+$/);
const fileSchema = z
  .object({
    version: z.literal(1),
    kdf: z.object({ name: z.literal('scrypt'), N: z.number().int().min(2 ** 10).max(2 ** 20), r: z.number().int().min(1).max(32), p: z.number().int().min(1).max(16), salt: hex }).strict(),
    cipher: z.object({ name: z.literal('aes-256-gcm'), iv: hex, tag: hex }).strict(),
    ciphertext: hex,
  })
  .strict();
type KeyStoreFile = z.infer<typeof fileSchema>;

const secretsSchema = z
  .object({
    signingSeeds: z.array(z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length === 32)).min(1).max(2),
    encryptionKey: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length === 32),
  })
  .strict();

function deriveKey(passphrase: string, salt: Uint8Array, kdf: KdfParams): Promise<Buffer> {
  return scrypt(passphrase, salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r });
}

/** The header is authenticated with the ciphertext, so a tampered KDF setting fails like a wrong passphrase. */
function associatedData(file: Omit<KeyStoreFile, 'ciphertext' | 'cipher'> & { cipher: { name: string; iv: string } }): Buffer {
  // Fields are listed one by one: the key order of `file.kdf` depends on who built the object.
  const { name, N, r, p, salt } = file.kdf;
  return Buffer.from(JSON.stringify({ version: file.version, kdf: { name, N, r, p, salt }, cipher: { name: file.cipher.name, iv: file.cipher.iv } }));
}

export function generateOrgSecrets(): OrgSecrets {
  return { signingSeeds: [new Uint8Array(randomBytes(32))], encryptionKey: new Uint8Array(randomBytes(32)) };
}

export async function writeKeyStore(path: string, secrets: OrgSecrets, passphrase: string, kdf: KdfParams = DEFAULT_KDF): Promise<void> {
  if (passphrase.length === 0) throw new IngotError('PASSPHRASE_EMPTY', 'a passphrase is needed to encrypt the organisation keys');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = await deriveKey(passphrase, salt, kdf);
  const header = { version: 1 as const, kdf: { name: 'scrypt' as const, N: kdf.N, r: kdf.r, p: kdf.p, salt: salt.toString('hex') }, cipher: { name: 'aes-256-gcm' as const, iv: iv.toString('hex') } };
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(associatedData(header));
  const plaintext = encode({ signingSeeds: [...secrets.signingSeeds], encryptionKey: secrets.encryptionKey });
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const file: KeyStoreFile = { ...header, cipher: { ...header.cipher, tag: cipher.getAuthTag().toString('hex') }, ciphertext: ciphertext.toString('hex') };
  await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`);
}

export async function readKeyStore(path: string, passphrase: string): Promise<OrgSecrets> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new IngotError('KEYSTORE_MISSING', `no key store at ${path}`);
    throw error;
  }
  let file: KeyStoreFile;
  try {
    file = fileSchema.parse(JSON.parse(text));
  } catch {
    throw new IngotError('KEYSTORE_CORRUPT', `the key store at ${path} is not a valid Ingot key store`);
  }
  let key: Buffer;
  try {
    key = await deriveKey(passphrase, fromHex(file.kdf.salt, file.kdf.salt.length / 2, 'salt'), file.kdf);
  } catch {
    // scrypt refuses some settings the schema lets through, such as an N that is not a power of two.
    throw new IngotError('KEYSTORE_CORRUPT', `the key store at ${path} has unusable key derivation settings`);
  }
  // A fixed tag length: without it a file with a truncated tag (down to 4 bytes) would still open.
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(file.cipher.iv, 'hex'), { authTagLength: 16 });
  decipher.setAAD(associatedData(file));
  let plaintext: Buffer;
  try {
    decipher.setAuthTag(Buffer.from(file.cipher.tag, 'hex'));
    plaintext = Buffer.concat([decipher.update(Buffer.from(file.ciphertext, 'hex')), decipher.final()]);
  } catch {
    throw new IngotError('KEYSTORE_WRONG_PASSPHRASE', 'the passphrase does not open this key store');
  }
  const secrets = secretsSchema.safeParse(decode(new Uint8Array(plaintext)));
  if (!secrets.success) throw new IngotError('KEYSTORE_CORRUPT', `the key store at ${path} holds unexpected content`);
  return secrets.data;
}
