import { z } from 'zod';
import { encode, type CanonicalValue } from './cbor.ts';
import { IngotError } from './errors.ts';
import { limits } from './limits.ts';
import { bytes, ROLES, uint, type Role } from './messages.ts';
import { ORG_ID } from './names.ts';
import { decodeTextCode, toBase64Url } from './text-code.ts';

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

/**
 * Parses a code's structure (INVITE_MALFORMED otherwise); whitespace around it, as pasting adds,
 * is ignored. Does not check the signature or the expiry: see `verifyInviteCode`.
 */
export function decodeInviteCode(text: string): Invite {
  return decodeTextCode(text, { prefix: INVITE_CODE_PREFIX, charsMax: INVITE_CODE_CHARS_MAX, schema: inviteSchema, code: 'INVITE_MALFORMED', what: 'an Ingot invite code' });
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
