import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { safeStoragePassphraseStore } from '../src/passphrase-store.ts';
import { FakeSafeStorage } from './support/fakes.ts';

async function storeFile(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ingot-passphrase-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'passphrase.bin');
}

test('a remembered passphrase is kept encrypted, readable only by the user, and forgotten on request', async (t) => {
  const file = await storeFile(t);
  const store = safeStoragePassphraseStore(new FakeSafeStorage(true), file);
  assert.equal(store.canRemember, true);
  assert.equal(await store.load(), undefined);
  await store.save('correct horse battery staple');
  assert.equal(await store.load(), 'correct horse battery staple');
  assert.equal((await readFile(file)).includes('correct horse'), false, 'never in plain text');
  if (process.platform !== 'win32') assert.equal((await stat(file)).mode & 0o777, 0o600);
  await store.forget();
  assert.equal(await store.load(), undefined);
  await store.forget();
});

test('without OS encryption nothing is remembered', async (t) => {
  const file = await storeFile(t);
  const safeStorage = new FakeSafeStorage(true);
  const store = safeStoragePassphraseStore(safeStorage, file);
  await store.save('kept while the keychain worked');
  safeStorage.available = false;
  assert.equal(store.canRemember, false);
  assert.equal(await store.load(), undefined);
  await assert.rejects(store.save('another'), /no keychain/);
});

test('a file the keychain cannot decrypt reads as no passphrase', async (t) => {
  const file = await storeFile(t);
  await writeFile(file, 'not encrypted by this keychain');
  assert.equal(await safeStoragePassphraseStore(new FakeSafeStorage(true), file).load(), undefined);
});

test('on Linux, a safeStorage without a real secret store (basic_text, unknown) remembers nothing', async (t) => {
  const file = await storeFile(t);
  const safeStorage = new FakeSafeStorage(true);
  const store = safeStoragePassphraseStore(safeStorage, file, 'linux');
  assert.equal(store.canRemember, true, 'libsecret is a real keychain');
  for (const backend of ['basic_text', 'unknown']) {
    safeStorage.backend = backend;
    assert.equal(store.canRemember, false, backend);
    await assert.rejects(store.save('in plain sight'), /no keychain/, backend);
    assert.equal(await store.load(), undefined, backend);
  }
  await assert.rejects(readFile(file), { code: 'ENOENT' }, 'nothing was written');
  safeStorage.backend = 'basic_text';
  assert.equal(safeStoragePassphraseStore(safeStorage, file, 'darwin').canRemember, true, 'the backend matters on Linux only');
});
