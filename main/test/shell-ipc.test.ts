import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerShellCall } from '../src/shell-ipc.ts';

const restarts = (restarted: boolean) => ({ restartNode: async () => restarted });

test('shell.restartNode answers with whether it restarted', async () => {
  assert.deepEqual(await answerShellCall(restarts(true), 'shell.restartNode', {}), { ok: true, result: { restarted: true } });
  assert.deepEqual(await answerShellCall(restarts(false), 'shell.restartNode', {}), { ok: true, result: { restarted: false } });
});

test('an unknown or malformed method is a coded error, as data', async () => {
  for (const method of ['shell.openDevTools', 'node.status', 42, undefined, { toString: () => 'shell.restartNode' }]) {
    const outcome = await answerShellCall(restarts(true), method, {});
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.error.data.code, 'METHOD_NOT_FOUND', String(method));
    assert.equal(!outcome.ok && outcome.error.code, -32601);
  }
});

test('parameters must be an empty object', async () => {
  for (const params of [undefined, null, [], 'x', { force: true }]) {
    const outcome = await answerShellCall(restarts(true), 'shell.restartNode', params);
    assert.equal(!outcome.ok && outcome.error.data.code, 'INVALID_PARAMS', JSON.stringify(params));
  }
});

test('a failing action is an INTERNAL_ERROR outcome, not a rejection', async () => {
  const outcome = await answerShellCall({ restartNode: async () => { throw new Error('fork failed'); } }, 'shell.restartNode', {});
  assert.equal(!outcome.ok && outcome.error.data.code, 'INTERNAL_ERROR');
  assert.match(!outcome.ok ? outcome.error.message : '', /fork failed/);
});
