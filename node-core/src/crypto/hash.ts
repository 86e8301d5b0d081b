import { hash } from 'node:crypto';

export const HASH_BYTES = 32;

/** Parts up to this size are joined in one reused buffer; larger ones get their own. */
const JOIN_BUFFER_BYTES = 64 * 1024;
const joinBuffer = new Uint8Array(JOIN_BUFFER_BYTES);

/**
 * SHA-256 of the parts concatenated. Ids, Merkle nodes and digests are hashed several times per
 * transaction, and the one-shot hash over one joined buffer costs half of an incremental hash
 * object. The join buffer is filled and hashed in one synchronous step, so no caller sees another's.
 */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  let input: Uint8Array;
  if (parts.length === 1) {
    input = parts[0] as Uint8Array;
  } else {
    let length = 0;
    for (const part of parts) length += part.length;
    input = length <= JOIN_BUFFER_BYTES ? joinBuffer.subarray(0, length) : new Uint8Array(length);
    let offset = 0;
    for (const part of parts) {
      input.set(part, offset);
      offset += part.length;
    }
  }
  // A copy of the 32 bytes: the digest Buffer may be a view of a shared pool.
  return new Uint8Array(hash('sha256', input, 'buffer'));
}

export { domainTag } from './domain.ts';
