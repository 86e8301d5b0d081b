import { z } from 'zod';
import { decode, encode, type CanonicalValue } from './cbor.ts';
import { IngotError } from './errors.ts';
import { limits } from './limits.ts';
import { CONTRACT_NAME, METHOD_NAME, SUBJECT } from './names.ts';
import { payloadShapeProblem } from './payload.ts';
import { txBodyProblem, txProblem, type ShapeProblem } from './tx-shape.ts';

/**
 * Every structure that is hashed, signed or stored, with the schema its decoder enforces.
 * `docs/protocol.md` is the prose form of this file; keep them in step.
 */

export const bytes = (length: number) =>
  z.custom<Uint8Array>((value) => value instanceof Uint8Array && value.length === length, {
    message: `expected ${length} bytes`,
  });
export const uint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
export const boundedBytes = (max: number) =>
  z.custom<Uint8Array>((value) => value instanceof Uint8Array && value.length <= max, {
    message: `expected at most ${max} bytes`,
  });

const canonicalValue: z.ZodType<CanonicalValue> = z.lazy(() =>
  z.union([
    z.null(),
    z.boolean(),
    z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
    z.string(),
    z.custom<Uint8Array>((value) => value instanceof Uint8Array),
    z.array(canonicalValue),
    z.record(z.string(), canonicalValue),
  ]),
);

/** A payload's shape is checked before its values, so that deep nesting never reaches the recursive schema. */
const payloadSchema = z
  .custom<unknown>()
  .superRefine((value, context) => {
    const problem = payloadShapeProblem(value);
    if (problem !== undefined) context.addIssue({ code: 'custom', message: `payload ${problem}` });
  })
  .pipe(z.record(z.string(), canonicalValue));


export const txBodySchema = z
  .object({
    v: z.literal(1),
    chain: bytes(32),
    contract: z.string().regex(CONTRACT_NAME),
    method: z.string().regex(METHOD_NAME),
    payload: payloadSchema,
    signer: bytes(32),
    nonce: bytes(16),
    expires: uint,
  })
  .strict();
export type TxBody = z.infer<typeof txBodySchema>;

export const txSchema = z.object({ body: boundedBytes(limits.txBytesMax), sig: bytes(64) }).strict();
export type SignedTxEnvelope = z.infer<typeof txSchema>;

export const blockHeaderSchema = z
  .object({
    v: z.literal(1),
    chain: bytes(32),
    height: uint,
    prev: bytes(32),
    time: uint,
    proposer: bytes(32),
    txRoot: bytes(32),
    resultsRoot: bytes(32),
    stateRoot: bytes(32),
  })
  .strict();
export type BlockHeader = z.infer<typeof blockHeaderSchema>;

export const blockSchema = z
  .object({
    header: blockHeaderSchema,
    txs: z.array(boundedBytes(limits.signedTxBytesMax)).max(limits.blockTxsMax),
  })
  .strict();
export type Block = z.infer<typeof blockSchema>;

export const receiptSchema = z
  .object({
    ok: z.boolean(),
    code: z.string().max(64),
    message: z.string().max(512),
    subjects: z.array(z.string().regex(SUBJECT)).max(limits.subjectsPerTxMax),
  })
  .strict();
export type Receipt = z.infer<typeof receiptSchema>;

export const receiptsSchema = z.array(receiptSchema).max(limits.blockTxsMax);

export const voteSchema = z
  .object({
    type: z.enum(['prevote', 'precommit']),
    chain: bytes(32),
    height: uint,
    round: uint,
    /** null is a vote for no block ("nil"). */
    block: z.union([bytes(32), z.null()]),
  })
  .strict();
export type Vote = z.infer<typeof voteSchema>;

export const commitSchema = z
  .object({
    height: uint,
    round: uint,
    block: bytes(32),
    sigs: z
      .array(z.object({ validator: bytes(32), sig: bytes(64) }).strict())
      .min(1)
      .max(limits.validatorsMax),
  })
  .strict();
export type Commit = z.infer<typeof commitSchema>;

export const ROLES = ['admin', 'validator', 'member', 'auditor'] as const;
export type Role = (typeof ROLES)[number];

