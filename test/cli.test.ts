import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import {
  describeResult, killStrays, readApiFile, rpcResult, runCli, startNode, stdoutJson, tempDir,
  type RunningNode,
} from './support/cli.ts';
import { NODE_PROCESS_FLAGS } from '../node-core/src/host/node-process-flags.ts';

/** The real `ingot` CLI in child processes: init, start, status, call, verify-ledger and stopping. */

const ORG = 'Kessler Präzision GmbH';
const BASE58 = '[1-9A-HJ-NP-Za-km-z]';

interface InitOutput {
  consortiumId: string;
  orgId: string;
  peerId: string;
  dataDir: string;
}

interface Status {
  consortiumId: string;
  organisation: { id: string; name: string };
  peerId: string;
  height: number;
  txCount: number;
}

interface ErrorOutput {
  error: { code: number; message: string; data: { code: string; field?: string } };
}

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('ingot init: argument and directory checks', { timeout: 60_000 }, () => {
  let temp: Awaited<ReturnType<typeof tempDir>>;
  before(async () => {
    temp = await tempDir();
  });
  after(async () => {
    killStrays();
    await temp.remove();
  });

  it('refuses a data directory that is not empty, with DATA_DIR_NOT_EMPTY and exit 1, and leaves it alone', async () => {
    const dir = join(temp.dir, 'occupied');
    await mkdir(dir);
    await writeFile(join(dir, 'notes.txt'), 'keep me\n');
    const result = await runCli(['init', '--data', dir, '--org', ORG, '--api', '0']);
    assert.equal(result.code, 1, describeResult(result));
    assert.match(result.stderr, /DATA_DIR_NOT_EMPTY/);
    assert.equal(result.stdout, '');
    assert.deepEqual(await readdir(dir), ['notes.txt']);
  });

  it('exits 2 with the usage when --org is missing, and creates nothing', async () => {
    const dir = join(temp.dir, 'no-org');
    const result = await runCli(['init', '--data', dir, '--api', '0']);
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /--org is required/);
    assert.match(result.stderr, /Usage: ingot <command>/);
    await assert.rejects(stat(dir), { code: 'ENOENT' });
  });

  it('exits 2 with the usage for an unknown command', async () => {
    const result = await runCli(['frobnicate', '--data', temp.dir]);
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /unknown command frobnicate/);
    assert.match(result.stderr, /Usage: ingot <command>/);
  });

  it('start and verify-ledger on a directory that holds no node exit 1 with DATA_DIR_NOT_INITIALISED and create nothing', async () => {
    const dir = join(temp.dir, 'typo');
    for (const command of ['start', 'verify-ledger']) {
      const result = await runCli([command, '--data', dir]);
      assert.equal(result.code, 1, `${command}: ${describeResult(result)}`);
      assert.match(result.stderr, /DATA_DIR_NOT_INITIALISED/, command);
      assert.match(result.stderr, /ingot init --data/, `${command} says how to make a node`);
      await assert.rejects(stat(dir), { code: 'ENOENT' }, `${command} created ${dir}`);
    }
  });

  it('exits 2 for an unknown option', async () => {
    const result = await runCli(['init', '--data', join(temp.dir, 'x'), '--org', ORG, '--colour', 'blue']);
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /Usage: ingot <command>/);
  });
});

