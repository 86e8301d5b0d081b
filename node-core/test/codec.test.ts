import {
  decodeConsensusMessage,
  decodeStatus,
  decodeSyncRequest,
  decodeSyncResponse,
  decodeTxBatch,
  encodeConsensusMessage,
  encodeStatus,
  encodeSyncRequest,
  encodeSyncResponse,
  encodeTxBatch,
  SYNC_BLOCKS_MAX,
  type ConsensusMessage,
  type StatusMessage,
  type SyncRequest,
  type SyncResponse,
} from '../src/codec/consensus-messages.ts';
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decode as cborgDecode } from 'cborg';
import fc from 'fast-check';
import { bytesEqual, decode, encode, type CanonicalValue } from '../src/codec/cbor.ts';
import { IngotError } from '../src/codec/errors.ts';
import { CONTRACT_NAME, METHOD_NAME, SUBJECT } from '../src/codec/names.ts';
import { limits } from '../src/codec/limits.ts';
import {
  ROLES,
  decodeBlock,
  decodeBlockHeader,
  decodeCommit,
  decodeGenesis,
  decodeReceipts,
  decodeTx,
  decodeTxBody,
  decodeVote,
  encodeBlock,
  encodeBlockHeader,
  encodeCommit,
  encodeGenesis,
  encodeReceipt,
  encodeReceipts,
  encodeTx,
  encodeTxBody,
  encodeVote,
  txBodySchema,
  txSchema,
  type Block,
  type BlockHeader,
  type Commit,
  type Genesis,
  type Receipt,
  type SignedTxEnvelope,
  type TxBody,
  type Vote,
} from '../src/codec/messages.ts';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { domainTag, sha256 } from '../src/crypto/hash.ts';
import { toHex } from '../src/crypto/hex.ts';
import { parseTransaction, signTransaction, transactionSignatureValid, txId } from '../src/ledger/transaction.ts';

// ---------------------------------------------------------------------------------------------
// Helpers

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const concat = (...parts: (Uint8Array | readonly number[])[]): Uint8Array => {
  const out: number[] = [];
  for (const part of parts) out.push(...part);
  return Uint8Array.from(out);
};

/** Runs `fn`, requires an IngotError with a string code (one of `codes` when given), returns it. */
function expectIngotError(fn: () => unknown, codes?: string | readonly string[]): IngotError {
  let thrown: unknown;
  let returned: unknown;
  try {
    returned = fn();
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) assert.fail(`expected an IngotError, but it returned ${String(returned)}`);
  if (!(thrown instanceof IngotError)) {
    assert.fail(`expected an IngotError, got ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)}`);
  }
  assert.equal(typeof thrown.code, 'string');
  assert.ok(thrown.code.length > 0);
  if (codes !== undefined) {
    const allowed = typeof codes === 'string' ? [codes] : codes;
    assert.ok(allowed.includes(thrown.code), `code ${thrown.code} not in ${allowed.join(', ')} (${thrown.message})`);
  }
  return thrown;
}

/** Byte equality that ignores whether a side is a Buffer or a plain Uint8Array. */
function sameBytes(actual: Uint8Array, expected: Uint8Array, message?: string): void {
  assert.ok(actual instanceof Uint8Array && expected instanceof Uint8Array, 'expected bytes');
  assert.equal(toHex(actual), toHex(expected), message);
}

const CBOR_CODES = ['DECODE_MALFORMED', 'DECODE_NOT_CANONICAL'] as const;

/**
 * An independent, tiny CBOR writer used as a reference for the canonical form and to build
 * non-canonical variants of valid values. `Raw` splices bytes in verbatim.
 */
class Raw {
  readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
}

interface RawOptions {
  /** Map key order: canonical (length-first, then bytewise), or canonical reversed. */
  readonly order?: 'canonical' | 'reverse';
  /** Integers one size wider than needed. */
  readonly wideInts?: boolean;
  /** Lengths of strings, byte strings, arrays and maps one size wider than needed. */
  readonly wideLengths?: boolean;
  /** Every integer as a float64 holding the same value. */
  readonly intsAsFloat?: boolean;
  /** Indefinite-length strings, byte strings, arrays and maps. */
  readonly indefinite?: boolean;
  /** The first entry of every map written twice. */
  readonly duplicateKey?: boolean;
}

function uintBE(value: number, size: number): number[] {
  const out: number[] = [];
  let v = BigInt(value);
  for (let i = 0; i < size; i++) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

function rawHead(major: number, n: number, wide = false): number[] {
  const m = major << 5;
  const sizes: [number, number, number][] = [
    [24, 0, 0],
    [2 ** 8, 24, 1],
    [2 ** 16, 25, 2],
    [2 ** 32, 26, 4],
    [Number.MAX_SAFE_INTEGER + 1, 27, 8],
  ];
  let index = sizes.findIndex(([bound]) => n < bound);
  if (wide && index < sizes.length - 1) index += 1;
  const [, info, size] = sizes[index] as [number, number, number];
  return size === 0 ? [m | n] : [m | info, ...uintBE(n, size)];
}

const utf8 = new TextEncoder();

function compareKeys(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return 0;
}

function rawEncode(value: unknown, options: RawOptions = {}): Uint8Array {
  const out: number[] = [];
  const lengthHead = (major: number, n: number) => rawHead(major, n, options.wideLengths);
  const write = (v: unknown): void => {
    if (v instanceof Raw) out.push(...v.bytes);
    else if (v === null) out.push(0xf6);
    else if (v === false) out.push(0xf4);
    else if (v === true) out.push(0xf5);
    else if (typeof v === 'number') {
      if (options.intsAsFloat) {
        const view = new DataView(new ArrayBuffer(8));
        view.setFloat64(0, v);
        out.push(0xfb, ...new Uint8Array(view.buffer));
      } else if (v >= 0) out.push(...rawHead(0, v, options.wideInts));
      else out.push(...rawHead(1, -1 - v, options.wideInts));
    } else if (typeof v === 'string' || v instanceof Uint8Array) {
      const major = typeof v === 'string' ? 3 : 2;
      const data = typeof v === 'string' ? utf8.encode(v) : v;
      if (options.indefinite) out.push((major << 5) | 31, ...lengthHead(major, data.length), ...data, 0xff);
      else out.push(...lengthHead(major, data.length), ...data);
    } else if (Array.isArray(v)) {
      if (options.indefinite) out.push(0x9f);
      else out.push(...lengthHead(4, v.length));
      for (const item of v) write(item);
      if (options.indefinite) out.push(0xff);
    } else if (typeof v === 'object') {
      const entries = Object.keys(v).map((key) => [rawEncode(key, options), (v as Record<string, unknown>)[key]] as const);
      const canonicalKeys = Object.keys(v).map((key) => rawEncode(key));
      const order = entries.map((_, i) => i).sort((a, b) => compareKeys(canonicalKeys[a] as Uint8Array, canonicalKeys[b] as Uint8Array));
      if (options.order === 'reverse') order.reverse();
      if (options.duplicateKey && order.length > 0) order.unshift(order[0] as number);
      if (options.indefinite) out.push(0xbf);
      else out.push(...lengthHead(5, order.length));
      for (const i of order) {
        const [key, item] = entries[i] as readonly [Uint8Array, unknown];
        out.push(...key);
        write(item);
      }
      if (options.indefinite) out.push(0xff);
    } else {
      throw new Error(`rawEncode: unsupported ${typeof v}`);
    }
  };
  write(value);
  return Uint8Array.from(out);
}

// ---------------------------------------------------------------------------------------------
// Arbitraries producing schema-valid values

/** fc.record, but always with an ordinary prototype (decoders return plain objects). */
function record<T extends Record<string, unknown>>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

const bytesOf = (length: number) => fc.uint8Array({ minLength: length, maxLength: length });
const uintArb = fc.oneof(
  fc.nat(1000),
  fc.maxSafeNat(),
  fc.constantFrom(0, 23, 24, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER),
);
/** A string of at most `max` UTF-16 code units (the unit zod's `.max` counts), well-formed Unicode. */
const textArb = (min: number, max: number) =>
  fc.oneof(
    fc.string({ unit: 'binary-ascii', minLength: min, maxLength: max }),
    fc.string({ unit: 'binary', minLength: min, maxLength: Math.max(min, Math.floor(max / 2)) }),
    fc.string({ unit: 'grapheme-ascii', minLength: max, maxLength: max }),
  );
const anyTextArb = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 20 }));
// "__proto__" is left out on purpose: such payloads are refused (tested below).
const keyArb = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 })).filter((key) => key !== '__proto__');

