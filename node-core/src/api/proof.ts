import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 as sha256Once } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import { decode, encode } from '../codec/cbor.ts';
import { IngotError } from '../codec/errors.ts';
import { domainTag } from '../crypto/domain.ts';
import { verifyMerklePath } from '../crypto/merkle-path.ts';
import type { JsonValue } from './json.ts';
import type { CommitJson, HeaderJson, Results, TxJson } from './methods.ts';

/**
 * Offline checks of what a node answers, with no trust in that node: any client (the renderer, an
 * auditor's script) recomputes the hashes and signatures from the bytes it was given. Pure
 * JavaScript, so it runs in the browser as well as in Node.
 */

export interface CheckResult {
  ok: boolean;
  /** Why the check failed, in words a person can act on. */
  reason?: string;
}

const TX_TAG = domainTag('tx');
const HEADER_TAG = domainTag('header');
const VOTE_TAG = domainTag('vote');

const sha256 = (...parts: Uint8Array[]) => sha256Once(concatBytes(...parts));

function bytesOf(hex: string, field: string): Uint8Array {
  try {
    return hexToBytes(hex);
  } catch {
    throw new IngotError('INVALID_HEX', `${field} is not hex`, { field });
  }
}

type Decoded = null | boolean | number | string | Uint8Array | Decoded[] | { [key: string]: Decoded };

function asJson(value: Decoded): JsonValue {
  if (value instanceof Uint8Array) return bytesToHex(value);
  if (Array.isArray(value)) return value.map(asJson);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asJson(item)]));
  return value;
}

function record(value: unknown, what: string): Record<string, Decoded> {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value instanceof Uint8Array) throw new IngotError('TX_MALFORMED', `${what} is not a map`);
  return value as Record<string, Decoded>;
}

/**
 * The transaction as the node's `tx.get` shows it, rebuilt from its signed bytes alone: what a
 * client displays after checking the proof, so that no field shown rests on the node's word.
 */
export function decodeTransaction(rawHex: string): TxJson {
  const raw = bytesOf(rawHex, 'tx.raw');
  const envelope = record(decode(raw), 'the transaction');
  if (!(envelope.body instanceof Uint8Array) || !(envelope.sig instanceof Uint8Array)) throw new IngotError('TX_MALFORMED', 'the transaction has no body or signature');
  const body = record(decode(envelope.body), 'the transaction body');
  const text = (key: string) => {
    const value = body[key];
    if (typeof value !== 'string') throw new IngotError('TX_MALFORMED', `the body has no ${key}`);
    return value;
  };
  const bytes = (key: string) => {
    const value = body[key];
    if (!(value instanceof Uint8Array)) throw new IngotError('TX_MALFORMED', `the body has no ${key}`);
    return bytesToHex(value);
  };
  if (typeof body.expires !== 'number') throw new IngotError('TX_MALFORMED', 'the body has no expiry');
  return {
    hash: bytesToHex(sha256(TX_TAG, envelope.body)),
    chain: bytes('chain'),
    contract: text('contract'),
    method: text('method'),
    payload: asJson(record(body.payload, 'the payload')),
    signer: bytes('signer'),
    nonce: bytes('nonce'),
    expires: body.expires,
    signature: bytesToHex(envelope.sig),
    raw: rawHex,
  };
}

function sameJson(a: JsonValue, b: JsonValue): boolean {
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameJson(item, b[i] as JsonValue));
  if (a !== null && typeof a === 'object') {
    if (b === null || typeof b !== 'object' || Array.isArray(b)) return false;
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && sameJson(a[key] as JsonValue, b[key] as JsonValue));
  }
  return a === b;
}

/** Canonical CBOR orders map keys itself, so this re-encoding is byte for byte the node's. */
function headerBytes(header: HeaderJson): Uint8Array {
  return encode({
    v: 1,
    chain: bytesOf(header.chain, 'header.chain'),
    height: header.height,
    prev: bytesOf(header.prev, 'header.prev'),
    time: header.time,
    proposer: bytesOf(header.proposer, 'header.proposer'),
    txRoot: bytesOf(header.txRoot, 'header.txRoot'),
    resultsRoot: bytesOf(header.resultsRoot, 'header.resultsRoot'),
    stateRoot: bytesOf(header.stateRoot, 'header.stateRoot'),
  });
}

