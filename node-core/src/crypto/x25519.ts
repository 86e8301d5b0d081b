import { createPrivateKey, createPublicKey } from 'node:crypto';
import { IngotError } from '../codec/errors.ts';

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_X25519_PREFIX_BYTES = 12;

/** The public half of an X25519 key pair, used later to encrypt private payloads to an organisation. */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  if (privateKey.length !== 32) throw new IngotError('KEY_INVALID', 'an X25519 private key is 32 bytes');
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, privateKey]), format: 'der', type: 'pkcs8' });
  const spki = createPublicKey(key).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(SPKI_X25519_PREFIX_BYTES));
}