const { value: canonicalArb } = fc.letrec<{ value: CanonicalValue }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.constantFrom(Number.MIN_SAFE_INTEGER, -1, -24, -25, -256, -257),
    anyTextArb,
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(keyArb, tie('value'), { maxKeys: 4, noNullPrototype: true }),
  ),
}));
const payloadArb = fc.dictionary(keyArb, canonicalArb, { maxKeys: 5, noNullPrototype: true });

const txBodyArb: fc.Arbitrary<TxBody> = record({
  v: fc.constant(1 as const),
  chain: bytesOf(32),
  contract: fc.stringMatching(CONTRACT_NAME),
  method: fc.stringMatching(METHOD_NAME),
  payload: payloadArb,
  signer: bytesOf(32),
  nonce: bytesOf(16),
  expires: uintArb,
});

const txArb: fc.Arbitrary<SignedTxEnvelope> = record({
  body: fc.oneof(
    { arbitrary: fc.uint8Array({ maxLength: 300 }), weight: 20 },
    { arbitrary: bytesOf(limits.txBytesMax), weight: 1 },
  ),
  sig: bytesOf(64),
});

const blockHeaderArb: fc.Arbitrary<BlockHeader> = record({
  v: fc.constant(1 as const),
  chain: bytesOf(32),
  height: uintArb,
  prev: bytesOf(32),
  time: uintArb,
  proposer: bytesOf(32),
  txRoot: bytesOf(32),
  resultsRoot: bytesOf(32),
  stateRoot: bytesOf(32),
});

const blockArb: fc.Arbitrary<Block> = record({
  header: blockHeaderArb,
  txs: fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 6 }),
});

const receiptArb: fc.Arbitrary<Receipt> = record({
  ok: fc.boolean(),
  code: textArb(0, 64),
  message: textArb(0, 512),
  subjects: fc.array(fc.stringMatching(SUBJECT), { maxLength: limits.subjectsPerTxMax }),
});
const receiptsArb = fc.array(receiptArb, { maxLength: 4 });

const voteArb: fc.Arbitrary<Vote> = record({
  type: fc.constantFrom('prevote' as const, 'precommit' as const),
  chain: bytesOf(32),
  height: uintArb,
  round: uintArb,
  block: bytesOf(32),
});

const commitArb: fc.Arbitrary<Commit> = record({
  height: uintArb,
  round: uintArb,
  block: bytesOf(32),
  sigs: fc.array(record({ validator: bytesOf(32), sig: bytesOf(64) }), { minLength: 1, maxLength: 4 }),
});

const genesisArb: fc.Arbitrary<Genesis> = record({
  v: fc.constant(1 as const),
  name: textArb(1, limits.nameCharsMax),
  time: uintArb,
  orgs: fc.array(
    record({
      name: textArb(1, limits.nameCharsMax),
      registryId: textArb(0, limits.nameCharsMax),
      roles: fc.array(fc.constantFrom(...ROLES), { minLength: 1, maxLength: ROLES.length }),
      signingKey: bytesOf(32),
      encryptionKey: bytesOf(32),
      nodes: fc.array(textArb(1, 128), { maxLength: 3 }),
    }),
    { minLength: 1, maxLength: 3 },
  ),
  validators: fc.array(record({ key: bytesOf(32), org: fc.maxSafeNat(), power: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constant(Number.MAX_SAFE_INTEGER)) }), {
    minLength: 1,
    maxLength: 3,
  }),
});

interface Codec {
  readonly name: string;
  readonly code: string;
  readonly arb: fc.Arbitrary<unknown>;
  readonly encode: (value: unknown) => Uint8Array;
  readonly decode: (bytes: Uint8Array) => unknown;
}

/** What nodes send each other (codec/consensus-messages.ts). */
const roundArb = fc.integer({ min: 0, max: 1_000_000 });
const consensusMessageArb: fc.Arbitrary<ConsensusMessage> = fc.oneof(
  record({ t: fc.constant('proposal' as const), height: uintArb, round: roundArb, validRoundPlusOne: roundArb, block: blockArb, proposer: bytesOf(32), sig: bytesOf(64) }),
  record({ t: fc.constant('vote' as const), vote: voteArb, validator: bytesOf(32), sig: bytesOf(64) }),
);
const statusArb: fc.Arbitrary<StatusMessage> = record({ chain: bytesOf(32), height: uintArb, hash: bytesOf(32), started: fc.boolean() });
const txBatchArb = fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 4 });
const syncRequestArb: fc.Arbitrary<SyncRequest> = record({ chain: bytesOf(32), from: uintArb, count: fc.integer({ min: 1, max: SYNC_BLOCKS_MAX }) });
const syncResponseArb: fc.Arbitrary<SyncResponse> = record({ blocks: fc.array(record({ block: blockArb, commit: commitArb }), { maxLength: 2 }) });

function codec<T>(name: string, code: string, arb: fc.Arbitrary<T>, enc: (value: T) => Uint8Array, dec: (bytes: Uint8Array) => T): Codec {
  return { name, code, arb: arb as fc.Arbitrary<unknown>, encode: enc as (value: unknown) => Uint8Array, decode: dec };
}

