import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha512 } from '@noble/hashes/sha2.js';
import sodium from 'sodium-native';
import { verifyCommitCertificate } from '../src/api/proof.ts';
import { verifySignature } from '../src/crypto/ed25519.ts';
import { toHex } from '../src/crypto/hex.ts';
import { blockHash, voteSignBytes } from '../src/ledger/block.ts';
import { headerJson } from '../src/rpc/to-json.ts';

/**
 * The nodes (libsodium, cofactorless) and the browser's offline check (@noble/curves, cofactored)
 * must agree on every signature. Where the two equations differ is a key with a small-order part:
 * these tests make signatures under such a key that both bare equations accept.
 */

const L = 2n ** 252n + 27742317777372353535851937790883648493n;
const Point = ed25519.Point;
/** The point of order two, (0, -1). */
const ORDER_TWO = Point.fromBytes(Uint8Array.from([0xec, ...new Array<number>(30).fill(0xff), 0x7f]));

const littleEndian = (bytes: Uint8Array) => bytes.reduceRight((value, byte) => (value << 8n) | BigInt(byte), 0n);
const scalarBytes = (value: bigint) => Uint8Array.from({ length: 32 }, (_, i) => Number((value >> BigInt(8 * i)) & 0xffn));

/**
 * A signature by the owner of `seed` under its public key plus `torsion`, made with the secret
 * scalar, its R shifted by `rTorsion`: it meets the cofactored equation, and with only the key
 * shifted the nonce is chosen so that the challenge is even and it meets the cofactorless one too.
 */
function signUnder(seed: Uint8Array, message: Uint8Array, torsion: typeof ORDER_TWO | undefined, rTorsion?: typeof ORDER_TWO): { publicKey: Uint8Array; signature: Uint8Array } {
  const { scalar, point } = ed25519.utils.getExtendedPublicKey(seed);
  const publicKey = (torsion === undefined ? point : point.add(torsion)).toBytes();
  for (let r = 1n; ; r++) {
    const nonce = Point.BASE.multiply(r);
    const R = (rTorsion === undefined ? nonce : nonce.add(rTorsion)).toBytes();
    const k = littleEndian(sha512(Uint8Array.from([...R, ...publicKey, ...message]))) % L;
    if (torsion !== undefined && k % 2n !== 0n) continue;
    return { publicKey, signature: Uint8Array.from([...R, ...scalarBytes((r + k * scalar) % L)]) };
  }
}

const seed = new Uint8Array(32).fill(21);
const header = {
  v: 1 as const, chain: new Uint8Array(32).fill(1), height: 7, prev: new Uint8Array(32).fill(2), time: 1_700_000_000_000,
  proposer: new Uint8Array(32).fill(3), txRoot: new Uint8Array(32).fill(4), resultsRoot: new Uint8Array(32).fill(5), stateRoot: new Uint8Array(32).fill(6),
};
const precommit = voteSignBytes({ type: 'precommit', chain: header.chain, height: header.height, round: 0, block: blockHash(header) });

function certificateCheck(publicKey: Uint8Array, signature: Uint8Array) {
  const json = headerJson(header);
  const commit = { height: header.height, round: 0, block: json.hash, signatures: [{ validator: toHex(publicKey), signature: toHex(signature) }] };
  return verifyCommitCertificate(json, commit, [{ key: toHex(publicKey), power: 1 }]);
}

test('a signature made this way under an ordinary key holds for the nodes and for the offline check', () => {
  const { publicKey, signature } = signUnder(seed, precommit, undefined);
  assert.equal(verifySignature(publicKey, precommit, signature), true);
  assert.deepEqual(certificateCheck(publicKey, signature), { ok: true });
});

test('under a key with a small-order part, both bare equations accept, and the nodes and the offline check both refuse', () => {
  const { publicKey, signature } = signUnder(seed, precommit, ORDER_TWO);
  assert.equal(sodium.crypto_sign_verify_detached(signature, precommit, publicKey), true, 'libsodium alone');
  assert.equal(ed25519.verify(signature, precommit, publicKey, { zip215: false }), true, 'noble alone');
  assert.equal(verifySignature(publicKey, precommit, signature), false);
  assert.equal(certificateCheck(publicKey, signature).ok, false);
});

test('an R with a small-order part, which only the cofactored equation accepts, is refused by both', () => {
  const { publicKey, signature } = signUnder(seed, precommit, undefined, ORDER_TWO);
  assert.equal(ed25519.verify(signature, precommit, publicKey, { zip215: false }), true, 'noble alone');
  assert.equal(verifySignature(publicKey, precommit, signature), false);
  assert.equal(certificateCheck(publicKey, signature).ok, false);
});
