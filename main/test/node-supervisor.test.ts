import { NODE_PROCESS_FLAGS } from '../../node-core/src/host/node-process-flags.ts';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EVENT_CHANNEL, PORT_CHANNEL } from '../src/channels.ts';
import { NodeSupervisor } from '../src/node-supervisor.ts';
import type { PassphraseStore } from '../src/passphrase-store.ts';
import { FakeWebContents, fakeMessageChannel, fakeUtilityProcessModule, type FakeUtilityProcess } from './support/fakes.ts';

function memoryPassphrases(initial?: string): PassphraseStore & { value: string | undefined } {
  return {
    value: initial,
    canRemember: true,
    async load() { return this.value; },
    async save(passphrase) { this.value = passphrase; },
    async forget() { this.value = undefined; },
  };
}

function setUp(options: { passphrase?: string; stopTimeoutMs?: number } = {}) {
  const utilityProcess = fakeUtilityProcessModule();
  const { MessageChannelMain, channels } = fakeMessageChannel();
  const passphrases = memoryPassphrases(options.passphrase);
  const supervisor = new NodeSupervisor({
    utilityProcess,
    MessageChannelMain,
    modulePath: '/app/dist/main/node-process.mjs',
    dataDir: '/user/node',
    passphrases,
    ...(options.stopTimeoutMs === undefined ? {} : { stopTimeoutMs: options.stopTimeoutMs }),
  });
  const window = new FakeWebContents();
  supervisor.attach(window);
  const child = (n: number): FakeUtilityProcess => {
    const fork = utilityProcess.forks[n];
    assert.ok(fork, `fork #${n}`);
    return fork;
  };
  return { supervisor, utilityProcess, channels, passphrases, window, child };
}

const eventsSent = (window: FakeWebContents) => window.sent.filter((s) => s.channel === EVENT_CHANNEL).map((s) => s.args[0]);

test('start forks the node process with the data directory and the kept passphrase', async () => {
  const { supervisor, child } = setUp({ passphrase: 'kept' });
  await supervisor.start();
  assert.equal(child(0).modulePath, '/app/dist/main/node-process.mjs');
  assert.deepEqual(child(0).execArgv, NODE_PROCESS_FLAGS);
  assert.deepEqual(child(0).posted[0]?.message, { type: 'start', dataDir: '/user/node', canRemember: true, passphrase: 'kept' });
});

test('each load of the window gets a fresh port, its twin going to the node', async () => {
  const { supervisor, child, channels, window } = setUp();
  await supervisor.start();
  window.emit('did-finish-load');
  window.emit('did-finish-load');
  assert.equal(channels.length, 2);
  assert.deepEqual(child(0).posted.slice(1).map((p) => [p.message, p.transfer]), [
    [{ type: 'connect' }, [channels[0]?.port1]],
    [{ type: 'connect' }, [channels[1]?.port1]],
  ]);
  assert.deepEqual(window.postedPorts, [
    { channel: PORT_CHANNEL, message: null, transfer: [channels[0]?.port2] },
    { channel: PORT_CHANNEL, message: null, transfer: [channels[1]?.port2] },
  ]);
});

test('a crash is reported to the window, which stays; restart forks again and delivers a new port', async () => {
  const { supervisor, utilityProcess, child, channels, window } = setUp();
  await supervisor.start();
  window.emit('did-finish-load');
  child(0).emit('exit', 134);
  assert.deepEqual(eventsSent(window), [{ method: 'shell.nodeExited', params: { code: 134, reason: "the node's process ended unexpectedly (exit code 134)" } }]);
  assert.equal(window.isDestroyed(), false);

  assert.equal(await supervisor.restart(), true);
  assert.equal(utilityProcess.forks.length, 2);
  assert.equal((child(1).posted[0]?.message as { type: string }).type, 'start');
  assert.deepEqual(child(1).posted[1], { message: { type: 'connect' }, transfer: [channels[1]?.port1] });
  assert.deepEqual(window.postedPorts.at(-1), { channel: PORT_CHANNEL, message: null, transfer: [channels[1]?.port2] });
  assert.deepEqual(eventsSent(window).at(-1), { method: 'shell.nodeStarted', params: {} });

  assert.equal(await supervisor.restart(), false, 'a running node is not restarted');
  assert.equal(utilityProcess.forks.length, 2);
});

