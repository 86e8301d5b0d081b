import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { encode, decode, type CanonicalValue } from '../src/codec/cbor.ts';
import { IngotError } from '../src/codec/errors.ts';
import {
  decodeTelemetryBatch, encodePoint, encodeTelemetryBatch, encodeTelemetryBody, METRIC_NAME, telemetryLimits, type TelemetryBody, type TelemetryPoint,
} from '../src/codec/telemetry.ts';
import { signTelemetryBatch, telemetryBatchId, telemetryRoot, verifyTelemetryBatch } from '../src/contracts/telemetry-batch.ts';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { domainTag, sha256 } from '../src/crypto/hash.ts';
import { merkleProof, merkleRoot, verifyMerkleProof } from '../src/crypto/merkle.ts';
import { toHex } from '../src/crypto/hex.ts';
import { batchRoot } from '../src/node/telemetry-root.ts';

const deviceKey = signingKeyFromSeed(new Uint8Array(32).fill(7));
const otherKey = signingKeyFromSeed(new Uint8Array(32).fill(8));

function points(count: number, start = 1_700_000_000_000): TelemetryPoint[] {
  return Array.from({ length: count }, (_, i) => ({ t: start + i * 1000, metric: 'temperature', value: -18_000 + (i % 50) * 10, unit: 'Cel' }));
}

const body = (overrides: Partial<TelemetryBody> = {}): TelemetryBody => ({ v: 1, device: deviceKey.publicKey, seq: 1, points: points(3), ...overrides });

