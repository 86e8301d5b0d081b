import { z } from 'zod';
import { encode, bytesEqual, type CanonicalValue } from './cbor.ts';
import { IngotError } from './errors.ts';
import type { VerifySignature } from './invite-code.ts';
import { decodeTextCode, toBase64Url } from './text-code.ts';
import { bytes, uint } from './messages.ts';
import { ORG_ID } from './names.ts';

/**
 * Device access tokens (docs/protocol.md#device-access-tokens): the owner organisation's node
 * signs one for a grantee, and a device or gateway checks it offline with the owner's public key.
 *
 * `ingot-access:` + base64url (no padding) of the canonical CBOR map below; `sig` is the issuer's
 * Ed25519 signature over `"ingot/access-token\0" ‖ CBOR(the map without sig)`. A token lives at
 * most five minutes and is good once: the verifier keeps the ids it has accepted until they expire.
 *
 * The codec layer holds no crypto: signing and verifying take the Ed25519 functions as arguments.
 */

export const ACCESS_TOKEN_PREFIX = 'ingot-access:';
export const ACCESS_TOKEN_CHARS_MAX = 1024;
/** Longest lifetime, `expiresAt − notBefore`. */
export const ACCESS_TOKEN_TTL_MAX_MS = 5 * 60 * 1000;
/** The permission vocabulary (the same as contracts/device-state.ts's PERMISSIONS). */
export const ACCESS_PERMISSIONS = ['read-telemetry', 'operate', 'maintain', 'read-history'] as const;
export type AccessPermission = (typeof ACCESS_PERMISSIONS)[number];

/** The same bytes as crypto/domain.ts's `domainTag('access-token')`. */
export const ACCESS_TOKEN_TAG = new TextEncoder().encode('ingot/access-token\0');

const hexId = z.string().regex(ORG_ID, 'expected 20 bytes of lower-case hex');

const fieldsShape = {
  v: z.literal(1),
  /** The consortium id: a token of one consortium means nothing in another. */
  chain: bytes(32),
  /** Token id, 16 random bytes: recorded on the ledger, accepted once by a verifier. */
  id: bytes(16),
  device: hexId,
  /** The organisation or device the token was issued to. */
  grantee: hexId,
  permission: z.enum(ACCESS_PERMISSIONS),
  /** The owner organisation's id and the signing key it signed with. */
  issuer: hexId,
  issuerKey: bytes(32),
  notBefore: uint,
  expiresAt: uint,
};

const lifetimeBounded = (t: { notBefore: number; expiresAt: number }) => t.expiresAt > t.notBefore && t.expiresAt - t.notBefore <= ACCESS_TOKEN_TTL_MAX_MS;
const lifetimeMessage = { message: `a token lives more than 0 and at most ${ACCESS_TOKEN_TTL_MAX_MS / 1000} s`, path: ['expiresAt'] };
export const accessTokenFieldsSchema = z.object(fieldsShape).strict().refine(lifetimeBounded, lifetimeMessage);
export const accessTokenSchema = z.object({ ...fieldsShape, sig: bytes(64) }).strict().refine(lifetimeBounded, lifetimeMessage);

export type AccessTokenFields = Readonly<{
  v: 1;
  chain: Uint8Array;
  id: Uint8Array;
  device: string;
  grantee: string;
  permission: AccessPermission;
  issuer: string;
  issuerKey: Uint8Array;
  notBefore: number;
  expiresAt: number;
}>;
export type AccessToken = AccessTokenFields & Readonly<{ sig: Uint8Array }>;

function fieldsOf(token: AccessTokenFields): Record<string, CanonicalValue> {
  return {
    v: token.v, chain: token.chain, id: token.id, device: token.device, grantee: token.grantee, permission: token.permission,
    issuer: token.issuer, issuerKey: token.issuerKey, notBefore: token.notBefore, expiresAt: token.expiresAt,
  };
}

/** The bytes the issuer signs: the domain tag, then the canonical map without `sig`. */
export function accessTokenSignedMessage(fields: AccessTokenFields): Uint8Array {
  const body = encode(fieldsOf(fields));
  const message = new Uint8Array(ACCESS_TOKEN_TAG.length + body.length);
  message.set(ACCESS_TOKEN_TAG);
  message.set(body, ACCESS_TOKEN_TAG.length);
  return message;
}

