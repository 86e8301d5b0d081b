import { createReadStream } from 'node:fs';
import { IngotError } from '../codec/errors.ts';
import { INVITE_CODE_CHARS_MAX } from '../codec/invite-code.ts';
import { askHidden } from './passphrase.ts';

/**
 * Where `ingot join` takes the invite code from. An argument is visible to every user of the
 * machine (`ps`, /proc/PID/cmdline) for as long as the command runs, and the code holds a
 * one-time secret; `--invite-file PATH` and `--invite -` (standard input) keep it out of argv.
 */

/** Room for a code of the largest size and the whitespace an editor or `echo` adds around it. */
const INVITE_INPUT_BYTES_MAX = INVITE_CODE_CHARS_MAX + 1024;

export interface InviteSource {
  /** `--invite`: the code itself, or `-` for standard input. */
  readonly invite?: string | undefined;
  /** `--invite-file`: a file holding the code. */
  readonly inviteFile?: string | undefined;
}

/** The code as given, undefined when neither option was; the decoder ignores whitespace around it. */
export async function readInviteCode(source: InviteSource, stdin: NodeJS.ReadStream = process.stdin): Promise<string | undefined> {
  const { invite, inviteFile } = source;
  if (invite !== undefined && inviteFile !== undefined) {
    throw new IngotError('INVITE_SOURCE_CONFLICT', 'give the invite code once: either --invite CODE (or - for standard input) or --invite-file PATH', { field: 'invite' });
  }
  if (inviteFile !== undefined) return readCapped(createReadStream(inviteFile), `the invite file ${inviteFile}`);
  if (invite !== '-') return invite;
  // A person at a terminal pastes the code at a prompt that does not echo it; a pipe is read to its end.
  if (stdin.isTTY) return askHidden('Invite code: ');
  return readCapped(stdin, 'standard input');
}

async function readCapped(stream: NodeJS.ReadableStream, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      size += bytes.length;
      if (size > INVITE_INPUT_BYTES_MAX) {
        throw new IngotError('INVITE_MALFORMED', `${what} holds more than ${INVITE_INPUT_BYTES_MAX} bytes: not an Ingot invite code`, { field: 'invite' });
      }
      chunks.push(bytes);
    }
  } catch (error) {
    if (error instanceof IngotError) throw error;
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new IngotError('INVITE_FILE_UNREADABLE', `cannot read ${what} (${reason})`, { field: 'invite' });
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new IngotError('INVITE_MALFORMED', `${what} is empty: expected an Ingot invite code`, { field: 'invite' });
  return text;
}
