import { z } from 'zod';
import { decode, encode } from '../codec/cbor.ts';
import { METRIC_NAME } from '../codec/telemetry.ts';
import type { StateOverlay, StateReader } from '../ledger/state.ts';
import { bytesOf } from './schemas.ts';

/**
 * What the `telemetry` contract keeps (docs/telemetry.md). State keys:
 *
 * - `telemetry-anchor/<device id>/<seq>` → the anchor of one batch (its Merkle root and span);
 * - `telemetry-rules/<device id>` → the device's threshold rules (at most RULES_PER_DEVICE_MAX);
 * - `telemetry-alert/<device id>/<rule>/<from>` → an alert a rule raised;
 * - `maintenance-request/<device id>/<rule>/<from>` → the maintenance request an alert opened.
 */

export const TELEMETRY_LIMITS = {
  /** Batches one `telemetry.anchor` transaction anchors. */
  anchorBatchesMax: 64,
  /** Devices one anchor transaction covers: each is a subject of the transaction. */
  anchorDevicesMax: 8,
  rulesPerDeviceMax: 16,
  /** How long a condition may have to hold before a rule fires: a week. */
  ruleForSecondsMax: 7 * 24 * 60 * 60,
} as const;

/** A rule's name: `cold-chain`, `over_voltage`. */
export const RULE_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

export const anchorRecordSchema = z
  .object({
    root: bytesOf(32),
    count: z.number().int().positive(),
    /** Time of the first and last point of the batch (ms since 1970, the device's clock). */
    from: z.number().int().nonnegative(),
    to: z.number().int().nonnegative(),
    /** The organisation that vouched for it (the device's owner then). */
    org: z.string(),
    tx: bytesOf(32),
    height: z.number().int().nonnegative(),
    time: z.number().int().nonnegative(),
  })
  .strict();
export type AnchorRecord = z.infer<typeof anchorRecordSchema>;

export const ruleSchema = z
  .object({
    name: z.string().regex(RULE_NAME),
    metric: z.string().regex(METRIC_NAME),
    /** Thresholds in the metric's milli-units: the rule holds while a value is above `above` or below `below`. */
    above: z.number().int().nullable(),
    below: z.number().int().nullable(),
    /** How long (device time) the condition must hold without a break before the rule fires; 0 fires on the first point. */
    forSeconds: z.number().int().nonnegative(),
    /** An organisation a maintenance request is opened for when the rule fires, or null. */
    assignTo: z.string().nullable(),
    setBy: z.string(),
    height: z.number().int().nonnegative(),
  })
  .strict();
export type Rule = z.infer<typeof ruleSchema>;

export const alertRecordSchema = z
  .object({
    device: z.string(),
    rule: z.string(),
    metric: z.string(),
    above: z.number().int().nullable(),
    below: z.number().int().nullable(),
    forSeconds: z.number().int().nonnegative(),
    /** Device time of the first point that broke the threshold, and of the point at which the rule fired. */
    from: z.number().int().nonnegative(),
    to: z.number().int().nonnegative(),
    /** The value furthest past the threshold in that span, in milli-units. */
    value: z.number().int(),
    /** The batch whose point fired the rule. */
    seq: z.number().int().nonnegative(),
    org: z.string(),
    tx: bytesOf(32),
    height: z.number().int().nonnegative(),
    time: z.number().int().nonnegative(),
    /** The organisation a maintenance request was opened for, or null. */
    maintenance: z.string().nullable(),
  })
  .strict();
export type AlertRecord = z.infer<typeof alertRecordSchema>;

export const maintenanceRequestSchema = z
  .object({
    device: z.string(),
    /** The alert's key under the device: `<rule>/<from>`. */
    alert: z.string(),
    assignee: z.string(),
    openedBy: z.string(),
    status: z.literal('open'),
    height: z.number().int().nonnegative(),
    time: z.number().int().nonnegative(),
  })
  .strict();
export type MaintenanceRequest = z.infer<typeof maintenanceRequestSchema>;

export const telemetrySubject = (deviceId: string) => `telemetry/${deviceId}`;
export const anchorKey = (deviceId: string, seq: number) => `telemetry-anchor/${deviceId}/${seq}`;
const rulesKey = (deviceId: string) => `telemetry-rules/${deviceId}`;
export const alertKey = (deviceId: string, rule: string, from: number) => `telemetry-alert/${deviceId}/${rule}/${from}`;
export const maintenanceKey = (deviceId: string, rule: string, from: number) => `maintenance-request/${deviceId}/${rule}/${from}`;

export async function readAnchor(state: StateReader, deviceId: string, seq: number): Promise<AnchorRecord | undefined> {
  const stored = await state.get(anchorKey(deviceId, seq));
  return stored === undefined ? undefined : anchorRecordSchema.parse(decode(stored));
}

export function writeAnchor(state: StateOverlay, deviceId: string, seq: number, anchor: AnchorRecord): void {
  state.set(anchorKey(deviceId, seq), encode(anchor));
}

const rulesSchema = z.array(ruleSchema);

export async function readRules(state: StateReader, deviceId: string): Promise<Rule[]> {
  const stored = await state.get(rulesKey(deviceId));
  return stored === undefined ? [] : rulesSchema.parse(decode(stored));
}

export function writeRules(state: StateOverlay, deviceId: string, rules: readonly Rule[]): void {
  if (rules.length === 0) state.delete(rulesKey(deviceId));
  else state.set(rulesKey(deviceId), encode([...rules]));
}

export async function readAlert(state: StateReader, deviceId: string, rule: string, from: number): Promise<AlertRecord | undefined> {
  const stored = await state.get(alertKey(deviceId, rule, from));
  return stored === undefined ? undefined : alertRecordSchema.parse(decode(stored));
}

export async function readMaintenanceRequest(state: StateReader, deviceId: string, rule: string, from: number): Promise<MaintenanceRequest | undefined> {
  const stored = await state.get(maintenanceKey(deviceId, rule, from));
  return stored === undefined ? undefined : maintenanceRequestSchema.parse(decode(stored));
}
