import type { JsonValue } from '../api/json.ts';
import type { CommitJson, HeaderJson, HistoryEntryJson, OrgJson, ReceiptJson, TxJson } from '../api/methods.ts';
import type { CanonicalValue } from '../codec/cbor.ts';
import type { BlockHeader, Commit, Receipt } from '../codec/messages.ts';
import { toHex } from '../crypto/hex.ts';
import type { OrgRecord } from '../contracts/membership-state.ts';
import { blockHash } from '../ledger/block.ts';
import type { HistoryEntry } from '../ledger/ledger.ts';
import type { Transaction } from '../ledger/transaction.ts';

/** Ledger structures as the RPC API shows them: byte strings become lower-case hex. */

export function headerJson(header: BlockHeader): HeaderJson {
  return {
    hash: toHex(blockHash(header)),
    chain: toHex(header.chain),
    height: header.height,
    prev: toHex(header.prev),
    time: header.time,
    proposer: toHex(header.proposer),
    txRoot: toHex(header.txRoot),
    resultsRoot: toHex(header.resultsRoot),
    stateRoot: toHex(header.stateRoot),
  };
}

export function canonicalToJson(value: CanonicalValue): JsonValue {
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.map(canonicalToJson);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, canonicalToJson(item as CanonicalValue)]));
  }
  return value as JsonValue;
}

export function txJson(tx: Transaction): TxJson {
  const { body } = tx;
  return {
    hash: tx.idHex,
    chain: toHex(body.chain),
    contract: body.contract,
    method: body.method,
    payload: canonicalToJson(body.payload),
    signer: toHex(body.signer),
    nonce: toHex(body.nonce),
    expires: body.expires,
    signature: toHex(tx.sig),
    raw: toHex(tx.bytes),
  };
}

export function receiptJson(receipt: Receipt): ReceiptJson {
  return { ok: receipt.ok, code: receipt.code, message: receipt.message, subjects: [...receipt.subjects] };
}

export function commitJson(commit: Commit): CommitJson {
  return {
    height: commit.height,
    round: commit.round,
    block: toHex(commit.block),
    signatures: commit.sigs.map((s) => ({ validator: toHex(s.validator), signature: toHex(s.sig) })),
  };
}

export function historyEntryJson(entry: HistoryEntry): HistoryEntryJson {
  return { ...entry, hash: toHex(entry.hash) };
}

export function orgJson(org: OrgRecord): OrgJson {
  return { ...org, roles: [...org.roles], nodes: [...org.nodes], signingKey: toHex(org.signingKey), encryptionKey: toHex(org.encryptionKey) };
}
