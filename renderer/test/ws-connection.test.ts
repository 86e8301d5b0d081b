import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeEvent } from '../../node-core/src/api/bridge.ts';
import { NodeCallError, type ConnectionStatus } from '../src/rpc/connection.ts';
import { MAX_PENDING_CALLS, WebSocketConnection, type FetchLike, type SocketLike } from '../src/rpc/ws-connection.ts';
import { FakeTimers } from './support/fake-timers.ts';

class FakeSocket implements SocketLike {
  readonly sent: Record<string, unknown>[] = [];
  closed = false;
  onopen: ((event: never) => void) | null = null;
  onclose: ((event: never) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  readonly protocols: string[];
  constructor(protocols: string[]) {
    this.protocols = protocols;
  }
  send(data: string): void {
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }
  close(): void {
    this.closed = true;
  }
  open(): void {
    this.onopen?.({} as never);
  }
  drop(): void {
    this.onclose?.({} as never);
  }
  reply(message: object): void {
    this.onmessage?.(new MessageEvent('message', { data: JSON.stringify({ jsonrpc: '2.0', ...message }) }));
  }
  lastCall(method: string): Record<string, unknown> {
    const call = this.sent.findLast((message) => message.method === method);
    assert.ok(call, `no ${method} call sent`);
    return call;
  }
}

/** What the node answers to the token probe: an HTTP status, or no answer at all. */
type ProbeAnswer = number | 'network-error';

function setup(options: { probe?: ProbeAnswer } = {}) {
  const sockets: FakeSocket[] = [];
  const timers = new FakeTimers();
  const probes: { url: string; init: Parameters<FetchLike>[1] }[] = [];
  const probe = { answer: options.probe ?? 401 };
  const connection = new WebSocketConnection({
    url: 'ws://127.0.0.1:7800/rpc',
    token: 'ab12',
    openSocket: (_url, protocols) => {
      const socket = new FakeSocket(protocols);
      sockets.push(socket);
      return socket;
    },
    fetch: (url, init) => {
      probes.push({ url, init });
      return probe.answer === 'network-error' ? Promise.reject(new TypeError('Failed to fetch')) : Promise.resolve({ status: probe.answer });
    },
    timers,
    backoffMs: 100,
    maxBackoffMs: 1000,
  });
  const socket = (): FakeSocket => {
    const last = sockets.at(-1);
    assert.ok(last);
    return last;
  };
  return { connection, sockets, timers, socket, probes, probe };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('offers the token as a subprotocol and reports the address', () => {
  const { connection, socket } = setup();
  assert.deepEqual(socket().protocols, ['ingot-rpc', 'ingot-token.ab12']);
  assert.equal(connection.address, '127.0.0.1:7800');
  assert.equal(connection.status, 'connecting');
});

test('correlates replies by id, whatever their order', async () => {
  const { connection, socket } = setup();
  socket().open();
  const state = connection.call('app.state', {});
  const status = connection.call('node.status', {});
  const [first, second] = socket().sent;
  socket().reply({ id: second?.id, result: { height: 7 } });
  socket().reply({ id: first?.id, result: { phase: 'running' } });
  assert.deepEqual(await state, { phase: 'running' });
  assert.deepEqual(await status, { height: 7 });
});

test('turns an error reply into a NodeCallError with its code', async () => {
  const { connection, socket } = setup();
  socket().open();
  const call = connection.call('tx.get', { hash: '00'.repeat(32) });
  socket().reply({ id: socket().lastCall('tx.get').id, error: { code: -32000, message: 'no such transaction', data: { code: 'TX_NOT_FOUND' } } });
  await assert.rejects(call, (error: unknown) => error instanceof NodeCallError && error.code === 'TX_NOT_FOUND' && error.message === 'no such transaction');
});

test('refuses calls while not connected, with a code', async () => {
  const { connection } = setup();
  await assert.rejects(connection.call('app.state', {}), (error: unknown) => error instanceof NodeCallError && error.code === 'NOT_CONNECTED');
});

test('subscribes to blocks for event listeners and delivers notifications', async () => {
  const { connection, socket } = setup();
  const events: NodeEvent[] = [];
  connection.onEvent((event) => events.push(event));
  socket().open();
  socket().reply({ id: socket().lastCall('blocks.subscribe').id, result: { subscription: 's1' } });
  await flush();
  const params = { subscription: 's1', header: { height: 3 }, txCount: 2 };
  socket().reply({ method: 'blocks.header', params });
  assert.deepEqual(events, [{ method: 'blocks.header', params }]);
});

test('retries the subscription while the node refuses it', async () => {
  const { connection, socket, timers } = setup();
  connection.onEvent(() => undefined);
  socket().open();
  socket().reply({ id: socket().lastCall('blocks.subscribe').id, error: { code: -32000, message: 'locked', data: { code: 'NODE_LOCKED' } } });
  await flush();
  assert.equal(socket().sent.length, 1);
  timers.runAll();
  assert.equal(socket().sent.length, 2);
  assert.equal(socket().lastCall('blocks.subscribe').method, 'blocks.subscribe');
});

test('reconnects with growing backoff, fails pending calls, and subscribes again', async () => {
  const { connection, sockets, socket, timers } = setup({ probe: 'network-error' });
  const statuses: ConnectionStatus[] = [];
  connection.onStatus((status) => statuses.push(status));
  connection.onEvent(() => undefined);
  socket().open();
  socket().reply({ id: socket().lastCall('blocks.subscribe').id, result: { subscription: 's1' } });
  const pending = connection.call('node.status', {});
  socket().drop();
  await assert.rejects(pending, (error: unknown) => error instanceof NodeCallError && error.code === 'CONNECTION_LOST');
  assert.equal(connection.status, 'connecting');
  assert.deepEqual(timers.delays(), [100]);
  timers.runAll();
  assert.equal(sockets.length, 2);
  socket().drop();
  await flush();
  assert.deepEqual(timers.delays(), [200]);
  timers.runAll();
  socket().open();
  assert.equal(socket().lastCall('blocks.subscribe').method, 'blocks.subscribe');
  assert.deepEqual(statuses, ['open', 'connecting', 'open']);
  assert.equal(connection.closedReason, 'lost');
});

test('a socket refused before opening asks the node over HTTP; a 401 means the token was not accepted', async () => {
  const { connection, socket, timers, probes } = setup({ probe: 401 });
  socket().drop();
  assert.equal(connection.status, 'connecting', 'no verdict before the node answers');
  await flush();
  assert.equal(connection.status, 'closed');
  assert.equal(connection.closedReason, 'unauthorised');
  assert.equal(timers.scheduled.size, 0);
  assert.equal(probes.length, 1);
  const [{ url, init } = assert.fail('no probe')] = probes;
  assert.equal(url, 'http://127.0.0.1:7800/rpc');
  assert.equal(init.method, 'POST');
  assert.equal(init.headers.authorization, 'Bearer ab12');
  assert.deepEqual(JSON.parse(init.body), { jsonrpc: '2.0', id: 0, method: 'app.state', params: {} });
});

for (const answer of ['network-error', 200, 503] as const) {
  test(`a socket that never opens is retried when the probe answers ${answer}, not called unauthorised`, async () => {
    const { connection, sockets, socket, timers } = setup({ probe: answer });
    socket().drop();
    await flush();
    assert.equal(connection.status, 'connecting');
    assert.notEqual(connection.closedReason, 'unauthorised');
    assert.deepEqual(timers.delays(), [100]);
    timers.runAll();
    assert.equal(sockets.length, 2);
    socket().open();
    assert.equal(connection.status, 'open');
  });
}

test('a token gone stale while reconnecting (the node restarted with a new one) stops the retries', async () => {
  const { connection, socket, timers, probe, probes } = setup({ probe: 'network-error' });
  socket().open();
  socket().drop();
  assert.equal(probes.length, 0, 'a socket that was open and dropped needs no probe');
  timers.runAll();
  socket().drop();
  await flush();
  assert.equal(connection.status, 'connecting');
  probe.answer = 401;
  timers.runAll();
  socket().drop();
  await flush();
  assert.equal(connection.status, 'closed');
  assert.equal(connection.closedReason, 'unauthorised');
  assert.equal(timers.scheduled.size, 0);
});

test(`refuses a call at once while ${MAX_PENDING_CALLS} are waiting, since the node would answer it with id null`, async () => {
  const { connection, socket } = setup();
  socket().open();
  const waiting = Array.from({ length: MAX_PENDING_CALLS }, () => connection.call('node.status', {}));
  await assert.rejects(connection.call('node.status', {}), (error: unknown) => error instanceof NodeCallError && error.code === 'TOO_MANY_CALLS');
  assert.equal(socket().sent.length, MAX_PENDING_CALLS);
  const first = socket().sent[0];
  socket().reply({ id: first?.id, result: { height: 1 } });
  await waiting[0];
  const more = connection.call('app.state', {});
  assert.equal(socket().sent.length, MAX_PENDING_CALLS + 1, 'an answer makes room for one more');
  socket().reply({ id: socket().lastCall('app.state').id, result: { phase: 'running' } });
  assert.deepEqual(await more, { phase: 'running' });
});

test('a call the node never answers fails with CALL_TIMEOUT after its bound', async () => {
  const { connection, socket, timers } = setup();
  socket().open();
  const call = connection.call('node.status', {});
  assert.deepEqual(timers.delays(), [120_000]);
  timers.runAll();
  await assert.rejects(call, (error: unknown) => error instanceof NodeCallError && error.code === 'CALL_TIMEOUT');
  socket().reply({ id: socket().lastCall('node.status').id, result: { height: 1 } });
  const answered = connection.call('app.state', {});
  socket().reply({ id: socket().lastCall('app.state').id, result: { phase: 'running' } });
  await answered;
  assert.equal(timers.scheduled.size, 0, 'an answered call leaves no timer behind');
});

test('close stops reconnecting', () => {
  const { connection, socket, timers } = setup();
  socket().open();
  connection.close();
  socket().drop();
  assert.equal(connection.status, 'closed');
  assert.equal(timers.scheduled.size, 0);
  assert.ok(socket().closed);
});
