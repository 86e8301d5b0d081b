import type { BridgeMethodName, BridgeParams, BridgeResult, NodeEvent } from '../../../node-core/src/api/bridge.ts';
import type { RpcError } from '../../../node-core/src/api/errors.ts';

export type ConnectionStatus = 'connecting' | 'open' | 'closed';

/** Why a connection is closed, when the screen should say something more specific than "offline". */
export type ClosedReason = 'unauthorised' | 'no-token' | 'lost';

/**
 * The renderer's one way to the node, whichever carries it: the desktop bridge or a WebSocket.
 * Shell methods exist only on the bridge; `hasShell` tells the UI whether to offer them.
 */
export interface NodeConnection {
  readonly kind: 'bridge' | 'websocket';
  readonly hasShell: boolean;
  /** Where the API lives, for the settings screen. */
  readonly address: string;
  readonly status: ConnectionStatus;
  readonly closedReason: ClosedReason | undefined;
  call<M extends BridgeMethodName>(method: M, params: BridgeParams<M>): Promise<BridgeResult<M>>;
  /** Returns a function that stops listening. */
  onEvent(listener: (event: NodeEvent) => void): () => void;
  onStatus(listener: (status: ConnectionStatus) => void): () => void;
  close(): void;
}

/** The node refused a call; `code` is the stable string from `error.data.code`. */
export class NodeCallError extends Error {
  readonly code: string;
  readonly field: string | undefined;
  constructor(error: RpcError) {
    super(error.message);
    this.name = 'NodeCallError';
    this.code = error.data.code;
    this.field = error.data.field;
  }
}

export function connectionError(code: string, message: string): NodeCallError {
  return new NodeCallError({ code: -32603, message, data: { code } });
}

/** Message and code of anything thrown, for toasts: a failure is never shown without its code. */
export function describeError(error: unknown): { message: string; code: string } {
  if (error instanceof NodeCallError) return { message: error.message, code: error.code };
  if (error instanceof Error) return { message: error.message, code: error.name };
  return { message: String(error), code: 'UNKNOWN' };
}

/** The timer functions a connection uses, so tests can hand in fakes. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const globalTimers: Timers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

/** Listener bookkeeping shared by both connections. */
export class Listeners<T> {
  readonly #listeners = new Set<(value: T) => void>();
  add(listener: (value: T) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  get size(): number {
    return this.#listeners.size;
  }
  emit(value: T): void {
    for (const listener of [...this.#listeners]) listener(value);
  }
}
