import { BRIDGE_GLOBAL, NODE_EXITED_METHOD, NODE_STARTED_METHOD, type BridgeOutcome, type IngotBridge, type NodeEvent } from '../../node-core/src/api/bridge.ts';
import { rpcErrorNumbers } from '../../node-core/src/api/errors.ts';
import { parseServerMessage, rpcError } from '../../node-core/src/api/json-rpc.ts';
import { EVENT_CHANNEL, PORT_CHANNEL, SHELL_CHANNEL } from './channels.ts';
import type { ContextBridge, IpcRenderer, RendererPort } from './electron-api.ts';

/** The node answers at most this many calls in flight per connection; more would be refused unanswerable (id null). */
export const PENDING_CALLS_MAX = 256;

type Settle = (outcome: BridgeOutcome<unknown>) => void;

function failure(code: number, dataCode: string, message: string): BridgeOutcome<never> {
  return { ok: false, error: rpcError(code, dataCode, message) };
}

const nodeExited = () => failure(rpcErrorNumbers.APPLICATION_ERROR, 'NODE_PROCESS_EXITED', "the node's process has stopped; restart it to continue");

function isShellEvent(value: unknown): value is NodeEvent {
  if (value === null || typeof value !== 'object') return false;
  const { method, params } = value as Record<string, unknown>;
  return (method === NODE_EXITED_METHOD || method === NODE_STARTED_METHOD) && params !== null && typeof params === 'object';
}

/**
 * The preload side of the window's bridge: JSON-RPC text over the MessagePort the main process
 * hands over on each load (and again after a node restart), shell methods over IPC to the main
 * process. Calls made before a port arrives wait for it; calls made while the node is down fail at
 * once with NODE_PROCESS_EXITED, so the UI can offer a restart instead of hanging.
 */
export function createBridge(ipcRenderer: IpcRenderer): IngotBridge {
  const listeners = new Set<(event: NodeEvent) => void>();
  const pending = new Map<number, Settle>();
  let waiting: string[] = [];
  let port: RendererPort | undefined;
  let exited = false;
  let nextId = 1;

  const emit = (event: NodeEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        console.error('ingot bridge: an event listener failed:', error);
      }
    }
  };

  // Calls on a port that is gone will never be answered.
  const failPending = () => {
    for (const settle of pending.values()) settle(nodeExited());
    pending.clear();
    waiting = [];
  };

  const receive = (data: unknown) => {
    const message = parseServerMessage(data);
    if (message === undefined) return;
    if (message.kind === 'event') {
      emit(message.event);
      return;
    }
    const settle = pending.get(message.id);
    if (settle === undefined) return;
    pending.delete(message.id);
    settle(message.outcome);
  };

  ipcRenderer.on(PORT_CHANNEL, (event) => {
    const next = event.ports[0];
    if (next === undefined) return;
    if (port !== undefined) {
      failPending();
      port.close();
    }
    port = next;
    exited = false;
    next.onmessage = ({ data }) => receive(data);
    for (const text of waiting) next.postMessage(text);
    waiting = [];
  });

  ipcRenderer.on(EVENT_CHANNEL, (_event, payload) => {
    if (!isShellEvent(payload)) return;
    if (payload.method === NODE_EXITED_METHOD) {
      exited = true;
      port?.close();
      port = undefined;
      failPending();
    } else {
      // The new port may come before or after this event; until it does, calls wait for it.
      exited = false;
    }
    emit(payload);
  });

  const callNode = (method: string, params: unknown): Promise<BridgeOutcome<unknown>> => {
    if (exited) return Promise.resolve(nodeExited());
    if (pending.size >= PENDING_CALLS_MAX) {
      return Promise.resolve(failure(rpcErrorNumbers.APPLICATION_ERROR, 'TOO_MANY_CALLS', `at most ${PENDING_CALLS_MAX} calls may be pending`));
    }
    const id = nextId++;
    let text: string;
    try {
      text = JSON.stringify({ jsonrpc: '2.0', id, method, params });
    } catch (error) {
      return Promise.resolve(failure(rpcErrorNumbers.INVALID_PARAMS, 'INVALID_PARAMS', `params cannot be sent as JSON: ${String(error)}`));
    }
    return new Promise((settle) => {
      pending.set(id, settle);
      if (port === undefined) waiting.push(text);
      else port.postMessage(text);
    });
  };

  const callShell = async (method: string, params: unknown): Promise<BridgeOutcome<unknown>> => {
    try {
      return (await ipcRenderer.invoke(SHELL_CHANNEL, method, params)) as BridgeOutcome<unknown>;
    } catch (error) {
      return failure(rpcErrorNumbers.INTERNAL_ERROR, 'INTERNAL_ERROR', `${method} failed: ${String(error)}`);
    }
  };

  return {
    call(method, params) {
      if (typeof method !== 'string') return Promise.resolve(failure(rpcErrorNumbers.INVALID_REQUEST, 'INVALID_REQUEST', 'the method must be a string')) as never;
      return (method.startsWith('shell.') ? callShell(method, params) : callNode(method, params)) as never;
    },
    subscribe(listener) {
      if (typeof listener !== 'function') throw new TypeError('subscribe takes a function');
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

/** Puts exactly the two bridge functions into the page's world: nothing else of the preload leaks. */
export function exposeBridge(contextBridge: ContextBridge, ipcRenderer: IpcRenderer): void {
  const bridge = createBridge(ipcRenderer);
  const exposed: IngotBridge = {
    call: (method, params) => bridge.call(method, params),
    subscribe: (listener) => bridge.subscribe(listener),
  };
  contextBridge.exposeInMainWorld(BRIDGE_GLOBAL, exposed);
}
