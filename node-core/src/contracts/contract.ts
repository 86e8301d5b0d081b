import type { z } from 'zod';
import { IngotError } from '../codec/errors.ts';
import type { Role } from '../codec/messages.ts';
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

interface BaseContext {
  readonly block: BlockContext;
  readonly tx: Transaction;
  readonly state: StateOverlay;
  /** Names an id this transaction is about, for the history index. */
  about(subject: string): void;
}

/** The context of a method signed by an organisation. */
export interface TxContext extends BaseContext {
  /** The active organisation whose current signing key signed the transaction. */
  readonly signer: OrgRecord;
}

/** The context of a method signed by a key that is no organisation's: there is no organisation to hand. */
export interface NonMemberTxContext extends BaseContext {
  readonly signer?: never;
  /** The key that signed the transaction (`tx.body.signer`), bound to no organisation. */
  readonly signerKey: Uint8Array;
}

/** A method an active organisation signs; with `roles`, only an organisation holding one of them. */
export interface MemberMethod<Payload> {
  readonly signer?: 'member';
  /** Any of these roles admits the signer; absent, every active organisation may call the method. */
  readonly roles?: readonly Role[];
  readonly payload: z.ZodType<Payload>;
  execute(context: TxContext, payload: Payload): Promise<void>;
}

/** A method signed by a key that belongs to no organisation yet (a joining organisation's new key). */
export interface NonMemberMethod<Payload> {
  readonly signer: 'non-member';
  readonly payload: z.ZodType<Payload>;
  execute(context: NonMemberTxContext, payload: Payload): Promise<void>;
}

export type Method<Payload> = MemberMethod<Payload> | NonMemberMethod<Payload>;

export interface Contract {
  readonly name: string;
  // Each method checks its own payload type through its schema before execute sees it.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly methods: Readonly<Record<string, Method<any>>>;
  /**
   * Runs after the block's last transaction, on the block's state: part of the block's writes and
   * state root. It must not fail on anything a transaction can arrange; a throw is a bug.
   */
  readonly endBlock?: (state: StateOverlay, block: BlockContext) => Promise<void>;
}

/** A contract's refusal: becomes the transaction's error receipt; the transaction's writes are dropped. */
export class ContractError extends IngotError {}

export function defineMethod<Payload>(method: NonMemberMethod<Payload>): NonMemberMethod<Payload>;
export function defineMethod<Payload>(method: MemberMethod<Payload>): MemberMethod<Payload>;
export function defineMethod<Payload>(method: Method<Payload>): Method<Payload> {
  return method;
}
