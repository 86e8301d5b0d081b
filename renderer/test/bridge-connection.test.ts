import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BridgeMethodName, BridgeOutcome, BridgeParams, BridgeResult, IngotBridge, NodeEvent } from '../../node-core/src/api/bridge.ts';
import { BridgeConnection } from '../src/rpc/bridge-connection.ts';
import { FakeTimers } from './support/fake-timers.ts';

/** The preload bridge as the renderer sees it; `blocks.subscribe` is refused while `locked`. */
class FakeBridge implements IngotBridge {
  readonly calls: string[] = [];
  locked = false;
  #listener: ((event: NodeEvent) => void) | undefined;
  #next = 1;

  call<M extends BridgeMethodName>(method: M, _params: BridgeParams<M>): Promise<BridgeOutcome<BridgeResult<M>>> {
    this.calls.push(method);
    if (method === 'blocks.subscribe' && this.locked) {
      return Promise.resolve({ ok: false, error: { code: -32000, message: 'the node is locked', data: { code: 'NODE_LOCKED' } } });
    }
    const result = method === 'blocks.subscribe' ? { subscription: `s${this.#next++}` } : {};
    return Promise.resolve({ ok: true, result: result as BridgeResult<M> });
  }

  subscribe(listener: (event: NodeEvent) => void): () => void {
    this.#listener = listener;
    return () => {
      this.#listener = undefined;
    };
  }

  emit(event: NodeEvent): void {
    this.#listener?.(event);
  }

  subscribeCalls(): number {
    return this.calls.filter((method) => method === 'blocks.subscribe').length;
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));
const header = (height: number): NodeEvent => ({ method: 'blocks.header', params: { subscription: 's1', header: { height }, txCount: 0 } as never });

function setup(locked = false) {
  const bridge = new FakeBridge();
  bridge.locked = locked;
  const timers = new FakeTimers();
  const connection = new BridgeConnection(bridge, { timers, retryMs: 2000 });
  return { bridge, timers, connection };
}

test('the bridge subscribes to blocks once anyone listens, once only, and delivers the notifications', async () => {
  const { bridge, connection } = setup();
  await flush();
  assert.equal(bridge.subscribeCalls(), 0, 'nobody listens yet');
  const events: NodeEvent[] = [];
  connection.onEvent((event) => events.push(event));
  connection.onEvent(() => undefined);
  await flush();
  assert.equal(bridge.subscribeCalls(), 1);
  bridge.emit(header(4));
  assert.deepEqual(events, [header(4)]);
});

test('the bridge retries the subscription while the node refuses it', async () => {
  const { bridge, timers, connection } = setup(true);
  connection.onEvent(() => undefined);
  await flush();
  assert.equal(bridge.subscribeCalls(), 1);
  assert.deepEqual(timers.delays(), [2000]);
  timers.runAll();
  await flush();
  assert.equal(bridge.subscribeCalls(), 2);
  bridge.locked = false;
  timers.runAll();
  await flush();
  assert.equal(bridge.subscribeCalls(), 3);
  assert.equal(timers.scheduled.size, 0, 'subscribed: nothing more to retry');
});

test('the bridge subscribes again after the node process starts again, and not while it is down', async () => {
  const { bridge, timers, connection } = setup();
  connection.onEvent(() => undefined);
  await flush();
  assert.equal(bridge.subscribeCalls(), 1);
  bridge.emit({ method: 'shell.nodeExited', params: { code: 1, reason: 'crashed' } });
  await flush();
  assert.equal(bridge.subscribeCalls(), 1);
  assert.equal(timers.scheduled.size, 0);
  bridge.emit({ method: 'shell.nodeStarted', params: {} });
  await flush();
  assert.equal(bridge.subscribeCalls(), 2);
});

test('closing the bridge connection stops the retries and the events', async () => {
  const { bridge, timers, connection } = setup(true);
  const events: NodeEvent[] = [];
  connection.onEvent((event) => events.push(event));
  await flush();
  connection.close();
  assert.equal(timers.scheduled.size, 0);
  bridge.emit(header(1));
  assert.deepEqual(events, []);
});
