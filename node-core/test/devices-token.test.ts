import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  ACCESS_TOKEN_PREFIX, accessTokenIdHex, decodeAccessToken, signAccessToken, verifyAccessToken, type AccessTokenFields, type VerifyAccessOptions,
} from '../src/codec/access-token.ts';
import { encode } from '../src/codec/cbor.ts';
import { toBase64Url } from '../src/codec/text-code.ts';
import { signingKeyFromSeed, verifySignature } from '../src/crypto/ed25519.ts';
import { domainTag } from '../src/crypto/hash.ts';

/** Access tokens checked offline, as a device or gateway would: only the owner's public key and a clock. */

const owner = signingKeyFromSeed(new Uint8Array(32).fill(1));
const stranger = signingKeyFromSeed(new Uint8Array(32).fill(2));
const NOW = 1_700_000_000_000;
const DEVICE = 'd'.repeat(40);

const fields = (over: Partial<AccessTokenFields> = {}): AccessTokenFields => ({
  v: 1, chain: new Uint8Array(32).fill(7), id: new Uint8Array(16).fill(3), device: DEVICE, grantee: 'b'.repeat(40), permission: 'operate',
  issuer: 'a'.repeat(40), issuerKey: owner.publicKey, notBefore: NOW, expiresAt: NOW + 60_000, ...over,
});
const options = (over: Partial<VerifyAccessOptions> = {}): VerifyAccessOptions => ({
  ownerKey: owner.publicKey, device: DEVICE, permission: 'operate', now: NOW + 1000, seen: new Set(), verify: verifySignature, ...over,
});
const codeOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return 'no error';
};

test('a token signed by the owner verifies offline once; the same token again is a replay', () => {
  const token = signAccessToken(fields(), owner.sign);
  assert.ok(token.startsWith(ACCESS_TOKEN_PREFIX));
  assert.ok(token.length < 600, `a token is short (${token.length} characters)`);
  const seen = new Set<string>();
  const checked = verifyAccessToken(token, options({ seen }));
  assert.equal(checked.grantee, 'b'.repeat(40));
  assert.deepEqual([...seen], [accessTokenIdHex(checked)]);
  assert.equal(codeOf(() => verifyAccessToken(token, options({ seen }))), 'ACCESS_TOKEN_REPLAYED');
  // The signature is over the tagged canonical map, so another implementation can check it.
  const decoded = decodeAccessToken(token);
  const { sig, ...rest } = decoded;
  assert.ok(verifySignature(owner.publicKey, new Uint8Array([...domainTag('access-token'), ...encode(rest)]), sig));
});

test('expired, not yet valid, out-of-scope, forged and malformed tokens fail with their codes', () => {
  const token = signAccessToken(fields(), owner.sign);
  assert.equal(codeOf(() => verifyAccessToken(token, options({ now: NOW + 60_000 }))), 'ACCESS_TOKEN_EXPIRED');
  assert.equal(codeOf(() => verifyAccessToken(token, options({ now: NOW - 1 }))), 'ACCESS_TOKEN_NOT_YET_VALID');
  assert.equal(codeOf(() => verifyAccessToken(token, options({ device: 'e'.repeat(40) }))), 'ACCESS_TOKEN_OUT_OF_SCOPE');
  assert.equal(codeOf(() => verifyAccessToken(token, options({ permission: 'maintain' }))), 'ACCESS_TOKEN_OUT_OF_SCOPE');
  assert.equal(codeOf(() => verifyAccessToken(token, options({ grantee: 'c'.repeat(40) }))), 'ACCESS_TOKEN_OUT_OF_SCOPE');
  assert.equal(codeOf(() => verifyAccessToken(token, options({ chain: new Uint8Array(32) }))), 'ACCESS_TOKEN_OUT_OF_SCOPE');
  // Signed by another key that claims the owner's, or naming its own key: forged either way.
  assert.equal(codeOf(() => verifyAccessToken(signAccessToken(fields(), stranger.sign), options())), 'ACCESS_TOKEN_SIGNATURE_INVALID');
  assert.equal(codeOf(() => verifyAccessToken(signAccessToken(fields({ issuerKey: stranger.publicKey }), stranger.sign), options())), 'ACCESS_TOKEN_SIGNATURE_INVALID');
  // Altered after signing: a wider permission or a later expiry.
  const { sig, ...rest } = decodeAccessToken(token);
  const altered = ACCESS_TOKEN_PREFIX + toBase64Url(encode({ ...rest, permission: 'maintain', sig }));
  assert.equal(codeOf(() => verifyAccessToken(altered, options({ permission: 'maintain' }))), 'ACCESS_TOKEN_SIGNATURE_INVALID');
  const later = ACCESS_TOKEN_PREFIX + toBase64Url(encode({ ...rest, expiresAt: NOW + 120_000, sig }));
  assert.equal(codeOf(() => verifyAccessToken(later, options({ now: NOW + 90_000 }))), 'ACCESS_TOKEN_SIGNATURE_INVALID');
  // A failed check does not use the token up.
  const seen = new Set<string>();
  assert.equal(codeOf(() => verifyAccessToken(token, options({ seen, permission: 'maintain' }))), 'ACCESS_TOKEN_OUT_OF_SCOPE');
  assert.equal(seen.size, 0);
  for (const text of ['', 'ingot-access:', 'ingot-access:!!', token.slice(0, -4), `x${token}`]) {
    assert.equal(codeOf(() => verifyAccessToken(text, options())), 'ACCESS_TOKEN_MALFORMED', text);
  }
});

test('a token lives at most five minutes', () => {
  assert.equal(codeOf(() => signAccessToken(fields({ expiresAt: NOW + 5 * 60_000 + 1 }), owner.sign)), 'INVALID_ARGUMENT');
  assert.equal(codeOf(() => signAccessToken(fields({ expiresAt: NOW }), owner.sign)), 'INVALID_ARGUMENT');
  const decoded: Record<string, unknown> = { ...decodeAccessToken(signAccessToken(fields(), owner.sign)) };
  delete decoded.sig;
  const long = { ...decoded, expiresAt: NOW + 10 * 60_000 } as Record<string, Uint8Array | number | string>;
  const forged = ACCESS_TOKEN_PREFIX + toBase64Url(encode({ ...long, sig: owner.sign(new Uint8Array([...domainTag('access-token'), ...encode(long)])) }));
  assert.equal(codeOf(() => verifyAccessToken(forged, options())), 'ACCESS_TOKEN_MALFORMED', 'even signed by the owner, a long-lived token is refused');
});
