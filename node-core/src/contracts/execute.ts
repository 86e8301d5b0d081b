import { assert, IngotError } from '../codec/errors.ts';
import { bytesEqual } from '../codec/cbor.ts';
import { limits } from '../codec/limits.ts';
import type { Receipt } from '../codec/messages.ts';
import { SUBJECT } from '../codec/names.ts';
import { StateOverlay, type StateReader, type WriteSet } from '../ledger/state.ts';
import { transactionSignatureValid, type Transaction } from '../ledger/transaction.ts';
import { ContractError, type BlockContext, type MemberMethod, type NonMemberMethod } from './contract.ts';
import { orgIdOfSigner, readOrg, type OrgRecord } from './membership-state.ts';
import { endBlockSteps, findMethod } from './registry.ts';

/** The ledger as execution sees it: state plus the set of transactions already on the chain. */
export interface ChainView extends StateReader {
  hasTransactions(ids: readonly Uint8Array[]): Promise<boolean[]>;
}

export function checkChain(tx: Transaction, chain: Uint8Array): void {
  if (!bytesEqual(tx.body.chain, chain)) throw new IngotError('TX_WRONG_CHAIN', 'transaction is for another consortium');
}

/** A transaction may go into blocks up to and including its expiry height, and not be set to live too long. */
export function checkExpiry(tx: Transaction, height: number): void {
  if (tx.body.expires < height) {
    throw new IngotError('TX_EXPIRED', `transaction expired at height ${tx.body.expires}; the next block is ${height}`);
  }
  if (tx.body.expires > height + limits.txTtlBlocksMax) {
    throw new IngotError('TX_EXPIRY_TOO_FAR', `expiry may be at most ${limits.txTtlBlocksMax} blocks ahead of ${height}`);
  }
}

export function checkSignature(tx: Transaction): void {
  if (!transactionSignatureValid(tx)) throw new IngotError('TX_BAD_SIGNATURE', 'signature does not match the signer key and body');
}

/** A transaction that passed the contract rules: its method, checked payload and who signed it. */
export type Resolved =
  | { readonly kind: 'member'; readonly method: MemberMethod<unknown>; readonly payload: unknown; readonly signer: OrgRecord }
  | { readonly kind: 'non-member'; readonly method: NonMemberMethod<unknown>; readonly payload: unknown; readonly signerKey: Uint8Array };

/**
 * Contract rules that hold before execution: the method exists, the payload fits it, and the signer
 * is who the method admits — an active organisation holding one of its roles, or for a non-member
 * method a key that is no organisation's.
 */
export async function resolveTransaction(state: StateReader, tx: Transaction): Promise<Resolved> {
  const { contract, method: methodName, payload: rawPayload, signer: signerKey } = tx.body;
  const method = findMethod(contract, methodName);
  if (method === 'no-contract') throw new ContractError('CONTRACT_NOT_FOUND', `there is no contract ${contract}`);
  if (method === 'no-method') throw new ContractError('METHOD_NOT_FOUND', `contract ${contract} has no method ${methodName}`);
  const parsed = method.payload.safeParse(rawPayload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    const where = `payload${field ? `.${field}` : ''}`;
    // The schema library's wording may change between versions; what goes into a receipt (and so into
    // the block's results root) must not, so the receipt carries only the field and the issue kind.
    throw new ContractError('PAYLOAD_INVALID', `${where}: ${issue?.message ?? 'invalid'}`, { field, receiptMessage: `${where} is invalid (${issue?.code ?? 'custom'})` });
  }
  const orgId = await orgIdOfSigner(state, signerKey);
  if (method.signer === 'non-member') {
    if (orgId !== undefined) throw new ContractError('KEY_IN_USE', `${contract}.${methodName} is signed by a key that is no organisation's; this one is ${orgId}'s`);
    return { kind: 'non-member', method, payload: parsed.data, signerKey };
  }
  const signer = orgId === undefined ? undefined : await readOrg(state, orgId);
  if (signer === undefined) throw new ContractError('SIGNER_NOT_MEMBER', 'the signing key is not the current key of any organisation');
  if (signer.status !== 'active') throw new ContractError('SIGNER_NOT_ACTIVE', `organisation ${signer.id} is ${signer.status}`);
  const roles = method.roles;
  if (roles !== undefined && !roles.some((role) => signer.roles.includes(role))) {
    throw new ContractError('ROLE_FORBIDDEN', `${contract}.${methodName} needs one of the roles ${roles.join(', ')}; organisation ${signer.id} holds ${signer.roles.join(', ') || 'none'}`);
  }
  return { kind: 'member', method, payload: parsed.data, signer };
}

