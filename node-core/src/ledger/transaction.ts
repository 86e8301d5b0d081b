import { encode } from '../codec/cbor.ts';
import { IngotError } from '../codec/errors.ts';
import { limits } from '../codec/limits.ts';
import { decodeTx, decodeTxBody, type TxBody } from '../codec/messages.ts';
import { verifySignature, type SigningKey } from '../crypto/ed25519.ts';
import { domainTag, sha256 } from '../crypto/hash.ts';
import { toHex } from '../crypto/hex.ts';

/** A decoded, size-checked transaction. Its id is the hash of its body, so a re-signed copy is still a replay. */
export interface Transaction {
  readonly id: Uint8Array;
  readonly idHex: string;
  readonly body: TxBody;
  readonly bodyBytes: Uint8Array;
  readonly sig: Uint8Array;
  /** The canonical encoding of the signed transaction: what blocks carry and Merkle leaves hash. */
  readonly bytes: Uint8Array;
}

const TX_TAG = domainTag('tx');

export function txId(bodyBytes: Uint8Array): Uint8Array {
  return sha256(TX_TAG, bodyBytes);
}

export function signTransaction(body: TxBody, key: SigningKey): Transaction {
  const bodyBytes = encode(body);
  if (bodyBytes.length > limits.txBytesMax) {
    throw new IngotError('TX_TOO_LARGE', `transaction body is ${bodyBytes.length} bytes, the limit is ${limits.txBytesMax}`);
  }
  const id = txId(bodyBytes);
  const sig = key.sign(id);
  return { id, idHex: toHex(id), body, bodyBytes, sig, bytes: encode({ body: bodyBytes, sig }) };
}

/** Decode and size limits: the first two steps of the validation pipeline. */
export function parseTransaction(bytes: Uint8Array): Transaction {
  if (bytes.length > limits.signedTxBytesMax) {
    throw new IngotError('TX_TOO_LARGE', `transaction is ${bytes.length} bytes, the limit is ${limits.signedTxBytesMax}`);
  }
  const envelope = decodeTx(bytes);
  const body = decodeTxBody(envelope.body);
  const id = txId(envelope.body);
  return { id, idHex: toHex(id), body, bodyBytes: envelope.body, sig: envelope.sig, bytes };
}

export function transactionSignatureValid(tx: Transaction): boolean {
  return verifySignature(tx.body.signer, tx.id, tx.sig);
}
