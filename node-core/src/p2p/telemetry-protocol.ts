import { z } from 'zod';
import { encode, type CanonicalValue } from '../codec/cbor.ts';
import { boundedBytes, bytes, decodeWith, uint } from '../codec/messages.ts';
import { METRIC_NAME, telemetryLimits } from '../codec/telemetry.ts';

/**
 * Messages of `/ingot/telemetry/1.0.0`, one request and one answer per stream (docs/telemetry.md,
 * docs/protocol.md): a member asks the node of a device's owner for the device's signed batches;
 * the owner answers them only to an organisation holding `read-telemetry` on the device.
 */

/** Points a request may ask for; the answer holds the batches those points are in. */
export const TELEMETRY_FETCH_POINTS_MAX = 10_000;
/** Batches and batch bytes in one answer (well under TELEMETRY_RESPONSE_BYTES_MAX). */
export const TELEMETRY_FETCH_BATCHES_MAX = 64;
export const TELEMETRY_FETCH_BYTES_MAX = 8 * 1024 * 1024;

const SIGNED_BATCH_BYTES_MAX = telemetryLimits.bodyBytesMax + 96;

export const telemetryFetchRequestSchema = z
  .object({
    v: z.literal(1),
    /** The device id's 20 bytes. */
    device: bytes(20),
    /** Points at or after `from`, at or before `to` (ms, the device's clock); null for no bound. */
    from: uint.nullable(),
    to: uint.nullable(),
    metric: z.string().regex(METRIC_NAME).nullable(),
    limit: z.number().int().min(1).max(TELEMETRY_FETCH_POINTS_MAX),
    /** Start at batch `seq`, point `index` (the `next` of a previous answer); null from the first batch. */
    after: z.object({ seq: uint, index: z.number().int().nonnegative().max(999) }).strict().nullable(),
  })
  .strict()
  .refine((r) => r.from === null || r.to === null || r.from <= r.to, { message: 'from is after to' });
export type TelemetryFetchRequest = z.infer<typeof telemetryFetchRequestSchema>;

const code = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/);

/** The owner's anchor of a batch as its own index records it (informative: the receiver checks against its own ledger). */
const ownerAnchorSchema = z.object({ tx: bytes(32), height: uint, time: uint }).strict();

export const telemetryFetchResponseSchema = z.discriminatedUnion('t', [
  z
    .object({
      t: z.literal('batches'),
      /** Signed batches exactly as the device sent them, in seq order. */
      batches: z.array(z.object({ batch: boundedBytes(SIGNED_BATCH_BYTES_MAX), anchor: ownerAnchorSchema.nullable() }).strict()).max(TELEMETRY_FETCH_BATCHES_MAX),
      /** True when the answer stopped at its batch or byte bound before the points asked for: ask again after the last batch. */
      more: z.boolean(),
      /** The owner's ledger height and time when it answered. */
      height: uint,
      time: uint,
    })
    .strict(),
  z.object({ t: z.literal('error'), code, message: z.string().max(512) }).strict(),
]);
export type TelemetryFetchResponse = z.infer<typeof telemetryFetchResponseSchema>;

export const encodeTelemetryFetchRequest = (request: TelemetryFetchRequest): Uint8Array => encode(request as unknown as Record<string, CanonicalValue>);
export const decodeTelemetryFetchRequest = (data: Uint8Array): TelemetryFetchRequest =>
  decodeWith(telemetryFetchRequestSchema, data, 'telemetry request', 'TELEMETRY_REQUEST_MALFORMED');
export const encodeTelemetryFetchResponse = (response: TelemetryFetchResponse): Uint8Array => encode(response as unknown as Record<string, CanonicalValue>);
export const decodeTelemetryFetchResponse = (data: Uint8Array): TelemetryFetchResponse =>
  decodeWith(telemetryFetchResponseSchema, data, 'telemetry response', 'TELEMETRY_RESPONSE_MALFORMED');