export const genesisOrgSchema = z
  .object({
    name: z.string().min(1).max(limits.nameCharsMax),
    registryId: z.string().max(limits.nameCharsMax),
    roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length),
    signingKey: bytes(32),
    encryptionKey: bytes(32),
    nodes: z.array(z.string().min(1).max(128)).max(limits.nodesPerOrgMax),
  })
  .strict();
export type GenesisOrg = z.infer<typeof genesisOrgSchema>;

export const genesisSchema = z
  .object({
    v: z.literal(1),
    name: z.string().min(1).max(limits.nameCharsMax),
    time: uint,
    orgs: z.array(genesisOrgSchema).min(1).max(limits.validatorsMax),
    validators: z
      .array(z.object({ key: bytes(32), org: z.number().int().nonnegative(), power: uint.min(1) }).strict())
      .min(1)
      .max(limits.validatorsMax),
  })
  .strict();
export type Genesis = z.infer<typeof genesisSchema>;

/** Decodes canonical CBOR and checks it against a schema; any failure is a coded IngotError. */
export function decodeWith<T>(schema: z.ZodType<T>, bytes: Uint8Array, what: string, code = 'DECODE_INVALID'): T {
  const value = decodeCanonical(bytes, what, code);
  let parsed: ReturnType<typeof schema.safeParse>;
  try {
    parsed = schema.safeParse(value);
  } catch (error) {
    // Deeply nested values can overflow the stack inside the schema check.
    throw new IngotError(code, `${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw shapeError(code, what, { field: issue?.path.join('.') ?? '', message: issue?.message ?? 'invalid' });
  }
  return parsed.data;
}

/** As `decodeWith`, with a hand-written check in place of a schema (see tx-shape.ts). */
function decodeChecked(problemOf: (value: unknown) => ShapeProblem | undefined, bytes: Uint8Array, what: string, code: string): unknown {
  const value = decodeCanonical(bytes, what, code);
  const problem = problemOf(value);
  if (problem !== undefined) throw shapeError(code, what, problem);
  return value;
}

function decodeCanonical(bytes: Uint8Array, what: string, code: string): unknown {
  if (!(bytes instanceof Uint8Array)) throw new IngotError(code, `${what}: expected bytes`);
  try {
    return decode(bytes);
  } catch (error) {
    const detail = error instanceof IngotError ? error.message : String(error);
    throw new IngotError(code, `${what}: ${detail}`);
  }
}

function shapeError(code: string, what: string, { field, message }: ShapeProblem): IngotError {
  return new IngotError(code, `${what}: ${field ? `${field}: ` : ''}${message}`, { field });
}

export const encodeTxBody = (body: TxBody): Uint8Array => encode(body);
export const encodeTx = (tx: SignedTxEnvelope): Uint8Array => encode(tx);
export const encodeBlockHeader = (header: BlockHeader): Uint8Array => encode(header);
export const encodeBlock = (block: Block): Uint8Array => encode(block);
export const encodeReceipts = (receipts: readonly Receipt[]): Uint8Array => encode(receipts);
export const encodeReceipt = (receipt: Receipt): Uint8Array => encode(receipt);
export const encodeVote = (vote: Vote): Uint8Array => encode(vote);
export const encodeCommit = (commit: Commit): Uint8Array => encode(commit);
export const encodeGenesis = (genesis: Genesis): Uint8Array => encode(genesis);

export const decodeTxBody = (bytes: Uint8Array): TxBody => decodeChecked(txBodyProblem, bytes, 'transaction body', 'TX_MALFORMED') as TxBody;
export const decodeTx = (bytes: Uint8Array): SignedTxEnvelope => decodeChecked(txProblem, bytes, 'transaction', 'TX_MALFORMED') as SignedTxEnvelope;
export const decodeBlockHeader = (bytes: Uint8Array) => decodeWith(blockHeaderSchema, bytes, 'block header');
export const decodeBlock = (bytes: Uint8Array) => decodeWith(blockSchema, bytes, 'block');
export const decodeReceipts = (bytes: Uint8Array) => decodeWith(receiptsSchema, bytes, 'receipts');
export const decodeVote = (bytes: Uint8Array) => decodeWith(voteSchema, bytes, 'vote');
export const decodeCommit = (bytes: Uint8Array) => decodeWith(commitSchema, bytes, 'commit');
export const decodeGenesis = (bytes: Uint8Array) => decodeWith(genesisSchema, bytes, 'genesis');
