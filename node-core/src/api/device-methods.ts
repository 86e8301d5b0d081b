import { z } from 'zod';
import { ORG_ID } from '../codec/names.ts';
import type { JsonValue } from './json.ts';

/**
 * The device part of the RPC contract (docs/devices.md): params schemas, spread into
 * methods.ts's `paramsSchemas`, and result types, which methods.ts's `Results` extends.
 * Bounds match the device contract's (contracts/device-state.ts's DEVICE_LIMITS).
 */

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as 64 lower-case hex characters');
const id = z.string().regex(ORG_ID, 'expected a device id (40 lower-case hex characters)');
const orgId = z.string().regex(ORG_ID, 'expected an organisation id (40 lower-case hex characters)');
const timestamp = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const cursor = z.object({ height: timestamp, index: z.number().int().nonnegative().max(2 ** 32 - 1) }).strict();
const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max);

export const DEVICE_EVENT_KINDS = ['installed', 'firmwareUpdated', 'maintenancePerformed', 'inspected', 'incidentReported', 'decommissioned'] as const;
export type DeviceEventKind = (typeof DEVICE_EVENT_KINDS)[number];
export const DEVICE_PERMISSIONS = ['read-telemetry', 'operate', 'maintain', 'read-history'] as const;
export type DevicePermission = (typeof DEVICE_PERMISSIONS)[number];

/** Transfer offers last from one hour to 30 days; a week unless asked otherwise. */
export const OFFER_HOURS_DEFAULT = 168;
/** Access tokens live 2 minutes unless asked otherwise, at most 5. */
export const TOKEN_SECONDS_DEFAULT = 120;
export const TOKEN_SECONDS_MAX = 300;

const codes = z.array(z.object({ scheme: text(64), code: text(128) }).strict()).max(8);
const metadata = z
  .record(z.string().regex(/^[\x21-\x7e]{1,64}$/, 'expected a printable key without spaces'), z.string().max(256))
  .refine((map) => Object.keys(map).length <= 32, 'at most 32 entries')
  .refine((map) => !Object.hasOwn(map, '__proto__'), 'a key may not be "__proto__"');

export const deviceParamsSchemas = {
  /** Either the device's own public key, or `generateKey: true` for a key pair made by this node (returned once, as keyFile). */
  'device.register': z
    .object({
      publicKey: hex32.optional(),
      generateKey: z.boolean().default(false),
      model: text(200),
      manufacturer: z.string().trim().max(200).optional(),
      serial: text(128),
      codes: codes.optional(),
      metadata: metadata.optional(),
    })
    .strict()
    .refine((p) => (p.publicKey === undefined) === p.generateKey, { message: 'give either publicKey or generateKey: true', path: ['publicKey'] }),
  'device.get': z.object({ id }).strict(),
  /** Devices on the ledger, optionally of one owner, optionally matching `query` (id, model, serial, manufacturer; case-insensitive). */
  'device.list': z.object({ owner: orgId.optional(), query: z.string().trim().max(200).optional(), limit: z.number().int().min(1).max(1000).default(200) }).strict(),
  'device.history': z.object({ id, after: cursor.optional(), limit: z.number().int().min(1).max(1000).default(100) }).strict(),
  'device.recordEvent': z
    .object({ device: id, kind: z.enum(DEVICE_EVENT_KINDS), firmwareHash: hex32.optional(), note: z.string().trim().max(500).optional() })
    .strict(),
  'device.offerTransfer': z
    .object({ device: id, to: orgId, expiresInHours: z.number().int().min(1).max(720).default(OFFER_HOURS_DEFAULT), replace: z.boolean().default(false) })
    .strict(),
  'device.withdrawTransfer': z.object({ device: id }).strict(),
  'device.acceptTransfer': z.object({ device: id }).strict(),
  /** Replaces the grantee's policy on the device; an empty `permissions` revokes it. */
  'device.setPolicy': z
    .object({
      device: id,
      grantee: z.string().regex(ORG_ID, 'expected an organisation or device id (40 lower-case hex characters)'),
      permissions: z.array(z.enum(DEVICE_PERMISSIONS)).max(DEVICE_PERMISSIONS.length).refine((list) => new Set(list).size === list.length, 'each permission at most once'),
      validFrom: timestamp.optional(),
      validUntil: timestamp.optional(),
    })
    .strict(),
  /**
   * An access token for `permission` on the device. On the owner's node the token is issued here,
   * to `grantee` (an organisation or device id; this node's organisation when absent), who must
   * hold `permission` now. On another organisation's node (no `grantee`, or its own id) the node
   * asks a connected node of the owner over /ingot/access/1.0.0 for a token issued to its own
   * organisation, and checks it offline before returning it.
   */
  'device.requestAccess': z
    .object({
      device: id,
      permission: z.enum(DEVICE_PERMISSIONS),
      grantee: z.string().regex(ORG_ID, 'expected an organisation or device id (40 lower-case hex characters)').optional(),
      ttlSeconds: z.number().int().min(10).max(TOKEN_SECONDS_MAX).default(TOKEN_SECONDS_DEFAULT),
    })
    .strict(),
} as const;

