import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Results } from '../src/api/methods.ts';
import { decodeTransaction, verifyCommitCertificate, verifyTransactionProof } from '../src/api/proof.ts';
import { startTempNode, type TempNode } from './support/temp-node.ts';

async function result<M extends keyof Results>(temp: TempNode, method: M, params: unknown): Promise<Results[M]> {
  const reply = await temp.rpc(method, params);
  assert.equal(reply.error, undefined, JSON.stringify(reply.error));
  return reply.result as Results[M];
}

/** Flips one hex digit, keeping the string valid hex of the same length. */
function flipped(hex: string, at = 0): string {
  const digit = hex[at] === '0' ? '1' : '0';
  return `${hex.slice(0, at)}${digit}${hex.slice(at + 1)}`;
}

test('the offline checks accept what the node answers and refuse any altered byte of it', async () => {
  const temp = await startTempNode({ blockIntervalMs: 200 });
  try {
    // Several transactions in one block give proofs with paths of more than one step.
    const submitted = await Promise.all(['a', 'b', 'c', 'd', 'e'].map((contact) =>
      result(temp, 'tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact }, waitForCommit: true })));
    const status = await result(temp, 'node.status', {});
    for (const { hash } of submitted) {
      const view = await result(temp, 'tx.get', { hash });
      assert.deepEqual(verifyTransactionProof(view, hash), { ok: true });
      assert.deepEqual(decodeTransaction(view.tx.raw), view.tx);
      // Every field shown must come from the signed bytes, and the answer must be the one asked for.
      assert.equal(verifyTransactionProof({ ...view, tx: { ...view.tx, payload: { contact: 'forged' } } }, hash).ok, false);
      assert.equal(verifyTransactionProof({ ...view, tx: { ...view.tx, contract: 'membership' } }, hash).ok, false);
      assert.equal(verifyTransactionProof({ ...view, tx: { ...view.tx, signer: flipped(view.tx.signer) } }, hash).ok, false);
      assert.equal(verifyTransactionProof({ ...view, height: view.height + 1 }, hash).ok, false);
      assert.equal(verifyTransactionProof(view, flipped(hash)).ok, false);
      assert.equal(verifyTransactionProof({ ...view, tx: { ...view.tx, raw: flipped(view.tx.raw, view.tx.raw.length - 2) } }, hash).ok, false);
      assert.equal(verifyTransactionProof({ ...view, tx: { ...view.tx, hash: flipped(view.tx.hash) } }, hash).ok, false);
      assert.equal(verifyTransactionProof({ ...view, header: { ...view.header, time: view.header.time + 1 } }, hash).ok, false);
      assert.equal(verifyTransactionProof({ ...view, header: { ...view.header, txRoot: flipped(view.header.txRoot) } }, hash).ok, false);
      if (view.proof.path.length > 0) {
        const path = view.proof.path.map((step, i) => (i === 0 ? flipped(step) : step));
        assert.equal(verifyTransactionProof({ ...view, proof: { ...view.proof, path } }, hash).ok, false);
      }
      assert.equal(verifyTransactionProof({ ...view, tx: { ...view.tx, raw: 'zz' } }, hash).ok, false);

      const block = await result(temp, 'block.get', { height: view.height });
      assert.ok(block.commit !== null);
      assert.deepEqual(verifyCommitCertificate(block.header, block.commit, status.validators), { ok: true });
      const signature = block.commit.signatures[0];
      assert.ok(signature !== undefined);
      const forged = { ...block.commit, signatures: [{ ...signature, signature: flipped(signature.signature) }] };
      assert.equal(verifyCommitCertificate(block.header, forged, status.validators).ok, false);
      assert.equal(verifyCommitCertificate(block.header, { ...block.commit, round: block.commit.round + 1 }, status.validators).ok, false);
      assert.equal(verifyCommitCertificate(block.header, block.commit, [{ key: flipped(signature.validator), power: 1 }]).ok, false);
      assert.equal(verifyCommitCertificate(block.header, { ...block.commit, signatures: [] }, status.validators).ok, false);
    }
    const pathLengths = await Promise.all(submitted.map(async ({ hash }) => (await result(temp, 'tx.get', { hash })).proof.path.length));
    assert.ok(pathLengths.some((length) => length > 0), 'some block held more than one of the transactions');
  } finally {
    await temp.close();
  }
});
