import { z } from 'zod';
import { encode } from './cbor.ts';
import { IngotError } from './errors.ts';
import { boundedBytes, bytes, decodeWith, uint } from './messages.ts';

/**
 * A signed batch of telemetry points, as a device (or its gateway) sends it to its owner's node
 * (docs/telemetry.md). Canonical CBOR like everything else that is signed: values are integers in
 * milli-units (21.5 °C is 21500 with unit "Cel"), because floats have no canonical form here.
 *
 *   TelemetryBody = { v: 1, device: bytes(32), seq: uint, points: [Point] (1–1000) }
 *   Point         = { t: uint (ms since 1970), metric: text, value: int (milli-units), unit: text }
 *   TelemetryBatch = { body: bytes (encoded TelemetryBody), sig: bytes(64) }
 *
 * The batch id is SHA-256("ingot/telemetry\0" ‖ body bytes); the device key signs the id. Points
 * are in time order (equal times allowed); the batch's Merkle root (RFC 6962) is taken over the
 * canonical encodings of its points, in order, and is what the ledger anchors.
 */

export const telemetryLimits = {
  /** Points in one batch. */
  pointsMax: 1000,
  /** An encoded body; 1,000 points of the longest names fit. */
  bodyBytesMax: 128 * 1024,
  /** A signed batch: the body plus the envelope (map, two keys, the signature). */
  batchBytesMax: 128 * 1024 + 96,
  metricCharsMax: 32,
  unitCharsMax: 16,
} as const;

/** A metric name: `temperature`, `cell.voltage`, `door_open`. */
export const METRIC_NAME = /^[a-z][a-z0-9_.-]{0,31}$/;
/** A unit as UCUM or people write it (`Cel`, `mV`, `%`, `°C`), or empty: printable, no spaces. */
export const UNIT = /^[^\s\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]{0,16}$/u;

export const pointSchema = z
  .object({
    t: uint,
    metric: z.string().regex(METRIC_NAME),
    value: z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
    unit: z.string().max(telemetryLimits.unitCharsMax).regex(UNIT),
  })
  .strict();
export type TelemetryPoint = z.infer<typeof pointSchema>;

export const telemetryBodySchema = z
  .object({
    v: z.literal(1),
    device: bytes(32),
    seq: uint,
    points: z
      .array(pointSchema)
      .min(1)
      .max(telemetryLimits.pointsMax)
      .refine((points) => points.every((point, i) => i === 0 || (points[i - 1] as TelemetryPoint).t <= point.t), { message: 'points must be in time order' }),
  })
  .strict();
export type TelemetryBody = z.infer<typeof telemetryBodySchema>;

export const telemetryBatchSchema = z.object({ body: boundedBytes(telemetryLimits.bodyBytesMax), sig: bytes(64) }).strict();

/** A signed batch whose form is valid (its signature is checked in contracts/telemetry-batch.ts). */
export interface DecodedTelemetryBatch {
  readonly body: TelemetryBody;
  readonly bodyBytes: Uint8Array;
  readonly sig: Uint8Array;
}

export const encodeTelemetryBody = (body: TelemetryBody): Uint8Array => encode(body);
export const encodeTelemetryBatch = (bodyBytes: Uint8Array, sig: Uint8Array): Uint8Array => encode({ body: bodyBytes, sig });
export const encodePoint = (point: TelemetryPoint): Uint8Array => encode(point);

/**
 * Decodes a signed batch and checks its form (canonical CBOR, schema, bounds, time order); throws
 * TELEMETRY_TOO_LARGE or TELEMETRY_MALFORMED.
 */
export function decodeTelemetryBatch(data: Uint8Array): DecodedTelemetryBatch {
  if (!(data instanceof Uint8Array)) throw new IngotError('TELEMETRY_MALFORMED', 'telemetry batch: expected bytes');
  if (data.length > telemetryLimits.batchBytesMax) {
    throw new IngotError('TELEMETRY_TOO_LARGE', `a signed telemetry batch is at most ${telemetryLimits.batchBytesMax} bytes, this one ${data.length}`);
  }
  const envelope = decodeWith(telemetryBatchSchema, data, 'telemetry batch', 'TELEMETRY_MALFORMED');
  const body = decodeWith(telemetryBodySchema, envelope.body, 'telemetry batch body', 'TELEMETRY_MALFORMED');
  return { body, bodyBytes: envelope.body, sig: envelope.sig };
}

/** Where the CBOR item starting at `at` ends; the bytes are known to be well-formed (decoded already). */
function itemEnd(bytes: Uint8Array, at: number): number {
  const initial = bytes[at] as number;
  const major = initial >> 5;
  const info = initial & 0x1f;
  let pos = at + 1;
  let argument: number;
  if (info < 24) argument = info;
  else {
    const size = 1 << (info - 24);
    argument = 0;
    for (let i = 0; i < size; i++) argument = argument * 256 + (bytes[pos + i] as number);
    pos += size;
  }
  switch (major) {
    case 2:
    case 3:
      return pos + argument;
    case 4:
      for (let i = 0; i < argument; i++) pos = itemEnd(bytes, pos);
      return pos;
    case 5:
      for (let i = 0; i < argument * 2; i++) pos = itemEnd(bytes, pos);
      return pos;
    default:
      // Integers and simple values carry nothing after their argument.
      return pos;
  }
}

const POINTS_KEY = new Uint8Array([0x66, 0x70, 0x6f, 0x69, 0x6e, 0x74, 0x73]);

/**
 * The byte ranges of the points inside an encoded body that `decodeTelemetryBatch` accepted. The
 * body is canonical, so each range is exactly the point's canonical encoding: the Merkle leaves,
 * without encoding every point again.
 */
export function pointRanges(bodyBytes: Uint8Array): [start: number, end: number][] {
  const header = bodyBytes[0] as number;
  if (header >> 5 !== 5) throw new IngotError('TELEMETRY_MALFORMED', 'a telemetry body is a map');
  const entries = header & 0x1f;
  let pos = 1;
  for (let i = 0; i < entries; i++) {
    const keyEnd = itemEnd(bodyBytes, pos);
    const isPoints = keyEnd - pos === POINTS_KEY.length && POINTS_KEY.every((byte, j) => bodyBytes[pos + j] === byte);
    pos = keyEnd;
    if (!isPoints) {
      pos = itemEnd(bodyBytes, pos);
      continue;
    }
    const arrayHeader = bodyBytes[pos] as number;
    let count = arrayHeader & 0x1f;
    pos += 1;
    if (count === 24) count = bodyBytes[pos++] as number;
    else if (count === 25) {
      count = ((bodyBytes[pos] as number) << 8) | (bodyBytes[pos + 1] as number);
      pos += 2;
    }
    const ranges: [number, number][] = [];
    for (let j = 0; j < count; j++) {
      const end = itemEnd(bodyBytes, pos);
      ranges.push([pos, end]);
      pos = end;
    }
    return ranges;
  }
  throw new IngotError('TELEMETRY_MALFORMED', 'a telemetry body has no points');
}
