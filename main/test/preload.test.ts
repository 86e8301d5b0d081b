import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import type { IngotBridge, NodeEvent } from '../../node-core/src/api/bridge.ts';
import { EVENT_CHANNEL, PORT_CHANNEL, SHELL_CHANNEL } from '../src/channels.ts';
import type { IpcRenderer, IpcRendererEvent, RendererPort } from '../src/electron-api.ts';
import { PENDING_CALLS_MAX, createBridge, exposeBridge } from '../src/preload.ts';

class FakeIpcRenderer extends EventEmitter {
  readonly invoked: unknown[][] = [];
  answer: unknown = { ok: true, result: { restarted: true } };
  async invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push([channel, ...args]);
    return this.answer;
  }
  givePort(port: RendererPort): void {
    const event: IpcRendererEvent = { ports: [port] };
    this.emit(PORT_CHANNEL, event);
  }
  sendEvent(payload: unknown): void {
    this.emit(EVENT_CHANNEL, { ports: [] }, payload);
  }
}

type Reply = (request: { id: number; method: string; params: unknown }) => unknown;

/** A real MessageChannel (Node's port has the DOM `onmessage` the preload uses); its far end plays the node, answering each request with `reply`. */
function nodeEnd(reply: Reply): { port: RendererPort; notify(message: unknown): void; received: string[]; close(): void } {
  const { port1, port2 } = new MessageChannel();
  const received: string[] = [];
  port2.on('message', (data: string) => {
    received.push(data);
    const request = JSON.parse(data) as { id: number; method: string; params: unknown };
    const answer = reply(request);
    if (answer !== undefined) port2.postMessage(JSON.stringify({ jsonrpc: '2.0', id: request.id, ...answer }));
  });
  return {
    port: port1 as unknown as RendererPort,
    notify: (message) => port2.postMessage(JSON.stringify(message)),
    received,
    close: () => { port1.close(); port2.close(); },
  };
}

function bridgeOn(ipc: FakeIpcRenderer): IngotBridge {
  return createBridge(ipc as unknown as IpcRenderer);
}

test('exactly call and subscribe are exposed under the bridge global', () => {
  const exposed: Record<string, unknown> = {};
  exposeBridge({ exposeInMainWorld: (key, api) => { exposed[key] = api; } }, new FakeIpcRenderer() as unknown as IpcRenderer);
  assert.deepEqual(Object.keys(exposed), ['ingotBridge']);
  const api = exposed.ingotBridge as Record<string, unknown>;
  assert.deepEqual(Object.keys(api).sort(), ['call', 'subscribe']);
  assert.equal(typeof api.call, 'function');
  assert.equal(typeof api.subscribe, 'function');
});

test('a call made before the port arrives waits for it, then round-trips as JSON-RPC text', { timeout: 5_000 }, async (t) => {
  const ipc = new FakeIpcRenderer();
  const bridge = bridgeOn(ipc);
  const node = nodeEnd(({ method, params }) => ({ result: { echoed: method, params } }));
  t.after(node.close);
  const early = bridge.call('node.status', {});
  ipc.givePort(node.port);
  assert.deepEqual(await early, { ok: true, result: { echoed: 'node.status', params: {} } });
  assert.deepEqual(await bridge.call('blocks.list', { limit: 2 }), { ok: true, result: { echoed: 'blocks.list', params: { limit: 2 } } });
  assert.deepEqual(JSON.parse(node.received[1] ?? ''), { jsonrpc: '2.0', id: 2, method: 'blocks.list', params: { limit: 2 } });
});

test('node errors arrive as data with their code', { timeout: 5_000 }, async (t) => {
  const ipc = new FakeIpcRenderer();
  const bridge = bridgeOn(ipc);
  const error = { code: -32000, message: 'the node is waiting for the passphrase', data: { code: 'NODE_LOCKED' } };
  const node = nodeEnd(() => ({ error }));
  t.after(node.close);
  ipc.givePort(node.port);
  assert.deepEqual(await bridge.call('node.status', {}), { ok: false, error });
});

