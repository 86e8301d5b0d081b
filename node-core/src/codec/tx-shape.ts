import { limits } from './limits.ts';
import { CONTRACT_NAME, METHOD_NAME } from './names.ts';
import { payloadShapeProblem } from './payload.ts';

/** What is wrong with a decoded value, named by its field as the schema in messages.ts would name it. */
export interface ShapeProblem {
  readonly field: string;
  readonly message: string;
}

const TX_BODY_FIELDS = new Set(['v', 'chain', 'contract', 'method', 'payload', 'signer', 'nonce', 'expires']);
const TX_FIELDS = new Set(['body', 'sig']);

/**
 * `txBodySchema` checked by hand. Every transaction a node receives is decoded, and running the
 * schema library over it cost as much as the decoding; the codec tests hold this check to the
 * schema's answers. It expects what the canonical decoder produces: values are already
 * canonical, so the payload needs only its shape checked.
 */
export function txBodyProblem(value: unknown): ShapeProblem | undefined {
  const unknownField = plainRecordProblem(value, TX_BODY_FIELDS);
  if (unknownField !== undefined) return unknownField;
  const body = value as Record<string, unknown>;
  if (body.v !== 1) return { field: 'v', message: 'expected 1' };
  if (!isBytes(body.chain, 32)) return { field: 'chain', message: 'expected 32 bytes' };
  if (typeof body.contract !== 'string' || !CONTRACT_NAME.test(body.contract)) return { field: 'contract', message: `expected a contract name matching ${CONTRACT_NAME}` };
  if (typeof body.method !== 'string' || !METHOD_NAME.test(body.method)) return { field: 'method', message: `expected a method name matching ${METHOD_NAME}` };
  if (!isPlainRecord(body.payload)) return { field: 'payload', message: 'expected a map' };
  const payloadProblem = payloadShapeProblem(body.payload);
  if (payloadProblem !== undefined) return { field: 'payload', message: `payload ${payloadProblem}` };
  if (!isBytes(body.signer, 32)) return { field: 'signer', message: 'expected 32 bytes' };
  if (!isBytes(body.nonce, 16)) return { field: 'nonce', message: 'expected 16 bytes' };
  if (!isUint(body.expires)) return { field: 'expires', message: 'expected a non-negative safe integer' };
  return undefined;
}

/** `txSchema` checked by hand, for the same reason as the body. */
export function txProblem(value: unknown): ShapeProblem | undefined {
  const unknownField = plainRecordProblem(value, TX_FIELDS);
  if (unknownField !== undefined) return unknownField;
  const tx = value as Record<string, unknown>;
  if (!(tx.body instanceof Uint8Array) || tx.body.length > limits.txBytesMax) return { field: 'body', message: `expected at most ${limits.txBytesMax} bytes` };
  if (!isBytes(tx.sig, 64)) return { field: 'sig', message: 'expected 64 bytes' };
  return undefined;
}

function plainRecordProblem(value: unknown, fields: ReadonlySet<string>): ShapeProblem | undefined {
  if (!isPlainRecord(value)) return { field: '', message: 'expected a map' };
  for (const key of Object.keys(value)) {
    if (!fields.has(key)) return { field: '', message: `unrecognized key ${JSON.stringify(key)}` };
  }
  return undefined;
}

/** A map as the decoder builds it: a plain object, which a `__proto__` key would have turned into something else. */
function isPlainRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function isBytes(value: unknown, length: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length === length;
}

function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
