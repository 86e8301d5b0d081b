import { z } from 'zod';
import { decode, encode, type CanonicalValue } from './cbor.ts';
import { IngotError } from './errors.ts';
import { limits } from './limits.ts';
import { bytes, ROLES, uint, type Role } from './messages.ts';
import { ORG_ID } from './names.ts';

/**
 * The invite code an admin hands to a joining organisation (docs/membership.md#invites):
 * `ingot-invite:` + base64url (no padding) of the canonical CBOR map below, signed by the inviter's
 * organisation key over `"ingot/invite\0" ‖ CBOR(the map without sig)`.
 *
 * The codec layer holds no crypto, so signing and verifying take the Ed25519 functions as
 * arguments (crypto/ed25519.ts's `verifySignature`, a SigningKey's `sign`).
 */

export const INVITE_CODE_PREFIX = 'ingot-invite:';
/** Longest code accepted, prefix included: a few bootstrap addresses fit well within it. */
export const INVITE_CODE_CHARS_MAX = 4096;
/** Bootstrap addresses one code may carry. */
export const INVITE_PEERS_MAX = 16;
const MULTIADDR_CHARS_MAX = 512;

/** The signature's domain tag; the same bytes as crypto/domain.ts's `domainTag('invite')`. */
export const INVITE_SIGNATURE_TAG = new TextEncoder().encode('ingot/invite\0');

const peerAddress = z
  .string()
  .min(4)
  .max(MULTIADDR_CHARS_MAX)
  .regex(/^\/.*\/p2p\/[1-9A-HJ-NP-Za-km-z]{40,80}$/, 'expected a multiaddr ending in /p2p/<peer id>');

const inviteFieldsShape = {
  v: z.literal(1),
  chain: bytes(32),
  consortium: z.string().min(1).max(limits.nameCharsMax),
  peers: z.array(peerAddress).min(1).max(INVITE_PEERS_MAX),
  org: z.string().min(1).max(limits.nameCharsMax),
  roles: z
    .array(z.enum(ROLES))
    .min(1)
    .max(ROLES.length)
    .refine((list) => new Set(list).size === list.length, 'each role at most once'),
  expires: uint,
  secret: bytes(32),
  inviter: z.string().regex(ORG_ID, 'expected an organisation id'),
  inviterKey: bytes(32),
};

export const inviteFieldsSchema = z.object(inviteFieldsShape).strict();
export const inviteSchema = z.object({ ...inviteFieldsShape, sig: bytes(64) }).strict();

/** What the inviter signs. */
export type InviteFields = Readonly<{
  v: 1;
  chain: Uint8Array;
  consortium: string;
  peers: readonly string[];
  org: string;
  roles: readonly Role[];
  expires: number;
  secret: Uint8Array;
  inviter: string;
  inviterKey: Uint8Array;
}>;
export type Invite = InviteFields & Readonly<{ sig: Uint8Array }>;

export type VerifySignature = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

function fieldsOf(invite: InviteFields): Record<string, CanonicalValue> {
  return {
    v: invite.v,
    chain: invite.chain,
    consortium: invite.consortium,
    peers: [...invite.peers],
    org: invite.org,
    roles: [...invite.roles],
    expires: invite.expires,
    secret: invite.secret,
    inviter: invite.inviter,
    inviterKey: invite.inviterKey,
  };
}

/** The bytes the inviter's key signs: the domain tag, then the canonical map without `sig`. */
export function inviteSignedMessage(fields: InviteFields): Uint8Array {
  const body = encode(fieldsOf(fields));
  const message = new Uint8Array(INVITE_SIGNATURE_TAG.length + body.length);
  message.set(INVITE_SIGNATURE_TAG);
  message.set(body, INVITE_SIGNATURE_TAG.length);
  return message;
}

/** Checks the fields and signs them with the inviter's key (`sign` is a SigningKey's sign). */
export function signInvite(fields: InviteFields, sign: (message: Uint8Array) => Uint8Array): Invite {
  // An invite passed in to be signed again (its fields changed) loses its old signature here.
  const parsed = inviteFieldsSchema.safeParse(fieldsOf(fields));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new IngotError('INVALID_ARGUMENT', `invite ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`, { field: issue?.path.join('.') ?? '' });
  }
  return { ...(fieldsOf(fields) as unknown as InviteFields), sig: sign(inviteSignedMessage(fields)) };
}

