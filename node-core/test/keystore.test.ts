import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { decode, encode, type CanonicalValue } from '../src/codec/cbor.ts';
import { IngotError } from '../src/codec/errors.ts';
import { toHex } from '../src/crypto/hex.ts';
import { DEFAULT_KDF, generateOrgSecrets, readKeyStore, writeKeyStore, type KdfParams, type OrgSecrets } from '../src/node/keystore.ts';

const FAST_KDF: KdfParams = { N: 2 ** 10, r: 8, p: 1 };
const PASSPHRASE = 'correct horse battery staple';

let root = '';
let counter = 0;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ingot-keystore-test-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A fresh directory per test, under the suite's temporary root. */
async function freshDir(): Promise<string> {
  const dir = join(root, `t${counter++}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

async function rejectsWith(promise: Promise<unknown>, codes: string | readonly string[]): Promise<IngotError> {
  const allowed = typeof codes === 'string' ? [codes] : codes;
  let thrown: unknown;
  try {
    await promise;
  } catch (error) {
    thrown = error;
  }
  if (thrown === undefined) assert.fail(`expected an IngotError with ${allowed.join(' or ')}, but it resolved`);
  assert.ok(thrown instanceof IngotError, `expected an IngotError, got ${thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown)}`);
  assert.ok(allowed.includes(thrown.code), `code ${thrown.code} not in ${allowed.join(', ')}: ${thrown.message}`);
  return thrown;
}

function sameSecrets(actual: OrgSecrets, expected: OrgSecrets): void {
  assert.deepEqual(actual.signingSeeds.map(toHex), expected.signingSeeds.map(toHex));
  assert.equal(toHex(actual.encryptionKey), toHex(expected.encryptionKey));
}

interface FileJson {
  version: number;
  kdf: { name: string; N: number; r: number; p: number; salt: string };
  cipher: { name: string; iv: string; tag: string };
  ciphertext: string;
}

/** The file format, implemented independently of keystore.ts (docs/protocol.md, "Key store"). */
function aadOf(file: FileJson): Buffer {
  const { name, N, r, p, salt } = file.kdf;
  return Buffer.from(JSON.stringify({ version: file.version, kdf: { name, N, r, p, salt }, cipher: { name: file.cipher.name, iv: file.cipher.iv } }));
}

function decryptIndependently(file: FileJson, passphrase: string): Buffer {
  const key = scryptSync(passphrase, Buffer.from(file.kdf.salt, 'hex'), 32, { N: file.kdf.N, r: file.kdf.r, p: file.kdf.p });
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(file.cipher.iv, 'hex'), { authTagLength: 16 });
  decipher.setAAD(aadOf(file));
  decipher.setAuthTag(Buffer.from(file.cipher.tag, 'hex'));
  return Buffer.concat([decipher.update(Buffer.from(file.ciphertext, 'hex')), decipher.final()]);
}

/** A correctly encrypted and authenticated file around any plaintext. */
function forgeFile(plaintext: Uint8Array, passphrase: string, kdf: KdfParams = FAST_KDF): FileJson {
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = scryptSync(passphrase, salt, 32, { N: kdf.N, r: kdf.r, p: kdf.p });
  const file: FileJson = { version: 1, kdf: { name: 'scrypt', N: kdf.N, r: kdf.r, p: kdf.p, salt: salt.toString('hex') }, cipher: { name: 'aes-256-gcm', iv: iv.toString('hex'), tag: '' }, ciphertext: '' };
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aadOf(file));
  file.ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]).toString('hex');
  file.cipher.tag = cipher.getAuthTag().toString('hex');
  return file;
}

/** Writes a valid key store, returns its path, secrets and parsed JSON. */
async function validStore(secrets: OrgSecrets = generateOrgSecrets()) {
  const dir = await freshDir();
  const path = join(dir, 'keys.json');
  await writeKeyStore(path, secrets, PASSPHRASE, FAST_KDF);
  const text = await readFile(path, 'utf8');
  return { dir, path, secrets, text, json: JSON.parse(text) as FileJson };
}

const flipHexChar = (hex: string, at: number): string => {
  const i = at % hex.length;
  const c = hex[i] === '0' ? '1' : '0';
  return hex.slice(0, i) + c + hex.slice(i + 1);
};

// ---------------------------------------------------------------------------------------------

describe('key store', () => {
  test('generateOrgSecrets makes one 32-byte signing seed and a 32-byte encryption key, fresh each time', () => {
    const a = generateOrgSecrets();
    const b = generateOrgSecrets();
    assert.equal(a.signingSeeds.length, 1);
    assert.equal(a.signingSeeds[0]?.length, 32);
    assert.equal(a.encryptionKey.length, 32);
    assert.notEqual(toHex(a.signingSeeds[0] as Uint8Array), toHex(b.signingSeeds[0] as Uint8Array));
    assert.notEqual(toHex(a.encryptionKey), toHex(b.encryptionKey));
    assert.notEqual(toHex(a.signingSeeds[0] as Uint8Array), toHex(a.encryptionKey));
  });

  test('round trip: what is written is read back, with one or two signing seeds', async () => {
    const one = generateOrgSecrets();
    const two: OrgSecrets = { signingSeeds: [...one.signingSeeds, new Uint8Array(randomBytes(32))], encryptionKey: one.encryptionKey };
    for (const secrets of [one, two]) {
      const { path } = await validStore(secrets);
      sameSecrets(await readKeyStore(path, PASSPHRASE), secrets);
    }
  });

  test('property: round trip for random secrets and passphrases', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.json');
    const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const passphrase = fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 10 }));
    await fc.assert(
      fc.asyncProperty(fc.array(seed, { minLength: 1, maxLength: 2 }), seed, passphrase, async (signingSeeds, encryptionKey, pass) => {
        const secrets = { signingSeeds, encryptionKey };
        await writeKeyStore(path, secrets, pass, FAST_KDF);
        sameSecrets(await readKeyStore(path, pass), secrets);
      }),
      { numRuns: 8 },
    );
  });

  test('round trip with the default KDF settings, which the file records', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.json');
    const secrets = generateOrgSecrets();
    await writeKeyStore(path, secrets, PASSPHRASE);
    const json = JSON.parse(await readFile(path, 'utf8')) as FileJson;
    assert.deepEqual({ N: json.kdf.N, r: json.kdf.r, p: json.kdf.p }, { ...DEFAULT_KDF });
    assert.deepEqual(DEFAULT_KDF, { N: 2 ** 15, r: 8, p: 1 });
    sameSecrets(await readKeyStore(path, PASSPHRASE), secrets);
  });

  test('KDF settings given with their keys in another order still open', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.json');
    const secrets = generateOrgSecrets();
    await writeKeyStore(path, secrets, PASSPHRASE, { p: 1, r: 8, N: 2 ** 10 });
    sameSecrets(await readKeyStore(path, PASSPHRASE), secrets);
  });

  test('the file is JSON in the documented format and decrypts independently to CBOR of the secrets', async () => {
    const { json, secrets, text } = await validStore();
    assert.deepEqual(Object.keys(json).sort(), ['cipher', 'ciphertext', 'kdf', 'version']);
    assert.equal(json.version, 1);
    assert.equal(json.kdf.name, 'scrypt');
    assert.deepEqual({ N: json.kdf.N, r: json.kdf.r, p: json.kdf.p }, { ...FAST_KDF });
    assert.match(json.kdf.salt, /^[0-9a-f]{32}$/);
    assert.equal(json.cipher.name, 'aes-256-gcm');
    assert.match(json.cipher.iv, /^[0-9a-f]{24}$/);
    assert.match(json.cipher.tag, /^[0-9a-f]{32}$/);
    assert.match(json.ciphertext, /^[0-9a-f]+$/);
    // no secret appears in the clear
    for (const secret of [...secrets.signingSeeds, secrets.encryptionKey]) assert.ok(!text.includes(toHex(secret)));
    const plaintext = decryptIndependently(json, PASSPHRASE);
    const decoded = decode(new Uint8Array(plaintext)) as { signingSeeds: Uint8Array[]; encryptionKey: Uint8Array };
    sameSecrets(decoded, secrets);
    assert.ok(text.endsWith('\n'));
  });

  test('each write uses a fresh salt and IV', async () => {
    const secrets = generateOrgSecrets();
    const a = await validStore(secrets);
    const b = await validStore(secrets);
    assert.notEqual(a.json.kdf.salt, b.json.kdf.salt);
    assert.notEqual(a.json.cipher.iv, b.json.cipher.iv);
    assert.notEqual(a.json.ciphertext, b.json.ciphertext);
  });

  test('the file has mode 0600, also when it replaces a more open file, and no temporary file is left', async () => {
    const dir = await freshDir();
    const path = join(dir, 'nested', 'keys.json');
    await writeKeyStore(path, generateOrgSecrets(), PASSPHRASE, FAST_KDF);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    await chmod(path, 0o644);
    await writeFile(join(dir, 'nested', 'other'), 'x');
    await writeKeyStore(path, generateOrgSecrets(), PASSPHRASE, FAST_KDF);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual((await readdir(join(dir, 'nested'))).sort(), ['keys.json', 'other']);
  });

  test('rewriting with a new passphrase: the old one no longer opens it', async () => {
    const { path, secrets } = await validStore();
    await writeKeyStore(path, secrets, 'new passphrase', FAST_KDF);
    sameSecrets(await readKeyStore(path, 'new passphrase'), secrets);
    await rejectsWith(readKeyStore(path, PASSPHRASE), 'KEYSTORE_WRONG_PASSPHRASE');
  });

  test('a wrong passphrase gives KEYSTORE_WRONG_PASSPHRASE and leaves the file bytes unchanged', async () => {
    const { path } = await validStore();
    const before = await readFile(path);
    const mode = (await stat(path)).mode;
    for (const wrong of ['', 'wrong', PASSPHRASE.toUpperCase(), `${PASSPHRASE} `, PASSPHRASE.slice(0, -1), `${PASSPHRASE}\n`]) {
      await rejectsWith(readKeyStore(path, wrong), 'KEYSTORE_WRONG_PASSPHRASE');
    }
    assert.ok((await readFile(path)).equals(before));
    assert.equal((await stat(path)).mode, mode);
  });

  test('Unicode passphrases are taken as they are (no normalisation)', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.json');
    const composed = 'caf\u00e9 passphrase';
    const decomposed = 'cafe\u0301 passphrase';
    const secrets = generateOrgSecrets();
    await writeKeyStore(path, secrets, composed, FAST_KDF);
    sameSecrets(await readKeyStore(path, composed), secrets);
    await rejectsWith(readKeyStore(path, decomposed), 'KEYSTORE_WRONG_PASSPHRASE');
  });

  test('an empty passphrase on write gives PASSPHRASE_EMPTY and writes nothing', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.json');
    await rejectsWith(writeKeyStore(path, generateOrgSecrets(), '', FAST_KDF), 'PASSPHRASE_EMPTY');
    await rejectsWith(readKeyStore(path, PASSPHRASE), 'KEYSTORE_MISSING');
    // and an existing store is left as it was
    const { path: existing, text } = await validStore();
    await rejectsWith(writeKeyStore(existing, generateOrgSecrets(), '', FAST_KDF), 'PASSPHRASE_EMPTY');
    assert.equal(await readFile(existing, 'utf8'), text);
  });

  test('a missing file or directory gives KEYSTORE_MISSING', async () => {
    const dir = await freshDir();
    await rejectsWith(readKeyStore(join(dir, 'keys.json'), PASSPHRASE), 'KEYSTORE_MISSING');
    await rejectsWith(readKeyStore(join(root, 'no-such-dir', 'deeper', 'keys.json'), PASSPHRASE), 'KEYSTORE_MISSING');
  });

  test('tampered ciphertext, tag, IV, salt or KDF settings give KEYSTORE_WRONG_PASSPHRASE', async () => {
    const { path, json } = await validStore();
    const variants: [string, (f: FileJson) => void][] = [
      ['ciphertext: first character flipped', (f) => (f.ciphertext = flipHexChar(f.ciphertext, 0))],
      ['ciphertext: middle character flipped', (f) => (f.ciphertext = flipHexChar(f.ciphertext, f.ciphertext.length >> 1))],
      ['ciphertext: last character flipped', (f) => (f.ciphertext = flipHexChar(f.ciphertext, f.ciphertext.length - 1))],
      ['ciphertext: last byte removed', (f) => (f.ciphertext = f.ciphertext.slice(0, -2))],
      ['ciphertext: a byte appended', (f) => (f.ciphertext += '00')],
      ['ciphertext: replaced by another file of the same length', (f) => (f.ciphertext = '00'.repeat(f.ciphertext.length / 2))],
      ['tag: a character flipped', (f) => (f.cipher.tag = flipHexChar(f.cipher.tag, 5))],
      ['tag: all zeros', (f) => (f.cipher.tag = '00'.repeat(16))],
      ['tag: truncated to 12 bytes', (f) => (f.cipher.tag = f.cipher.tag.slice(0, 24))],
      ['tag: truncated to 4 bytes', (f) => (f.cipher.tag = f.cipher.tag.slice(0, 8))],
      ['tag: truncated to 1 byte', (f) => (f.cipher.tag = f.cipher.tag.slice(0, 2))],
      ['tag: extended to 17 bytes', (f) => (f.cipher.tag += '00')],
      ['iv: a character flipped', (f) => (f.cipher.iv = flipHexChar(f.cipher.iv, 3))],
      ['iv: shortened', (f) => (f.cipher.iv = f.cipher.iv.slice(0, 16))],
      ['salt: a character flipped', (f) => (f.kdf.salt = flipHexChar(f.kdf.salt, 7))],
      ['salt: shortened', (f) => (f.kdf.salt = f.kdf.salt.slice(0, 8))],
      ['kdf: N doubled', (f) => (f.kdf.N *= 2)],
      ['kdf: r changed', (f) => (f.kdf.r = 4)],
      ['kdf: p changed', (f) => (f.kdf.p = 2)],
    ];
    for (const [what, mutate] of variants) {
      const file = structuredClone(json);
      mutate(file);
      await writeFile(path, JSON.stringify(file));
      await rejectsWith(readKeyStore(path, PASSPHRASE), 'KEYSTORE_WRONG_PASSPHRASE').catch((error: unknown) => {
        throw new Error(`${what}: ${(error as Error).message}`);
      });
    }
  });

  test('KDF settings scrypt cannot use give KEYSTORE_CORRUPT, not a crash', async () => {
    const { path, json } = await validStore();
    const variants: [string, (f: FileJson) => void][] = [
      ['N not a power of two', (f) => (f.kdf.N = 1025)],
      ['N = 1536', (f) => (f.kdf.N = 1536)],
      ['N below the minimum', (f) => (f.kdf.N = 512)],
      ['N above the maximum', (f) => (f.kdf.N = 2 ** 21)],
      ['N fractional', (f) => (f.kdf.N = 1024.5)],
      ['r = 0', (f) => (f.kdf.r = 0)],
      ['r too large', (f) => (f.kdf.r = 33)],
      ['p = 0', (f) => (f.kdf.p = 0)],
      ['p too large', (f) => (f.kdf.p = 17)],
      ['N as a string', (f) => ((f.kdf as unknown as Record<string, unknown>).N = '1024')],
    ];
    for (const [what, mutate] of variants) {
      const file = structuredClone(json);
      mutate(file);
      await writeFile(path, JSON.stringify(file));
      await rejectsWith(readKeyStore(path, PASSPHRASE), 'KEYSTORE_CORRUPT').catch((error: unknown) => {
        throw new Error(`${what}: ${(error as Error).message}`);
      });
    }
  });

  test('files that are not JSON, or lack or add fields, give KEYSTORE_CORRUPT', async () => {
    const { path, json, text } = await validStore();
    const drop = (f: FileJson, pathParts: string[]) => {
      let target = f as unknown as Record<string, unknown>;
      for (const part of pathParts.slice(0, -1)) target = target[part] as Record<string, unknown>;
      delete target[pathParts.at(-1) as string];
    };
    const texts: [string, string][] = [
      ['empty file', ''],
      ['whitespace', '  \n'],
      ['not JSON', 'this is not json'],
      ['truncated JSON', text.slice(0, text.length >> 1)],
      ['JSON null', 'null'],
      ['JSON number', '42'],
      ['JSON string', '"keys"'],
      ['JSON array', JSON.stringify([json])],
      ['empty object', '{}'],
      ['binary garbage', Buffer.from(randomBytes(64)).toString('latin1')],
    ];
    for (const field of [['version'], ['kdf'], ['cipher'], ['ciphertext'], ['kdf', 'name'], ['kdf', 'N'], ['kdf', 'r'], ['kdf', 'p'], ['kdf', 'salt'], ['cipher', 'name'], ['cipher', 'iv'], ['cipher', 'tag']]) {
      const file = structuredClone(json);
      drop(file, field);
      texts.push([`missing ${field.join('.')}`, JSON.stringify(file)]);
    }
    type Loose = { [key: string]: unknown; kdf: Record<string, unknown>; cipher: Record<string, unknown>; ciphertext: unknown };
    const edits: [string, (f: Loose) => void][] = [
      ['version 2', (f) => (f.version = 2)],
      ['version as a string', (f) => (f.version = '1')],
      ['another KDF', (f) => (f.kdf.name = 'pbkdf2')],
      ['another cipher', (f) => (f.cipher.name = 'aes-128-gcm')],
      ['an extra top-level field', (f) => (f.extra = 1)],
      ['an extra KDF field', (f) => (f.kdf.maxmem = 1)],
      ['an extra cipher field', (f) => (f.cipher.aad = '')],
      ['upper-case hex ciphertext', (f) => (f.ciphertext = String(f.ciphertext).toUpperCase())],
      ['odd-length ciphertext', (f) => (f.ciphertext = String(f.ciphertext).slice(0, -1))],
      ['non-hex ciphertext', (f) => (f.ciphertext = `zz${String(f.ciphertext).slice(2)}`)],
      ['empty ciphertext', (f) => (f.ciphertext = '')],
      ['empty tag', (f) => (f.cipher.tag = '')],
      ['empty iv', (f) => (f.cipher.iv = '')],
      ['empty salt', (f) => (f.kdf.salt = '')],
      ['upper-case salt', (f) => (f.kdf.salt = String(f.kdf.salt).toUpperCase())],
      ['kdf as a string', (f) => ((f as Record<string, unknown>).kdf = 'scrypt')],
      ['ciphertext as a number', (f) => (f.ciphertext = 1)],
    ];
    for (const [what, edit] of edits) {
      const file = structuredClone(json) as unknown as Loose;
      edit(file);
      texts.push([what, JSON.stringify(file)]);
    }
    for (const [what, content] of texts) {
      await writeFile(path, content);
      await rejectsWith(readKeyStore(path, PASSPHRASE), 'KEYSTORE_CORRUPT').catch((error: unknown) => {
        throw new Error(`${what}: ${(error as Error).message}`);
      });
    }
  });

  test('an authentic file with unexpected content gives KEYSTORE_CORRUPT', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.json');
    const seed = new Uint8Array(32).fill(1);
    const contents: [string, CanonicalValue][] = [
      ['no seeds', { signingSeeds: [], encryptionKey: seed }],
      ['three seeds', { signingSeeds: [seed, seed, seed], encryptionKey: seed }],
      ['a short seed', { signingSeeds: [seed.subarray(0, 31)], encryptionKey: seed }],
      ['a short encryption key', { signingSeeds: [seed], encryptionKey: seed.subarray(0, 16) }],
      ['missing encryption key', { signingSeeds: [seed] }],
      ['an extra field', { signingSeeds: [seed], encryptionKey: seed, extra: 1 }],
      ['seeds as text', { signingSeeds: ['00'.repeat(32)], encryptionKey: seed }],
      ['not a map', [seed, seed]],
      ['null', null],
    ];
    for (const [what, content] of contents) {
      await writeFile(path, JSON.stringify(forgeFile(encode(content), PASSPHRASE)));
      await rejectsWith(readKeyStore(path, PASSPHRASE), 'KEYSTORE_CORRUPT').catch((error: unknown) => {
        throw new Error(`${what}: ${(error as Error).message}`);
      });
    }
    // the forging helper itself makes files that open
    const secrets = generateOrgSecrets();
    await writeFile(path, JSON.stringify(forgeFile(encode({ signingSeeds: [...secrets.signingSeeds], encryptionKey: secrets.encryptionKey }), PASSPHRASE)));
    sameSecrets(await readKeyStore(path, PASSPHRASE), secrets);
  });

  test('an authentic file whose content is not canonical CBOR is refused with a code, not a crash', async () => {
    const dir = await freshDir();
    const path = join(dir, 'keys.json');
    for (const plaintext of ['', 'ff', 'a2616201616102', 'f93c00', '9f01ff']) {
      await writeFile(path, JSON.stringify(forgeFile(Buffer.from(plaintext, 'hex'), PASSPHRASE)));
      await rejectsWith(readKeyStore(path, PASSPHRASE), ['KEYSTORE_CORRUPT', 'DECODE_MALFORMED', 'DECODE_NOT_CANONICAL']);
    }
  });

  test('property: any single-character edit of the file opens to the same secrets or gives a key-store code', async () => {
    const { path, text, secrets } = await validStore();
    const edit = fc.record(
      { at: fc.nat(text.length - 1), kind: fc.constantFrom('replace', 'insert', 'delete'), char: fc.constantFrom(...'0123456789abcdefz"{}[],: \n'.split('')) },
      { noNullPrototype: true },
    );
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(edit, async ({ at, kind, char }) => {
        const edited = kind === 'delete' ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + char + text.slice(kind === 'insert' ? at : at + 1);
        await writeFile(path, edited);
        try {
          sameSecrets(await readKeyStore(path, PASSPHRASE), secrets);
        } catch (error) {
          assert.ok(error instanceof IngotError, `${JSON.stringify(edited)}: ${String(error)}`);
          assert.ok(['KEYSTORE_CORRUPT', 'KEYSTORE_WRONG_PASSPHRASE'].includes(error.code), error.code);
          rejected++;
        }
      }),
      { numRuns: 40 },
    );
    assert.ok(rejected > 10, `only ${rejected} edits were refused`);
  });


});