/** Checks the fields and signs them (`sign` is a SigningKey's sign); returns the token's text. */
export function signAccessToken(fields: AccessTokenFields, sign: (message: Uint8Array) => Uint8Array): string {
  const parsed = accessTokenFieldsSchema.safeParse(fieldsOf(fields));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IngotError('INVALID_ARGUMENT', `access token ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return ACCESS_TOKEN_PREFIX + toBase64Url(encode({ ...fieldsOf(fields), sig: sign(accessTokenSignedMessage(fields)) }));
}

/** Parses a token's structure (ACCESS_TOKEN_MALFORMED otherwise); checks neither signature nor time. */
export function decodeAccessToken(text: string): AccessToken {
  return decodeTextCode(text, { prefix: ACCESS_TOKEN_PREFIX, charsMax: ACCESS_TOKEN_CHARS_MAX, schema: accessTokenSchema, code: 'ACCESS_TOKEN_MALFORMED', what: 'an Ingot access token' });
}

/** Hex of a token id, as the ledger records it and a verifier remembers it. */
export function accessTokenIdHex(token: AccessToken): string {
  return Array.from(token.id, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

export interface VerifyAccessOptions {
  /** The owner organisation's current signing key, as the device or gateway was configured with it. */
  readonly ownerKey: Uint8Array;
  /** The device doing the checking, and the permission the holder asks to use. */
  readonly device: string;
  readonly permission: AccessPermission;
  /** The verifier's clock, milliseconds since 1970. */
  readonly now: number;
  /** Ids (hex) of tokens already accepted; a successful check adds this one. Entries may go once their token has expired. */
  readonly seen: Set<string>;
  /** Ed25519 verification (crypto/ed25519.ts's verifySignature, or any RFC 8032 implementation). */
  readonly verify: VerifySignature;
  /** When given, the token must have been issued to this organisation or device. */
  readonly grantee?: string;
  /** When given, the token must be of this consortium. */
  readonly chain?: Uint8Array;
}

/**
 * Checks a token offline, in this order, each failure with its code: structure
 * (ACCESS_TOKEN_MALFORMED), signer and signature (ACCESS_TOKEN_SIGNATURE_INVALID: forged, altered
 * or signed by another key than the owner's), scope (ACCESS_TOKEN_OUT_OF_SCOPE: another device,
 * permission, grantee or consortium), time (ACCESS_TOKEN_NOT_YET_VALID, ACCESS_TOKEN_EXPIRED) and
 * single use (ACCESS_TOKEN_REPLAYED). Marks the token used only when every check passes.
 */
export function verifyAccessToken(text: string, options: VerifyAccessOptions): AccessToken {
  const token = decodeAccessToken(text);
  if (!bytesEqual(token.issuerKey, options.ownerKey) || !options.verify(options.ownerKey, accessTokenSignedMessage(token), token.sig)) {
    throw new IngotError('ACCESS_TOKEN_SIGNATURE_INVALID', 'the token is not signed by the owner’s key: forged, altered or from another issuer');
  }
  const scope: [boolean, string][] = [
    [token.device === options.device, `it is for device ${token.device}`],
    [token.permission === options.permission, `it grants ${token.permission}, not ${options.permission}`],
    [options.grantee === undefined || token.grantee === options.grantee, `it was issued to ${token.grantee}`],
    [options.chain === undefined || bytesEqual(token.chain, options.chain), 'it is of another consortium'],
  ];
  for (const [ok, reason] of scope) if (!ok) throw new IngotError('ACCESS_TOKEN_OUT_OF_SCOPE', `the token is out of scope: ${reason}`);
  if (options.now < token.notBefore) throw new IngotError('ACCESS_TOKEN_NOT_YET_VALID', `the token is valid from ${token.notBefore}`);
  if (options.now >= token.expiresAt) throw new IngotError('ACCESS_TOKEN_EXPIRED', `the token expired at ${token.expiresAt}`);
  const id = accessTokenIdHex(token);
  if (options.seen.has(id)) throw new IngotError('ACCESS_TOKEN_REPLAYED', 'the token was used already');
  options.seen.add(id);
  return token;
}
