import { signingKeyFromSeed, type SigningKey } from './ed25519.ts';
import { domainTag, sha256 } from './hash.ts';

const INVITE_KEY_TAG = domainTag('invite-key');

/**
 * The key pair an invite's one-time secret stands for. The ledger records only its public half;
 * holding the secret is proved by signing with it, and the joiner's node dials as its peer id.
 */
export function inviteKeyFromSecret(secret: Uint8Array): SigningKey {
  return signingKeyFromSeed(inviteKeySeed(secret));
}

/** The Ed25519 seed of the invite key, from which the joiner's temporary libp2p identity is made too. */
export function inviteKeySeed(secret: Uint8Array): Uint8Array {
  return sha256(INVITE_KEY_TAG, secret);
}
