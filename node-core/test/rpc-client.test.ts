import assert from 'node:assert/strict';
import { test } from 'node:test';
import { httpTransport, RpcCallError, RpcClient, type RpcTransport } from '../src/api/client.ts';
import { startTempNode } from './support/temp-node.ts';

/** A transport that answers each request with what `reply` makes of it, and records what was sent. */
function fakeTransport(reply: (request: { id: number; method: string; params: unknown }) => unknown): RpcTransport & { sent: unknown[] } {
  const sent: unknown[] = [];
  return {
    sent,
    send: (body) => {
      const request = JSON.parse(body) as { id: number; method: string; params: unknown };
      sent.push(request);
      const answer = reply(request);
      return Promise.resolve(typeof answer === 'string' ? answer : JSON.stringify(answer));
    },
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<RpcCallError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof RpcCallError, `expected RpcCallError ${code}, got ${String(error)}`);
  assert.equal(error.error.data.code, code);
  return error;
}

test('sends JSON-RPC 2.0 requests with fresh ids and returns the result', async () => {
  const transport = fakeTransport(({ id }) => ({ jsonrpc: '2.0', id, result: { height: id } }));
  const client = new RpcClient(transport);
  assert.deepEqual(await client.request('node.status', {}), { height: 1 });
  assert.deepEqual(await client.call('block.get', { height: 3 }), { height: 2 });
  assert.deepEqual(transport.sent, [
    { jsonrpc: '2.0', id: 1, method: 'node.status', params: {} },
    { jsonrpc: '2.0', id: 2, method: 'block.get', params: { height: 3 } },
  ]);
});

test('an error reply becomes an RpcCallError carrying the code and field', async () => {
  const client = new RpcClient(fakeTransport(({ id }) => ({ jsonrpc: '2.0', id, error: { code: -32602, message: 'params.hash: bad', data: { code: 'INVALID_PARAMS', field: 'hash' } } })));
  const error = await rejectsWith(client.call('tx.get', { hash: 'x' }), 'INVALID_PARAMS');
  assert.equal(error.error.data.field, 'hash');
  assert.equal(error.message, 'params.hash: bad');
});

test('answers that are not a proper response are BAD_RESPONSE, never a crash or a wrong result', async () => {
  const cases: ((request: { id: number }) => unknown)[] = [
    () => 'not json',
    () => '[1, 2]',
    () => 'null',
    ({ id }) => ({ jsonrpc: '2.0', id: id + 1, result: {} }),
    ({ id }) => ({ jsonrpc: '2.0', id }),
    ({ id }) => ({ jsonrpc: '2.0', id, error: { message: 'no code' } }),
    ({ id }) => ({ jsonrpc: '2.0', id, error: { code: 1, message: 'x', data: {} } }),
  ];
  for (const reply of cases) await rejectsWith(new RpcClient(fakeTransport(reply)).request('node.status', {}), 'BAD_RESPONSE');
});

test('a transport failure reaches the caller as it is', async () => {
  const client = new RpcClient({ send: () => Promise.reject(new Error('connection refused')) });
  await assert.rejects(client.request('node.status', {}), /connection refused/);
});

test('over HTTP against a real node: typed calls, coded errors, and 401 for a wrong token', async () => {
  const temp = await startTempNode();
  try {
    const client = new RpcClient(httpTransport(temp.url, temp.server.token));
    const status = await client.call('node.status', {});
    assert.equal(status.organisation.id, temp.init.orgId);
    const submitted = await client.call('tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: 'client' }, waitForCommit: true });
    assert.equal(submitted.receipt?.ok, true);
    assert.equal((await client.call('org.get', { id: temp.init.orgId })).contact, 'client');
    await rejectsWith(client.call('block.get', { height: 999 }), 'BLOCK_NOT_FOUND');
    await rejectsWith(new RpcClient(httpTransport(temp.url, 'wrong')).call('node.status', {}), 'UNAUTHORIZED');
  } finally {
    await temp.close();
  }
});
