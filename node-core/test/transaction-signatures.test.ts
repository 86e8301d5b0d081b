import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { parseTransaction, signTransaction, type Transaction } from '../src/ledger/transaction.ts';
import { inlineVerifier, type SignatureCheck, type SignatureVerifier } from '../src/node/signature-verifier.ts';
import { TransactionSignatures } from '../src/node/transaction-signatures.ts';
import { encodeTx } from '../src/codec/messages.ts';

const key = signingKeyFromSeed(new Uint8Array(32).fill(4));
const signed = (contact: string) => signTransaction({ v: 1, chain: new Uint8Array(32), contract: 'identity', method: 'updateProfile', payload: { contact }, signer: key.publicKey, nonce: new Uint8Array(16), expires: 10 }, key);

/** The real checks, counted, held until released when `gated`. */
function countingVerifier(options: { gated?: boolean; failFirst?: boolean } = {}) {
  const batches: number[] = [];
  let release: () => void = () => undefined;
  const gate = options.gated ? new Promise<void>((resolve) => { release = resolve; }) : Promise.resolve();
  let failNext = options.failFirst ?? false;
  const verifier: SignatureVerifier = {
    async verifyBatch(checks: readonly SignatureCheck[]) {
      batches.push(checks.length);
      await gate;
      if (failNext) {
        failNext = false;
        throw new Error('the verifier broke');
      }
      return inlineVerifier.verifyBatch(checks);
    },
    close: () => Promise.resolve(),
  };
  return { verifier, batches, release: () => release() };
}

/** The same body under another (invalid) signature: the same id, other bytes. */
function resigned(tx: Transaction): Transaction {
  return parseTransaction(encodeTx({ body: tx.bodyBytes, sig: new Uint8Array(64).fill(9) }));
}

test('a transaction checked once is not sent to the verifier again, and a duplicate in one call is checked once', async () => {
  const { verifier, batches } = countingVerifier();
  const signatures = new TransactionSignatures(verifier);
  const [a, b] = [signed('a'), signed('b')];
  assert.deepEqual(await signatures.check([a, a, b]), [true, true, true]);
  assert.deepEqual(await signatures.check([b, a]), [true, true]);
  assert.deepEqual(batches, [2]);
});

test('a check in flight is shared: a second caller waits for it instead of checking again', async () => {
  const { verifier, batches, release } = countingVerifier({ gated: true });
  const signatures = new TransactionSignatures(verifier);
  const tx = signed('shared');
  const first = signatures.check([tx]);
  const second = signatures.check([tx, signed('other')]);
  release();
  assert.deepEqual(await first, [true]);
  assert.deepEqual(await second, [true, true]);
  assert.deepEqual(batches, [1, 1]);
});

test('a copy with the same id and another signature is checked on its own and fails', async () => {
  const { verifier, batches } = countingVerifier();
  const signatures = new TransactionSignatures(verifier);
  const tx = signed('original');
  const copy = resigned(tx);
  assert.equal(copy.idHex, tx.idHex);
  assert.deepEqual(await signatures.check([tx]), [true]);
  assert.deepEqual(await signatures.check([tx, copy]), [true, false]);
  assert.deepEqual(batches, [1, 1]);
});

test('a check that failed is not remembered: the next caller checks again', async () => {
  const { verifier, batches } = countingVerifier({ failFirst: true });
  const signatures = new TransactionSignatures(verifier);
  const tx = signed('retry');
  await assert.rejects(signatures.check([tx]), /the verifier broke/);
  assert.deepEqual(await signatures.check([tx]), [true]);
  assert.deepEqual(batches, [1, 1]);
});