/**
 * A device key made by the node (`generateKey`): the Ed25519 seed and public key as hex. Anyone
 * holding it can sign as the device: keep it like a password (the CLI writes it with mode 0600).
 */
export interface DeviceKeyFile {
  v: 1;
  kind: 'ingot-device-key';
  id: string;
  publicKey: string;
  seed: string;
}

export interface DeviceEventJson {
  kind: DeviceEventKind;
  height: number;
  time: number;
  /** The organisation that recorded it. */
  org: string;
}

export interface DeviceGrantJson {
  grantee: string;
  kind: 'org' | 'device';
  permissions: DevicePermission[];
  validFrom: number | null;
  validUntil: number | null;
  grantedBy: string;
  /** Block height and time it was set at. */
  height: number;
  time: number;
  /** In force at the latest block's time. */
  active: boolean;
}

export interface TransferOfferJson {
  from: string;
  to: string;
  expiresAt: number;
  /** `expired` is judged by the latest block's time. */
  status: 'open' | 'withdrawn' | 'expired';
  height: number;
  time: number;
}

export interface DeviceSummaryJson {
  id: string;
  owner: string;
  status: 'active' | 'decommissioned';
  model: string;
  manufacturer: string;
  serial: string;
  registeredAt: number;
  registeredTime: number;
  lastEvent: DeviceEventJson | null;
}

export interface DeviceJson extends DeviceSummaryJson {
  publicKey: string;
  codes: { scheme: string; code: string }[];
  metadata: Record<string, string>;
  ownerSince: number;
  firmwareHash: string | null;
  grants: DeviceGrantJson[];
  /** The latest offer while it is open, withdrawn or expired; null when none (or once accepted). */
  offer: TransferOfferJson | null;
}

/** One transaction about a device: registration, events, transfers, policies, tokens, and telemetry alerts. */
export interface DeviceHistoryEntryJson {
  hash: string;
  height: number;
  index: number;
  time: number;
  contract: string;
  method: string;
  ok: boolean;
  code: string;
  /** The signing organisation's id ('' when the signer is no organisation). */
  org: string;
  /** The transaction's payload, binary values as hex. */
  payload: Record<string, JsonValue>;
}

export interface DeviceChangeResult {
  hash: string;
  height: number;
}

export interface DeviceResults {
  'device.register': { id: string; hash: string; height: number; keyFile?: DeviceKeyFile };
  'device.get': DeviceJson;
  /** Newest registrations first. */
  'device.list': { devices: DeviceSummaryJson[] };
  /** Oldest first; `next` continues after the last entry. */
  'device.history': { entries: DeviceHistoryEntryJson[]; next?: { height: number; index: number } };
  'device.recordEvent': DeviceChangeResult;
  'device.offerTransfer': DeviceChangeResult & { expiresAt: number };
  'device.withdrawTransfer': DeviceChangeResult;
  'device.acceptTransfer': DeviceChangeResult;
  'device.setPolicy': DeviceChangeResult;
  /** `token` is the signed access token (docs/protocol.md#device-access-tokens); the issuance is at `hash`/`height`. */
  'device.requestAccess': DeviceChangeResult & { token: string; tokenId: string; grantee: string; notBefore: number; expiresAt: number; issuerKey: string };
}