test('events reach subscribers: block headers from the node, shell events from the main process', { timeout: 5_000 }, async (t) => {
  const ipc = new FakeIpcRenderer();
  const bridge = bridgeOn(ipc);
  const node = nodeEnd(() => undefined);
  t.after(node.close);
  ipc.givePort(node.port);
  const events: NodeEvent[] = [];
  const unsubscribe = bridge.subscribe((event) => events.push(event));
  const params = { subscription: 'abc', header: { height: 7 }, txCount: 0 };
  node.notify({ jsonrpc: '2.0', method: 'blocks.header', params });
  const deadline = Date.now() + 2_000;
  while (events.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
  ipc.sendEvent({ method: 'shell.nodeStarted', params: {} });
  ipc.sendEvent({ method: 'shell.somethingElse', params: {} });
  assert.deepEqual(events, [{ method: 'blocks.header', params }, { method: 'shell.nodeStarted', params: {} }]);
  unsubscribe();
  ipc.sendEvent({ method: 'shell.nodeStarted', params: {} });
  assert.equal(events.length, 2);
});

test('when the node exits, pending and later calls fail with NODE_PROCESS_EXITED; a new port brings it back', { timeout: 5_000 }, async (t) => {
  const ipc = new FakeIpcRenderer();
  const bridge = bridgeOn(ipc);
  const silent = nodeEnd(() => undefined);
  t.after(silent.close);
  ipc.givePort(silent.port);
  const events: NodeEvent[] = [];
  bridge.subscribe((event) => events.push(event));
  const pending = bridge.call('node.status', {});
  ipc.sendEvent({ method: 'shell.nodeExited', params: { code: 134, reason: 'crashed' } });
  const failed = await pending;
  assert.equal(!failed.ok && failed.error.data.code, 'NODE_PROCESS_EXITED');
  const later = await bridge.call('node.status', {});
  assert.equal(!later.ok && later.error.data.code, 'NODE_PROCESS_EXITED');
  assert.deepEqual(events, [{ method: 'shell.nodeExited', params: { code: 134, reason: 'crashed' } }]);

  const restarted = nodeEnd(() => ({ result: { height: 1 } }));
  t.after(restarted.close);
  ipc.givePort(restarted.port);
  assert.deepEqual(await bridge.call('node.status', {}), { ok: true, result: { height: 1 } });
});

test('a replaced port fails the calls left on the old one', { timeout: 5_000 }, async (t) => {
  const ipc = new FakeIpcRenderer();
  const bridge = bridgeOn(ipc);
  const old = nodeEnd(() => undefined);
  const fresh = nodeEnd(() => ({ result: 'fresh' }));
  t.after(() => { old.close(); fresh.close(); });
  ipc.givePort(old.port);
  const stranded = bridge.call('node.status', {});
  ipc.givePort(fresh.port);
  const outcome = await stranded;
  assert.equal(!outcome.ok && outcome.error.data.code, 'NODE_PROCESS_EXITED');
  assert.deepEqual(await bridge.call('node.status', {}), { ok: true, result: 'fresh' });
});

test('pending calls are bounded', { timeout: 5_000 }, async () => {
  const bridge = bridgeOn(new FakeIpcRenderer());
  const waiting = Array.from({ length: PENDING_CALLS_MAX }, () => bridge.call('node.status', {}));
  const refused = await bridge.call('node.status', {});
  assert.equal(!refused.ok && refused.error.data.code, 'TOO_MANY_CALLS');
  assert.equal(waiting.length, PENDING_CALLS_MAX);
});

test('shell methods go to the main process; unsendable params are refused as data', async () => {
  const ipc = new FakeIpcRenderer();
  const bridge = bridgeOn(ipc);
  assert.deepEqual(await bridge.call('shell.restartNode', {}), { ok: true, result: { restarted: true } });
  assert.deepEqual(ipc.invoked, [[SHELL_CHANNEL, 'shell.restartNode', {}]]);
  ipc.invoke = async () => { throw new Error('no handler'); };
  const broken = await bridge.call('shell.restartNode', {});
  assert.equal(!broken.ok && broken.error.data.code, 'INTERNAL_ERROR');
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const refused = await bridge.call('tx.submit', cyclic as never);
  assert.equal(!refused.ok && refused.error.data.code, 'INVALID_PARAMS');
});
