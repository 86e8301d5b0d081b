import { randomBytes } from 'node:crypto';
import type { DeviceHistoryEntryJson, DeviceJson, DeviceKeyFile, DeviceSummaryJson } from '../api/device-methods.ts';
import type { JsonValue } from '../api/json.ts';
import type { ParsedParams, Results } from '../api/methods.ts';
import { signAccessToken } from '../codec/access-token.ts';
import type { CanonicalValue } from '../codec/cbor.ts';
import { IngotError } from '../codec/errors.ts';
import {
  DEVICE_LIMITS, DEVICE_PREFIX, deviceIdOf, deviceSubject, grantsOf, grantValidAt, hasPermission, OWNED_PREFIX, readDevice, readOffer,
  type DeviceRecord, type Grant, type TransferOffer,
} from '../contracts/device-state.ts';
import { orgIdOf, orgIdOfSigner, readOrg } from '../contracts/membership-state.ts';
import { signingKeyFromSeed } from '../crypto/ed25519.ts';
import { toHex } from '../crypto/hex.ts';
import { parseTransaction, type Transaction } from '../ledger/transaction.ts';
import type { IssueParams } from './access-exchange.ts';
import type { CommitOutcome, IngotNode } from './node.ts';

/**
 * Devices as this node's organisation works with them (docs/devices.md): registering (with a key
 * pair made here when the device cannot make one), lifecycle events, transfers, policies, and
 * access tokens this node signs for the devices its organisation owns. Every change is a `device`
 * transaction signed with the organisation key and awaited until its block commits; a refusal
 * becomes the call's error with the contract's code.
 */

async function commitDevice(node: IngotNode, method: string, payload: Record<string, JsonValue>): Promise<{ tx: Transaction; outcome: CommitOutcome }> {
  const tx = await node.submit('device', method, payload);
  const outcome = await node.waitForCommit(tx);
  if (!outcome.receipt.ok) throw new IngotError(outcome.receipt.code, outcome.receipt.message);
  return { tx, outcome };
}

const changed = ({ tx, outcome }: { tx: Transaction; outcome: CommitOutcome }) => ({ hash: tx.idHex, height: outcome.height });

async function existing(node: IngotNode, id: string): Promise<DeviceRecord> {
  const device = await readDevice(node.ledger, id);
  if (device === undefined) throw new IngotError('DEVICE_UNKNOWN', `there is no device ${id} on this node's ledger`);
  return device;
}

/** The ids of every state record under `prefix`, in key order (state is stored in key order). */
async function keysUnder(node: IngotNode, prefix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const [key] of node.ledger.stateEntries()) {
    if (key.startsWith(prefix)) found.push(key.slice(prefix.length));
    else if (key > prefix) break;
  }
  return found;
}

function jsonOf(value: CanonicalValue): JsonValue {
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.map(jsonOf);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonOf(v as CanonicalValue)]));
  return value as JsonValue;
}

function summaryJson(device: DeviceRecord): DeviceSummaryJson {
  return {
    id: device.id, owner: device.owner, status: device.status, model: device.model, manufacturer: device.manufacturer, serial: device.serial,
    registeredAt: device.registeredAt, registeredTime: device.registeredTime, lastEvent: device.lastEvent === null ? null : { ...device.lastEvent },
  };
}

function grantJson(grant: Grant, now: number): DeviceJson['grants'][number] {
  return { ...grant, permissions: [...grant.permissions], active: grantValidAt(grant, now) };
}

function offerJson(offer: TransferOffer, now: number): DeviceJson['offer'] {
  return { ...offer, status: offer.status === 'open' && offer.expiresAt <= now ? 'expired' : offer.status };
}

export async function registerDevice(node: IngotNode, params: ParsedParams<'device.register'>): Promise<Results['device.register']> {
  let keyFile: DeviceKeyFile | undefined;
  let publicKey = params.publicKey;
  if (params.generateKey) {
    const seed = new Uint8Array(randomBytes(32));
    const key = signingKeyFromSeed(seed);
    publicKey = toHex(key.publicKey);
    keyFile = { v: 1, kind: 'ingot-device-key', id: deviceIdOf(key.publicKey), publicKey, seed: toHex(seed) };
  }
  if (publicKey === undefined) throw new IngotError('INVALID_ARGUMENT', 'give either publicKey or generateKey: true');
  const payload: Record<string, JsonValue> = { publicKey, model: params.model, serial: params.serial };
  if (params.manufacturer !== undefined) payload.manufacturer = params.manufacturer;
  if (params.codes !== undefined) payload.codes = params.codes.map((c) => ({ scheme: c.scheme, code: c.code }));
  if (params.metadata !== undefined) payload.metadata = { ...params.metadata };
  const { hash, height } = changed(await commitDevice(node, 'register', payload));
  return { id: deviceIdOf(Buffer.from(publicKey, 'hex')), hash, height, ...(keyFile === undefined ? {} : { keyFile }) };
}

