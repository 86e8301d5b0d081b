import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { SHELL_CHANNEL } from '../src/channels.ts';
import { RENDERER_URL } from '../src/renderer-protocol.ts';
import { runShell } from '../src/shell.ts';
import { eventually, fakeElectron, type FakeBrowserWindow, type FakeUtilityProcess } from './support/fakes.ts';

const paths = { preload: '/app/dist/main/preload.cjs', nodeProcess: '/app/dist/main/node-process.mjs', rendererRoot: '/app/renderer/dist' };

async function started(t: TestContext) {
  const userData = await mkdtemp(join(tmpdir(), 'ingot-shell-'));
  t.after(() => rm(userData, { recursive: true, force: true }));
  const electron = fakeElectron({ hasLock: true, userData });
  const shell = runShell(electron, paths);
  electron.app.ready.resolve();
  await shell.ready;
  const window = electron.windows[0] as FakeBrowserWindow;
  const node = electron.utilityProcess.forks[0];
  assert.ok(window && node);
  return { electron, window, node, userData };
}

test('a second instance quits at once and opens nothing', async () => {
  const electron = fakeElectron({ hasLock: false, userData: '/nowhere' });
  const shell = runShell(electron, paths);
  electron.app.ready.resolve();
  await shell.ready;
  assert.equal(electron.app.quits, 1);
  assert.equal(electron.windows.length, 0);
  assert.equal(electron.utilityProcess.forks.length, 0);
  assert.equal(electron.ipcMain.handlers.size, 0);
});

test('on ready: the renderer scheme, denied permissions, the window, the node in the user data directory', async (t) => {
  const { electron, window, node, userData } = await started(t);
  assert.deepEqual(electron.protocol.privileged, ['ingot']);
  assert.ok(electron.protocol.handlers.has('ingot'));
  assert.ok(electron.session.defaultSession.requestHandler && electron.session.defaultSession.checkHandler);
  assert.equal(window.options.webPreferences.preload, paths.preload);
  assert.deepEqual(window.loaded, [RENDERER_URL]);
  assert.equal(node.modulePath, paths.nodeProcess);
  assert.deepEqual(node.posted[0]?.message, { type: 'start', dataDir: join(userData, 'node'), canRemember: true });
  assert.equal(window.webContents.postedPorts.length, 1, 'the loaded page got its port');
});

test('starting a second instance brings the existing window forward', async (t) => {
  const { electron, window } = await started(t);
  window.minimized = true;
  electron.app.emit('second-instance');
  assert.equal(window.restored, 1);
  assert.equal(window.focused, 1);
  assert.equal(electron.windows.length, 1);
});

test('quitting waits for the node to close its database, then quits once', { timeout: 5_000 }, async (t) => {
  const { electron, node } = await started(t);
  electron.app.emit('window-all-closed');
  assert.equal(electron.app.quits, 0, 'held back while the node stops');
  assert.deepEqual(node.posted.at(-1)?.message, { type: 'stop' });
  electron.app.quit();
  assert.equal(node.posted.filter((p) => (p.message as { type: string }).type === 'stop').length, 1, 'one stop however often quit is asked');
  node.say({ type: 'stopped' });
  node.emit('exit', 0);
  const deadline = Date.now() + 2_000;
  while (electron.app.quits === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.equal(electron.app.quits, 1);
  assert.equal(node.killed, false);
});

async function quitsOnce(electron: ReturnType<typeof fakeElectron>, node: FakeUtilityProcess): Promise<void> {
  assert.equal(electron.app.quits, 0, 'held back while the node stops');
  assert.equal(node.posted.filter((p) => (p.message as { type: string }).type === 'stop').length, 1);
  node.say({ type: 'stopped' });
  node.emit('exit', 0);
  await eventually(() => electron.app.quits > 0, 2_000, 'the app to quit');
  assert.equal(electron.app.quits, 1);
  assert.equal(node.killed, false);
}

test('a system shutdown (Linux, macOS) is held back while the node stops, then the app quits', { timeout: 5_000 }, async (t) => {
  const { electron, node } = await started(t);
  assert.equal(electron.powerMonitor.shutdown(), true, 'the shutdown waits for the app');
  electron.powerMonitor.shutdown();
  electron.app.quit();
  await quitsOnce(electron, node);
  assert.equal(electron.powerMonitor.shutdown(), false, 'nothing left to wait for');
});

test('a Windows session end, which skips before-quit, stops the node once and quits', { timeout: 5_000 }, async (t) => {
  const { electron, window, node } = await started(t);
  window.emit('session-end');
  window.emit('session-end');
  await quitsOnce(electron, node);
});

test('shell calls are answered for the app window only, with their input checked', async (t) => {
  const { electron, window, node } = await started(t);
  const fromWindow = (method: unknown, params: unknown) => electron.ipcMain.invoke(SHELL_CHANNEL, window.webContents.id, method, params);
  assert.deepEqual(await fromWindow('shell.restartNode', {}), { ok: true, result: { restarted: false } });
  assert.deepEqual(await fromWindow('shell.format', {}), {
    ok: false,
    error: { code: -32601, message: 'there is no shell method "shell.format"', data: { code: 'METHOD_NOT_FOUND' } },
  });
  const stranger = (await electron.ipcMain.invoke(SHELL_CHANNEL, window.webContents.id + 1000, 'shell.restartNode', {})) as { ok: boolean; error: { data: { code: string } } };
  assert.equal(stranger.ok, false);
  assert.equal(stranger.error.data.code, 'FORBIDDEN');

  node.emit('exit', 1);
  assert.deepEqual(await fromWindow('shell.restartNode', {}), { ok: true, result: { restarted: true } });
  assert.equal(electron.utilityProcess.forks.length, 2);
});
