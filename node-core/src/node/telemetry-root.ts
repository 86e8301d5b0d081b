import { hash } from 'node:crypto';
import { pointRanges } from '../codec/telemetry.ts';
import { splitPoint } from '../crypto/merkle-path.ts';

/**
 * The batch root of contracts/telemetry-batch.ts (`telemetryRoot`: RFC 6962 over the points'
 * canonical encodings), computed from the encoded body at ingestion speed: leaves are hashed from
 * ranges of the body instead of encoding every point again, with one-shot SHA-256 calls. The
 * telemetry tests hold the two to the same result.
 */

function sha256(data: Uint8Array): Uint8Array {
  return hash('sha256', data, 'buffer');
}

export function leafHashes(bodyBytes: Uint8Array): Uint8Array[] {
  return pointRanges(bodyBytes).map(([start, end]) => {
    const leaf = new Uint8Array(end - start + 1);
    leaf.set(bodyBytes.subarray(start, end), 1);
    return sha256(leaf);
  });
}

function rootOf(leaves: readonly Uint8Array[], start: number, end: number, scratch: Uint8Array): Uint8Array {
  const count = end - start;
  if (count === 1) return leaves[start] as Uint8Array;
  const k = splitPoint(count);
  const left = rootOf(leaves, start, start + k, scratch);
  const right = rootOf(leaves, start + k, end, scratch);
  scratch[0] = 1;
  scratch.set(left, 1);
  scratch.set(right, 33);
  return sha256(scratch);
}

export function rootOfLeafHashes(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  return rootOf(leaves, 0, leaves.length, new Uint8Array(65));
}

/** The Merkle root of the points of an encoded (already decoded and checked) body. */
export function batchRoot(bodyBytes: Uint8Array): Uint8Array {
  return rootOfLeafHashes(leafHashes(bodyBytes));
}
