import { z } from 'zod';
import { ACCESS_PERMISSIONS, ACCESS_TOKEN_CHARS_MAX, ACCESS_TOKEN_TTL_MAX_MS } from '../codec/access-token.ts';
import { encode, type CanonicalValue } from '../codec/cbor.ts';
import { bytes, decodeWith, uint } from '../codec/messages.ts';

/**
 * Messages of `/ingot/access/1.0.0`, one request and one answer per stream (docs/devices.md,
 * docs/protocol.md): a grantee organisation's node asks a node of a device's owner for an access
 * token. The owner's node takes the grantee from the requesting peer id (the organisation whose
 * `nodes` list it), records the token on the ledger and answers it signed.
 */

/** A token's lifetime, in seconds, as a request may ask for it. */
export const ACCESS_TTL_SECONDS_MIN = 10;
export const ACCESS_TTL_SECONDS_MAX = ACCESS_TOKEN_TTL_MAX_MS / 1000;

export const accessRequestSchema = z
  .object({
    v: z.literal(1),
    /** The device id's 20 bytes. */
    device: bytes(20),
    permission: z.enum(ACCESS_PERMISSIONS),
    ttlSeconds: z.number().int().min(ACCESS_TTL_SECONDS_MIN).max(ACCESS_TTL_SECONDS_MAX),
  })
  .strict();
export type AccessRequest = z.infer<typeof accessRequestSchema>;

const code = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/);

export const accessResponseSchema = z.discriminatedUnion('t', [
  z
    .object({
      t: z.literal('token'),
      /** The signed token as text (`ingot-access:…`); the requester decodes and checks it. */
      token: z.string().max(ACCESS_TOKEN_CHARS_MAX),
      /** The device.recordToken transaction and the height of the block that committed it. */
      tx: bytes(32),
      height: uint,
    })
    .strict(),
  z.object({ t: z.literal('error'), code, message: z.string().max(512) }).strict(),
]);
export type AccessResponse = z.infer<typeof accessResponseSchema>;

export const encodeAccessRequest = (request: AccessRequest): Uint8Array => encode(request as unknown as Record<string, CanonicalValue>);
export const decodeAccessRequest = (data: Uint8Array): AccessRequest => decodeWith(accessRequestSchema, data, 'access request', 'ACCESS_REQUEST_MALFORMED');
export const encodeAccessResponse = (response: AccessResponse): Uint8Array => encode(response as unknown as Record<string, CanonicalValue>);
export const decodeAccessResponse = (data: Uint8Array): AccessResponse => decodeWith(accessResponseSchema, data, 'access response', 'ACCESS_RESPONSE_MALFORMED');
