import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeEvent } from '../../node-core/src/api/bridge.ts';
import { NodeCallError, type ConnectionStatus } from '../src/rpc/connection.ts';
import { WebSocketConnection, type SocketLike, type Timers } from '../src/rpc/ws-connection.ts';

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

class FakeTimers implements Timers {
  readonly scheduled = new Map<number, { callback: () => void; ms: number }>();
  #next = 1;
  setTimeout(callback: () => void, ms: number): number {
    const handle = this.#next++;
    this.scheduled.set(handle, { callback, ms });
    return handle;
  }
  clearTimeout(handle: unknown): void {
    this.scheduled.delete(handle as number);
  }
  delays(): number[] {
    return [...this.scheduled.values()].map((timer) => timer.ms);
  }
  runAll(): void {
    const due = [...this.scheduled.values()];
    this.scheduled.clear();
    for (const timer of due) timer.callback();
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers = new FakeTimers();
  const connection = new WebSocketConnection({
    url: 'ws://127.0.0.1:7800/rpc',
    token: 'ab12',
    openSocket: (_url, protocols) => {
      const socket = new FakeSocket(protocols);
      sockets.push(socket);
      return socket;
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
  return { connection, sockets, timers, socket };
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
  const { connection, sockets, socket, timers } = setup();
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
  assert.deepEqual(timers.delays(), [200]);
  timers.runAll();
  socket().open();
  assert.equal(socket().lastCall('blocks.subscribe').method, 'blocks.subscribe');
  assert.deepEqual(statuses, ['open', 'connecting', 'open']);
  assert.equal(connection.closedReason, 'lost');
});

test('a first socket refused before opening means the token was not accepted', () => {
  const { connection, socket, timers } = setup();
  socket().drop();
  assert.equal(connection.status, 'closed');
  assert.equal(connection.closedReason, 'unauthorised');
  assert.equal(timers.scheduled.size, 0);
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