export function encodeInviteCode(invite: Invite): string {
  const code = INVITE_CODE_PREFIX + toBase64Url(encode({ ...fieldsOf(invite), sig: invite.sig }));
  if (code.length > INVITE_CODE_CHARS_MAX) throw new IngotError('INVITE_TOO_LARGE', `the invite code would be ${code.length} characters, more than ${INVITE_CODE_CHARS_MAX}; give fewer bootstrap addresses`);
  return code;
}

const malformed = (message: string) => new IngotError('INVITE_MALFORMED', `not an Ingot invite code: ${message}`);

/**
 * Parses a code's structure (INVITE_MALFORMED otherwise); whitespace around it, as pasting adds,
 * is ignored. Does not check the signature or the expiry: see `verifyInviteCode`.
 */
export function decodeInviteCode(text: string): Invite {
  if (typeof text !== 'string') throw malformed('expected text');
  const trimmed = text.trim();
  if (trimmed.length > INVITE_CODE_CHARS_MAX) throw malformed(`longer than ${INVITE_CODE_CHARS_MAX} characters`);
  if (!trimmed.startsWith(INVITE_CODE_PREFIX)) throw malformed(`it does not start with ${INVITE_CODE_PREFIX}`);
  const raw = fromBase64Url(trimmed.slice(INVITE_CODE_PREFIX.length));
  if (raw === undefined) throw malformed('not base64url');
  let value: unknown;
  try {
    value = decode(raw);
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : String(error));
  }
  const parsed = inviteSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw new IngotError('INVITE_MALFORMED', `not an Ingot invite code: ${field ? `${field}: ` : ''}${issue?.message ?? 'invalid'}`, { field });
  }
  return parsed.data;
}

export function inviteSignatureValid(invite: Invite, verify: VerifySignature): boolean {
  return verify(invite.inviterKey, inviteSignedMessage(invite), invite.sig);
}

/**
 * Decodes a code and checks it before anything is sent: the inviter's signature
 * (INVITE_SIGNATURE_INVALID for a forged or altered code) and the expiry against `now`
 * (INVITE_EXPIRED). Whether the inviter is an admin and the invite still open only the
 * consortium's ledger can tell.
 */
export function verifyInviteCode(text: string, now: number, verify: VerifySignature): Invite {
  const invite = decodeInviteCode(text);
  if (!inviteSignatureValid(invite, verify)) throw new IngotError('INVITE_SIGNATURE_INVALID', 'the invite code is not signed by the inviter it names: it was altered or forged');
  if (invite.expires <= now) throw new IngotError('INVITE_EXPIRED', `the invite expired (at ${invite.expires} ms since 1970); ask for a new one`, { expires: invite.expires });
  return invite;
}

// --- base64url without padding, strict: one encoding per byte string ---

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const VALUES = new Map([...ALPHABET].map((char, index) => [char, index]));

export function toBase64Url(data: Uint8Array): string {
  let out = '';
  for (let i = 0; i < data.length; i += 3) {
    const a = data[i] as number;
    const b = data[i + 1];
    const c = data[i + 2];
    out += ALPHABET[a >> 2];
    out += ALPHABET[((a & 3) << 4) | ((b ?? 0) >> 4)];
    if (b !== undefined) out += ALPHABET[((b & 15) << 2) | ((c ?? 0) >> 6)];
    if (c !== undefined) out += ALPHABET[c & 63];
  }
  return out;
}

/** undefined for anything but canonical unpadded base64url (a length of 1 mod 4 or stray low bits included). */
export function fromBase64Url(text: string): Uint8Array | undefined {
  if (text.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let buffer = 0;
  let index = 0;
  for (const char of text) {
    const value = VALUES.get(char);
    if (value === undefined) return undefined;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes.
  if ((buffer & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
