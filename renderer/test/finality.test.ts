import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, concatBytes, hexToBytes } from '@noble/hashes/utils.js';
import type { CommitJson, HeaderJson } from '../../node-core/src/api/methods.ts';
import { encode } from '../../node-core/src/codec/cbor.ts';
import { domainTag } from '../../node-core/src/crypto/domain.ts';
import { checkFinality } from '../src/lib/finality.ts';

/** A header with its true hash, and precommits for it made the way validators make them. */
function block() {
  const fields = { chain: '01'.repeat(32), height: 9, prev: '02'.repeat(32), time: 1_700_000_000_000, proposer: '03'.repeat(32), txRoot: '04'.repeat(32), resultsRoot: '05'.repeat(32), stateRoot: '06'.repeat(32) };
  const bytes = encode({
    v: 1,
    chain: hexToBytes(fields.chain),
    height: fields.height,
    prev: hexToBytes(fields.prev),
    time: fields.time,
    proposer: hexToBytes(fields.proposer),
    txRoot: hexToBytes(fields.txRoot),
    resultsRoot: hexToBytes(fields.resultsRoot),
    stateRoot: hexToBytes(fields.stateRoot),
  });
  const hash = sha256(concatBytes(domainTag('header'), bytes));
  const header: HeaderJson = { ...fields, hash: bytesToHex(hash) };
  const vote = sha256(concatBytes(domainTag('vote'), encode({ type: 'precommit', chain: hexToBytes(fields.chain), height: fields.height, round: 0, block: hash })));
  const keys = [1, 2, 3].map((power) => ({ secret: ed25519.utils.randomSecretKey(), power }));
  const validators = keys.map(({ secret, power }) => ({ key: bytesToHex(ed25519.getPublicKey(secret)), power }));
  const commitBy = (...indices: number[]): CommitJson => ({
    height: fields.height,
    round: 0,
    block: header.hash,
    signatures: indices.map((i) => ({ validator: validators[i]?.key ?? '', signature: bytesToHex(ed25519.sign(vote, keys[i]?.secret ?? new Uint8Array())) })),
  });
  return { header, validators, commitBy };
}

test('finality reports the voting power behind a valid certificate, out of the whole set', () => {
  const { header, validators, commitBy } = block();
  assert.deepEqual(checkFinality(header, commitBy(1, 2), validators), { ok: true, signed: 5, total: 6 });
  assert.deepEqual(checkFinality(header, commitBy(0, 1, 2), validators), { ok: true, signed: 6, total: 6 });
});

test('finality fails, with a reason, without a certificate, with too little power, or for another header', () => {
  const { header, validators, commitBy } = block();
  const none = checkFinality(header, null, validators);
  assert.equal(none.ok, false);
  assert.match(none.reason ?? '', /no commit certificate/);
  const weak = checkFinality(header, commitBy(2), validators);
  assert.deepEqual([weak.ok, weak.signed, weak.total], [false, 0, 6]);
  assert.match(weak.reason ?? '', /3 of 6/);
  const other = checkFinality({ ...header, time: header.time + 1 }, commitBy(1, 2), validators);
  assert.equal(other.ok, false);
});