function expectCode(fn: () => unknown, code: string): IngotError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof IngotError, `expected an IngotError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  assert.fail(`expected ${code}`);
}

/** Re-signs an arbitrary (possibly invalid) body value, so that only its form is wrong. */
function signedRaw(value: CanonicalValue, key = deviceKey): Uint8Array {
  const bodyBytes = encode(value);
  return encodeTelemetryBatch(bodyBytes, key.sign(telemetryBatchId(bodyBytes)));
}

const pointArb: fc.Arbitrary<TelemetryPoint> = fc.record({
  t: fc.oneof(fc.nat(), fc.maxSafeNat()),
  metric: fc.stringMatching(METRIC_NAME),
  value: fc.maxSafeInteger(),
  unit: fc.constantFrom('', 'Cel', 'mV', '%', '°C', 'kWh', 'm/s2'),
}, { noNullPrototype: true });

const bodyArb: fc.Arbitrary<TelemetryBody> = fc.record({
  v: fc.constant(1 as const),
  device: fc.constant(deviceKey.publicKey),
  seq: fc.maxSafeNat(),
  points: fc.array(pointArb, { minLength: 1, maxLength: 20 }).map((list) => [...list].sort((a, b) => a.t - b.t)),
}, { noNullPrototype: true });

describe('telemetry batch format', () => {
  test('a signed batch decodes to what was signed, and its id and signature check', () => {
    const bytes = signTelemetryBatch(body(), deviceKey);
    const batch = verifyTelemetryBatch(bytes);
    assert.deepEqual(batch.body, body());
    assert.equal(toHex(batch.id), toHex(sha256(domainTag('telemetry'), encodeTelemetryBody(body()))));
  });

  test('round trip and canonical re-encoding hold for random valid bodies (property)', () => {
    fc.assert(fc.property(bodyArb, (value) => {
      const bytes = signTelemetryBatch(value, deviceKey);
      const batch = verifyTelemetryBatch(bytes);
      assert.deepEqual(batch.body, value);
      assert.equal(toHex(encode(decode(bytes) as CanonicalValue)), toHex(bytes));
    }), { numRuns: 300 });
  });

  test('random and mutated bytes never crash the decoder: they decode or fail with a code (property)', () => {
    const valid = signTelemetryBatch(body({ points: points(20) }), deviceKey);
    const mutated = fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, xor]) => {
      const copy = valid.slice();
      copy[at] = (copy[at] as number) ^ xor;
      return copy;
    });
    fc.assert(fc.property(fc.oneof(fc.uint8Array({ maxLength: 400 }), mutated), (bytes) => {
      try {
        verifyTelemetryBatch(bytes);
      } catch (error) {
        assert.ok(error instanceof IngotError, String(error));
        assert.ok(['TELEMETRY_MALFORMED', 'TELEMETRY_BAD_SIGNATURE', 'TELEMETRY_TOO_LARGE'].includes(error.code), error.code);
      }
    }), { numRuns: 3000 });
  });

  test('a forged signature, or another key\'s, is TELEMETRY_BAD_SIGNATURE', () => {
    const bodyBytes = encodeTelemetryBody(body());
    const forged = encodeTelemetryBatch(bodyBytes, new Uint8Array(64).fill(1));
    expectCode(() => verifyTelemetryBatch(forged), 'TELEMETRY_BAD_SIGNATURE');
    // Signed by another device's key while naming this device.
    expectCode(() => verifyTelemetryBatch(signTelemetryBatch(body(), otherKey)), 'TELEMETRY_BAD_SIGNATURE');
    // A point changed after signing.
    const changed = encodeTelemetryBody(body({ points: points(3).map((p, i) => (i === 1 ? { ...p, value: p.value + 1 } : p)) }));
    const original = decodeTelemetryBatch(signTelemetryBatch(body(), deviceKey));
    expectCode(() => verifyTelemetryBatch(encodeTelemetryBatch(changed, original.sig)), 'TELEMETRY_BAD_SIGNATURE');
  });

  test('bad forms are TELEMETRY_MALFORMED, each for its own reason', () => {
    const cases: [string, CanonicalValue][] = [
      ['no points', { ...body(), points: [] }],
      ['too many points', { ...body(), points: points(telemetryLimits.pointsMax + 1) }],
      ['points out of time order', { ...body(), points: [...points(3)].reverse() }],
      ['a float as value', { ...body(), points: [{ ...points(1)[0], value: 1 }] }],
      ['a negative time', { ...body(), points: [{ ...points(1)[0], t: -1 }] }],
      ['a metric with capitals', { ...body(), points: [{ ...points(1)[0], metric: 'Temperature' }] }],
      ['a unit with a space', { ...body(), points: [{ ...points(1)[0], unit: 'deg C' }] }],
      ['an extra point field', { ...body(), points: [{ ...points(1)[0], note: 'x' }] }],
      ['version 2', { ...body(), v: 2 }],
      ['a short device key', { ...body(), device: new Uint8Array(31) }],
      ['a negative seq', { ...body(), seq: -1 }],
    ];
    for (const [what, value] of cases) {
      let bytes: Uint8Array;
      if (what === 'a float as value') {
        // The canonical encoder refuses floats, so splice a float64 1.5 in by hand.
        const encoded = signedRaw(value);
        const envelope = decode(encoded) as { body: Uint8Array };
        const text = Buffer.from(envelope.body).toString('hex').replace('6576616c756501', '6576616c7565fb3ff8000000000000');
        const patched = new Uint8Array(Buffer.from(text, 'hex'));
        bytes = encodeTelemetryBatch(patched, deviceKey.sign(telemetryBatchId(patched)));
      } else {
        bytes = signedRaw(value);
      }
      const error = expectCode(() => verifyTelemetryBatch(bytes), 'TELEMETRY_MALFORMED');
      assert.ok(error.message.length > 0, what);
    }
  });

  test('an oversized batch is TELEMETRY_TOO_LARGE before it is decoded', () => {
    expectCode(() => decodeTelemetryBatch(new Uint8Array(telemetryLimits.batchBytesMax + 1)), 'TELEMETRY_TOO_LARGE');
    const big = body({ points: points(telemetryLimits.pointsMax).map((p) => ({ ...p, metric: `m${'x'.repeat(31)}`, unit: 'u'.repeat(16) })) });
    // 1,000 points of the longest names still fit.
    assert.ok(verifyTelemetryBatch(signTelemetryBatch(big, deviceKey)).body.points.length === telemetryLimits.pointsMax);
  });

  test('the root is RFC 6962 over the points\' canonical encodings, so one point is provable alone', () => {
    const list = points(7);
    const root = telemetryRoot(list);
    assert.equal(toHex(root), toHex(merkleRoot(list.map(encodePoint))));
    const proof = merkleProof(list.map(encodePoint), 4);
    assert.ok(verifyMerkleProof(encodePoint(list[4] as TelemetryPoint), proof, root));
    assert.ok(!verifyMerkleProof(encodePoint({ ...(list[4] as TelemetryPoint), value: 0 }), proof, root));
  });

  test('the node\'s fast root (leaves from ranges of the body, one-shot hashes) equals the reference root (property)', () => {
    fc.assert(fc.property(bodyArb, (value) => {
      const batch = verifyTelemetryBatch(signTelemetryBatch(value, deviceKey));
      assert.equal(toHex(batchRoot(batch.bodyBytes)), toHex(telemetryRoot(value.points)));
    }), { numRuns: 300 });
    const big = body({ points: points(telemetryLimits.pointsMax) });
    assert.equal(toHex(batchRoot(encodeTelemetryBody(big))), toHex(telemetryRoot(big.points)));
  });
});
