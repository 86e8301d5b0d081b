import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decode, encode, type CanonicalValue } from '../src/codec/cbor.ts';
import { IngotError } from '../src/codec/errors.ts';
import { fromBase64Url, toBase64Url } from '../src/codec/text-code.ts';
import {
  decodeInviteCode,
  encodeInviteCode,
  INVITE_CODE_CHARS_MAX,
  INVITE_CODE_PREFIX,
  INVITE_SIGNATURE_TAG,
  signInvite,
  verifyInviteCode,
  type Invite,
  type InviteFields,
} from '../src/codec/invite-code.ts';
import { ROLES } from '../src/codec/messages.ts';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { verifySignature } from '../src/crypto/ed25519.ts';
import { domainTag } from '../src/crypto/hash.ts';

const inviter = signingKeyFromSeed(new Uint8Array(32).fill(7));
const other = signingKeyFromSeed(new Uint8Array(32).fill(8));
const PEER = '12D3KooWGzGvXHnsZ5hWbdS7kU1F3fFpRZcmR8yUhc3VtCmEwzNm';
const NOW = 1_800_000_000_000;

function fields(overrides: Partial<InviteFields> = {}): InviteFields {
  return {
    v: 1,
    chain: new Uint8Array(32).fill(1),
    consortium: 'Rail freight',
    peers: [`/ip4/127.0.0.1/tcp/7546/p2p/${PEER}`, `/dns4/relay.example/tcp/7546/p2p/${PEER}/p2p-circuit/p2p/${PEER}`],
    org: 'Harbour Logistics',
    roles: ['member'],
    expires: NOW + 3_600_000,
    secret: new Uint8Array(32).fill(9),
    inviter: 'ab'.repeat(20),
    inviterKey: inviter.publicKey,
    ...overrides,
  };
}

function codeOf(invite: Invite): string {
  return encodeInviteCode(invite);
}

