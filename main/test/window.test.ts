import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../node-core/src/rpc/static-files.ts';
import { DESKTOP_CONTENT_SECURITY_POLICY, RENDERER_URL, rendererFiles, withoutConnections } from '../src/renderer-protocol.ts';
import { appWindowOptions, createAppWindow, denyAllPermissions } from '../src/window.ts';
import { FakeBrowserWindow, FakeSession } from './support/fakes.ts';

test('the window keeps the page in its sandbox', () => {
  const { webPreferences } = appWindowOptions('/app/dist/main/preload.cjs');
  assert.deepEqual(webPreferences, {
    preload: '/app/dist/main/preload.cjs',
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  });
});

test('the window refuses navigation, redirects and new windows', () => {
  const window = createAppWindow({ BrowserWindow: FakeBrowserWindow, preloadPath: '/p.cjs' }) as FakeBrowserWindow;
  assert.equal(window.webContents.attempt('will-navigate', 'https://evil.example/'), true);
  assert.equal(window.webContents.attempt('will-navigate', RENDERER_URL), true);
  assert.equal(window.webContents.attempt('will-redirect', 'https://evil.example/'), true);
  assert.deepEqual(window.webContents.windowOpenHandler?.({ url: 'https://evil.example/' }), { action: 'deny' });
  assert.deepEqual(window.loaded, [], 'the caller loads the page once the node is there');
  window.emit('ready-to-show');
  assert.equal(window.shown, true);
});

test('every permission request and check is denied', () => {
  const session = new FakeSession();
  denyAllPermissions(session);
  for (const permission of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal']) {
    let granted: boolean | undefined;
    session.requestHandler?.({}, permission, (answer) => { granted = answer; });
    assert.equal(granted, false, permission);
    assert.equal(session.checkHandler?.({}, permission), false, permission);
  }
});

test('the renderer scheme serves the build with the content security policy, and nothing outside it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ingot-renderer-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const root = join(dir, 'dist');
  await mkdir(join(root, 'assets'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<!doctype html><title>Ingot</title>');
  await writeFile(join(root, 'assets', 'app.js'), 'export {};');
  await writeFile(join(dir, 'secret.txt'), 'outside the build');
  const serve = rendererFiles(root);

  const page = await serve(new Request(RENDERER_URL));
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('content-security-policy'), DESKTOP_CONTENT_SECURITY_POLICY);
  assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.equal(await page.text(), '<!doctype html><title>Ingot</title>');

  const script = await serve(new Request('ingot://app/assets/app.js'));
  assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(script.headers.get('x-content-type-options'), 'nosniff');

  for (const url of ['ingot://app/../secret.txt', 'ingot://app/%2e%2e/secret.txt', 'ingot://app/..%2fsecret.txt', 'ingot://other/index.html', 'ingot://app/missing.js']) {
    assert.equal((await serve(new Request(url))).status, 404, url);
  }
  assert.equal((await serve(new Request(RENDERER_URL, { method: 'POST', body: 'x' }))).status, 405);
});

test("the window's content security policy is the web mode's, with no network connection allowed", () => {
  const directives = (policy: string) => policy.split(';').map((directive) => directive.trim());
  const desktop = directives(DESKTOP_CONTENT_SECURITY_POLICY);
  assert.deepEqual(desktop.filter((directive) => directive.startsWith('connect-src')), ["connect-src 'none'"]);
  assert.deepEqual(desktop.filter((directive) => !directive.startsWith('connect-src')), directives(CONTENT_SECURITY_POLICY).filter((directive) => !directive.startsWith('connect-src')));
  assert.doesNotMatch(DESKTOP_CONTENT_SECURITY_POLICY, /127\.0\.0\.1|ws:|http:/);
  // Whatever the web mode's connect-src says, it is replaced in place; a policy without one gets it.
  assert.equal(withoutConnections("default-src 'none'; connect-src 'self'; img-src 'self'"), "default-src 'none'; connect-src 'none'; img-src 'self'");
  assert.equal(withoutConnections("default-src 'none';connect-src   ws://127.0.0.1:* ;"), "default-src 'none'; connect-src 'none'");
  assert.equal(withoutConnections("default-src 'none'"), "default-src 'none'; connect-src 'none'");
});
