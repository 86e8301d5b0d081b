import type { z } from 'zod';
import { IngotError } from '../codec/errors.ts';
import type { StateOverlay } from '../ledger/state.ts';
import type { Transaction } from '../ledger/transaction.ts';
import type { OrgRecord } from './membership-state.ts';

/** What a contract may know about the block it runs in: nothing from outside the chain. */
export interface BlockContext {
  readonly chain: Uint8Array;
  readonly height: number;
  /** The block's timestamp, set by its proposer and agreed by consensus. */
  readonly time: number;
}

export interface TxContext {
  readonly block: BlockContext;
  readonly tx: Transaction;
  /** The organisation whose current signing key signed the transaction. */
  readonly signer: OrgRecord;
  readonly state: StateOverlay;
  /** Names an id this transaction is about, for the history index. */
  about(subject: string): void;
}

export interface Method<Payload> {
  readonly payload: z.ZodType<Payload>;
  execute(context: TxContext, payload: Payload): Promise<void>;
}

export interface Contract {
  readonly name: string;
  // Each method checks its own payload type through its schema before execute sees it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly methods: Readonly<Record<string, Method<any>>>;
}

/** A contract's refusal: becomes the transaction's error receipt; the transaction's writes are dropped. */
export class ContractError extends IngotError {}

export function defineMethod<Payload>(method: Method<Payload>): Method<Payload> {
  return method;
}
