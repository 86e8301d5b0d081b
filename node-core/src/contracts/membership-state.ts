import { z } from 'zod';
import { decode, encode } from '../codec/cbor.ts';
import { assert } from '../codec/errors.ts';
import { ROLES } from '../codec/messages.ts';
import { limits } from '../codec/limits.ts';
import { domainTag, sha256 } from '../crypto/hash.ts';
import { toHex } from '../crypto/hex.ts';
import type { Validator } from '../ledger/block.ts';
import type { StateOverlay, StateReader } from '../ledger/state.ts';
import { bytesOf } from './schemas.ts';

/** Organisation records, the signing-key index and the validator set, as the membership contract keeps them. */

const bytes32 = bytesOf(32);

export const orgRecordSchema = z
  .object({
    id: z.string(),
    name: z.string().max(limits.nameCharsMax),
    registryId: z.string().max(limits.nameCharsMax),
    contact: z.string().max(limits.contactCharsMax),
    roles: z.array(z.enum(ROLES)),
    signingKey: bytes32,
    encryptionKey: bytes32,
    nodes: z.array(z.string()),
    status: z.enum(['active', 'suspended', 'removed']),
    joinedAt: z.number().int().nonnegative(),
  })
  .strict();
export type OrgRecord = z.infer<typeof orgRecordSchema>;

/** A validator as state keeps it, in `validators` and in the schedule. */
export const validatorSchema = z.object({ key: bytes32, org: z.string(), power: z.number().int().positive() }).strict();
const validatorsSchema = z.array(validatorSchema);

const ORG_ID_TAG = domainTag('org-id');

/** An organisation keeps the id derived from its first signing key through every key rotation. */
export function orgIdOf(firstSigningKey: Uint8Array): string {
  return toHex(sha256(ORG_ID_TAG, firstSigningKey).subarray(0, 20));
}

const orgKey = (id: string) => `org/${id}`;
const signerKey = (publicKey: Uint8Array) => `signer/${toHex(publicKey)}`;
const VALIDATORS_KEY = 'validators';
/** Every organisation's id, in the order they joined: the list the network's gate is built from. */
const ORG_IDS_KEY = 'orgs';
const orgIdsSchema = z.array(z.string());

/**
 * Decoded records by the stored bytes they came from. Every transaction reads its signer's record,
 * and state hands out the same bytes until they are rewritten, so each version is decoded once.
 * Keyed weakly by those bytes, frozen so that no reader can change what the next one gets.
 */
const decodedOrgs = new WeakMap<Uint8Array, OrgRecord>();

export async function readOrg(state: StateReader, id: string): Promise<OrgRecord | undefined> {
  const stored = await state.get(orgKey(id));
  if (stored === undefined) return undefined;
  let org = decodedOrgs.get(stored);
  if (org === undefined) {
    org = frozen(orgRecordSchema.parse(decode(stored)));
    decodedOrgs.set(stored, org);
  }
  return org;
}

/**
 * The record is checked against its schema here, so that what a later read decodes from the bytes
 * is exactly the record remembered for them now: a node reading it back after a restart and one
 * reading it from memory see the same organisation.
 */
export function writeOrg(state: StateOverlay, org: OrgRecord): void {
  const record = frozen(orgRecordSchema.parse(org));
  const stored = encode(record);
  decodedOrgs.set(stored, record);
  state.set(orgKey(org.id), stored);
}

function frozen(org: OrgRecord): OrgRecord {
  Object.freeze(org.roles);
  Object.freeze(org.nodes);
  return Object.freeze(org);
}

export async function readOrgIds(state: StateReader): Promise<string[]> {
  const stored = await state.get(ORG_IDS_KEY);
  return stored === undefined ? [] : orgIdsSchema.parse(decode(stored));
}

export function writeOrgIds(state: StateOverlay, ids: readonly string[]): void {
  state.set(ORG_IDS_KEY, encode([...ids]));
}

/** The node peer ids of active organisations: who may connect to this consortium's nodes. */
export async function memberPeerIds(state: StateReader): Promise<string[]> {
  const orgs = await Promise.all((await readOrgIds(state)).map((id) => readOrg(state, id)));
  return orgs.flatMap((org) => (org !== undefined && org.status === 'active' ? org.nodes : []));
}

/** Organisation ids by the stored bytes they came from: every transaction looks its signer up. */
const decodedSigners = new WeakMap<Uint8Array, string>();

export async function orgIdOfSigner(state: StateReader, publicKey: Uint8Array): Promise<string | undefined> {
  const stored = await state.get(signerKey(publicKey));
  if (stored === undefined) return undefined;
  let orgId = decodedSigners.get(stored);
  if (orgId === undefined) {
    orgId = decode(stored) as string;
    decodedSigners.set(stored, orgId);
  }
  return orgId;
}

export function bindSigner(state: StateOverlay, publicKey: Uint8Array, orgId: string): void {
  state.set(signerKey(publicKey), encode(orgId));
}

export function unbindSigner(state: StateOverlay, publicKey: Uint8Array): void {
  state.delete(signerKey(publicKey));
}

const formerSignerKey = (publicKey: Uint8Array) => `signer-history/${toHex(publicKey)}`;

/** Marks a signing key an organisation rotated away from: no organisation may take it up again. */
export function recordFormerSigner(state: StateOverlay, publicKey: Uint8Array, orgId: string): void {
  state.set(formerSignerKey(publicKey), encode(orgId));
}

/** The organisation whose signing key `publicKey` is or was, if any. */
export async function orgIdOfAnySigner(state: StateReader, publicKey: Uint8Array): Promise<string | undefined> {
  const current = await orgIdOfSigner(state, publicKey);
  if (current !== undefined) return current;
  const stored = await state.get(formerSignerKey(publicKey));
  return stored === undefined ? undefined : (decode(stored) as string);
}

export async function readValidators(state: StateReader): Promise<Validator[]> {
  const stored = await state.get(VALIDATORS_KEY);
  assert(stored !== undefined, 'the validator set is missing from state');
  return validatorsSchema.parse(decode(stored));
}

export function writeValidators(state: StateOverlay, validators: readonly Validator[]): void {
  state.set(VALIDATORS_KEY, encode(validators.map((v) => ({ key: v.key, org: v.org, power: v.power }))));
}

/**
 * Organisations that are not removed a consortium may hold: admission beyond it is refused. Removed
 * ones stay in `orgs` for their history without holding a slot; every admission takes a vote.
 */
export const ORGS_MAX = 1024;

/** Every organisation record, in joining order. */
export async function readOrgs(state: StateReader): Promise<OrgRecord[]> {
  const orgs = await Promise.all((await readOrgIds(state)).map((id) => readOrg(state, id)));
  return orgs.filter((org) => org !== undefined);
}

/** The organisation (active or suspended; a removed one gives its nodes up) whose node list holds `peerId`. */
export async function nodeOwner(state: StateReader, peerId: string): Promise<string | undefined> {
  return (await readOrgs(state)).find((org) => org.status !== 'removed' && org.nodes.includes(peerId))?.id;
}

/** Active organisations holding `admin`, in joining order: the voters of proposals. */
export async function activeAdmins(state: StateReader): Promise<string[]> {
  return (await readOrgs(state)).filter((org) => org.status === 'active' && org.roles.includes('admin')).map((org) => org.id);
}
