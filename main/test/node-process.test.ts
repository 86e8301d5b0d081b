import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { LOOPBACK_P2P, TEST_KDF, TEST_PASSPHRASE, tempDir } from '../../node-core/test/support/temp-node.ts';
import type { ParentPort } from '../src/electron-api.ts';
import type { FromNodeMessage, ToNodeMessage } from '../src/node-messages.ts';
import { serveNodeProcess } from '../src/node-process.ts';
import { asNodePort, eventually } from './support/fakes.ts';

interface RpcReply {
  id: number;
  result?: Record<string, unknown>;
  error?: { data: { code: string } };
}

/** The main process's side of one node process: its parentPort, its exit, and one window connection. */
function launch(context: TestContext, dataDir: string, start: { passphrase?: string; canRemember: boolean; keychain?: 'keeps' | 'fails' | 'silent' }) {
  const parent = new EventEmitter();
  const toParent: FromNodeMessage[] = [];
  const exits: number[] = [];
  const send = (message: ToNodeMessage, ports: unknown[] = []) => parent.emit('message', { data: message, ports });
  // The main process answers each remember-passphrase once the keychain has (or has not) kept it.
  const keychain = start.keychain ?? 'keeps';
  const postMessage = (message: FromNodeMessage) => {
    toParent.push(message);
    if (message.type !== 'remember-passphrase' || keychain === 'silent') return;
    const answer: ToNodeMessage = keychain === 'keeps'
      ? { type: 'passphrase-remembered', requestId: message.requestId, ok: true }
      : { type: 'passphrase-remembered', requestId: message.requestId, ok: false, error: 'the keychain is locked' };
    setImmediate(() => send(answer));
  };
  const parentPort = Object.assign(parent, { postMessage }) as unknown as ParentPort;
  serveNodeProcess({
    parentPort,
    exit: (code) => exits.push(code),
    host: { kdf: TEST_KDF, config: { api: { host: '127.0.0.1', port: 0 }, blockIntervalMs: 20, p2p: LOOPBACK_P2P } },
    rememberTimeoutMs: 200,
  });
  send({ type: 'start', dataDir, canRemember: start.canRemember, ...(start.passphrase === undefined ? {} : { passphrase: start.passphrase }) });

  const { port1: windowPort, port2: nodePort } = new MessageChannel();
  send({ type: 'connect' }, [asNodePort(nodePort)]);
  const replies = new Map<number, RpcReply>();
  windowPort.on('message', (text: string) => {
    const reply = JSON.parse(text) as RpcReply;
    replies.set(reply.id, reply);
  });
  let nextId = 0;
  const call = async (method: string, params: unknown = {}): Promise<RpcReply> => {
    const id = ++nextId;
    windowPort.postMessage(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    await eventually(() => replies.has(id), 15_000, `the reply to ${method}`);
    return replies.get(id) as RpcReply;
  };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      windowPort.close();
      send({ type: 'stop' });
      await eventually(() => exits.length > 0, 15_000, 'the node process to exit');
    })();
    return stopping;
  };
  // A failed assertion must not leave a node running (and the test process with it).
  context.after(stop);
  return { call, stop, toParent, exits };
}

test('the node process serves a window over its port, stops cleanly, and opens again with the passphrase', { timeout: 60_000 }, async (t) => {
  const { dir, remove } = await tempDir('ingot-node-process-');
  t.after(remove);
  const dataDir = join(dir, 'node');

  const first = launch(t, dataDir, { canRemember: true });
  assert.equal((await first.call('app.state')).result?.phase, 'uninitialised');
  const created = await first.call('app.createConsortium', { organisation: 'Desk Works', registryId: 'REG-7', passphrase: TEST_PASSPHRASE, remember: true });
  assert.equal(created.result?.phase, 'running', JSON.stringify(created));
  assert.equal(created.result?.error, undefined, 'the keychain kept it');
  assert.deepEqual(first.toParent, [{ type: 'remember-passphrase', passphrase: TEST_PASSPHRASE, requestId: 1 }]);
  const status = await first.call('node.status');
  assert.equal((status.result?.organisation as { name: string }).name, 'Desk Works');
  await first.stop();
  assert.deepEqual(first.toParent.at(-1), { type: 'stopped' });
  assert.deepEqual(first.exits, [0]);

  // The database was closed: a new process opens it, unlocked by the kept passphrase.
  const second = launch(t, dataDir, { canRemember: true, passphrase: TEST_PASSPHRASE });
  const again = await second.call('node.status');
  assert.equal((again.result?.organisation as { name: string }).name, 'Desk Works');
  await second.stop();
  assert.deepEqual(second.exits, [0]);
});

test('a wrong kept passphrase leaves the node locked and tells the main process to forget it', { timeout: 60_000 }, async (t) => {
  const { dir, remove } = await tempDir('ingot-node-process-');
  t.after(remove);
  const dataDir = join(dir, 'node');
  const first = launch(t, dataDir, { canRemember: false });
  const created = await first.call('app.createConsortium', { organisation: 'Desk Works', registryId: 'REG-7', passphrase: TEST_PASSPHRASE });
  assert.equal(created.result?.phase, 'running', JSON.stringify(created));
  await first.stop();

  const second = launch(t, dataDir, { canRemember: true, passphrase: 'not the passphrase' });
  const state = await second.call('app.state');
  assert.equal(state.result?.phase, 'locked');
  assert.deepEqual(second.toParent, [{ type: 'forget-passphrase' }]);
  assert.equal((await second.call('node.status')).error?.data.code, 'NODE_LOCKED');
  const unlocked = await second.call('app.unlock', { passphrase: TEST_PASSPHRASE, remember: true });
  assert.equal(unlocked.result?.phase, 'running', JSON.stringify(unlocked));
  assert.deepEqual(second.toParent, [{ type: 'forget-passphrase' }, { type: 'remember-passphrase', passphrase: TEST_PASSPHRASE, requestId: 1 }]);
  await second.stop();
  assert.deepEqual(second.exits, [0]);
});

for (const keychain of ['fails', 'silent'] as const) {
  test(`a passphrase the keychain ${keychain === 'fails' ? 'could not keep' : 'never answered for'} shows as the state's error, and the node runs`, { timeout: 60_000 }, async (t) => {
    const { dir, remove } = await tempDir('ingot-node-process-');
    t.after(remove);
    const node = launch(t, join(dir, 'node'), { canRemember: true, keychain });
    const created = await node.call('app.createConsortium', { organisation: 'Desk Works', registryId: 'REG-7', passphrase: TEST_PASSPHRASE, remember: true });
    assert.equal(created.result?.phase, 'running', JSON.stringify(created));
    assert.equal((created.result?.error as { code: string } | undefined)?.code, 'CANNOT_REMEMBER_PASSPHRASE', JSON.stringify(created));
    assert.match((created.result?.error as { message: string }).message, keychain === 'fails' ? /the keychain is locked/ : /did not answer in time/);
    assert.equal((await node.call('node.status')).result?.organisation !== undefined, true);
    await node.stop();
    assert.deepEqual(node.exits, [0]);
  });
}
