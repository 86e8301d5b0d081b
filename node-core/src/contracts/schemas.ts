import { z } from 'zod';
import { ROLES } from '../codec/messages.ts';
import { limits } from '../codec/limits.ts';
import { ORG_ID, SUBJECT } from '../codec/names.ts';

/** Payload field shapes the contracts share. Payloads carry binary values as lower-case hex. */

export const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes of lower-case hex');
export const hex64 = z.string().regex(/^[0-9a-f]{128}$/, 'expected 64 bytes of lower-case hex');
export const orgId = z.string().regex(ORG_ID, 'expected an organisation id (20 bytes of lower-case hex)');
/** A name as people type it: stored without surrounding whitespace. */
export const name = z.string().trim().min(1).max(limits.nameCharsMax);
export const registryId = z.string().trim().max(limits.nameCharsMax);
/** A libp2p peer id as text: printable ASCII without spaces. */
export const peerId = z.string().regex(/^[\x21-\x7e]{1,128}$/, 'expected a printable peer id of at most 128 characters');
export const subject = z.string().regex(SUBJECT, 'expected a printable id of at most 128 characters');
/** Milliseconds since the epoch, compared with block time. */
export const timestamp = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
/** How far ahead of block time an invite or a proposal may expire: 30 days. */
export const EXPIRY_MAX_MS = 30 * 24 * 60 * 60 * 1000;

const unique = (values: readonly string[]) => new Set(values).size === values.length;

export const roles = z.array(z.enum(ROLES)).min(1).max(ROLES.length).refine(unique, { message: 'a role appears twice' });
export const nodeList = z.array(peerId).min(1).max(limits.nodesPerOrgMax).refine(unique, { message: 'a node appears twice' });

/** Bytes of a fixed length, as state records keep them. */
export const bytesOf = (length: number) => z.custom<Uint8Array>((value) => value instanceof Uint8Array && value.length === length);
