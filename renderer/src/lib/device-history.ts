import type { DeviceEventKind, DeviceGrantJson, DeviceHistoryEntryJson, DeviceJson, DevicePermission } from '../../../node-core/src/api/device-methods.ts';
import type { JsonValue } from '../../../node-core/src/api/json.ts';

/**
 * The permissions in the order they are offered. Kept here rather than imported from the API
 * module, whose value imports would bring its schema library into the bundle (a test checks the two agree).
 */
export const DEVICE_PERMISSIONS: readonly DevicePermission[] = ['read-telemetry', 'operate', 'maintain', 'read-history'];

/** The lifecycle events in the order they are offered (the API's DEVICE_EVENT_KINDS, kept here for the same reason). */
export const DEVICE_EVENT_KINDS: readonly DeviceEventKind[] = ['installed', 'firmwareUpdated', 'maintenancePerformed', 'inspected', 'incidentReported', 'decommissioned'];

/** Whether an event can be sent: a firmware update needs the firmware's SHA-256, other kinds need nothing more. */
export function eventReady(kind: DeviceEventKind, firmwareHash: string): boolean {
  return kind !== 'firmwareUpdated' || /^[0-9a-f]{64}$/i.test(firmwareHash.trim());
}

/** Whether an organisation may record events: the owner, or a holder of maintain in force, on an active device. */
export function mayRecordEvents(device: DeviceJson, self: string | undefined): boolean {
  if (self === undefined || device.status !== 'active') return false;
  return device.owner === self || device.grants.some((grant) => grant.grantee === self && grant.active && grant.permissions.includes('maintain'));
}

const ID = /^[0-9a-f]{40}$/;

/**
 * The grantee and window a grant form describes, or why it cannot be sent: a device grantee needs
 * a device id; "valid until" (a datetime-local value, empty for no end) must lie in the future.
 */
export function grantTarget(
  form: { kind: 'org' | 'device'; org: string; device: string; validUntil: string },
  now: number,
): { grantee: string; validUntil?: number } | { problem: 'grantee' | 'window' } {
  const grantee = form.kind === 'org' ? form.org : form.device.trim().toLowerCase();
  if (!ID.test(grantee)) return { problem: 'grantee' };
  if (form.validUntil.trim() === '') return { grantee };
  const until = new Date(form.validUntil).getTime();
  if (!Number.isSafeInteger(until) || until <= now) return { problem: 'window' };
  return { grantee, validUntil: until };
}

/** An alert a threshold rule raised, as recorded on the ledger (docs/telemetry.md#rules-and-alerts). */
export interface DeviceAlert {
  readonly hash: string;
  readonly height: number;
  readonly time: number;
  readonly rule: string;
  /** Device time of the first breaking point and of the firing point. */
  readonly from: number;
  readonly to: number;
  /** Milli-units. */
  readonly value: number;
}

const text = (value: JsonValue | undefined): string => (typeof value === 'string' ? value : '');
const number = (value: JsonValue | undefined): number => (typeof value === 'number' ? value : 0);

/** The alerts in a device's history, newest first. */
export function alertsOf(entries: readonly DeviceHistoryEntryJson[]): DeviceAlert[] {
  return entries
    .filter((entry) => entry.ok && entry.contract === 'telemetry' && entry.method === 'recordAlert')
    .map((entry) => ({
      hash: entry.hash,
      height: entry.height,
      time: entry.time,
      rule: text(entry.payload.rule),
      from: number(entry.payload.from),
      to: number(entry.payload.to),
      value: number(entry.payload.value),
    }))
    .reverse();
}

/** The grants that still carry a permission, those in force first. */
export function currentGrants(device: DeviceJson): DeviceGrantJson[] {
  return device.grants.filter((grant) => grant.permissions.length > 0).sort((a, b) => Number(b.active) - Number(a.active));
}

/** What this organisation may do about the device's ownership. */
export function transferActions(device: DeviceJson, self: string | undefined): { offer: boolean; withdraw: boolean; accept: boolean } {
  const active = device.status === 'active';
  const open = device.offer?.status === 'open';
  const owner = self !== undefined && device.owner === self;
  return { offer: owner && active, withdraw: owner && open, accept: active && open && self !== undefined && device.offer?.to === self };
}
