import { z } from 'zod';
import { encode, type CanonicalValue } from '../codec/cbor.ts';
import { limits } from '../codec/limits.ts';
import { boundedBytes, bytes, decodeWith, uint } from '../codec/messages.ts';
import { ORG_ID } from '../codec/names.ts';
import { JOIN_RESPONSE_BYTES_MAX } from './network.ts';

/**
 * Messages of `/ingot/join/1.0.0`, one request and one answer per stream (docs/protocol.md):
 * what a joining node asks a bootstrap peer before it is a member, while it holds an open invite.
 */

export const joinRequestSchema = z.discriminatedUnion('t', [
  /** The consortium's genesis document, whose hash the joiner checks against the invite's chain. */
  z.object({ t: z.literal('genesis') }).strict(),
  /** A signed membership.requestJoin transaction, admitted like any other so that validators commit it. */
  z.object({ t: z.literal('join'), tx: boundedBytes(limits.signedTxBytesMax) }).strict(),
  /** Where the organisation's request stands: `request` is the requestJoin transaction's hash. */
  z.object({ t: z.literal('status'), org: z.string().regex(ORG_ID), request: bytes(32) }).strict(),
]);
export type JoinRequest = z.infer<typeof joinRequestSchema>;

export const JOIN_STATES = ['pending', 'admitted', 'refused'] as const;
export type JoinState = (typeof JOIN_STATES)[number];

const code = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/);

export const joinResponseSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('genesis'), genesis: boundedBytes(JOIN_RESPONSE_BYTES_MAX - 1024), height: uint }).strict(),
  z.object({ t: z.literal('accepted'), hash: bytes(32), height: uint }).strict(),
  /** `code` is the failed receipt's code, or why the proposal closed, when refused; empty otherwise. */
  z.object({ t: z.literal('status'), state: z.enum(JOIN_STATES), code: z.union([code, z.literal('')]), height: uint }).strict(),
  z.object({ t: z.literal('error'), code, message: z.string().max(512) }).strict(),
]);
export type JoinResponse = z.infer<typeof joinResponseSchema>;

export const encodeJoinRequest = (request: JoinRequest): Uint8Array => encode(request as Record<string, CanonicalValue>);
export const decodeJoinRequest = (data: Uint8Array): JoinRequest => decodeWith(joinRequestSchema, data, 'join request', 'JOIN_REQUEST_MALFORMED');
export const encodeJoinResponse = (response: JoinResponse): Uint8Array => encode(response as Record<string, CanonicalValue>);
export const decodeJoinResponse = (data: Uint8Array): JoinResponse => decodeWith(joinResponseSchema, data, 'join response', 'JOIN_RESPONSE_MALFORMED');
