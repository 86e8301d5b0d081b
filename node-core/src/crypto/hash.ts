import { createHash } from 'node:crypto';

export const HASH_BYTES = 32;

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest().buffer.slice(0));
}

const encoder = new TextEncoder();

/** Domain tags keep a signature or hash made for one purpose from being valid for another. */
export function domainTag(name: string): Uint8Array {
  return encoder.encode(`ingot/${name}\0`);
}
