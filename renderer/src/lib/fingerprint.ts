import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js';

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/**
 * A SHA-256 fingerprint people can read aloud and compare over the phone: hex in groups of four.
 * Keys come as hex and are hashed as bytes; a peer id (base58 text) is hashed as its UTF-8 text.
 */
export function fingerprint(key: string): string {
  const bytes = HEX.test(key) ? hexToBytes(key.toLowerCase()) : utf8ToBytes(key);
  return groupHex(bytesToHex(sha256(bytes)));
}

export function groupHex(hex: string, size = 4): string {
  return (hex.match(new RegExp(`.{1,${size}}`, 'g')) ?? []).join(' ');
}
