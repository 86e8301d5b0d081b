/** What an invite code starts with (docs/membership.md#invites). */
export const INVITE_PREFIX = 'ingot-invite:';

/** The prefix and base64url, across single line breaks (a mail program wraps long lines) but not blank lines or spaces. */
const CODE = /ingot-invite:(?:[A-Za-z0-9_-]|\r?\n(?=[A-Za-z0-9_-]))+/;

/**
 * The invite code in whatever was pasted or scanned: a message around it, line breaks that a mail
 * program put in, or nothing of the sort (undefined). The node checks the signature; this only
 * finds the code.
 */
export function findInviteCode(text: string): string | undefined {
  return CODE.exec(text)?.[0].replace(/\s+/g, '');
}
