import { createPrivateKey, createPublicKey, sign } from 'node:crypto';
import sodium from 'sodium-native';
import { IngotError } from '../codec/errors.ts';

export const PUBLIC_KEY_BYTES = 32;
export const SEED_BYTES = 32;
export const SIGNATURE_BYTES = 64;

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface SigningKey {
  readonly publicKey: Uint8Array;
  sign(message: Uint8Array): Uint8Array;
}

/** Builds a signing key from a 32-byte seed; the seed comes from the key store. */
export function signingKeyFromSeed(seed: Uint8Array): SigningKey {
  if (seed.length !== SEED_BYTES) throw new IngotError('KEY_INVALID', 'an Ed25519 seed is 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(spki.subarray(SPKI_ED25519_PREFIX.length));
  return {
    publicKey,
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  };
}

/** Public keys known to be points of the prime-order subgroup (or not): signers are few, checks many. */
const KEY_CHECKS_MAX = 4096;
const keyChecks = new Map<string, boolean>();

/**
 * A key must be a canonical point of the prime-order subgroup. Keys made from a seed always are; a
 * key with a small-order part can make signatures that one correct verifier accepts and another
 * refuses (cofactored or cofactorless checks), and nodes and offline verifiers must agree.
 */
function isPrimeOrderKey(publicKey: Uint8Array): boolean {
  const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('latin1');
  let valid = keyChecks.get(id);
  if (valid === undefined) {
    valid = sodium.crypto_core_ed25519_is_valid_point(publicKey);
    if (keyChecks.size >= KEY_CHECKS_MAX) keyChecks.clear();
    keyChecks.set(id, valid);
  }
  return valid;
}

/**
 * Signature checks bound how many transactions a node takes in, and libsodium checks Ed25519
 * twice as fast as OpenSSL on the same machine (see docs/decisions.md). The rules are strict: the
 * key a prime-order point, R not of small order, S canonical, the cofactorless equation (libsodium).
 * Every check of the node goes through here; `api/proof.ts` applies the same rules in the browser.
 */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  return isPrimeOrderKey(publicKey) && sodium.crypto_sign_verify_detached(signature, message, publicKey);
}
