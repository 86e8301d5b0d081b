import { IngotError } from '../codec/errors.ts';
import {
  decodeTelemetryBatch, encodePoint, encodeTelemetryBatch, encodeTelemetryBody, telemetryLimits,
  type TelemetryBody, type TelemetryPoint,
} from '../codec/telemetry.ts';
import { verifySignature, type SigningKey } from '../crypto/ed25519.ts';
import { domainTag, sha256 } from '../crypto/hash.ts';
import { merkleRoot } from '../crypto/merkle.ts';

/** Signing, checking and rooting a telemetry batch (format in codec/telemetry.ts, docs/telemetry.md). */

const TELEMETRY_TAG = domainTag('telemetry');

/** SHA-256("ingot/telemetry\0" ‖ body bytes): what the device key signs. */
export function telemetryBatchId(bodyBytes: Uint8Array): Uint8Array {
  return sha256(TELEMETRY_TAG, bodyBytes);
}

/** Signs a body with the device key and returns the encoded signed batch. */
export function signTelemetryBatch(body: TelemetryBody, key: SigningKey): Uint8Array {
  const bodyBytes = encodeTelemetryBody(body);
  if (bodyBytes.length > telemetryLimits.bodyBytesMax) {
    throw new IngotError('TELEMETRY_TOO_LARGE', `a batch body is at most ${telemetryLimits.bodyBytesMax} bytes, this one ${bodyBytes.length}`);
  }
  return encodeTelemetryBatch(bodyBytes, key.sign(telemetryBatchId(bodyBytes)));
}

/** A batch whose form and device signature are valid. */
export interface VerifiedBatch {
  readonly body: TelemetryBody;
  /** The encoded body: the points' canonical encodings are ranges of it (`pointRanges`). */
  readonly bodyBytes: Uint8Array;
  /** The signed batch as received: what the node stores and hands to readers, who can check the signature again. */
  readonly bytes: Uint8Array;
  readonly id: Uint8Array;
}

/** Decodes a signed batch and checks its signature against the key it names; TELEMETRY_MALFORMED, TELEMETRY_TOO_LARGE or TELEMETRY_BAD_SIGNATURE. */
export function verifyTelemetryBatch(bytes: Uint8Array): VerifiedBatch {
  const decoded = decodeTelemetryBatch(bytes);
  const id = telemetryBatchId(decoded.bodyBytes);
  if (!verifySignature(decoded.body.device, id, decoded.sig)) {
    throw new IngotError('TELEMETRY_BAD_SIGNATURE', 'the batch is not signed by the device key it names');
  }
  return { body: decoded.body, bodyBytes: decoded.bodyBytes, bytes, id };
}

/** The Merkle root the ledger anchors: RFC 6962 over the canonical encodings of the points, in order. */
export function telemetryRoot(points: readonly TelemetryPoint[]): Uint8Array {
  return merkleRoot(points.map(encodePoint));
}
