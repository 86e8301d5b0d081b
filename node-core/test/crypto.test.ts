import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { IngotError } from '../src/codec/errors.ts';
import { PUBLIC_KEY_BYTES, SEED_BYTES, SIGNATURE_BYTES, signingKeyFromSeed, verifySignature } from '../src/crypto/ed25519.ts';
import { fromHex, toHex } from '../src/crypto/hex.ts';
import { x25519PublicKey } from '../src/crypto/x25519.ts';

const hex = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const flipBit = (bytes: Uint8Array, at: number, bit = 0): Uint8Array => {
  const copy = Uint8Array.from(bytes);
  copy[at % copy.length] = (copy[at % copy.length] as number) ^ (1 << bit);
  return copy;
};
const isKeyInvalid = (error: unknown) => error instanceof IngotError && error.code === 'KEY_INVALID';

describe('ed25519', () => {
  // RFC 8032 §7.1, TEST 1 and TEST 2
  const vectors = [
    {
      seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
      publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
      message: '',
      signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
    },
    {
      seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
      publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      message: '72',
      signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
    },
  ];

  test('matches the RFC 8032 test vectors', () => {
    for (const v of vectors) {
      const key = signingKeyFromSeed(hex(v.seed));
      assert.equal(toHex(key.publicKey), v.publicKey);
      assert.equal(toHex(key.sign(hex(v.message))), v.signature);
      assert.equal(verifySignature(hex(v.publicKey), hex(v.message), hex(v.signature)), true);
    }
  });

  test('sizes: 32-byte public keys, 64-byte signatures', () => {
    assert.equal(PUBLIC_KEY_BYTES, 32);
    assert.equal(SEED_BYTES, 32);
    assert.equal(SIGNATURE_BYTES, 64);
    const key = signingKeyFromSeed(new Uint8Array(randomBytes(32)));
    assert.equal(key.publicKey.length, 32);
    assert.equal(key.sign(new Uint8Array(0)).length, 64);
  });

  test('the same seed gives the same key and the same (deterministic) signature', () => {
    const seed = new Uint8Array(randomBytes(32));
    const a = signingKeyFromSeed(seed);
    const b = signingKeyFromSeed(Uint8Array.from(seed));
    const message = new TextEncoder().encode('same message');
    assert.equal(toHex(a.publicKey), toHex(b.publicKey));
    assert.equal(toHex(a.sign(message)), toHex(b.sign(message)));
    assert.notEqual(toHex(signingKeyFromSeed(flipBit(seed, 0)).publicKey), toHex(a.publicKey));
  });

  test('a seed that is not 32 bytes is refused with KEY_INVALID', () => {
    for (const length of [0, 16, 31, 33, 64]) assert.throws(() => signingKeyFromSeed(new Uint8Array(length)), isKeyInvalid);
  });

  test('property: a signature verifies for its key and message, and fails for any other key, message or signature', () => {
    const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
    fc.assert(
      fc.property(seed, seed, fc.uint8Array({ maxLength: 200 }), fc.nat(), fc.nat(7), (seedA, seedB, message, at, bit) => {
        fc.pre(toHex(seedA) !== toHex(seedB));
        const key = signingKeyFromSeed(seedA);
        const other = signingKeyFromSeed(seedB);
        const signature = key.sign(message);
        assert.equal(verifySignature(key.publicKey, message, signature), true);
        assert.equal(verifySignature(other.publicKey, message, signature), false, 'another key');
        assert.equal(verifySignature(key.publicKey, message, other.sign(message)), false, 'signed by another key');
        assert.equal(verifySignature(key.publicKey, flipBit(signature, at, bit), signature), false, 'signature passed as the message');
        assert.equal(verifySignature(key.publicKey, message, flipBit(signature, at, bit)), false, 'flipped bit in the signature');
        assert.equal(verifySignature(flipBit(key.publicKey, at, bit), message, signature), false, 'flipped bit in the public key');
        if (message.length > 0) assert.equal(verifySignature(key.publicKey, flipBit(message, at, bit), signature), false, 'flipped bit in the message');
        assert.equal(verifySignature(key.publicKey, new Uint8Array([...message, 0]), signature), false, 'byte appended to the message');
      }),
      { numRuns: 100 },
    );
  });

  test('wrong-length public keys and signatures give false, not an exception', () => {
    const key = signingKeyFromSeed(new Uint8Array(32).fill(5));
    const message = new TextEncoder().encode('m');
    const signature = key.sign(message);
    for (const length of [0, 1, 31, 33, 64]) {
      const pk = new Uint8Array(length);
      pk.set(key.publicKey.subarray(0, Math.min(length, 32)));
      assert.equal(verifySignature(pk, message, signature), false, `public key of ${length} bytes`);
    }
    for (const length of [0, 1, 63, 65, 128]) {
      const sig = new Uint8Array(length);
      sig.set(signature.subarray(0, Math.min(length, 64)));
      assert.equal(verifySignature(key.publicKey, message, sig), false, `signature of ${length} bytes`);
    }
    // a valid signature with a trailing byte, or a public key with a trailing byte
    assert.equal(verifySignature(key.publicKey, message, new Uint8Array([...signature, 0])), false);
    assert.equal(verifySignature(new Uint8Array([...key.publicKey, 0]), message, signature), false);
  });

  test('public keys that are not curve points, and junk signatures, give false, not an exception', () => {
    const message = new Uint8Array([1, 2, 3]);
    const junkKeys = [new Uint8Array(32), new Uint8Array(32).fill(0xff), hex(`02${'00'.repeat(31)}`), new Uint8Array(randomBytes(32))];
    for (const pk of junkKeys) {
      assert.equal(verifySignature(pk, message, new Uint8Array(64)), false);
      assert.equal(verifySignature(pk, message, new Uint8Array(randomBytes(64))), false);
    }
    // S >= L (non-canonical scalar) must not verify
    const key = signingKeyFromSeed(new Uint8Array(32).fill(9));
    const signature = key.sign(message);
    const highS = Uint8Array.from(signature);
    highS.fill(0xff, 32);
    assert.equal(verifySignature(key.publicKey, message, highS), false);
  });

  test('the strict rules every node applies: no malleable S, no small-order key', () => {
    const key = signingKeyFromSeed(new Uint8Array(32).fill(11));
    const message = new TextEncoder().encode('strict');
    const signature = key.sign(message);
    assert.equal(verifySignature(key.publicKey, message, signature), true);
    // S + L satisfies the same equation as S: a second encoding of one signature, refused.
    const L = 2n ** 252n + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i] as number);
    let malleated = s + L;
    const highS = Uint8Array.from(signature);
    for (let i = 32; i < 64; i++, malleated >>= 8n) highS[i] = Number(malleated & 0xffn);
    assert.equal(verifySignature(key.publicKey, message, highS), false, 'S + L');
    // The identity point as the key, with R the identity and S = 0, meets the cofactorless
    // equation for every message; a small-order key must sign nothing.
    const identity = hex(`01${'00'.repeat(31)}`);
    const forged = new Uint8Array(64);
    forged.set(identity, 0);
    assert.equal(verifySignature(identity, message, forged), false, 'small-order key');
  });
});

