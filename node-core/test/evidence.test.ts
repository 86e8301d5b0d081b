import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Results } from '../src/api/methods.ts';
import { signingKeyFromSeed, type SigningKey } from '../src/crypto/ed25519.ts';
import { toHex } from '../src/crypto/hex.ts';
import { voteSignBytes } from '../src/ledger/block.ts';
import { dataPaths, readNodeKey } from '../src/node/data-dir.ts';
import { startTempNode, type TempNode } from './support/temp-node.ts';

function signedVote(key: SigningKey, chain: Uint8Array, height: number, round: number, block: Uint8Array | null) {
  const sig = key.sign(voteSignBytes({ type: 'prevote', chain, height, round, block }));
  return { block: block === null ? null : toHex(block), signature: toHex(sig) };
}

async function record(temp: TempNode, payload: Record<string, unknown>): Promise<Results['tx.submit']> {
  const reply = await temp.rpc('tx.submit', { contract: 'consensus', method: 'recordEvidence', payload, waitForCommit: true });
  assert.equal(reply.error, undefined, JSON.stringify(reply.error));
  return reply.result as Results['tx.submit'];
}

test('consensus.recordEvidence keeps a proven equivocation once, under the validator, and refuses anything less', async () => {
  const temp = await startTempNode();
  try {
    const validator = (await readNodeKey(dataPaths(temp.dataDir))).signing;
    const chain = temp.node.ledger.chainId;
    const [a, b] = [new Uint8Array(32).fill(1), new Uint8Array(32).fill(2)];
    const evidence = { validator: toHex(validator.publicKey), type: 'prevote', height: 1, round: 0, first: signedVote(validator, chain, 1, 0, a), second: signedVote(validator, chain, 1, 0, b) };

    const recorded = await record(temp, evidence);
    assert.equal(recorded.receipt?.ok, true, JSON.stringify(recorded.receipt));
    assert.equal((await record(temp, evidence)).receipt?.code, 'EVIDENCE_KNOWN');
    assert.equal((await record(temp, { ...evidence, round: 1, second: signedVote(validator, chain, 1, 1, a), first: signedVote(validator, chain, 1, 1, a) })).receipt?.code, 'EVIDENCE_INVALID', 'the same block twice');
    assert.equal((await record(temp, { ...evidence, round: 2, first: signedVote(validator, chain, 1, 2, a), second: signedVote(validator, chain, 1, 1, b) })).receipt?.code, 'EVIDENCE_INVALID', 'a signature for another round');
    const stranger = signingKeyFromSeed(new Uint8Array(32).fill(9));
    assert.equal((await record(temp, { ...evidence, validator: toHex(stranger.publicKey), first: signedVote(stranger, chain, 1, 0, a), second: signedVote(stranger, chain, 1, 0, b) })).receipt?.code, 'EVIDENCE_INVALID', 'not a validator');

    const history = (await temp.rpc('state.history', { subject: `validator/${toHex(validator.publicKey)}` })).result as Results['state.history'];
    assert.equal(history.entries.filter((entry) => entry.ok && entry.contract === 'consensus').length, 1);
  } finally {
    await temp.close();
  }
});