function errorReceipt(error: unknown): Receipt {
  if (!(error instanceof IngotError)) throw error;
  const receiptMessage = error.details?.receiptMessage;
  return { ok: false, code: error.code, message: (typeof receiptMessage === 'string' ? receiptMessage : error.message).slice(0, 512), subjects: [] };
}

export interface BlockExecution {
  readonly receipts: Receipt[];
  readonly writes: WriteSet;
}

export interface ExecuteOptions {
  /** False only for transactions whose signatures the caller has just checked itself (its own mempool). */
  readonly verifySignatures: boolean;
}

/**
 * Runs a block's transactions in order. A transaction a correct proposer would never include
 * (wrong chain, bad signature, replayed, expired) makes the whole block invalid; a contract's
 * refusal only gives that transaction an error receipt.
 */
export async function executeBlock(chain: ChainView, block: BlockContext, txs: readonly Transaction[], options: ExecuteOptions): Promise<BlockExecution> {
  const invalid = (index: number, error: unknown): IngotError => {
    const reason = error instanceof IngotError ? `${error.code}: ${error.message}` : String(error);
    return new IngotError('BLOCK_INVALID', `block ${block.height}, transaction ${index} (${(txs[index] as Transaction).idHex}): ${reason}`);
  };
  const seen = new Set<string>();
  for (const [index, tx] of txs.entries()) {
    try {
      checkChain(tx, block.chain);
      if (options.verifySignatures) checkSignature(tx);
      if (seen.has(tx.idHex)) throw new IngotError('TX_ALREADY_COMMITTED', 'transaction appears twice in the block');
      seen.add(tx.idHex);
    } catch (error) {
      throw invalid(index, error);
    }
  }
  const committed = await chain.hasTransactions(txs.map((tx) => tx.id));
  for (const [index, tx] of txs.entries()) {
    try {
      if (committed[index] === true) throw new IngotError('TX_ALREADY_COMMITTED', 'this transaction is already on the ledger');
      checkExpiry(tx, block.height);
    } catch (error) {
      throw invalid(index, error);
    }
  }
  const blockState = new StateOverlay(chain);
  const receipts: Receipt[] = [];
  for (const tx of txs) receipts.push(await executeTransaction(blockState, block, tx));
  // End of block: deterministic steps of the contracts (such as a validator set that takes effect
  // at the next height), on the block's state, so they are part of its writes and state root.
  for (const step of endBlockSteps()) await step(blockState, block);
  return { receipts, writes: blockState.writes };
}

async function executeTransaction(blockState: StateOverlay, block: BlockContext, tx: Transaction): Promise<Receipt> {
  const txState = new StateOverlay(blockState);
  const subjects = new Set<string>();
  try {
    const resolved = await resolveTransaction(txState, tx);
    const about = (subject: string) => {
      assert(SUBJECT.test(subject), `subject ${JSON.stringify(subject)} is not a printable id`);
      subjects.add(subject);
      assert(subjects.size <= limits.subjectsPerTxMax, 'a transaction names too many subjects');
    };
    if (resolved.kind === 'member') {
      await resolved.method.execute({ block, tx, signer: resolved.signer, state: txState, about }, resolved.payload);
    } else {
      await resolved.method.execute({ block, tx, signerKey: resolved.signerKey, state: txState, about }, resolved.payload);
    }
  } catch (error) {
    return errorReceipt(error);
  }
  txState.mergeInto(blockState);
  return { ok: true, code: '', message: '', subjects: [...subjects] };
}