describe('ingot: a node from init to a verified ledger', { timeout: 120_000 }, () => {
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let dataDir: string;
  let ids: InitOutput;
  let node: RunningNode | undefined;
  let committedHeight = 0;

  before(async () => {
    temp = await tempDir();
    dataDir = join(temp.dir, 'node');
  });
  after(async () => {
    killStrays();
    await temp.remove();
  });

  it('init prints the new ids and writes the key files readable by the owner only', async () => {
    const result = await runCli(['init', '--data', dataDir, '--org', ORG, '--registry-id', 'HRB 4711', '--api', '0', '--block-interval', '20']);
    assert.equal(result.code, 0, describeResult(result));
    ids = stdoutJson<InitOutput>(result);
    assert.match(ids.consortiumId, /^[0-9a-f]{64}$/);
    assert.match(ids.orgId, /^[0-9a-f]{40}$/);
    assert.match(ids.peerId, new RegExp(`^12D3KooW${BASE58}{44}$`));
    assert.equal(ids.dataDir, dataDir);
    assert.equal(await modeOf(join(dataDir, 'keys.json')), 0o600);
    assert.equal(await modeOf(join(dataDir, 'node-key.json')), 0o600);
    assert.equal(await modeOf(dataDir) & 0o077, 0, 'the data directory is private to its owner');
    assert.equal(await readApiFile(dataDir), undefined);
  });

  it('init refuses the now initialised directory with DATA_DIR_NOT_EMPTY', async () => {
    const result = await runCli(['init', '--data', dataDir, '--org', 'Someone Else']);
    assert.equal(result.code, 1, describeResult(result));
    assert.match(result.stderr, /DATA_DIR_NOT_EMPTY/);
  });

  it('start with a wrong passphrase exits 1 with KEYSTORE_WRONG_PASSPHRASE and leaves no api.json', async () => {
    const result = await runCli(['start', '--data', dataDir], { passphrase: 'not the passphrase' });
    assert.equal(result.code, 1, describeResult(result));
    assert.match(result.stderr, /KEYSTORE_WRONG_PASSPHRASE/);
    assert.equal(await readApiFile(dataDir), undefined);
  });

  it('start writes api.json (mode 0600) once listening, and status shows the height and the organisation', async () => {
    node = await startNode(dataDir);
    assert.equal(await modeOf(join(dataDir, 'api.json')), 0o600);
    assert.match(node.api.token, /^[0-9a-f]{64}$/);
    assert.equal(node.api.url, `http://127.0.0.1:${node.api.port}/rpc`);
    assert.ok(node.api.port > 0, 'init --api 0 lets the OS pick a port');

    const result = await runCli(['status', '--data', dataDir]);
    assert.equal(result.code, 0, describeResult(result));
    const status = stdoutJson<Status>(result);
    assert.equal(status.height, 0);
    assert.equal(status.txCount, 0);
    assert.equal(status.organisation.name, ORG);
    assert.equal(status.organisation.id, ids.orgId);
    assert.equal(status.consortiumId, ids.consortiumId);
    assert.equal(status.peerId, ids.peerId);
  });

  it('call tx.submit with waitForCommit commits the transaction and changes the state', async () => {
    const params = { contract: 'identity', method: 'updateProfile', payload: { contact: 'x' }, waitForCommit: true };
    const result = await runCli(['call', '--data', dataDir, 'tx.submit', JSON.stringify(params)]);
    assert.equal(result.code, 0, describeResult(result));
    const submitted = stdoutJson<{ hash: string; height: number; receipt: { ok: boolean; subjects: string[] } }>(result);
    assert.match(submitted.hash, /^[0-9a-f]{64}$/);
    assert.equal(submitted.height, 1);
    assert.equal(submitted.receipt.ok, true);
    assert.deepEqual(submitted.receipt.subjects, [ids.orgId]);
    committedHeight = submitted.height;

    const org = stdoutJson<{ contact: string; name: string; registryId: string }>(await runCli(['call', '--data', dataDir, 'org.get', JSON.stringify({ id: ids.orgId })]));
    assert.deepEqual({ contact: org.contact, name: org.name, registryId: org.registryId }, { contact: 'x', name: ORG, registryId: 'HRB 4711' });
    const got = stdoutJson<{ height: number; receipt: { ok: boolean } }>(await runCli(['call', '--data', dataDir, 'tx.get', JSON.stringify({ hash: submitted.hash })]));
    assert.equal(got.height, 1);
    assert.equal(got.receipt.ok, true);
    const status = stdoutJson<Status>(await runCli(['status', '--data', dataDir]));
    assert.equal(status.height, 1);
    assert.equal(status.txCount, 1);
  });

  it('call with bad params exits 1 and prints an error with data.code INVALID_PARAMS', async () => {
    const result = await runCli(['call', '--data', dataDir, 'tx.submit', JSON.stringify({ contract: 'identity', method: 'updateProfile', payload: { contact: 'y' }, wait: true })]);
    assert.equal(result.code, 1, describeResult(result));
    const { error } = stdoutJson<ErrorOutput>(result);
    assert.equal(error.data.code, 'INVALID_PARAMS');
    assert.equal(error.code, -32602);
    assert.match(error.message, /params/);

    const wrongType = await runCli(['call', '--data', dataDir, 'block.get', '{"height": "one"}']);
    assert.equal(wrongType.code, 1, describeResult(wrongType));
    assert.equal(stdoutJson<ErrorOutput>(wrongType).error.data.code, 'INVALID_PARAMS');
    assert.equal(stdoutJson<ErrorOutput>(wrongType).error.data.field, 'height');
  });

  it('call with params that are not JSON is a usage error (exit 2)', async () => {
    const result = await runCli(['call', '--data', dataDir, 'block.get', '{height: 1}']);
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /must be JSON/);
  });

  it('call with an unknown method exits 1 with METHOD_NOT_FOUND', async () => {
    const result = await runCli(['call', '--data', dataDir, 'ledger.explode', '{}']);
    assert.equal(result.code, 1, describeResult(result));
    const { error } = stdoutJson<ErrorOutput>(result);
    assert.equal(error.data.code, 'METHOD_NOT_FOUND');
    assert.equal(error.code, -32601);
  });

  it('a second start on the same directory fails with LEDGER_LOCKED and leaves the first node serving', async () => {
    assert.ok(node !== undefined && node.alive());
    const result = await runCli(['start', '--data', dataDir]);
    assert.equal(result.code, 1, describeResult(result));
    assert.match(result.stderr, /LEDGER_LOCKED/);
    assert.equal((await readApiFile(dataDir))?.token, node.api.token, 'the running node keeps its api.json');
    const status = await rpcResult<Status>(node.api, 'node.status');
    assert.equal(status.height, committedHeight);
    assert.ok(node.alive());
  });

  it('verify-ledger refuses to run while the node runs, with LEDGER_LOCKED', async () => {
    const result = await runCli(['verify-ledger', '--data', dataDir]);
    assert.equal(result.code, 1, describeResult(result));
    assert.match(result.stderr, /LEDGER_LOCKED/);
    assert.ok(node?.alive());
  });

  it('SIGTERM stops the node cleanly: exit 0 and api.json removed', async () => {
    assert.ok(node !== undefined);
    const exit = await node.stop('SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null }, node.stderr());
    assert.match(node.stderr(), /stopped cleanly/);
    assert.equal(await readApiFile(dataDir), undefined);
    assert.ok(!(await readdir(dataDir)).includes('api.json'));
  });

  it('verify-ledger on the stopped node passes at the committed height', async () => {
    const result = await runCli(['verify-ledger', '--data', dataDir]);
    assert.equal(result.code, 0, describeResult(result));
    assert.deepEqual(stdoutJson(result), { ok: true, height: committedHeight, txCount: 1 });
  });

  it('status and call with no node running exit 1 with NODE_NOT_RUNNING', async () => {
    const status = await runCli(['status', '--data', dataDir]);
    assert.equal(status.code, 1, describeResult(status));
    assert.match(status.stderr, /NODE_NOT_RUNNING/);
    assert.equal(status.stdout, '');
    const call = await runCli(['call', '--data', dataDir, 'node.status']);
    assert.equal(call.code, 1, describeResult(call));
    assert.match(call.stderr, /NODE_NOT_RUNNING/);
  });

  it('a damaged api.json gives API_FILE_INVALID, not a stack trace', async () => {
    await writeFile(join(dataDir, 'api.json'), '{"url": 7');
    try {
      const status = await runCli(['status', '--data', dataDir]);
      assert.equal(status.code, 1, describeResult(status));
      assert.match(status.stderr, /API_FILE_INVALID/);
      assert.doesNotMatch(status.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      await rm(join(dataDir, 'api.json'), { force: true });
    }
  });

  it('the node starts again on the same data and keeps its chain', async () => {
    node = await startNode(dataDir);
    const status = await rpcResult<Status>(node.api, 'node.status');
    assert.equal(status.height, committedHeight);
    assert.equal(status.organisation.name, ORG);
    const exit = await node.stop('SIGINT');
    assert.deepEqual(exit, { code: 0, signal: null }, node.stderr());
    assert.equal(await readApiFile(dataDir), undefined);
  });

  it('after a SIGKILL the stale api.json does not fool status, and the next start replaces it', async () => {
    const killed = await startNode(dataDir);
    assert.deepEqual(await killed.stop('SIGKILL'), { code: null, signal: 'SIGKILL' });
    assert.equal((await readApiFile(dataDir))?.token, killed.api.token, 'a killed node cannot remove its api.json');
    const status = await runCli(['status', '--data', dataDir]);
    assert.equal(status.code, 1, describeResult(status));
    assert.match(status.stderr, /NODE_NOT_RUNNING/);

    node = await startNode(dataDir);
    assert.notEqual(node.api.token, killed.api.token);
    const result = await runCli(['status', '--data', dataDir]);
    assert.equal(result.code, 0, describeResult(result));
    assert.equal(stdoutJson<Status>(result).height, committedHeight);
    assert.deepEqual(await node.stop('SIGTERM'), { code: 0, signal: null }, node.stderr());
    const verified = await runCli(['verify-ledger', '--data', dataDir]);
    assert.equal(verified.code, 0, describeResult(verified));
    assert.deepEqual(stdoutJson(verified), { ok: true, height: committedHeight, txCount: 1 });
  });
});

describe('the ingot command file', () => {
  it('gives its node the NODE_PROCESS_FLAGS on its first line, and runs as a program with them', async () => {
    const bin = new URL('../node-core/bin/ingot.js', import.meta.url);
    const firstLine = (await readFile(bin, 'utf8')).split('\n')[0] ?? '';
    assert.equal(firstLine, `#!/usr/bin/env -S node ${NODE_PROCESS_FLAGS.join(' ')}`);
    // Run as a program (not through node), as `npx ingot` runs it: the first line must start it.
    const { stdout } = await promisify(execFile)(fileURLToPath(bin), ['--help'], {
      env: { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` },
      timeout: 30_000,
    });
    assert.match(stdout, /^Usage: ingot <command>/);
  });
});
