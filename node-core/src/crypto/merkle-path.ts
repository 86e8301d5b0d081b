import { bytesEqual } from '../codec/cbor.ts';

/**
 * Checking an RFC 6962 inclusion proof needs only a hash function, which the caller passes in: the
 * node uses node:crypto, a browser verifying a proof offline uses a pure-JavaScript SHA-256.
 */

export type Sha256 = (...parts: Uint8Array[]) => Uint8Array;

export interface MerkleProof {
  readonly index: number;
  readonly count: number;
  readonly path: readonly Uint8Array[];
}

const HASH_BYTES = 32;
const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

/** An odd tree splits at the largest power of two below its size. */
export function splitPoint(count: number): number {
  let k = 1;
  while (k * 2 < count) k *= 2;
  return k;
}

export function verifyMerklePath(sha256: Sha256, item: Uint8Array, proof: MerkleProof, root: Uint8Array): boolean {
  const { index, count, path } = proof;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || index < 0 || index >= count) return false;
  if (root.length !== HASH_BYTES || path.some((hash) => hash.length !== HASH_BYTES)) return false;
  // Recompute the sequence of left/right turns from the top, then fold the path from the leaf up.
  const turns: boolean[] = [];
  let start = 0;
  let end = count;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    const goesLeft = index < start + k;
    turns.push(goesLeft);
    if (goesLeft) end = start + k;
    else start += k;
  }
  if (turns.length !== path.length) return false;
  let hash = sha256(LEAF, item);
  for (let level = 0; level < path.length; level++) {
    const sibling = path[level] as Uint8Array;
    const goesLeft = turns[turns.length - 1 - level];
    hash = goesLeft ? sha256(NODE, hash, sibling) : sha256(NODE, sibling, hash);
  }
  return bytesEqual(hash, root);
}
