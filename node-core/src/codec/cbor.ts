import { decode as cborDecode, encode as cborEncode } from 'cborg';
import type { EncodeOptions, DecodeOptions } from 'cborg';
import { IngotError } from './errors.ts';

/**
 * Ingot's one canonical encoding: deterministic CBOR (RFC 8949 §4.2.3 length-first map key order,
 * smallest integer forms, definite lengths), no floats, no tags, no undefined, no bigints.
 * Decoding is strict and additionally re-encodes the value and requires the very same bytes, which
 * rejects every non-canonical form (including unsorted maps, which cborg cannot check itself).
 */

export type CanonicalValue =
  | null
  | boolean
  | number
  | string
  | Uint8Array
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue };

function rejectFloat(value: number): null {
  if (!Number.isSafeInteger(value)) {
    throw new IngotError('ENCODE_UNSUPPORTED', `only safe integers can be encoded, got ${value}`);
  }
  return null;
}

/** A lone surrogate would be written as U+FFFD, so the bytes would not decode to the value encoded. */
function rejectIllFormedString(value: string): null {
  if (!value.isWellFormed()) {
    throw new IngotError('ENCODE_UNSUPPORTED', 'strings must be well-formed Unicode (no lone surrogates)');
  }
  return null;
}

function rejectType(kind: string): () => never {
  return () => {
    throw new IngotError('ENCODE_UNSUPPORTED', `values of type ${kind} cannot be encoded`);
  };
}

const encodeOptions: EncodeOptions = {
  typeEncoders: {
    number: rejectFloat,
    string: rejectIllFormedString,
    undefined: rejectType('undefined'),
    bigint: rejectType('bigint'),
    Map: rejectType('Map'),
    Date: rejectType('Date'),
  },
};

const decodeOptions: DecodeOptions = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: false,
  rejectDuplicateMapKeys: true,
  tags: [],
};

export function encode(value: CanonicalValue): Uint8Array {
  return cborEncode(value, encodeOptions);
}

/** Decodes canonical bytes or throws IngotError('DECODE_MALFORMED' | 'DECODE_NOT_CANONICAL'). */
export function decode(bytes: Uint8Array): unknown {
  let value: unknown;
  try {
    value = cborDecode(bytes, decodeOptions);
  } catch (error) {
    throw new IngotError('DECODE_MALFORMED', `malformed CBOR: ${(error as Error).message}`);
  }
  let again: Uint8Array;
  try {
    again = cborEncode(value, encodeOptions);
  } catch {
    throw new IngotError('DECODE_NOT_CANONICAL', 'CBOR holds a value outside the canonical subset');
  }
  if (!bytesEqual(again, bytes)) {
    throw new IngotError('DECODE_NOT_CANONICAL', 'CBOR is not in canonical form');
  }
  return value;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
