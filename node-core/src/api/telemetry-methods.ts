import { z } from 'zod';
import { ORG_ID } from '../codec/names.ts';

/**
 * The telemetry part of the RPC contract (docs/telemetry.md): params schemas, spread into
 * methods.ts's `paramsSchemas`, and result types, which methods.ts's `Results` extends.
 */

const deviceId = z.string().regex(ORG_ID, 'expected a device id (40 lower-case hex characters)');
const timestamp = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const metric = z.string().regex(/^[a-z][a-z0-9_.-]{0,31}$/, 'expected a metric name such as "temperature"');
/** A signed batch as hex or base64 (standard or URL-safe, padding optional): at most 128 KiB + 96 bytes once decoded. */
const encodedBatch = z
  .string()
  .min(1)
  .max(2 * (128 * 1024 + 96))
  .regex(/^(?:[0-9a-f]{2})+$|^[A-Za-z0-9+/_-]+={0,2}$/, 'expected the signed batch as lower-case hex or base64');

export const TELEMETRY_QUERY_LIMIT_MAX = 10_000;

export const telemetryParamsSchemas = {
  /** One signed batch (docs/telemetry.md#batch-format); answered once it is stored on this node. */
  'telemetry.submit': z.object({ batch: encodedBatch }).strict(),
  'telemetry.query': z
    .object({
      deviceId,
      from: timestamp.optional(),
      to: timestamp.optional(),
      metric: metric.optional(),
      limit: z.number().int().min(1).max(TELEMETRY_QUERY_LIMIT_MAX).default(1000),
      order: z.enum(['asc', 'desc']).default('asc'),
      /** The `next` of the previous page. */
      after: z.object({ seq: timestamp, index: z.number().int().nonnegative().max(999) }).strict().optional(),
    })
    .strict()
    .refine((p) => p.from === undefined || p.to === undefined || p.from <= p.to, { message: 'from is after to', path: ['to'] }),
  /**
   * A device's points from its owner's node over /ingot/telemetry/1.0.0, for an organisation holding
   * read-telemetry on it; every batch checked against this node's ledger.
   */
  'telemetry.fetch': z
    .object({
      deviceId,
      from: timestamp.optional(),
      to: timestamp.optional(),
      metric: metric.optional(),
      limit: z.number().int().min(1).max(TELEMETRY_QUERY_LIMIT_MAX).default(1000),
      after: z.object({ seq: timestamp, index: z.number().int().nonnegative().max(999) }).strict().optional(),
      /** Fail with TELEMETRY_MISMATCH when any batch fails its checks, instead of reporting it. */
      strict: z.boolean().default(false),
    })
    .strict()
    .refine((p) => p.from === undefined || p.to === undefined || p.from <= p.to, { message: 'from is after to', path: ['to'] }),
  'telemetry.stats': z.object({}).strict(),
  /** A device's threshold rules as they are on the ledger (set with the `telemetry.setRule` transaction). */
  'telemetry.rules': z.object({ deviceId }).strict(),
} as const;

export interface TelemetrySubmitJson {
  device: string;
  seq: number;
  count: number;
  /** The batch's Merkle root, which its anchor will carry. */
  root: string;
  /** The same batch was accepted before; nothing new was stored. */
  duplicate: boolean;
}

export interface TelemetryPointJson {
  t: number;
  metric: string;
  /** Milli-units: 21.5 °C is 21500. */
  value: number;
  unit: string;
  /** The batch it came in (see `batches`). */
  seq: number;
}

export interface TelemetryBatchJson {
  seq: number;
  count: number;
  from: number;
  to: number;
  /** The root this node computed when it accepted the batch. */
  root: string;
  /**
   * `anchored`: the stored points give the root anchored on the ledger; `pending`: not anchored yet;
   * `unanchored`: the ledger refused the anchor (`anchorError`); `mismatch`: the stored batch no
   * longer gives the anchored root or carries no valid device signature — it was altered.
   */
  status: 'anchored' | 'pending' | 'unanchored' | 'mismatch';
  /** The anchor on this node's ledger: transaction hash, block height and time, and the anchored root. */
  anchor: { tx: string; height: number; time: number; root: string } | null;
  anchorError?: string;
}

export interface TelemetryQueryJson {
  device: string;
  points: TelemetryPointJson[];
  /** The batches the points come from, each with its anchor. */
  batches: TelemetryBatchJson[];
  /** Pass as `after` for the next page; absent when nothing follows. */
  next?: { seq: number; index: number };
}

export interface TelemetryFetchBatchJson {
  /** Null only for a batch whose bytes do not even decode. */
  seq: number | null;
  count: number;
  from: number | null;
  to: number | null;
  /** The root recomputed here from the points received (null when they do not decode). */
  root: string | null;
  /**
   * `verified`: signed by the device and giving the root anchored on this node's ledger;
   * `unanchored`: signed by the device, but this ledger holds no anchor for it (yet); `mismatch`:
   * refused (`code`: TELEMETRY_BAD_SIGNATURE, TELEMETRY_MALFORMED, TELEMETRY_WRONG_DEVICE,
   * TELEMETRY_SEQ_REPLAYED or TELEMETRY_MISMATCH, a root that is not the anchored one) — its points
   * are left out.
   */
  status: 'verified' | 'unanchored' | 'mismatch';
  code?: string;
  /** The anchor on this node's ledger. */
  anchor: { tx: string; height: number; time: number; root: string } | null;
  /** The anchor the owner's node says it recorded (informative). */
  ownerAnchor: { tx: string; height: number; time: number } | null;
}

export interface TelemetryFetchJson {
  device: string;
  /** The device's owner, and the peer id of the node that answered. */
  owner: string;
  peer: string;
  /** The owner's ledger height when it answered. */
  height: number;
  /** Points of the batches that passed the checks, in seq and point order. */
  points: TelemetryPointJson[];
  batches: TelemetryFetchBatchJson[];
  /** Pass as `after` for the next page; absent when nothing follows. */
  next?: { seq: number; index: number };
}

export interface TelemetryStatsJson {
  accepted: { batches: number; points: number };
  duplicates: number;
  /** Refused submissions by code. */
  rejected: Record<string, number>;
  anchored: { batches: number; transactions: number };
  pendingAnchors: number;
  anchorFailures: number;
  alerts: { raised: number; failed: number };
  /** Present when the node subscribes to an MQTT broker. */
  mqtt?: {
    /** The broker, without credentials. */
    url: string;
    topic: string;
    state: 'connecting' | 'connected' | 'reconnecting' | 'closed';
    received: number;
    accepted: number;
    duplicates: number;
    /** Messages that are no batch at all: a topic without a device id, bytes that do not decode. */
    malformed: number;
    /** Well-formed batches refused: bad signature, unknown or decommissioned device, replayed seq, … */
    rejected: number;
    /** Batches the node could not store (busy for too long, failing disk); not acknowledged as stored. */
    failed: number;
    reconnects: number;
    /** The last connection error, or null. */
    lastError: string | null;
  };
}

export interface TelemetryRuleJson {
  name: string;
  metric: string;
  above: number | null;
  below: number | null;
  forSeconds: number;
  assignTo: string | null;
  setBy: string;
  height: number;
}

export interface TelemetryResults {
  'telemetry.submit': TelemetrySubmitJson;
  'telemetry.query': TelemetryQueryJson;
  'telemetry.fetch': TelemetryFetchJson;
  'telemetry.stats': TelemetryStatsJson;
  'telemetry.rules': { device: string; rules: TelemetryRuleJson[] };
}