function expectCode(fn: () => unknown, code: string): IngotError {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof IngotError)) assert.fail(`expected an IngotError ${code}, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return error;
  }
  return assert.fail(`expected ${code}, but it returned`);
}

const textArb = (max: number) => fc.string({ minLength: 1, maxLength: max, unit: 'grapheme' });
const fieldsArb: fc.Arbitrary<InviteFields> = fc.record(
  {
    v: fc.constant(1 as const),
    chain: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    consortium: textArb(40),
    peers: fc.array(fc.constantFrom(`/ip4/127.0.0.1/tcp/7546/p2p/${PEER}`, `/ip6/::1/tcp/1/p2p/${PEER}`, `/dns4/a.example/tcp/443/p2p/${PEER}`), { minLength: 1, maxLength: 4 }),
    org: textArb(40),
    roles: fc.subarray([...ROLES], { minLength: 1 }),
    expires: fc.maxSafeNat(),
    secret: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    inviter: fc.stringMatching(/^[0-9a-f]{40}$/),
    inviterKey: fc.constant(inviter.publicKey),
  },
  { noNullPrototype: true },
);

describe('invite code', () => {
  test('the signature tag is the crypto layer\'s domain tag for invites', () => {
    assert.deepEqual(INVITE_SIGNATURE_TAG, domainTag('invite'));
  });

  test('a signed code verifies and decodes to its fields; it is ingot-invite: + unpadded base64url of canonical CBOR', () => {
    const invite = signInvite(fields(), inviter.sign);
    const code = codeOf(invite);
    assert.ok(code.startsWith(INVITE_CODE_PREFIX));
    assert.match(code.slice(INVITE_CODE_PREFIX.length), /^[A-Za-z0-9_-]+$/);
    const raw = fromBase64Url(code.slice(INVITE_CODE_PREFIX.length))!;
    assert.deepEqual(encode(decode(raw) as CanonicalValue), raw);
    assert.deepEqual(verifyInviteCode(code, NOW, verifySignature), invite);
    assert.deepEqual(verifyInviteCode(`  ${code}\n`, NOW, verifySignature), invite, 'whitespace from pasting is ignored');
  });

  test('property: encode then verify gives back the invite, for any valid fields', () => {
    fc.assert(
      fc.property(fieldsArb, (f) => {
        const invite = signInvite(f, inviter.sign);
        const code = codeOf(invite);
        assert.ok(code.length <= INVITE_CODE_CHARS_MAX);
        assert.deepEqual(decodeInviteCode(code), invite);
        if (f.expires > NOW) assert.deepEqual(verifyInviteCode(code, NOW, verifySignature), invite);
        else expectCode(() => verifyInviteCode(code, NOW, verifySignature), 'INVITE_EXPIRED');
      }),
      { numRuns: 100 },
    );
  });

  test('an expired code is refused with INVITE_EXPIRED against the clock given', () => {
    const code = codeOf(signInvite(fields({ expires: NOW }), inviter.sign));
    expectCode(() => verifyInviteCode(code, NOW, verifySignature), 'INVITE_EXPIRED');
    expectCode(() => verifyInviteCode(code, NOW + 1, verifySignature), 'INVITE_EXPIRED');
    assert.equal(verifyInviteCode(code, NOW - 1, verifySignature).expires, NOW);
  });

  test('a forged code (signed by another key than the inviter key it names) is refused with INVITE_SIGNATURE_INVALID', () => {
    const forged = signInvite(fields(), other.sign);
    expectCode(() => verifyInviteCode(codeOf(forged), NOW, verifySignature), 'INVITE_SIGNATURE_INVALID');
    // Naming the forger's key instead verifies, but names a key the consortium does not know as an admin's.
    const own = signInvite(fields({ inviterKey: other.publicKey }), other.sign);
    assert.ok(verifyInviteCode(codeOf(own), NOW, verifySignature));
  });

  test('a code altered after signing (any field) is refused with INVITE_SIGNATURE_INVALID', () => {
    const invite = signInvite(fields(), inviter.sign);
    const alterations: Partial<Invite>[] = [
      { chain: new Uint8Array(32).fill(2) },
      { consortium: 'Other' },
      { peers: [`/ip4/10.0.0.1/tcp/7546/p2p/${PEER}`] },
      { org: 'Someone else' },
      { roles: ['admin', 'member'] },
      { expires: invite.expires + 1 },
      { secret: new Uint8Array(32).fill(3) },
      { inviter: 'cd'.repeat(20) },
    ];
    for (const alteration of alterations) {
      expectCode(() => verifyInviteCode(codeOf({ ...invite, ...alteration }), NOW, verifySignature), 'INVITE_SIGNATURE_INVALID');
    }
  });

  test('property: a mutated code is refused with a coded error, never accepted as another valid invite', () => {
    const code = codeOf(signInvite(fields(), inviter.sign));
    const body = code.slice(INVITE_CODE_PREFIX.length);
    fc.assert(
      fc.property(fc.nat(body.length - 1), fc.constantFrom(...'ABCabc019-_+/=.'), (at, char) => {
        const mutated = INVITE_CODE_PREFIX + body.slice(0, at) + char + body.slice(at + 1);
        if (mutated === code) return;
        try {
          verifyInviteCode(mutated, NOW, verifySignature);
        } catch (error) {
          assert.ok(error instanceof IngotError, String(error));
          assert.ok(['INVITE_MALFORMED', 'INVITE_SIGNATURE_INVALID'].includes(error.code), error.code);
          return;
        }
        // Only a change in the low bits of the last character could decode to the same bytes, and that is refused as non-canonical.
        assert.fail(`a mutated code was accepted: ${mutated}`);
      }),
      { numRuns: 300 },
    );
  });

  test('property: arbitrary text is refused with INVITE_MALFORMED only', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }).map((s) => INVITE_CODE_PREFIX + s), fc.uint8Array({ maxLength: 200 }).map((b) => INVITE_CODE_PREFIX + toBase64Url(b))), (text) => {
        expectCode(() => decodeInviteCode(text), 'INVITE_MALFORMED');
      }),
      { numRuns: 400 },
    );
  });

  test('refuses a code that is too long, has the wrong prefix, non-canonical base64url or CBOR, or extra fields, with INVITE_MALFORMED', () => {
    const invite = signInvite(fields(), inviter.sign);
    const code = codeOf(invite);
    expectCode(() => decodeInviteCode(code + 'A'.repeat(INVITE_CODE_CHARS_MAX)), 'INVITE_MALFORMED');
    expectCode(() => decodeInviteCode(code.replace('ingot-invite:', 'ingot-invitation:')), 'INVITE_MALFORMED');
    expectCode(() => decodeInviteCode(`${code}==`), 'INVITE_MALFORMED');
    expectCode(() => decodeInviteCode(undefined as unknown as string), 'INVITE_MALFORMED');
    const { sig, ...rest } = invite;
    const withExtra = { ...rest, peers: [...rest.peers], roles: [...rest.roles], sig, extra: 1 } as Record<string, CanonicalValue>;
    expectCode(() => decodeInviteCode(INVITE_CODE_PREFIX + toBase64Url(encode(withExtra))), 'INVITE_MALFORMED');
    const noSig = { ...rest, peers: [...rest.peers], roles: [...rest.roles] } as Record<string, CanonicalValue>;
    expectCode(() => decodeInviteCode(INVITE_CODE_PREFIX + toBase64Url(encode(noSig))), 'INVITE_MALFORMED');
    // A bootstrap address without a peer id cannot be dialled as a member.
    expectCode(() => decodeInviteCode(codeOf({ ...invite, peers: ['/ip4/127.0.0.1/tcp/7546'] })), 'INVITE_MALFORMED');
    expectCode(() => decodeInviteCode(codeOf({ ...invite, roles: ['member', 'member'] })), 'INVITE_MALFORMED');
  });

  test('signInvite refuses invalid fields; encoding refuses a code over the size limit', () => {
    expectCode(() => signInvite(fields({ peers: [] }), inviter.sign), 'INVALID_ARGUMENT');
    expectCode(() => signInvite(fields({ roles: ['owner' as never] }), inviter.sign), 'INVALID_ARGUMENT');
    const many = Array.from({ length: 16 }, (_, i) => `/dns4/${'x'.repeat(150)}${i}.example/tcp/7546/p2p/${PEER}`);
    expectCode(() => encodeInviteCode(signInvite(fields({ peers: many }), inviter.sign)), 'INVITE_TOO_LARGE');
  });

  test('property: base64url round-trips and has one text per byte string', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const text = toBase64Url(bytes);
        assert.equal(text, Buffer.from(bytes).toString('base64url'));
        assert.deepEqual(fromBase64Url(text), bytes);
      }),
    );
    assert.equal(fromBase64Url('A'), undefined);
    assert.equal(fromBase64Url('AB'), undefined, 'stray low bits');
    assert.deepEqual(fromBase64Url('AA'), new Uint8Array([0]));
    assert.equal(fromBase64Url('AA=='), undefined);
  });
});
