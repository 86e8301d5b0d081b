import { decode as cborDecode, encode as cborEncode, Tokenizer, Type } from 'cborg';
import type { EncodeOptions, DecodeOptions, Token } from 'cborg';
import { IngotError } from './errors.ts';

/**
 * Ingot's one canonical encoding: deterministic CBOR (RFC 8949 §4.2.3 length-first map key order,
 * smallest integer forms, definite lengths), no floats, no tags, no undefined, no bigints.
 * Decoding is strict (cborg refuses longer-than-needed integers and lengths, indefinite lengths,
 * duplicate keys, tags) and checks, token by token, what cborg does not: map keys in canonical
 * order, no floats, integers within the safe range, and strings that are well-formed UTF-8. Every
 * byte string accepted therefore re-encodes to itself, which the codec tests check against
 * re-encoding as the oracle.
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

interface OpenContainer {
  /** Items still to come: elements of an array, or keys and values of a map. */
  remaining: number;
  readonly isMap: boolean;
  /** The encoded previous key of a map, to check the order of the next. */
  previousKey: Uint8Array | undefined;
}

/** cborg's tokeniser, with the canonical checks cborg leaves to the caller. */
class CanonicalTokenizer {
  readonly #data: Uint8Array;
  readonly #inner: Tokenizer;
  readonly #open: OpenContainer[] = [];

  constructor(data: Uint8Array) {
    this.#data = data;
    this.#inner = new Tokenizer(data, decodeOptions);
  }

  pos(): number {
    return this.#inner.pos();
  }

  done(): boolean {
    return this.#inner.done();
  }

  next(): Token {
    const start = this.#inner.pos();
    const token = this.#inner.next();
    const end = this.#inner.pos();
    const parent = this.#open.at(-1);
    if (parent !== undefined) {
      // Keys and values alternate, so a map's keys are the items at even positions from its end.
      if (parent.isMap && parent.remaining % 2 === 0) {
        const key = this.#data.subarray(start, end);
        if (parent.previousKey !== undefined && !canonicallyBefore(parent.previousKey, key)) throw new NotCanonical('map keys are not in canonical order');
        parent.previousKey = key;
      }
      if (--parent.remaining === 0) this.#open.pop();
    }
    const type = token.type;
    if (Type.equals(type, Type.float)) throw new NotCanonical('floats are not part of the canonical form');
    if ((Type.equals(type, Type.uint) || Type.equals(type, Type.negint)) && !Number.isSafeInteger(token.value)) throw new NotCanonical('an integer is outside the safe range');
    if (Type.equals(type, Type.string)) checkString(token.value as string, this.#data.subarray(start, end));
    if ((Type.equals(type, Type.array) || Type.equals(type, Type.map)) && (token.value as number) > 0) {
      const isMap = Type.equals(type, Type.map);
      this.#open.push({ remaining: (token.value as number) * (isMap ? 2 : 1), isMap, previousKey: undefined });
    }
    return token;
  }
}

/** Length-first, then bytewise: the order of RFC 8949 §4.2.3 (old canonical CBOR). */
function canonicallyBefore(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return a.length < b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number);
  return false;
}

/**
 * A decoder replaces invalid UTF-8 with U+FFFD, which encodes differently; only strings holding
 * U+FFFD (rare) are re-encoded to tell a genuine one from a replacement.
 */
function checkString(value: string, encoded: Uint8Array): void {
  if (!value.isWellFormed()) throw new NotCanonical('a string is not well-formed Unicode');
  if (value.includes('\uFFFD') && !bytesEqual(cborEncode(value, encodeOptions), encoded)) throw new NotCanonical('a string is not valid UTF-8');
}

/** What strict CBOR allows but Ingot's canonical form does not. */
class NotCanonical extends Error {}

export function encode(value: CanonicalValue): Uint8Array {
  return cborEncode(value, encodeOptions);
}

/** Decodes canonical bytes or throws IngotError('DECODE_MALFORMED' | 'DECODE_NOT_CANONICAL'). */
export function decode(bytes: Uint8Array): unknown {
  // Byte strings are views of the input: of a plain Uint8Array, not of a Buffer or other subclass.
  const data = Object.getPrototypeOf(bytes) === Uint8Array.prototype ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    return cborDecode(data, { ...decodeOptions, tokenizer: new CanonicalTokenizer(data) });
  } catch (error) {
    if (error instanceof NotCanonical) throw new IngotError('DECODE_NOT_CANONICAL', `CBOR is not in canonical form: ${error.message}`);
    throw new IngotError('DECODE_MALFORMED', `malformed CBOR: ${(error as Error).message}`);
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
