import { z } from 'zod';
import { decode, encode } from '../codec/cbor.ts';
import { domainTag, sha256 } from '../crypto/hash.ts';
import { toHex } from '../crypto/hex.ts';
import type { StateOverlay, StateReader } from '../ledger/state.ts';
import { readOrg } from './membership-state.ts';
import { bytesOf } from './schemas.ts';

/**
 * Devices as the `device` contract keeps them, and the read helpers the node, the API and the
 * telemetry path use. State keys:
 *
 * - `device/<id>` → the device record;
 * - `device-grants/<id>` → the access grants of the device (at most GRANTS_PER_DEVICE_MAX);
 * - `device-offer/<id>` → the latest ownership offer (open or withdrawn; removed when accepted);
 * - `device-owned/<org id>/<id>` → the height the organisation became the owner (for listing);
 * - `device-token/<token id>` → an issued access token (the audit trail; ids are single-use).
 */

export const DEVICE_STATUSES = ['active', 'decommissioned'] as const;
export type DeviceStatus = (typeof DEVICE_STATUSES)[number];

export const EVENT_KINDS = ['installed', 'firmwareUpdated', 'maintenancePerformed', 'inspected', 'incidentReported', 'decommissioned'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

export const PERMISSIONS = ['read-telemetry', 'operate', 'maintain', 'read-history'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What a device's grantees keep on a decommissioned device: reading what it left behind. */
const READ_PERMISSIONS: readonly Permission[] = ['read-telemetry', 'read-history'];

/** Bounds of a device record and its policies: every list and text a transaction can grow is capped. */
export const DEVICE_LIMITS = {
  modelCharsMax: 200,
  manufacturerCharsMax: 200,
  serialCharsMax: 128,
  codesMax: 8,
  codeSchemeCharsMax: 64,
  codeCharsMax: 128,
  metadataEntriesMax: 32,
  metadataKeyCharsMax: 64,
  metadataValueCharsMax: 256,
  noteCharsMax: 500,
  grantsPerDeviceMax: 64,
  /** How far ahead of block time an ownership offer may expire. */
  offerTtlMaxMs: 30 * 24 * 60 * 60 * 1000,
  /** How long an access token may live. */
  tokenTtlMaxMs: 5 * 60 * 1000,
} as const;

const codeSchema = z.object({ scheme: z.string(), code: z.string() }).strict();

export const deviceRecordSchema = z
  .object({
    id: z.string(),
    publicKey: bytesOf(32),
    /** Organisation id of the current owner. */
    owner: z.string(),
    status: z.enum(DEVICE_STATUSES),
    model: z.string(),
    manufacturer: z.string(),
    serial: z.string(),
    codes: z.array(codeSchema),
    metadata: z.record(z.string(), z.string()),
    /** Height of the block that registered the device, and its time. */
    registeredAt: z.number().int().nonnegative(),
    registeredTime: z.number().int().nonnegative(),
    /** Height from which the current owner owns it. */
    ownerSince: z.number().int().nonnegative(),
    /** The latest lifecycle event, null before the first. */
    lastEvent: z.object({ kind: z.enum(EVENT_KINDS), height: z.number().int().nonnegative(), time: z.number().int().nonnegative(), org: z.string() }).strict().nullable(),
    /** Hash of the firmware last reported by a `firmwareUpdated` event, null before the first. */
    firmwareHash: bytesOf(32).nullable(),
  })
  .strict();
export type DeviceRecord = z.infer<typeof deviceRecordSchema>;

export const grantSchema = z
  .object({
    /** An organisation id or a device id (both 20 bytes of hex; `kind` says which). */
    grantee: z.string(),
    kind: z.enum(['org', 'device']),
    permissions: z.array(z.enum(PERMISSIONS)),
    /** Milliseconds since the epoch (block time): the grant holds from `validFrom` (inclusive) to `validUntil` (exclusive). */
    validFrom: z.number().int().nonnegative().nullable(),
    validUntil: z.number().int().nonnegative().nullable(),
    grantedBy: z.string(),
    height: z.number().int().nonnegative(),
    time: z.number().int().nonnegative(),
  })
  .strict();
export type Grant = z.infer<typeof grantSchema>;

export const offerSchema = z
  .object({
    from: z.string(),
    to: z.string(),
    expiresAt: z.number().int().nonnegative(),
    status: z.enum(['open', 'withdrawn']),
    height: z.number().int().nonnegative(),
    time: z.number().int().nonnegative(),
  })
  .strict();
export type TransferOffer = z.infer<typeof offerSchema>;

export const tokenRecordSchema = z
  .object({
    device: z.string(),
    grantee: z.string(),
    permission: z.enum(PERMISSIONS),
    issuer: z.string(),
    expiresAt: z.number().int().nonnegative(),
    height: z.number().int().nonnegative(),
    time: z.number().int().nonnegative(),
  })
  .strict();
export type TokenRecord = z.infer<typeof tokenRecordSchema>;

const DEVICE_ID_TAG = domainTag('device-id');

/** A device's id: the first 20 bytes of SHA-256("ingot/device-id\0" ‖ public key), as lower-case hex. */
export function deviceIdOf(publicKey: Uint8Array): string {
  return toHex(sha256(DEVICE_ID_TAG, publicKey).subarray(0, 20));
}

/** The history-index subject of everything that happens to a device. */
export function deviceSubject(id: string): string {
  return `device/${id}`;
}

export const DEVICE_PREFIX = 'device/';
export const OWNED_PREFIX = 'device-owned/';
const deviceKey = (id: string) => `${DEVICE_PREFIX}${id}`;
const grantsKey = (id: string) => `device-grants/${id}`;
const offerKey = (id: string) => `device-offer/${id}`;
export const ownedKey = (org: string, id: string) => `${OWNED_PREFIX}${org}/${id}`;
const tokenKey = (tokenId: string) => `device-token/${tokenId}`;

export async function readDevice(state: StateReader, id: string): Promise<DeviceRecord | undefined> {
  const stored = await state.get(deviceKey(id));
  return stored === undefined ? undefined : deviceRecordSchema.parse(decode(stored));
}

export function writeDevice(state: StateOverlay, device: DeviceRecord): void {
  state.set(deviceKey(device.id), encode(device));
}

/** The device's grants, in the order they were first set. */
export async function grantsOf(state: StateReader, deviceId: string): Promise<Grant[]> {
  const stored = await state.get(grantsKey(deviceId));
  return stored === undefined ? [] : z.array(grantSchema).parse(decode(stored));
}

export function writeGrants(state: StateOverlay, deviceId: string, grants: readonly Grant[]): void {
  if (grants.length === 0) state.delete(grantsKey(deviceId));
  else state.set(grantsKey(deviceId), encode([...grants]));
}

export async function readOffer(state: StateReader, deviceId: string): Promise<TransferOffer | undefined> {
  const stored = await state.get(offerKey(deviceId));
  return stored === undefined ? undefined : offerSchema.parse(decode(stored));
}

export function writeOffer(state: StateOverlay, deviceId: string, offer: TransferOffer | undefined): void {
  if (offer === undefined) state.delete(offerKey(deviceId));
  else state.set(offerKey(deviceId), encode(offer));
}

export async function readToken(state: StateReader, tokenId: string): Promise<TokenRecord | undefined> {
  const stored = await state.get(tokenKey(tokenId));
  return stored === undefined ? undefined : tokenRecordSchema.parse(decode(stored));
}

export function writeToken(state: StateOverlay, tokenId: string, token: TokenRecord): void {
  state.set(tokenKey(tokenId), encode(token));
}

/** Whether a grant is in force at `time` (block time on the ledger, the caller's clock elsewhere). */
export function grantValidAt(grant: Grant, time: number): boolean {
  return (grant.validFrom === null || grant.validFrom <= time) && (grant.validUntil === null || time < grant.validUntil);
}

/**
 * Whether `granteeId` (an organisation or a device) holds `permission` on the device at `time`.
 * The owner holds every permission. Anyone else needs a grant in force at `time`; an organisation
 * grantee must be active. On a decommissioned device only the read permissions remain.
 */
export async function hasPermission(state: StateReader, deviceId: string, granteeId: string, permission: Permission, time: number): Promise<boolean> {
  const device = await readDevice(state, deviceId);
  if (device === undefined) return false;
  if (device.status === 'decommissioned' && !READ_PERMISSIONS.includes(permission)) return false;
  if (granteeId === device.owner) return true;
  const grant = (await grantsOf(state, deviceId)).find((g) => g.grantee === granteeId);
  if (grant === undefined || !grant.permissions.includes(permission) || !grantValidAt(grant, time)) return false;
  if (grant.kind === 'org') {
    const org = await readOrg(state, granteeId);
    return org !== undefined && org.status === 'active';
  }
  return (await readDevice(state, granteeId))?.status === 'active';
}
