import type { z } from 'zod';
import { decode } from './cbor.ts';
import { IngotError } from './errors.ts';

/**
 * Text that people copy and paste (invite codes, access tokens): a prefix naming what it is, then
 * base64url of canonical CBOR. Parsing checks the length, the prefix, the encoding and the schema;
 * whitespace around the text, as pasting adds, is ignored. Signatures are the caller's to check.
 */
export interface TextCodeFormat<T> {
  readonly prefix: string;
  readonly charsMax: number;
  readonly schema: z.ZodType<T>;
  /** The code of every refusal, e.g. INVITE_MALFORMED. */
  readonly code: string;
  /** What the text should have been, for messages: "an Ingot invite code". */
  readonly what: string;
}

export function decodeTextCode<T>(text: string, format: TextCodeFormat<T>): T {
  const malformed = (message: string, field?: string) => new IngotError(format.code, `not ${format.what}: ${field ? `${field}: ` : ''}${message}`, field === undefined ? undefined : { field });
  if (typeof text !== 'string') throw malformed('expected text');
  const trimmed = text.trim();
  if (trimmed.length > format.charsMax) throw malformed(`longer than ${format.charsMax} characters`);
  if (!trimmed.startsWith(format.prefix)) throw malformed(`it does not start with ${format.prefix}`);
  const raw = fromBase64Url(trimmed.slice(format.prefix.length));
  if (raw === undefined) throw malformed('not base64url');
  let value: unknown;
  try {
    value = decode(raw);
  } catch (error) {
    throw malformed(error instanceof Error ? error.message : String(error));
  }
  const parsed = format.schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw malformed(issue?.message ?? 'invalid', issue?.path.join('.') ?? '');
  }
  return parsed.data;
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