const codecs: readonly Codec[] = [
  codec('decodeTxBody', 'TX_MALFORMED', txBodyArb, encodeTxBody, decodeTxBody),
  codec('decodeTx', 'TX_MALFORMED', txArb, encodeTx, decodeTx),
  codec('decodeBlockHeader', 'DECODE_INVALID', blockHeaderArb, encodeBlockHeader, decodeBlockHeader),
  codec('decodeBlock', 'DECODE_INVALID', blockArb, encodeBlock, decodeBlock),
  codec('decodeReceipts', 'DECODE_INVALID', receiptsArb, encodeReceipts, decodeReceipts),
  codec('decodeVote', 'DECODE_INVALID', voteArb, encodeVote, decodeVote),
  codec('decodeCommit', 'DECODE_INVALID', commitArb, encodeCommit, decodeCommit),
  codec('decodeGenesis', 'DECODE_INVALID', genesisArb, encodeGenesis, decodeGenesis),
  codec('decodeConsensusMessage', 'DECODE_INVALID', consensusMessageArb, encodeConsensusMessage, decodeConsensusMessage),
  codec('decodeStatus', 'DECODE_INVALID', statusArb, encodeStatus, decodeStatus),
  codec('decodeTxBatch', 'DECODE_INVALID', txBatchArb, encodeTxBatch, decodeTxBatch),
  codec('decodeSyncRequest', 'DECODE_INVALID', syncRequestArb, encodeSyncRequest, decodeSyncRequest),
  codec('decodeSyncResponse', 'DECODE_INVALID', syncResponseArb, encodeSyncResponse, decodeSyncResponse),
];

