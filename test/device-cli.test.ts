import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DeviceKeyFile } from '../node-core/src/api/device-methods.ts';
import type { Results } from '../node-core/src/api/methods.ts';
import { deviceIdOf } from '../node-core/src/contracts/device-state.ts';
import { signingKeyFromSeed } from '../node-core/src/crypto/ed25519.ts';
import { describeResult, killStrays, rpcResult, runCli, startNode, stdoutJson, tempDir, type CliResult, type RunningNode } from './support/cli.ts';

/** `ingot device register` against a running one-organisation node, in child processes. */

function usage(result: CliResult, message: RegExp): void {
  assert.equal(result.code, 2, describeResult(result));
  assert.match(result.stderr, message);
  assert.equal(result.stdout, '');
}

describe('device register from the command line', { timeout: 120_000 }, () => {
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let dataDir: string;
  let node: RunningNode;
  let orgId: string;

  before(async () => {
    temp = await tempDir('ingot-device-cli-');
    dataDir = join(temp.dir, 'maker');
    const init = await runCli(['init', '--data', dataDir, '--org', 'Cell Maker', '--api', '0', '--block-interval', '20']);
    assert.equal(init.code, 0, describeResult(init));
    ({ orgId } = stdoutJson<{ orgId: string }>(init));
    node = await startNode(dataDir);
  });
  after(async () => {
    await node?.stop().catch(() => undefined);
    killStrays();
    await temp.remove();
  });

  it('--generate-key writes the device key file (mode 0600) and prints the id the key derives', async () => {
    const keyPath = join(temp.dir, 'pack-1.key.json');
    const result = await runCli(['device', 'register', '--data', dataDir, '--model', 'LFP-280', '--serial', 'SN-0001', '--manufacturer', 'Cells Ltd', '--generate-key', keyPath]);
    assert.equal(result.code, 0, describeResult(result));
    const printed = stdoutJson<{ id: string; hash: string; height: number; keyFile: string }>(result);
    assert.equal(printed.keyFile, keyPath);
    assert.equal((await stat(keyPath)).mode & 0o777, 0o600);
    const keyFile = JSON.parse(await readFile(keyPath, 'utf8')) as DeviceKeyFile;
    const key = signingKeyFromSeed(Buffer.from(keyFile.seed, 'hex'));
    assert.equal(Buffer.from(key.publicKey).toString('hex'), keyFile.publicKey);
    assert.equal(printed.id, deviceIdOf(key.publicKey));
    const device = await rpcResult<Results['device.get']>(node.api, 'device.get', { id: printed.id });
    assert.deepEqual([device.owner, device.model, device.serial, device.manufacturer, device.publicKey], [orgId, 'LFP-280', 'SN-0001', 'Cells Ltd', keyFile.publicKey]);

    // An existing file is never overwritten, and nothing is registered.
    const before = (await rpcResult<Results['device.list']>(node.api, 'device.list', {})).devices.length;
    const again = await runCli(['device', 'register', '--data', dataDir, '--model', 'LFP-280', '--serial', 'SN-0002', '--generate-key', keyPath]);
    assert.equal(again.code, 1, describeResult(again));
    assert.match(again.stderr, /KEY_FILE_EXISTS/);
    assert.equal(JSON.parse(await readFile(keyPath, 'utf8')).seed, keyFile.seed);
    assert.equal((await rpcResult<Results['device.list']>(node.api, 'device.list', {})).devices.length, before);
  });

  it('--public-key registers a device that made its own key; the same key again is refused with DEVICE_KNOWN', async () => {
    const key = signingKeyFromSeed(new Uint8Array(32).fill(5));
    const hex = Buffer.from(key.publicKey).toString('hex');
    const result = await runCli(['device', 'register', '--data', dataDir, '--model', 'Gateway G2', '--serial', 'GW-17', '--public-key', hex]);
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(stdoutJson<{ id: string }>(result).id, deviceIdOf(key.publicKey));
    const again = await runCli(['device', 'register', '--data', dataDir, '--model', 'Gateway G2', '--serial', 'GW-17', '--public-key', hex]);
    assert.equal(again.code, 1, describeResult(again));
    assert.equal(stdoutJson<{ error: { data: { code: string } } }>(again).error.data.code, 'DEVICE_KNOWN');
  });

  it('refuses incomplete or contradictory command lines before asking the node', async () => {
    const keyPath = join(temp.dir, 'unused.json');
    await writeFile(join(temp.dir, 'placeholder'), '');
    usage(await runCli(['device', 'register', '--data', dataDir, '--model', 'M', '--serial', 'S']), /either --generate-key FILE or --public-key HEX/);
    usage(await runCli(['device', 'register', '--data', dataDir, '--model', 'M', '--serial', 'S', '--public-key', 'ab', '--generate-key', keyPath]), /either --generate-key/);
    usage(await runCli(['device', 'register', '--data', dataDir, '--serial', 'S', '--public-key', 'ab']), /--model is required/);
    usage(await runCli(['device']), /device needs a subcommand: register/);
    usage(await runCli(['device', 'fly', '--data', dataDir]), /device needs a subcommand/);
    await assert.rejects(stat(keyPath));
  });
});
