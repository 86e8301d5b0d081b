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

/**
 * Signature checks bound how many transactions a node takes in, and libsodium checks Ed25519
 * twice as fast as OpenSSL on the same machine (see docs/decisions.md). Its rules are strict
 * (RFC 8032 with canonical S, no small-order key or R, canonical point encodings), and every
 * node and verifier uses this one function, so all agree on which signatures hold.
 */
export function verifySignature(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES || signature.length !== SIGNATURE_BYTES) return false;
  return sodium.crypto_sign_verify_detached(signature, message, publicKey);
}
