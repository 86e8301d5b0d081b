import { createHash } from 'node:crypto';

export const HASH_BYTES = 32;

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest().buffer.slice(0));
}

export { domainTag } from './domain.ts';