/** The record, grants and open (or withdrawn, or expired) offer; validity judged by the latest block's time. */
export async function getDevice(node: IngotNode, { id }: ParsedParams<'device.get'>): Promise<Results['device.get']> {
  const device = await existing(node, id);
  const now = node.ledger.head.time;
  const offer = await readOffer(node.ledger, id);
  return {
    ...summaryJson(device),
    publicKey: toHex(device.publicKey),
    codes: device.codes.map((c) => ({ ...c })),
    metadata: { ...device.metadata },
    ownerSince: device.ownerSince,
    firmwareHash: device.firmwareHash === null ? null : toHex(device.firmwareHash),
    grants: (await grantsOf(node.ledger, id)).map((grant) => grantJson(grant, now)),
    offer: offer === undefined ? null : offerJson(offer, now),
  };
}

export async function listDevices(node: IngotNode, params: ParsedParams<'device.list'>): Promise<Results['device.list']> {
  const ids = params.owner === undefined ? await keysUnder(node, DEVICE_PREFIX) : await keysUnder(node, `${OWNED_PREFIX}${params.owner}/`);
  const devices = (await Promise.all(ids.map((id) => readDevice(node.ledger, id)))).filter((device) => device !== undefined);
  const query = params.query?.toLowerCase() ?? '';
  const matching = query === '' ? devices : devices.filter((d) => [d.id, d.model, d.serial, d.manufacturer].some((field) => field.toLowerCase().includes(query)));
  matching.sort((a, b) => b.registeredAt - a.registeredAt || (a.id < b.id ? -1 : 1));
  return { devices: matching.slice(0, params.limit).map(summaryJson) };
}

/** The organisation a transaction's signing key belongs (or, for a first key, belonged) to. */
async function orgOfSigner(node: IngotNode, key: Uint8Array): Promise<string> {
  const bound = await orgIdOfSigner(node.ledger, key);
  if (bound !== undefined) return bound;
  const first = orgIdOf(key);
  return (await readOrg(node.ledger, first)) === undefined ? '' : first;
}

/**
 * Everything recorded about the device, oldest first: registration, events, transfers, policies,
 * tokens, and whatever else names `device/<id>` as a subject (telemetry anchors, alerts). Served to
 * the owner and to organisations holding `read-history` now; PERMISSION_DENIED to others.
 */
export async function deviceHistory(node: IngotNode, params: ParsedParams<'device.history'>): Promise<Results['device.history']> {
  await existing(node, params.id);
  if (!(await hasPermission(node.ledger, params.id, node.orgId, 'read-history', node.clock.now()))) {
    throw new IngotError('PERMISSION_DENIED', `organisation ${node.orgId} does not hold read-history on device ${params.id}`);
  }
  const found = await node.ledger.historyOfSubject(deviceSubject(params.id), params.after, params.limit + 1);
  const shown = found.slice(0, params.limit);
  const times = new Map<number, number>();
  const entries: DeviceHistoryEntryJson[] = [];
  for (const entry of shown) {
    const stored = await node.ledger.transactionById(entry.hash);
    if (stored === undefined) throw new IngotError('TX_NOT_FOUND', `history names a missing transaction ${toHex(entry.hash)}`);
    const tx = parseTransaction(stored.bytes);
    if (!times.has(entry.height)) times.set(entry.height, (await node.ledger.header(entry.height))?.time ?? 0);
    entries.push({
      hash: toHex(entry.hash), height: entry.height, index: entry.index, time: times.get(entry.height) ?? 0, contract: entry.contract, method: entry.method,
      ok: entry.ok, code: entry.code, org: await orgOfSigner(node, tx.body.signer), payload: jsonOf(tx.body.payload as CanonicalValue) as Record<string, JsonValue>,
    });
  }
  const last = shown.at(-1);
  return { entries, ...(found.length > params.limit && last !== undefined ? { next: { height: last.height, index: last.index } } : {}) };
}

export async function recordDeviceEvent(node: IngotNode, params: ParsedParams<'device.recordEvent'>): Promise<Results['device.recordEvent']> {
  const payload: Record<string, JsonValue> = { device: params.device, kind: params.kind };
  if (params.firmwareHash !== undefined) payload.firmwareHash = params.firmwareHash;
  if (params.note !== undefined) payload.note = params.note;
  return changed(await commitDevice(node, 'recordEvent', payload));
}

