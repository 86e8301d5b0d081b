import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { NodeHost, type PassphraseVault } from '../src/host/node-host.ts';
import { dispatch } from '../src/rpc/dispatch.ts';
import { LOOPBACK_P2P, TEST_KDF, TEST_PASSPHRASE, tempDir } from './support/temp-node.ts';

interface Reply {
  result?: Record<string, unknown>;
  error?: { message: string; data: { code: string; field?: string } };
}

async function call(host: NodeHost, method: string, params: unknown = {}): Promise<Reply> {
  return (await dispatch(host, JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }), undefined)) as Reply;
}

function recordingVault(canRemember: boolean) {
  const log: string[] = [];
  const vault: PassphraseVault = {
    canRemember,
    async remember(passphrase) {
      log.push(`remember ${passphrase}`);
    },
    async forget() {
      log.push('forget');
    },
  };
  return { vault, log };
}

const hostOptions = (dataDir: string, vault?: PassphraseVault) => ({
  dataDir,
  kdf: TEST_KDF,
  config: { api: { host: '127.0.0.1' as const, port: 0 }, blockIntervalMs: 20, p2p: LOOPBACK_P2P },
  ...(vault === undefined ? {} : { vault }),
});

test('a fresh directory goes from first run to a running node through the API, and back to locked when closed', async () => {
  const { dir, remove } = await tempDir();
  const dataDir = join(dir, 'node');
  const host = await NodeHost.open(hostOptions(dataDir));
  try {
    assert.deepEqual((await call(host, 'app.state')).result, { phase: 'uninitialised', dataDir, canRememberPassphrase: false });
    assert.equal((await call(host, 'node.status')).error?.data.code, 'NODE_NOT_INITIALISED');
    assert.equal((await call(host, 'app.unlock', { passphrase: TEST_PASSPHRASE })).error?.data.code, 'NODE_NOT_INITIALISED');

    const short = await call(host, 'app.createConsortium', { organisation: 'Acme', passphrase: 'short' });
    assert.equal(short.error?.data.code, 'INVALID_PARAMS');
    assert.equal(short.error?.data.field, 'passphrase');
    const remembered = await call(host, 'app.createConsortium', { organisation: 'Acme', passphrase: TEST_PASSPHRASE, remember: true });
    assert.equal(remembered.error?.data.code, 'CANNOT_REMEMBER_PASSPHRASE', 'the web mode has no keychain');
    assert.equal(host.state.phase, 'uninitialised', 'a refused call changes nothing');

    const created = await call(host, 'app.createConsortium', { organisation: ' Acme Parts ', registryId: 'REG-9', consortiumName: 'Acme chain', passphrase: TEST_PASSPHRASE });
    assert.equal(created.result?.phase, 'running');
    const status = (await call(host, 'node.status')).result;
    assert.equal(status?.consortiumName, 'Acme chain');
    assert.deepEqual((status?.organisation as { name: string }).name, 'Acme Parts');
    assert.equal((await call(host, 'app.createConsortium', { organisation: 'Again', passphrase: TEST_PASSPHRASE })).error?.data.code, 'ALREADY_INITIALISED');

    await host.close();
    assert.equal(host.state.phase, 'locked');
    assert.equal((await call(host, 'node.status')).error?.data.code, 'NODE_LOCKED');
  } finally {
    await host.close();
    await remove();
  }
});

test('unlocking: a wrong passphrase leaves the node locked with the reason and forgets a remembered one; the right one starts it once', async () => {
  const { dir, remove } = await tempDir();
  const dataDir = join(dir, 'node');
  const first = await NodeHost.open(hostOptions(dataDir));
  await first.createConsortium({ organisation: 'Acme', registryId: '', passphrase: TEST_PASSPHRASE, remember: false });
  await first.close();

  const { vault, log } = recordingVault(true);
  // A stale passphrase from the keychain is tried at open and fails like a typed one.
  const host = await NodeHost.open(hostOptions(dataDir, vault), 'stale passphrase');
  try {
    assert.equal(host.state.phase, 'locked');
    assert.equal(host.state.error?.code, 'KEYSTORE_WRONG_PASSPHRASE');
    assert.deepEqual(log, ['forget']);

    const phases: string[] = [];
    host.onStateChange((state) => phases.push(state.phase));
    // Two windows unlocking at once start one node.
    const [a, b] = await Promise.all([call(host, 'app.unlock', { passphrase: TEST_PASSPHRASE, remember: true }), call(host, 'app.unlock', { passphrase: TEST_PASSPHRASE })]);
    assert.equal(a.result?.phase, 'running');
    assert.equal(b.result?.phase, 'running');
    assert.equal(a.result?.error, undefined, 'a successful start clears the earlier error');
    assert.deepEqual(phases, ['starting', 'running']);
    assert.deepEqual(log, ['forget', `remember ${TEST_PASSPHRASE}`]);
    assert.equal(((await call(host, 'node.status')).result?.height as number) >= 0, true);
  } finally {
    await host.close();
    await remove();
  }
});

test('NodeHost.start throws the reason for callers that cannot ask again', async () => {
  const { dir, remove } = await tempDir();
  try {
    await assert.rejects(NodeHost.start(hostOptions(join(dir, 'none')), TEST_PASSPHRASE), { code: 'DATA_DIR_NOT_INITIALISED' });
    const dataDir = join(dir, 'node');
    const host = await NodeHost.open(hostOptions(dataDir));
    await host.createConsortium({ organisation: 'Acme', registryId: '', passphrase: TEST_PASSPHRASE, remember: false });
    await host.close();
    await assert.rejects(NodeHost.start(hostOptions(dataDir), 'wrong passphrase'), { code: 'KEYSTORE_WRONG_PASSPHRASE' });
    const started = await NodeHost.start(hostOptions(dataDir), TEST_PASSPHRASE);
    assert.equal(started.state.phase, 'running');
    await started.close();
  } finally {
    await remove();
  }
});

test('a keychain that fails to keep the passphrase leaves the node running and says so', async () => {
  const { dir, remove } = await tempDir();
  const failingVault: PassphraseVault = {
    canRemember: true,
    async remember() {
      throw new Error('keychain locked');
    },
    async forget() {},
  };
  const host = await NodeHost.open(hostOptions(join(dir, 'node'), failingVault));
  try {
    const state = await host.createConsortium({ organisation: 'Acme', registryId: '', passphrase: TEST_PASSPHRASE, remember: true });
    assert.equal(state.phase, 'running');
    assert.equal(state.error?.code, 'CANNOT_REMEMBER_PASSPHRASE');
    assert.match(state.error?.message ?? '', /keychain locked/);
  } finally {
    await host.close();
    await remove();
  }
});
