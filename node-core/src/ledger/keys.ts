import { IngotError } from '../codec/errors.ts';

/**
 * The database's key layout. One byte of prefix per family; heights and positions are big-endian
 * so that key order is chain order.
 */

const encoder = new TextEncoder();

export const HEAD_KEY = Uint8Array.of(0x48); // 'H'
export const GENESIS_KEY = Uint8Array.of(0x47); // 'G'

const BLOCK = 0x62; // 'b' height → header + tx count
const COMMIT = 0x63; // 'c' height → commit certificate
const HASH = 0x6e; // 'n' block hash → height
const TX = 0x78; // 'x' height, index → signed transaction
const RECEIPT = 0x72; // 'r' height, index → receipt
const TX_BY_ID = 0x74; // 't' tx id → height, index
/** 'a' signer, 0, first position → chunk of history records (see history-index.ts) */
export const BY_SIGNER = 0x61;
/** 'j' subject, 0, first position → chunk of history records */
export const BY_SUBJECT = 0x6a;
const STATE = 0x73; // 's' state key → value

function withPrefix(prefix: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 1;
  for (const part of parts) length += part.length;
  const key = new Uint8Array(length);
  key[0] = prefix;
  let offset = 1;
  for (const part of parts) {
    key.set(part, offset);
    offset += part.length;
  }
  return key;
}

export function u64(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(value));
  return bytes;
}

export function position(height: number, index: number): Uint8Array {
  const bytes = new Uint8Array(12);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(height));
  view.setUint32(8, index);
  return bytes;
}

export function readPosition(bytes: Uint8Array, offset = 0): { height: number; index: number } {
  if (offset < 0 || bytes.length < offset + 12) throw new IngotError('LEDGER_CORRUPT', 'a stored chain position is truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, 12);
  return { height: Number(view.getBigUint64(0)), index: view.getUint32(8) };
}

export const blockKey = (height: number) => withPrefix(BLOCK, u64(height));
export const commitKey = (height: number) => withPrefix(COMMIT, u64(height));
export const hashKey = (hash: Uint8Array) => withPrefix(HASH, hash);
export const txKey = (height: number, index: number) => withPrefix(TX, position(height, index));
export const txRangeOfBlock = (height: number) => ({ gte: withPrefix(TX, u64(height)), lt: withPrefix(TX, u64(height + 1)) });
export const receiptKey = (height: number, index: number) => withPrefix(RECEIPT, position(height, index));
export const txByIdKey = (id: Uint8Array) => withPrefix(TX_BY_ID, id);
export const stateKey = (key: string) => withPrefix(STATE, encoder.encode(key));
export const stateRange = () => ({ gt: withPrefix(STATE), lt: withPrefix(STATE + 1) });
/** The state keys that start with `prefix` (a non-empty string), after `prefix + after` when given. */
export function statePrefixRange(prefix: string, after?: string): { gt: Uint8Array; lt: Uint8Array } {
  const start = encoder.encode(prefix);
  const end = start.slice();
  // The first key past every key under the prefix: its last byte plus one (UTF-8 holds no 0xff byte).
  end[end.length - 1] = (end[end.length - 1] as number) + 1;
  return { gt: withPrefix(STATE, encoder.encode(prefix + (after ?? ''))), lt: withPrefix(STATE, end) };
}
