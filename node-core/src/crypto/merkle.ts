import { IngotError } from '../codec/errors.ts';
import { sha256 } from './hash.ts';
import { splitPoint, verifyMerklePath, type MerkleProof } from './merkle-path.ts';

export type { MerkleProof } from './merkle-path.ts';

/**
 * RFC 6962 Merkle trees: leaves are hashed with a 0x00 prefix and inner nodes with 0x01, so a leaf
 * can never pass for a node; an odd tree splits at the largest power of two below its size.
 */

const LEAF = new Uint8Array([0]);
const NODE = new Uint8Array([1]);

export function leafHash(data: Uint8Array): Uint8Array {
  return sha256(LEAF, data);
}

function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  return sha256(NODE, left, right);
}

function rootOfLeaves(leaves: readonly Uint8Array[], start: number, end: number): Uint8Array {
  const count = end - start;
  if (count === 1) return leaves[start] as Uint8Array;
  const k = splitPoint(count);
  return nodeHash(rootOfLeaves(leaves, start, start + k), rootOfLeaves(leaves, start + k, end));
}

/** Root over already-hashed leaves; the empty tree's root is SHA-256 of nothing. */
export function merkleRootOfLeafHashes(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256();
  return rootOfLeaves(leaves, 0, leaves.length);
}

export function merkleRoot(items: readonly Uint8Array[]): Uint8Array {
  return merkleRootOfLeafHashes(items.map(leafHash));
}

export function merkleProof(items: readonly Uint8Array[], index: number): MerkleProof {
  if (!Number.isInteger(index) || index < 0 || index >= items.length) {
    throw new IngotError('PROOF_INDEX_OUT_OF_RANGE', `no leaf ${index} in a tree of ${items.length}`);
  }
  const leaves = items.map(leafHash);
  const path: Uint8Array[] = [];
  let start = 0;
  let end = leaves.length;
  // Walk down from the root, keeping the sibling subtree's root at each level; the path is stored leaf-first.
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      path.push(rootOfLeaves(leaves, start + k, end));
      end = start + k;
    } else {
      path.push(rootOfLeaves(leaves, start, start + k));
      start += k;
    }
  }
  return { index, count: items.length, path: path.reverse() };
}

/** Pure check that `item` is leaf `proof.index` of a tree of `proof.count` leaves with root `root`. */
export function verifyMerkleProof(item: Uint8Array, proof: MerkleProof, root: Uint8Array): boolean {
  return verifyMerklePath(sha256, item, proof, root);
}