const HOUR_MS = 3_600_000;

export async function offerTransfer(node: IngotNode, params: ParsedParams<'device.offerTransfer'>): Promise<Results['device.offerTransfer']> {
  const expiresAt = node.clock.now() + params.expiresInHours * HOUR_MS;
  const result = changed(await commitDevice(node, 'offerTransfer', { device: params.device, to: params.to, expiresAt, ...(params.replace ? { replace: true } : {}) }));
  return { ...result, expiresAt };
}

export async function withdrawTransfer(node: IngotNode, params: ParsedParams<'device.withdrawTransfer'>): Promise<Results['device.withdrawTransfer']> {
  return changed(await commitDevice(node, 'withdrawTransfer', { device: params.device }));
}

export async function acceptTransfer(node: IngotNode, params: ParsedParams<'device.acceptTransfer'>): Promise<Results['device.acceptTransfer']> {
  return changed(await commitDevice(node, 'acceptTransfer', { device: params.device }));
}

export async function setDevicePolicy(node: IngotNode, params: ParsedParams<'device.setPolicy'>): Promise<Results['device.setPolicy']> {
  const payload: Record<string, JsonValue> = { device: params.device, grantee: params.grantee, permissions: [...params.permissions] };
  if (params.validFrom !== undefined) payload.validFrom = params.validFrom;
  if (params.validUntil !== undefined) payload.validUntil = params.validUntil;
  return changed(await commitDevice(node, 'setPolicy', payload));
}

/** How far back a token's validity starts, for verifiers whose clocks run a little behind. */
const TOKEN_SKEW_MS = 30_000;

/**
 * Records and signs an access token for a device this node's organisation owns: checks the grant
 * at this node's clock, records the issuance (`device.recordToken`, which checks the grant again at
 * block time) and only then signs the token with the organisation key. The grantee is whoever the
 * caller identified: the API caller (`grantee`), or the organisation of the requesting peer on
 * /ingot/access/1.0.0.
 */
export async function issueAccessToken(node: IngotNode, params: IssueParams): Promise<Results['device.requestAccess']> {
  const device = await existing(node, params.device);
  if (device.owner !== node.orgId) {
    throw new IngotError('DEVICE_NOT_OWNER', `device ${device.id} belongs to organisation ${device.owner}; its tokens are issued by that organisation's node`);
  }
  const { grantee, permission } = params;
  const now = node.clock.now();
  if (!(await hasPermission(node.ledger, device.id, grantee, permission, now))) {
    throw new IngotError('PERMISSION_DENIED', `${grantee} does not hold ${permission} on device ${device.id}`);
  }
  const id = new Uint8Array(randomBytes(16));
  const expiresAt = now + params.ttlSeconds * 1000;
  const notBefore = Math.max(now - TOKEN_SKEW_MS, expiresAt - DEVICE_LIMITS.tokenTtlMaxMs);
  const { hash, height } = changed(await commitDevice(node, 'recordToken', { device: device.id, grantee, permission, tokenId: toHex(id), expiresAt }));
  const key = await node.orgSigningKey();
  const token = signAccessToken(
    { v: 1, chain: node.ledger.chainId, id, device: device.id, grantee, permission, issuer: node.orgId, issuerKey: key.publicKey, notBefore, expiresAt },
    (message) => key.sign(message),
  );
  return { hash, height, token, tokenId: toHex(id), grantee, notBefore, expiresAt, issuerKey: toHex(key.publicKey) };
}

/**
 * `device.requestAccess`. For a device this node's organisation owns, the token is issued here, to
 * `grantee` (this organisation when absent). For another organisation's device, this node asks a
 * connected node of the owner over /ingot/access/1.0.0 for a token issued to this node's own
 * organisation, and checks it offline before returning it (node/access-exchange.ts).
 */
export async function requestAccess(node: IngotNode, params: ParsedParams<'device.requestAccess'>): Promise<Results['device.requestAccess']> {
  const device = await existing(node, params.device);
  const { permission, ttlSeconds } = params;
  if (device.owner === node.orgId) return issueAccessToken(node, { device: device.id, grantee: params.grantee ?? node.orgId, permission, ttlSeconds });
  if (params.grantee !== undefined && params.grantee !== node.orgId) {
    throw new IngotError('DEVICE_NOT_OWNER', `device ${device.id} belongs to organisation ${device.owner}: only its node issues tokens to others than this node's organisation`);
  }
  return node.requestAccessFromOwner({ device: device.id, permission, ttlSeconds });
}
