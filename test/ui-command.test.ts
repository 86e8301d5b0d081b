import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { killStrays, rpcResult, runCli, startNode, tempDir } from './support/cli.ts';

after(killStrays);

test('ingot ui on a directory whose node already runs prints that node\'s UI address instead of starting another', async () => {
  const { dir, remove } = await tempDir();
  const dataDir = join(dir, 'node');
  try {
    assert.equal((await runCli(['init', '--data', dataDir, '--org', 'Acme', '--api', '0'])).code, 0);
    const node = await startNode(dataDir);
    try {
      const result = await runCli(['ui', '--data', dataDir], { passphrase: undefined });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /already running/);
      assert.ok(result.stdout.includes(`http://127.0.0.1:${node.api.port}/#token=${node.api.token}`));
      assert.equal(node.alive(), true);
      // The running node serves the page too.
      const page = await fetch(`http://127.0.0.1:${node.api.port}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.equal((await rpcResult<{ phase: string }>(node.api, 'app.state')).phase, 'running');
    } finally {
      await node.stop();
    }
  } finally {
    await remove();
  }
});

test('ingot ui takes INGOT_PASSPHRASE when given, and a wrong one leaves the node waiting for the right one in the page', async () => {
  const { dir, remove } = await tempDir();
  const dataDir = join(dir, 'node');
  try {
    assert.equal((await runCli(['init', '--data', dataDir, '--org', 'Acme', '--api', '0'])).code, 0);
    const unlocked = await startNode(dataDir, { command: 'ui', args: ['--port', '0'] });
    assert.equal((await rpcResult<{ phase: string }>(unlocked.api, 'app.state')).phase, 'running');
    await unlocked.stop();
    const locked = await startNode(dataDir, { command: 'ui', args: ['--port', '0'], passphrase: 'not the passphrase' });
    try {
      const state = await rpcResult<{ phase: string; error?: { code: string } }>(locked.api, 'app.state');
      assert.equal(state.phase, 'locked');
      assert.equal(state.error?.code, 'KEYSTORE_WRONG_PASSPHRASE');
    } finally {
      await locked.stop();
    }
  } finally {
    await remove();
  }
});

test('ingot ui --mqtt refuses what is no broker URL (exit 2) and creates nothing', async () => {
  const { dir, remove } = await tempDir();
  const dataDir = join(dir, 'node');
  try {
    const result = await runCli(['ui', '--data', dataDir, '--port', '0', '--mqtt', 'localhost:1883'], { passphrase: undefined });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /--mqtt must be a broker URL/);
    await assert.rejects(access(dataDir), { code: 'ENOENT' });
  } finally {
    await remove();
  }
});