function failed(reason: string): CheckResult {
  return { ok: false, reason };
}

function guarded(check: () => CheckResult): CheckResult {
  try {
    return check();
  } catch (error) {
    return failed(error instanceof Error ? error.message : String(error));
  }
}

/**
 * The transaction asked for (`requestedHash`) is the one answered; every field shown equals what
 * its signed bytes say; those bytes are the proven leaf of the block's transaction root; and the
 * header hashes to the block hash. The receipt is not covered: it is the node's report. Whether the
 * block itself is final is `verifyCommitCertificate`'s question.
 */
export function verifyTransactionProof(view: Results['tx.get'], requestedHash: string): CheckResult {
  return guarded(() => {
    if (view.tx.hash !== requestedHash) return failed('the node answered with another transaction');
    const decoded = decodeTransaction(view.tx.raw);
    if (decoded.hash !== view.tx.hash) return failed('the transaction bytes do not hash to its id');
    if (!sameJson({ ...decoded }, { ...view.tx })) return failed('the fields shown differ from the signed transaction');
    if (view.height !== view.header.height) return failed('the transaction is placed in another block than the header shown');
    if (bytesToHex(sha256(HEADER_TAG, headerBytes(view.header))) !== view.header.hash) return failed('the block header does not hash to the block hash');
    const proof = { index: view.proof.index, count: view.proof.count, path: view.proof.path.map((hex, i) => bytesOf(hex, `proof.path.${i}`)) };
    if (proof.index !== view.index) return failed('the proof is for another position in the block');
    if (!verifyMerklePath(sha256, bytesOf(view.tx.raw, 'tx.raw'), proof, bytesOf(view.header.txRoot, 'header.txRoot'))) return failed('the Merkle proof does not lead to the block’s transaction root');
    return { ok: true };
  });
}

/**
 * The nodes' signature rules (`crypto/ed25519.ts`, libsodium) with @noble/curves: the key and R
 * points of the prime-order subgroup and not the identity, S canonical (`zip215: false`). With
 * both points torsion-free, the cofactored equation noble checks and the cofactorless one libsodium
 * checks accept the same signatures; noble's permissive default would let a small-order key "sign"
 * every message.
 */
function signatureHolds(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  if (signature.length !== 64 || publicKey.length !== 32) return false;
  const primeOrder = (encoded: Uint8Array) => {
    const point = ed25519.Point.fromBytes(encoded);
    return !point.is0() && point.isTorsionFree();
  };
  try {
    return primeOrder(publicKey) && primeOrder(signature.subarray(0, 32)) && ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    // Not the encoding of a curve point.
    return false;
  }
}

/**
 * Finality: precommits for this header from distinct validators of the given set, carrying more
 * than two thirds of its voting power.
 */
export function verifyCommitCertificate(header: HeaderJson, commit: CommitJson, validators: readonly { key: string; power: number }[]): CheckResult {
  return guarded(() => {
    const hash = sha256(HEADER_TAG, headerBytes(header));
    if (bytesToHex(hash) !== header.hash) return failed('the block header does not hash to the block hash');
    if (commit.height !== header.height || commit.block !== header.hash) return failed('the certificate is for another block');
    const message = sha256(VOTE_TAG, encode({ type: 'precommit', chain: bytesOf(header.chain, 'header.chain'), height: header.height, round: commit.round, block: hash }));
    const power = new Map(validators.map((v) => [v.key, v.power]));
    const total = validators.reduce((sum, v) => sum + v.power, 0);
    const seen = new Set<string>();
    let signed = 0;
    for (const { validator, signature } of commit.signatures) {
      const validatorPower = power.get(validator);
      if (validatorPower === undefined) return failed(`signature from ${validator.slice(0, 12)}…, which is not a validator`);
      if (seen.has(validator)) return failed(`two signatures from validator ${validator.slice(0, 12)}…`);
      seen.add(validator);
      if (!signatureHolds(bytesOf(signature, 'signature'), message, bytesOf(validator, 'validator'))) return failed(`bad signature from validator ${validator.slice(0, 12)}…`);
      signed += validatorPower;
    }
    if (signed * 3 <= total * 2) return failed(`signatures carry ${signed} of ${total} voting power; more than two thirds is needed`);
    return { ok: true };
  });
}