/** A decoder either rejects with its own coded IngotError or returns a value whose encoding is exactly the input. */
function checkDecoderOutcome(c: Codec, bytes: Uint8Array): 'accepted' | 'rejected' {
  let value: unknown;
  try {
    value = c.decode(bytes);
  } catch (error) {
    if (!(error instanceof IngotError)) {
      assert.fail(`${c.name} threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
    }
    assert.equal(error.code, c.code, `${c.name}: ${error.message}`);
    return 'rejected';
  }
  assert.ok(bytesEqual(encode(value as CanonicalValue), bytes), `${c.name} accepted bytes that are not the canonical encoding of its result`);
  return 'accepted';
}

// ---------------------------------------------------------------------------------------------
// cbor.ts

describe('cbor encode', () => {
  test('writes known canonical encodings (smallest integer forms, definite lengths)', () => {
    const cases: [CanonicalValue, string][] = [
      [0, '00'],
      [1, '01'],
      [23, '17'],
      [24, '1818'],
      [255, '18ff'],
      [256, '190100'],
      [65_535, '19ffff'],
      [65_536, '1a00010000'],
      [2 ** 32 - 1, '1affffffff'],
      [2 ** 32, '1b0000000100000000'],
      [Number.MAX_SAFE_INTEGER, '1b001fffffffffffff'],
      [-1, '20'],
      [-24, '37'],
      [-25, '3818'],
      [-256, '38ff'],
      [-257, '390100'],
      [Number.MIN_SAFE_INTEGER, '3b001ffffffffffffe'],
      [false, 'f4'],
      [true, 'f5'],
      [null, 'f6'],
      ['', '60'],
      ['a', '6161'],
      ['ü', '62c3bc'],
      ['€', '63e282ac'],
      ['😀', '64f09f9880'],
      ['x'.repeat(24), `7818${'78'.repeat(24)}`],
      [new Uint8Array(0), '40'],
      [Uint8Array.of(1, 2, 3), '43010203'],
      [new Uint8Array(24), `5818${'00'.repeat(24)}`],
      [[], '80'],
      [[1, [2, 3]], '8201820203'],
      [{}, 'a0'],
      // length-first key order: "b" (1 byte) before "aa" (2 bytes), whatever the insertion order
      [{ aa: 2, b: 1 }, 'a261620162616102'],
      [{ b: 1, a: 2 }, 'a2616102616201'],
      [{ ab: 1, b: 2, a: 3 }, 'a3616103616202626162 01'],
    ];
    for (const [value, expected] of cases) {
      assert.equal(toHex(encode(value)), expected.replace(/\s+/g, ''), `encode(${JSON.stringify(value)})`);
    }
  });

  test('encodes -0 as the integer 0 (there is one zero)', () => {
    sameBytes(encode(-0), hex('00'));
    assert.ok(Object.is(decode(encode(-0)), 0));
  });

  test('rejects floats, non-safe integers, bigint and undefined with ENCODE_UNSUPPORTED', () => {
    const bad: unknown[] = [
      1.5,
      -0.5,
      0.1,
      1e-300,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      2 ** 53,
      -(2 ** 53),
      Number.MAX_SAFE_INTEGER + 2,
      1e300,
      0n,
      1n,
      -1n,
      2n ** 64n,
      undefined,
      [1, 2.5],
      { a: 1, b: 0.5 },
      { a: undefined },
      [undefined],
      { nested: [{ deep: 10n }] },
      [[[Number.NaN]]],
    ];
    for (const value of bad) {
      expectIngotError(() => encode(value as CanonicalValue), 'ENCODE_UNSUPPORTED');
    }
  });

  test('rejects strings that are not well-formed Unicode (they would not survive a round trip)', () => {
    for (const value of ['\ud800', 'a\udc00b', '\udc00\ud800', { '\ud800': 1 }, ['ok', '\udfff'], { a: { '\ud83d': 'x' } }]) {
      expectIngotError(() => encode(value as CanonicalValue), 'ENCODE_UNSUPPORTED');
    }
    // two keys that would both become U+FFFD would otherwise produce a map with duplicate keys
    expectIngotError(() => encode({ '\ud800': 1, '\udc00': 2 }), 'ENCODE_UNSUPPORTED');
    // a well-formed surrogate pair is fine
    assert.equal(decode(encode('\ud83d\ude00')), '😀');
  });

  test('property: floats and bigints anywhere in a value are rejected with ENCODE_UNSUPPORTED', () => {
    const badLeaf = fc.oneof(
      fc.double({ noDefaultInfinity: false }).filter((x) => !Number.isSafeInteger(x) && !Object.is(x, -0)),
      fc.bigInt(),
      fc.constant(undefined),
    );
    fc.assert(
      fc.property(canonicalArb, badLeaf, fc.boolean(), (value, leaf, inArray) => {
        const container = inArray ? [value, leaf] : { value, leaf };
        expectIngotError(() => encode(container as CanonicalValue), 'ENCODE_UNSUPPORTED');
      }),
      { numRuns: 200 },
    );
  });

  test('property: the encoding equals an independent canonical CBOR writer', () => {
    fc.assert(
      fc.property(canonicalArb, (value) => {
        assert.equal(toHex(encode(value)), toHex(rawEncode(value)));
      }),
      { numRuns: 300 },
    );
  });
});

/** Every way the test encoder can write a value non-canonically. */
const NON_CANONICAL_VARIANTS: RawOptions[] = [
  { order: 'reverse' },
  { wideInts: true },
  { wideLengths: true },
  { intsAsFloat: true },
  { indefinite: true },
  { duplicateKey: true },
];

describe('cbor decode', () => {
  test('property: decode(encode(x)) deep-equals x for arbitrary canonical values', () => {
    const withProtoKeys = fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'toString', 'a'), canonicalArb, { noNullPrototype: true });
    fc.assert(
      fc.property(fc.oneof(canonicalArb, withProtoKeys), (value) => {
        const bytes = encode(value);
        assert.deepStrictEqual(decode(bytes), value);
        sameBytes(encode(decode(bytes) as CanonicalValue), bytes);
      }),
      { numRuns: 300 },
    );
  });

  test('accepts the simple canonical forms', () => {
    assert.equal(decode(hex('f4')), false);
    assert.equal(decode(hex('f5')), true);
    assert.equal(decode(hex('f6')), null);
    assert.equal(decode(hex('17')), 23);
    assert.equal(decode(hex('1818')), 24);
    assert.equal(decode(hex('3818')), -25);
    assert.equal(decode(hex('1b001fffffffffffff')), Number.MAX_SAFE_INTEGER);
    assert.equal(decode(hex('3b001ffffffffffffe')), Number.MIN_SAFE_INTEGER);
    assert.deepEqual(decode(hex('a261620162616102')), { b: 1, aa: 2 });
    assert.deepEqual(decode(hex('43010203')), Uint8Array.of(1, 2, 3));
  });

  const nonCanonical: [string, string][] = [
    // non-minimal integers and lengths
    ['1801', 'uint 1 in one extra byte'],
    ['1817', 'uint 23 in one extra byte'],
    ['190001', 'uint 1 in two bytes'],
    ['1900ff', 'uint 255 in two bytes'],
    ['1a0000ffff', 'uint 65535 in four bytes'],
    ['1b00000000ffffffff', 'uint 2^32-1 in eight bytes'],
    ['3800', 'negint -1 in one extra byte'],
    ['390000', 'negint -1 in two bytes'],
    ['780161', 'text length 1 in one extra byte'],
    ['590001 00', 'byte string length 1 in two bytes'],
    ['980101', 'array length 1 in one extra byte'],
    ['b801616101', 'map length 1 in one extra byte'],
    // indefinite lengths
    ['9f01ff', 'indefinite array'],
    ['9fff', 'empty indefinite array'],
    ['bf616101ff', 'indefinite map'],
    ['5f4101ff', 'indefinite byte string'],
    ['7f6161ff', 'indefinite text string'],
    ['7fff', 'empty indefinite text string'],
    // floats, including ones that equal integers
    ['f93c00', 'half float 1.0'],
    ['fa3f800000', 'single float 1.0'],
    ['fb3ff0000000000000', 'double float 1.0'],
    ['f90000', 'half float 0.0'],
    ['f98000', 'half float -0.0'],
    ['fb0000000000000000', 'double float 0.0'],
    ['fb4340000000000000', 'double float 2^53'],
    ['fbc340000000000000', 'double float -2^53'],
    ['f93e00', 'half float 1.5'],
    ['f97c00', 'half float infinity'],
    ['f9fc00', 'half float -infinity'],
    ['f97e00', 'half float NaN'],
    ['fb7ff8000000000000', 'double float NaN'],
    ['8201f93c00', 'float 1.0 inside an array'],
    ['a16161fa3f800000', 'float 1.0 as a map value'],
    // integers outside the safe range
    ['1b0020000000000000', 'uint 2^53'],
    ['1bffffffffffffffff', 'uint 2^64-1'],
    ['3b0020000000000000', 'negint -2^53-1'],
    // map keys: unsorted, duplicated, not text
    ['a2616201616102', 'keys "b","a" not sorted'],
    ['a2626161016162 02', 'keys "aa","b" sorted bytewise-by-string but not length-first'],
    ['a3616101616302616203', 'keys "a","c","b" not sorted'],
    ['a2616101616102', 'duplicate key "a"'],
    ['a2616101616101', 'duplicate key "a" with equal values'],
    ['a10101', 'integer map key'],
    ['a1410101', 'byte string map key'],
    ['a1f601', 'null map key'],
    // undefined, simple values, tags
    ['f7', 'undefined'],
    ['8101f7', 'undefined inside an array'],
    ['a16161f7', 'undefined as a map value'],
    ['f0', 'simple value 16'],
    ['f820', 'simple value 32'],
    ['f818', 'simple value 24 (reserved two-byte form)'],
    ['c074323031332d30332d32315432303a30343a30305a', 'tag 0 (date string)'],
    ['c11a514b67b0', 'tag 1 (epoch time)'],
    ['c2420100', 'tag 2 (bignum)'],
    ['d82a4100', 'tag 42'],
    ['d9d9f701', 'self-described CBOR tag 55799'],
    ['8101c101', 'tag inside an array'],
    // trailing bytes, truncation, garbage
    ['0100', 'trailing byte after a complete item'],
    ['f6f6', 'two items'],
    ['a0 00', 'trailing byte after an empty map'],
    ['', 'no bytes at all'],
    ['18', 'truncated uint'],
    ['62 61', 'truncated text'],
    ['82 01', 'truncated array'],
    ['a1 6161', 'map without a value'],
    ['ff', 'a lone break'],
    ['1c', 'reserved additional information 28'],
    ['5d', 'reserved additional information 29 on byte strings'],
    ['61ff', 'invalid UTF-8 in a text string'],
    ['62c0af', 'overlong UTF-8 encoding of "/"'],
    ['63eda080', 'UTF-8 encoded lone surrogate'],
  ];

  for (const [bytes, what] of nonCanonical) {
    test(`rejects ${what} (${bytes.replace(/\s+/g, '') || 'empty'}) with a DECODE_ code`, () => {
      expectIngotError(() => decode(hex(bytes)), CBOR_CODES);
    });
  }

  test('a float equal to an integer and an unsorted map fail the canonical re-encoding check specifically', () => {
    for (const bytes of ['f93c00', 'fa3f800000', 'fb3ff0000000000000', 'f98000', 'a2616201616102', '61ff']) {
      expectIngotError(() => decode(hex(bytes)), 'DECODE_NOT_CANONICAL');
    }
  });

  test('deep nesting is rejected with a code or decoded, never a crash', () => {
    for (const depth of [100, 1000, 5000, 20_000]) {
      const bytes = concat(new Uint8Array(depth).fill(0x81), [0x00]);
      try {
        const value = decode(bytes);
        assert.ok(bytesEqual(encode(value as CanonicalValue), bytes));
      } catch (error) {
        assert.ok(error instanceof IngotError, `depth ${depth}: ${String(error)}`);
        assert.ok((CBOR_CODES as readonly string[]).includes(error.code));
      }
    }
  });

  test('property: random bytes decode to canonical values or give a DECODE_ IngotError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          const value = decode(bytes);
          assert.ok(bytesEqual(encode(value as CanonicalValue), bytes));
        } catch (error) {
          assert.ok(error instanceof IngotError, String(error));
          assert.ok((CBOR_CODES as readonly string[]).includes(error.code), error.code);
        }
      }),
      { numRuns: 1000 },
    );
  });

  test('property: the token-by-token canonical check accepts exactly what re-encoding to the same bytes accepts', () => {
    // The oracle: strict cborg, then the value must encode back to the very bytes it came from.
    const oracle = (bytes: Uint8Array): { ok: true; value: unknown } | { ok: false } => {
      try {
        const value = cborgDecode(bytes, { strict: true, allowIndefinite: false, allowUndefined: false, allowInfinity: false, allowNaN: false, allowBigInt: false, rejectDuplicateMapKeys: true, tags: [] });
        return bytesEqual(encode(value as CanonicalValue), bytes) ? { ok: true, value } : { ok: false };
      } catch {
        return { ok: false };
      }
    };
    const mutated = fc.tuple(canonicalArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 3 })).map(([value, edits]) => {
      const bytes = encode(value).slice();
      for (const [at, byte] of edits) if (bytes.length > 0) bytes[at % bytes.length] = byte;
      return bytes;
    });
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 48 })), (bytes) => {
        const expected = oracle(bytes);
        let actual: { ok: true; value: unknown } | { ok: false };
        try {
          actual = { ok: true, value: decode(bytes) };
        } catch (error) {
          assert.ok(error instanceof IngotError && (CBOR_CODES as readonly string[]).includes(error.code), String(error));
          actual = { ok: false };
        }
        assert.equal(actual.ok, expected.ok, `bytes ${Buffer.from(bytes).toString('hex')}`);
        if (actual.ok && expected.ok) assert.deepEqual(actual.value, expected.value);
        if (actual.ok) accepted++;
        else refused++;
      }),
      { numRuns: 5000 },
    );
    // Both sides of the boundary were exercised.
    assert.ok(accepted > 500 && refused > 500, `${accepted} accepted, ${refused} refused`);
  });

  test('property: non-canonical re-encodings of arbitrary values are rejected', () => {
    const variants = NON_CANONICAL_VARIANTS;
    let rejected = 0;
    fc.assert(
      fc.property(canonicalArb, fc.constantFrom(...variants), (value, options) => {
        const bytes = rawEncode(value, options);
        if (bytesEqual(bytes, encode(value))) return; // the value has nothing this variant changes
        expectIngotError(() => decode(bytes), CBOR_CODES);
        rejected++;
      }),
      // About a quarter of the runs change something; 1000 runs keep the floor below far from chance.
      { numRuns: 1000 },
    );
    assert.ok(rejected > 100, `only ${rejected} variants differed from the canonical form`);
  });
});

// ---------------------------------------------------------------------------------------------
// messages.ts

describe('message decoders', () => {
  for (const c of codecs) {
    describe(c.name, () => {
      test('property: decode(encode(x)) deep-equals x and the encoding is canonical', () => {
        fc.assert(
          fc.property(c.arb, (value) => {
            const bytes = c.encode(value);
            const decoded = c.decode(bytes);
            assert.deepStrictEqual(decoded, value);
            sameBytes(encode(decoded as CanonicalValue), bytes);
            assert.equal(toHex(bytes), toHex(rawEncode(value)));
          }),
          { numRuns: 150 },
        );
      });

      test('property: random bytes give only a coded IngotError (or a canonical value)', () => {
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
            checkDecoderOutcome(c, bytes);
          }),
          { numRuns: 400 },
        );
      });

      test('property: mutated valid encodings (flip, set, truncate, append, insert, delete) give only a coded IngotError', () => {
        const mutation = fc.oneof(
          record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
          record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
          record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
          record({ kind: fc.constant('append' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
          record({ kind: fc.constant('insert' as const), at: fc.nat(), extra: fc.uint8Array({ minLength: 1, maxLength: 4 }) }),
          record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) }),
        );
        let rejected = 0;
        fc.assert(
          fc.property(c.arb, fc.array(mutation, { minLength: 1, maxLength: 3 }), (value, mutations) => {
            let bytes = Array.from(c.encode(value));
            for (const m of mutations) {
              const at = 'at' in m ? m.at % Math.max(1, bytes.length) : 0;
              if (m.kind === 'flip' && bytes.length > 0) bytes[at] = (bytes[at] as number) ^ (1 << m.bit);
              else if (m.kind === 'set' && bytes.length > 0) bytes[at] = m.byte;
              else if (m.kind === 'truncate') bytes = bytes.slice(0, at);
              else if (m.kind === 'append') bytes.push(...m.extra);
              else if (m.kind === 'insert') bytes.splice(at, 0, ...m.extra);
              else if (m.kind === 'delete') bytes.splice(at, m.count);
            }
            if (checkDecoderOutcome(c, Uint8Array.from(bytes)) === 'rejected') rejected++;
          }),
          { numRuns: 200 },
        );
        assert.ok(rejected > 50, `only ${rejected} mutations were rejected`);
      });

      test('property: non-canonical forms of valid messages are rejected with the decoder code', () => {
        const variants = NON_CANONICAL_VARIANTS;
        let rejected = 0;
        fc.assert(
          fc.property(c.arb, fc.constantFrom(...variants), fc.constantFrom('none', 'trailing', 'tagged'), (value, options, wrap) => {
            let bytes = rawEncode(value, options);
            if (wrap === 'trailing') bytes = concat(bytes, [0x00]);
            if (wrap === 'tagged') bytes = concat([0xd9, 0xd9, 0xf7], bytes);
            if (bytesEqual(bytes, encode(value as CanonicalValue))) return;
            const error = expectIngotError(() => c.decode(bytes), c.code);
            assert.match(error.message, /CBOR/, 'rejected by the canonical-encoding check, not the schema');
            rejected++;
          }),
          { numRuns: 150 },
        );
        assert.ok(rejected > 50, `only ${rejected} variants differed`);
      });

      test('rejects non-bytes input and canonical CBOR of the wrong shape with its code', () => {
        expectIngotError(() => c.decode('a2616201616102' as unknown as Uint8Array), c.code);
        expectIngotError(() => c.decode(undefined as unknown as Uint8Array), c.code);
        for (const value of [null, 0, 'x', new Uint8Array(32), [], [{}], {}, { v: 1 }] as CanonicalValue[]) {
          if (c.name === 'decodeReceipts' && Array.isArray(value) && value.length === 0) continue; // no receipts is valid
          expectIngotError(() => c.decode(encode(value)), c.code);
        }
      });
    });
  }

  test('a Buffer is accepted like a Uint8Array', () => {
    const vote: Vote = { type: 'precommit', chain: new Uint8Array(32).fill(1), height: 7, round: 2, block: new Uint8Array(32).fill(2) };
    assert.deepEqual(decodeVote(Buffer.from(encodeVote(vote))), vote);
  });

  test('hand-built vote bytes: the canonical form decodes, every non-canonical variant is rejected', () => {
    const chain = new Uint8Array(32).fill(0xcc);
    const block = new Uint8Array(32).fill(0xbb);
    const text = (s: string) => rawEncode(s);
    const bstr = (b: Uint8Array) => rawEncode(b);
    const entry = (key: string, value: Uint8Array | readonly number[]) => concat(text(key), value);
    // canonical key order, length-first: type(4) block(5) chain(5) round(5) height(6)
    const fields = {
      type: entry('type', text('prevote')),
      block: entry('block', bstr(block)),
      chain: entry('chain', bstr(chain)),
      round: entry('round', [0x00]),
      height: entry('height', [0x01]),
    };
    const canonical = concat([0xa5], fields.type, fields.block, fields.chain, fields.round, fields.height);
    sameBytes(canonical, encodeVote({ type: 'prevote', chain, height: 1, round: 0, block }));
    assert.deepEqual(decodeVote(canonical), { type: 'prevote', chain, height: 1, round: 0, block });

    const variants: [string, Uint8Array][] = [
      ['keys in insertion order', concat([0xa5], fields.type, fields.chain, fields.height, fields.round, fields.block)],
      ['keys in alphabetical order', concat([0xa5], fields.block, fields.chain, fields.height, fields.round, fields.type)],
      ['two keys swapped', concat([0xa5], fields.type, fields.chain, fields.block, fields.round, fields.height)],
      ['height as 0x18 0x01', concat([0xa5], fields.type, fields.block, fields.chain, fields.round, entry('height', [0x18, 0x01]))],
      ['height as 0x19 0x00 0x01', concat([0xa5], fields.type, fields.block, fields.chain, fields.round, entry('height', [0x19, 0x00, 0x01]))],
      ['round as 0x18 0x00', concat([0xa5], fields.type, fields.block, fields.chain, entry('round', [0x18, 0x00]), fields.height)],
      ['height as half float 1.0', concat([0xa5], fields.type, fields.block, fields.chain, fields.round, entry('height', hex('f93c00')))],
      ['height as double 1.0', concat([0xa5], fields.type, fields.block, fields.chain, fields.round, entry('height', hex('fb3ff0000000000000')))],
      ['round as half float -0.0', concat([0xa5], fields.type, fields.block, fields.chain, entry('round', hex('f98000')), fields.height)],
      ['map length in one extra byte', concat([0xb8, 0x05], fields.type, fields.block, fields.chain, fields.round, fields.height)],
      ['indefinite-length map', concat([0xbf], fields.type, fields.block, fields.chain, fields.round, fields.height, [0xff])],
      ['block as an indefinite byte string', concat([0xa5], fields.type, entry('block', concat([0x5f], bstr(block.subarray(0, 16)), bstr(block.subarray(16)), [0xff])), fields.chain, fields.round, fields.height)],
      ['type as an indefinite text string', concat([0xa5], entry('type', concat([0x7f], text('pre'), text('vote'), [0xff])), fields.block, fields.chain, fields.round, fields.height)],
      ['chain length 32 in two bytes', concat([0xa5], fields.type, fields.block, entry('chain', concat([0x59, 0x00, 0x20], chain)), fields.round, fields.height)],
      ['duplicate key', concat([0xa6], fields.type, fields.type, fields.block, fields.chain, fields.round, fields.height)],
      ['trailing byte', concat(canonical, [0x00])],
      ['trailing second item', concat(canonical, canonical)],
      ['round as undefined', concat([0xa5], fields.type, fields.block, fields.chain, entry('round', [0xf7]), fields.height)],
      ['height wrapped in tag 1', concat([0xa5], fields.type, fields.block, fields.chain, fields.round, entry('height', [0xc1, 0x01]))],
      ['whole vote wrapped in tag 55799', concat([0xd9, 0xd9, 0xf7], canonical)],
      ['block as tag 2 bignum', concat([0xa5], fields.type, entry('block', concat([0xc2], bstr(block))), fields.chain, fields.round, fields.height)],
      ['truncated', canonical.subarray(0, canonical.length - 1)],
    ];
    for (const [what, bytes] of variants) {
      assert.throws(
        () => decodeVote(bytes),
        (error: unknown) => error instanceof IngotError && error.code === 'DECODE_INVALID' && /CBOR/.test(error.message),
        what,
      );
    }
  });

  test('a non-canonical payload deep inside a transaction body is rejected with TX_MALFORMED', () => {
    const body: TxBody = { v: 1, chain: new Uint8Array(32), contract: 'identity', method: 'updateProfile', payload: { contact: 'x' }, signer: new Uint8Array(32), nonce: new Uint8Array(16), expires: 5 };
    sameBytes(rawEncode(body), encodeTxBody(body));
    const withPayload = (payload: Uint8Array) => rawEncode({ ...body, payload: new Raw(payload) });
    assert.deepEqual(decodeTxBody(withPayload(hex('a167636f6e746163746178'))), body);
    for (const payload of ['a2616201616102', 'a1616118 01', 'a16161f93c00', 'bf616101ff', 'a2616101616102', 'a16161f7', 'a16161c101', 'a1616161ff']) {
      const error = expectIngotError(() => decodeTxBody(withPayload(hex(payload))), 'TX_MALFORMED');
      assert.match(error.message, /^transaction body: /);
    }
  });

  test('deeply nested payloads are rejected with TX_MALFORMED or accepted, never a crash', () => {
    const body: TxBody = { v: 1, chain: new Uint8Array(32), contract: 'a', method: 'b', payload: {}, signer: new Uint8Array(32), nonce: new Uint8Array(16), expires: 0 };
    for (const depth of [16, 1500, 3000, 6000, 12_000]) {
      const nested = concat(new Uint8Array(depth).fill(0x81), [0x00]);
      const bytes = rawEncode({ ...body, payload: { x: new Raw(nested) } });
      assert.ok(bytes.length <= limits.txBytesMax);
      try {
        decodeTxBody(bytes);
      } catch (error) {
        assert.ok(error instanceof IngotError, `depth ${depth}: ${String(error)}`);
        assert.equal(error.code, 'TX_MALFORMED');
      }
      const tx = rawEncode({ body: bytes, sig: new Uint8Array(64) });
      try {
        parseTransaction(tx);
      } catch (error) {
        assert.ok(error instanceof IngotError, `depth ${depth}: ${String(error)}`);
        assert.equal(error.code, 'TX_MALFORMED');
      }
    }
  });

  test('property: the transaction decoders accept exactly what the transaction schemas accept', () => {
    // Valid values with one field replaced, dropped or added, so that both answers come up often.
    const edited = <T extends Record<string, unknown>>(arb: fc.Arbitrary<T>, fields: readonly string[]) =>
      fc.tuple(arb, fc.constantFrom(...fields, 'extra'), fc.option(canonicalArb, { nil: undefined }), fc.boolean()).map(([value, field, replacement, edit]) => {
        if (!edit) return value as Record<string, CanonicalValue>;
        const copy: Record<string, unknown> = { ...value };
        if (replacement === undefined) delete copy[field];
        else copy[field] = replacement;
        return copy as Record<string, CanonicalValue>;
      });
    const agree = (decoder: (bytes: Uint8Array) => unknown, schema: { safeParse(value: unknown): { success: boolean } }, value: Record<string, CanonicalValue>) => {
      const bytes = encode(value);
      let accepted = true;
      try {
        decoder(bytes);
      } catch (error) {
        assert.ok(error instanceof IngotError && error.code === 'TX_MALFORMED', String(error));
        accepted = false;
      }
      assert.equal(accepted, schema.safeParse(decode(bytes)).success, `decoder and schema disagree on ${JSON.stringify(value, (_, v: unknown) => (v instanceof Uint8Array ? `bytes(${v.length})` : v))}`);
    };
    fc.assert(fc.property(edited(txBodyArb, Object.keys(txBodySchema.shape)), (value) => agree(decodeTxBody, txBodySchema, value)), { numRuns: 2_000 });
    fc.assert(fc.property(edited(txArb, ['body', 'sig']), (value) => agree(decodeTx, txSchema, value)), { numRuns: 1_000 });
  });

  test('schema violations are rejected with the decoder code and name the field', () => {
    const z32 = new Uint8Array(32);
    const body = { v: 1, chain: z32, contract: 'identity', method: 'updateProfile', payload: {}, signer: z32, nonce: new Uint8Array(16), expires: 1 };
    const header = { v: 1, chain: z32, height: 1, prev: z32, time: 1, proposer: z32, txRoot: z32, resultsRoot: z32, stateRoot: z32 };
    const vote = { type: 'prevote', chain: z32, height: 1, round: 0, block: z32 };
    const receipt = { ok: true, code: '', message: '', subjects: [] as string[] };
    const commit = { height: 1, round: 0, block: z32, sigs: [{ validator: z32, sig: new Uint8Array(64) }] };
    const org = { name: 'Org', registryId: '', roles: ['admin'], signingKey: z32, encryptionKey: z32, nodes: [] as string[] };
    const genesis = { v: 1, name: 'Consortium', time: 0, orgs: [org], validators: [{ key: z32, org: 0, power: 1 }] };
    // each base value is valid
    decodeTxBody(encode(body));
    decodeBlockHeader(encode(header));
    decodeVote(encode(vote));
    decodeReceipts(encode([receipt]));
    decodeCommit(encode(commit));
    decodeGenesis(encode(genesis));

    const cases: [(bytes: Uint8Array) => unknown, string, Record<string, CanonicalValue> | CanonicalValue[], string][] = [
      [decodeTxBody, 'TX_MALFORMED', { ...body, v: 2 }, 'v'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, chain: new Uint8Array(31) }, 'chain'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, chain: new Uint8Array(33) }, 'chain'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, contract: 'Identity' }, 'contract'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, contract: 'a'.repeat(33) }, 'contract'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, contract: '' }, 'contract'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, method: '1abc' }, 'method'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, method: 'a-b' }, 'method'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, payload: [] }, 'payload'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, payload: null }, 'payload'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, nonce: new Uint8Array(15) }, 'nonce'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, signer: 'ab' }, 'signer'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, expires: -1 }, 'expires'],
      [decodeTxBody, 'TX_MALFORMED', { ...body, extra: 1 }, ''],
      [decodeTxBody, 'TX_MALFORMED', { v: 1, chain: z32, contract: 'identity', method: 'updateProfile', payload: {}, signer: z32, nonce: new Uint8Array(16) }, 'expires'],
      [decodeTx, 'TX_MALFORMED', { body: new Uint8Array(limits.txBytesMax + 1), sig: new Uint8Array(64) }, 'body'],
      [decodeTx, 'TX_MALFORMED', { body: new Uint8Array(10), sig: new Uint8Array(63) }, 'sig'],
      [decodeTx, 'TX_MALFORMED', { body: 'text', sig: new Uint8Array(64) }, 'body'],
      [decodeBlockHeader, 'DECODE_INVALID', { ...header, height: -1 }, 'height'],
      [decodeBlockHeader, 'DECODE_INVALID', { ...header, stateRoot: new Uint8Array(31) }, 'stateRoot'],
      [decodeBlockHeader, 'DECODE_INVALID', { ...header, v: 0 }, 'v'],
      [decodeBlock, 'DECODE_INVALID', { header, txs: [new Uint8Array(limits.txBytesMax + 129)] }, 'txs.0'],
      [decodeBlock, 'DECODE_INVALID', { header: { ...header, time: 'now' }, txs: [] }, 'header.time'],
      [decodeVote, 'DECODE_INVALID', { ...vote, type: 'vote' }, 'type'],
      [decodeVote, 'DECODE_INVALID', { ...vote, round: -3 }, 'round'],
      [decodeReceipts, 'DECODE_INVALID', [{ ...receipt, code: 'x'.repeat(65) }], '0.code'],
      [decodeReceipts, 'DECODE_INVALID', [{ ...receipt, message: 'x'.repeat(513) }], '0.message'],
      [decodeReceipts, 'DECODE_INVALID', [{ ...receipt, subjects: Array(limits.subjectsPerTxMax + 1).fill('s') }], '0.subjects'],
      [decodeReceipts, 'DECODE_INVALID', [{ ...receipt, subjects: ['s'.repeat(limits.subjectCharsMax + 1)] }], '0.subjects.0'],
      [decodeReceipts, 'DECODE_INVALID', [{ ...receipt, subjects: ['has space'] }], '0.subjects.0'],
      [decodeReceipts, 'DECODE_INVALID', [{ ...receipt, ok: 1 }], '0.ok'],
      [decodeCommit, 'DECODE_INVALID', { ...commit, sigs: [] }, 'sigs'],
      [decodeCommit, 'DECODE_INVALID', { ...commit, sigs: Array(limits.validatorsMax + 1).fill(commit.sigs[0]) }, 'sigs'],
      [decodeCommit, 'DECODE_INVALID', { ...commit, sigs: [{ validator: z32, sig: z32 }] }, 'sigs.0.sig'],
      [decodeGenesis, 'DECODE_INVALID', { ...genesis, name: '' }, 'name'],
      [decodeGenesis, 'DECODE_INVALID', { ...genesis, name: 'n'.repeat(limits.nameCharsMax + 1) }, 'name'],
      [decodeGenesis, 'DECODE_INVALID', { ...genesis, orgs: [] }, 'orgs'],
      [decodeGenesis, 'DECODE_INVALID', { ...genesis, orgs: [{ ...org, roles: [] }] }, 'orgs.0.roles'],
      [decodeGenesis, 'DECODE_INVALID', { ...genesis, orgs: [{ ...org, roles: ['owner'] }] }, 'orgs.0.roles.0'],
      [decodeGenesis, 'DECODE_INVALID', { ...genesis, orgs: [{ ...org, nodes: [''] }] }, 'orgs.0.nodes.0'],
      [decodeGenesis, 'DECODE_INVALID', { ...genesis, validators: [{ key: z32, org: 0, power: 0 }] }, 'validators.0.power'],
      [decodeGenesis, 'DECODE_INVALID', { ...genesis, validators: [] }, 'validators'],
    ];
    for (const [dec, code, value, field] of cases) {
      const error = expectIngotError(() => dec(encode(value)), code);
      if (field !== '') assert.equal(error.details?.field, field, error.message);
    }
  });

  test('limits are inclusive: the largest allowed values decode', () => {
    const z32 = new Uint8Array(32);
    assert.equal(decodeTx(encodeTx({ body: new Uint8Array(limits.txBytesMax), sig: new Uint8Array(64) })).body.length, limits.txBytesMax);
    const header: BlockHeader = { v: 1, chain: z32, height: Number.MAX_SAFE_INTEGER, prev: z32, time: Number.MAX_SAFE_INTEGER, proposer: z32, txRoot: z32, resultsRoot: z32, stateRoot: z32 };
    assert.deepEqual(decodeBlock(encodeBlock({ header, txs: [new Uint8Array(limits.signedTxBytesMax)] })).header, header);
    const sigs = Array.from({ length: limits.validatorsMax }, (_, i) => ({ validator: new Uint8Array(32).fill(i), sig: new Uint8Array(64) }));
    assert.equal(decodeCommit(encodeCommit({ height: 0, round: 0, block: z32, sigs })).sigs.length, limits.validatorsMax);
    const receipt: Receipt = { ok: false, code: 'c'.repeat(64), message: 'm'.repeat(512), subjects: Array(limits.subjectsPerTxMax).fill('s'.repeat(limits.subjectCharsMax)) };
    assert.deepEqual(decodeReceipts(encodeReceipts([receipt])), [receipt]);
    sameBytes(encodeReceipts([receipt]), concat([0x81], encodeReceipt(receipt)));
  });

  test('a payload that cannot be read back as signed is refused: "__proto__" keys, deep nesting', () => {
    const body = (payload: Record<string, CanonicalValue>): TxBody => ({ v: 1, chain: new Uint8Array(32), contract: 'a', method: 'b', payload, signer: new Uint8Array(32), nonce: new Uint8Array(16), expires: 0 });
    const withProto = JSON.parse('{"a": {"__proto__": 1}}') as Record<string, CanonicalValue>;
    assert.throws(() => decodeTxBody(encodeTxBody(body(withProto))), (error) => error instanceof IngotError && error.code === 'TX_MALFORMED' && /__proto__/.test(error.message));
    let deep: CanonicalValue = 1;
    for (let i = 0; i < 3000; i++) deep = [deep];
    assert.throws(() => decodeTxBody(encodeTxBody(body({ deep }))), (error) => error instanceof IngotError && error.code === 'TX_MALFORMED' && /deeper/.test(error.message));
    let allowed: CanonicalValue = 1;
    for (let i = 0; i < 15; i++) allowed = [allowed];
    assert.deepEqual(decodeTxBody(encodeTxBody(body({ allowed }))).payload, { allowed });
  });
});

// ---------------------------------------------------------------------------------------------
// transaction.ts

describe('parseTransaction', () => {
  const seedArb = bytesOf(32);

  test('property: parses what signTransaction makes, with the same id, body, signature and bytes', () => {
    fc.assert(
      fc.property(txBodyArb, seedArb, (body, seed) => {
        const key = signingKeyFromSeed(seed);
        const signed = signTransaction({ ...body, signer: key.publicKey }, key);
        const parsed = parseTransaction(signed.bytes);
        assert.deepStrictEqual(parsed.body, signed.body);
        sameBytes(parsed.bodyBytes, signed.bodyBytes);
        sameBytes(parsed.bodyBytes, encodeTxBody(signed.body));
        sameBytes(parsed.id, signed.id);
        sameBytes(parsed.id, sha256(domainTag('tx'), parsed.bodyBytes));
        sameBytes(parsed.id, txId(parsed.bodyBytes));
        assert.equal(parsed.idHex, toHex(parsed.id));
        sameBytes(parsed.sig, signed.sig);
        sameBytes(parsed.bytes, signed.bytes);
        sameBytes(parsed.bytes, encodeTx({ body: parsed.bodyBytes, sig: parsed.sig }));
        assert.ok(transactionSignatureValid(parsed));
      }),
      { numRuns: 100 },
    );
  });

  test('property: a signature by another key, or over another body, is not valid', () => {
    fc.assert(
      fc.property(txBodyArb, seedArb, seedArb, (body, seed, otherSeed) => {
        fc.pre(!bytesEqual(seed, otherSeed));
        const key = signingKeyFromSeed(seed);
        const other = signingKeyFromSeed(otherSeed);
        const signedByOther = signTransaction({ ...body, signer: key.publicKey }, other);
        assert.equal(transactionSignatureValid(parseTransaction(signedByOther.bytes)), false);
        const signed = signTransaction({ ...body, signer: key.publicKey }, key);
        const changed = signTransaction({ ...body, signer: key.publicKey, expires: body.expires === 0 ? 1 : body.expires - 1 }, key);
        const spliced = encodeTx({ body: changed.bodyBytes, sig: signed.sig });
        assert.equal(transactionSignatureValid(parseTransaction(spliced)), false);
      }),
      { numRuns: 50 },
    );
  });

  test('property: random and mutated bytes give only TX_MALFORMED or TX_TOO_LARGE', () => {
    const key = signingKeyFromSeed(new Uint8Array(32).fill(7));
    const valid = txBodyArb.map((body) => signTransaction({ ...body, signer: key.publicKey }, key).bytes);
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 128 }),
      fc.tuple(valid, fc.nat(), fc.nat(7)).map(([bytes, at, bit]) => {
        const copy = Uint8Array.from(bytes);
        const i = at % copy.length;
        copy[i] = (copy[i] as number) ^ (1 << bit);
        return copy;
      }),
      fc.tuple(valid, fc.nat()).map(([bytes, at]) => bytes.subarray(0, at % bytes.length)),
      fc.tuple(valid, fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([bytes, extra]) => concat(bytes, extra)),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        try {
          const tx = parseTransaction(bytes);
          sameBytes(encodeTx({ body: tx.bodyBytes, sig: tx.sig }), bytes);
        } catch (error) {
          assert.ok(error instanceof IngotError, String(error));
          assert.ok(['TX_MALFORMED', 'TX_TOO_LARGE'].includes(error.code), error.code);
        }
      }),
      { numRuns: 400 },
    );
  });

  test('rejects oversized input with TX_TOO_LARGE before decoding', () => {
    expectIngotError(() => parseTransaction(new Uint8Array(limits.txBytesMax + 97)), 'TX_TOO_LARGE');
    expectIngotError(() => parseTransaction(new Uint8Array(limits.txBytesMax + 96)), 'TX_MALFORMED');
  });

  test('the largest body fits the envelope limit', () => {
    const key = signingKeyFromSeed(new Uint8Array(32).fill(3));
    const base: TxBody = { v: 1, chain: new Uint8Array(32), contract: 'a', method: 'b', payload: { blob: new Uint8Array(0) }, signer: key.publicKey, nonce: new Uint8Array(16), expires: Number.MAX_SAFE_INTEGER };
    const overhead = encodeTxBody(base).length;
    // a byte string's head grows from 1 to 3 bytes once it is 256 bytes or longer
    const body = { ...base, payload: { blob: new Uint8Array(limits.txBytesMax - overhead - 2) } };
    const signed = signTransaction(body, key);
    assert.equal(signed.bodyBytes.length, limits.txBytesMax);
    assert.deepStrictEqual(parseTransaction(signed.bytes).body, body);
    expectIngotError(() => signTransaction({ ...base, payload: { blob: new Uint8Array(limits.txBytesMax - overhead - 1) } }, key), 'TX_TOO_LARGE');
  });

  test('an envelope that holds an invalid body is TX_MALFORMED', () => {
    const error = expectIngotError(() => parseTransaction(encodeTx({ body: encode({ v: 1 }), sig: new Uint8Array(64) })), 'TX_MALFORMED');
    assert.match(error.message, /^transaction body: /);
    expectIngotError(() => parseTransaction(encodeTx({ body: hex('a2616201616102'), sig: new Uint8Array(64) })), 'TX_MALFORMED');
    expectIngotError(() => parseTransaction(encode({ body: new Uint8Array(0), sig: new Uint8Array(64), extra: 1 })), 'TX_MALFORMED');
  });
});