test('the node asks the main process to keep or drop the passphrase, and hears whether it was kept', async (t) => {
  t.mock.method(console, 'error', () => {});
  const { supervisor, child, passphrases } = setUp();
  await supervisor.start();
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  child(0).say({ type: 'remember-passphrase', passphrase: 'remember me', requestId: 1 });
  await settle();
  assert.equal(passphrases.value, 'remember me');
  assert.deepEqual(child(0).posted.at(-1)?.message, { type: 'passphrase-remembered', requestId: 1, ok: true });
  child(0).say({ type: 'forget-passphrase' });
  await settle();
  assert.equal(passphrases.value, undefined);

  passphrases.save = async () => { throw new Error('the keychain is locked'); };
  child(0).say({ type: 'remember-passphrase', passphrase: 'remember me', requestId: 2 });
  await settle();
  assert.deepEqual(child(0).posted.at(-1)?.message, { type: 'passphrase-remembered', requestId: 2, ok: false, error: 'the keychain is locked' });

  const posted = child(0).posted.length;
  child(0).say({ type: 'remember-passphrase', passphrase: 42, requestId: 3 });
  child(0).say({ type: 'remember-passphrase', passphrase: 'no request id' });
  await settle();
  assert.equal(child(0).posted.length, posted, 'malformed messages are ignored');
});

test('a page loaded while the node is down hears again that it exited, and gets no port', async () => {
  const { supervisor, child, window } = setUp();
  await supervisor.start();
  window.emit('did-finish-load');
  child(0).emit('exit', 134);
  const exited = { method: 'shell.nodeExited', params: { code: 134, reason: "the node's process ended unexpectedly (exit code 134)" } };
  window.emit('did-finish-load');
  assert.deepEqual(eventsSent(window), [exited, exited]);
  assert.equal(window.postedPorts.length, 1, 'only the load before the crash got a port');

  assert.equal(await supervisor.restart(), true);
  window.emit('did-finish-load');
  assert.deepEqual(eventsSent(window), [exited, exited, { method: 'shell.nodeStarted', params: {} }], 'a running node is not reported as exited');
  assert.equal(window.postedPorts.length, 3);
});

test('a second start or restart while one is under way forks nothing more', async () => {
  const { supervisor, utilityProcess, child } = setUp();
  await Promise.all([supervisor.start(), supervisor.start()]);
  assert.equal(utilityProcess.forks.length, 1);
  child(0).emit('exit', 1);
  const first = supervisor.restart();
  const second = supervisor.restart();
  assert.equal(second, first, 'the same restart');
  assert.deepEqual(await Promise.all([first, second]), [true, true]);
  assert.equal(utilityProcess.forks.length, 2);
  assert.equal(await supervisor.restart(), false);
  assert.equal(utilityProcess.forks.length, 2);
});

test('quitting while the node starts forks no node that nobody would stop', { timeout: 5_000 }, async () => {
  const { supervisor, utilityProcess } = setUp();
  const starting = supervisor.start();
  await supervisor.stop();
  await starting;
  assert.equal(utilityProcess.forks.length, 0);
  assert.equal(await supervisor.restart(), false);
});

test('stop waits for the node to report a clean stop, and no crash is reported', { timeout: 5_000 }, async () => {
  const { supervisor, child, window } = setUp({ stopTimeoutMs: 2_000 });
  await supervisor.start();
  let stopped = false;
  const stopping = supervisor.stop().then(() => { stopped = true; });
  assert.deepEqual(child(0).posted.at(-1)?.message, { type: 'stop' });
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(stopped, false, 'still waiting for the node');
  child(0).say({ type: 'stopped' });
  child(0).emit('exit', 0);
  await stopping;
  assert.equal(child(0).killed, false);
  assert.deepEqual(eventsSent(window), []);
  assert.equal(await supervisor.restart(), false, 'no restart while quitting');
});

test('a node that does not stop in time is killed', { timeout: 5_000 }, async () => {
  const { supervisor, child } = setUp({ stopTimeoutMs: 50 });
  await supervisor.start();
  const started = Date.now();
  await supervisor.stop();
  assert.equal(child(0).killed, true);
  assert.ok(Date.now() - started >= 45);
});
