import type { RpcError } from './errors.ts';
import type { BLOCK_NOTIFICATION_METHOD } from './json-rpc.ts';
import type { BlockNotification, MethodName, Params, Results } from './methods.ts';

/**
 * The desktop window's only way out of its sandbox, defined once for both ends: the preload script
 * implements it, the renderer uses it. It carries the node's RPC methods plus the few that only the
 * desktop shell can answer (the node's process lives and dies outside the node).
 */

export const BRIDGE_GLOBAL = 'ingotBridge';

export interface ShellParams {
  /** Starts the node's process again after it stopped unexpectedly. */
  'shell.restartNode': Record<string, never>;
}
export interface ShellResults {
  'shell.restartNode': { restarted: boolean };
}
export type ShellMethodName = keyof ShellParams;
export const SHELL_METHODS: readonly ShellMethodName[] = ['shell.restartNode'];

export type BridgeMethodName = MethodName | ShellMethodName;
export type BridgeParams<M extends BridgeMethodName> = M extends MethodName ? Params<M> : M extends ShellMethodName ? ShellParams[M] : never;
export type BridgeResult<M extends BridgeMethodName> = M extends MethodName ? Results[M] : M extends ShellMethodName ? ShellResults[M] : never;

/** Errors cross the context bridge as data: an Error object would lose its code on the way. */
export type BridgeOutcome<T> = { ok: true; result: T } | { ok: false; error: RpcError };

export const NODE_EXITED_METHOD = 'shell.nodeExited';
export const NODE_STARTED_METHOD = 'shell.nodeStarted';

export interface NodeExited {
  /** The process's exit code, or null when a signal ended it. */
  code: number | null;
  reason: string;
}

export type NodeEvent =
  | { method: typeof BLOCK_NOTIFICATION_METHOD; params: BlockNotification }
  | { method: typeof NODE_EXITED_METHOD; params: NodeExited }
  | { method: typeof NODE_STARTED_METHOD; params: Record<string, never> };

export interface IngotBridge {
  call<M extends BridgeMethodName>(method: M, params: BridgeParams<M>): Promise<BridgeOutcome<BridgeResult<M>>>;
  /** Listens to node events until the returned function is called. */
  subscribe(listener: (event: NodeEvent) => void): () => void;
}
