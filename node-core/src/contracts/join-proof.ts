import { encode } from '../codec/cbor.ts';
import { domainTag, sha256 } from '../crypto/hash.ts';

const JOIN_TAG = domainTag('join');

/** What an organisation asks to be admitted as; the invite key signs it, binding the invite to these keys. */
export interface JoinRequestFields {
  readonly inviteKey: Uint8Array;
  /** The new organisation's signing key: the key that signs the requestJoin transaction. */
  readonly signingKey: Uint8Array;
  readonly encryptionKey: Uint8Array;
  readonly name: string;
  readonly registryId: string;
  readonly nodes: readonly string[];
}

/** The message the invite key signs in a join request (see docs/membership.md). */
export function joinProofMessage(chain: Uint8Array, fields: JoinRequestFields): Uint8Array {
  return sha256(
    JOIN_TAG,
    encode({
      chain,
      inviteKey: fields.inviteKey,
      signingKey: fields.signingKey,
      encryptionKey: fields.encryptionKey,
      name: fields.name,
      registryId: fields.registryId,
      nodes: [...fields.nodes],
    }),
  );
}
