import { z } from 'zod';
import { decode, encode } from '../codec/cbor.ts';
import { ROLES } from '../codec/messages.ts';
import { toHex } from '../crypto/hex.ts';
import type { StateOverlay, StateReader } from '../ledger/state.ts';
import { readOrg } from './membership-state.ts';
import { OpenIndex } from './open-index.ts';
import { bytesOf } from './schemas.ts';

/** Invite records (`invite/<key hex>`) and the index of open ones (`invites`). */

export const INVITES_OPEN_MAX = 256;

export const inviteSchema = z
  .object({
    key: bytesOf(32),
    inviter: z.string(),
    organisation: z.string(),
    roles: z.array(z.enum(ROLES)),
    expiresAt: z.number().int().nonnegative(),
    /** `expired` once an open invite past its expiry is dropped from the open index. */
    status: z.enum(['open', 'used', 'revoked', 'expired']),
    createdAt: z.number().int().nonnegative(),
    /** The organisation id the invite admitted a request for, once used. */
    usedBy: z.string().nullable(),
  })
  .strict();
export type Invite = z.infer<typeof inviteSchema>;

const inviteKey = (keyHex: string) => `invite/${keyHex}`;

export async function readInvite(state: StateReader, keyHex: string): Promise<Invite | undefined> {
  const stored = await state.get(inviteKey(keyHex));
  return stored === undefined ? undefined : inviteSchema.parse(decode(stored));
}

export function writeInvite(state: StateOverlay, invite: Invite): void {
  state.set(inviteKey(toHex(invite.key)), encode(invite));
}

const openIndex = new OpenIndex<Invite>({
  key: 'invites',
  max: INVITES_OPEN_MAX,
  fullCode: 'INVITES_FULL',
  fullMessage: `at most ${INVITES_OPEN_MAX} invites may be open at once; revoke one first`,
  read: readInvite,
  write: writeInvite,
  idOf: (invite) => toHex(invite.key),
  expiresAt: (invite) => invite.expiresAt,
  expired: (invite) => ({ ...invite, status: 'expired' }),
});

/** Adds an open invite to the index, first marking those past their expiry `expired`; refused when the index is full. */
export const addOpenInvite = (state: StateOverlay, invite: Invite, now: number): Promise<void> => openIndex.add(state, invite, now);

/** Writes an invite that is no longer open (used or revoked) and takes it out of the index. */
export const closeInvite = (state: StateOverlay, invite: Invite): Promise<void> => openIndex.close(state, invite);

/** Invites in the open index, oldest first; some may be past their expiry. At most INVITES_OPEN_MAX. */
export async function listInvites(state: StateReader): Promise<Invite[]> {
  const invites = await Promise.all((await openIndex.ids(state)).map((keyHex) => readInvite(state, keyHex)));
  return invites.filter((invite): invite is Invite => invite !== undefined && invite.status === 'open');
}

/**
 * Open invites not yet expired at `now` (ms) whose inviter is still an active organisation: the
 * invite keys whose peer ids (peerIdOfKey) the network's gate admits for the join protocol.
 */
export async function openInvites(state: StateReader, now: number): Promise<Invite[]> {
  const invites = (await listInvites(state)).filter((invite) => invite.expiresAt >= now);
  const active = new Map<string, boolean>();
  for (const inviter of new Set(invites.map((invite) => invite.inviter))) active.set(inviter, (await readOrg(state, inviter))?.status === 'active');
  return invites.filter((invite) => active.get(invite.inviter) === true);
}