describe('x25519', () => {
  const rawPrivate = (key: KeyObject) => new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).d as string, 'base64url'));
  const rawPublic = (key: KeyObject) => new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).x as string, 'base64url'));
  const publicKeyObject = (raw: Uint8Array) => createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
  const privateKeyObject = (raw: Uint8Array) =>
    createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(raw).toString('base64url'), x: Buffer.from(x25519PublicKey(raw)).toString('base64url') }, format: 'jwk' });

  test('matches the RFC 7748 §6.1 test vector', () => {
    const alice = fromHex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 32, 'alice');
    const bob = fromHex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb', 32, 'bob');
    assert.equal(toHex(x25519PublicKey(alice)), '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    assert.equal(toHex(x25519PublicKey(bob)), 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const shared = diffieHellman({ privateKey: privateKeyObject(alice), publicKey: publicKeyObject(x25519PublicKey(bob)) });
    assert.equal(shared.toString('hex'), '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');
  });

  test('public keys are 32 bytes and deterministic for the same private key', () => {
    const privateKey = new Uint8Array(randomBytes(32));
    const a = x25519PublicKey(privateKey);
    assert.equal(a.length, 32);
    assert.equal(toHex(x25519PublicKey(Uint8Array.from(privateKey))), toHex(a));
    assert.notEqual(toHex(x25519PublicKey(flipBit(privateKey, 5, 3))), toHex(a));
  });

  test('agrees with node:crypto: same public keys, and both sides derive the same shared secret', () => {
    for (let round = 0; round < 5; round++) {
      const a = generateKeyPairSync('x25519');
      const b = generateKeyPairSync('x25519');
      const aPublic = x25519PublicKey(rawPrivate(a.privateKey));
      const bPublic = x25519PublicKey(rawPrivate(b.privateKey));
      assert.equal(toHex(aPublic), toHex(rawPublic(a.publicKey)));
      assert.equal(toHex(bPublic), toHex(rawPublic(b.publicKey)));
      const ab = diffieHellman({ privateKey: a.privateKey, publicKey: publicKeyObject(bPublic) });
      const ba = diffieHellman({ privateKey: b.privateKey, publicKey: publicKeyObject(aPublic) });
      assert.equal(ab.length, 32);
      assert.equal(ab.toString('hex'), ba.toString('hex'));
      // a third party's key gives another secret
      const c = generateKeyPairSync('x25519');
      assert.notEqual(diffieHellman({ privateKey: c.privateKey, publicKey: publicKeyObject(bPublic) }).toString('hex'), ab.toString('hex'));
    }
  });

  test('a private key that is not 32 bytes is refused with KEY_INVALID', () => {
    for (const length of [0, 16, 31, 33, 64]) assert.throws(() => x25519PublicKey(new Uint8Array(length)), isKeyInvalid);
  });
});
