import { SHELL_METHODS, type BridgeOutcome, type ShellMethodName } from '../../node-core/src/api/bridge.ts';
import { rpcErrorNumbers, type RpcError } from '../../node-core/src/api/errors.ts';

/** What the main process does for the window's shell methods. */
export interface ShellActions {
  restartNode(): Promise<boolean>;
}

function failure(code: number, dataCode: string, message: string): BridgeOutcome<never> {
  const error: RpcError = { code, message, data: { code: dataCode } };
  return { ok: false, error };
}

function isShellMethod(method: unknown): method is ShellMethodName {
  return typeof method === 'string' && (SHELL_METHODS as readonly string[]).includes(method);
}

function isEmptyObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0;
}

/**
 * Answers one `ingot:shell` call. Its arguments come from the renderer, so they are checked here
 * like any RPC input, and the answer is a BridgeOutcome: an Error would lose its code over IPC.
 */
export async function answerShellCall(actions: ShellActions, method: unknown, params: unknown): Promise<BridgeOutcome<unknown>> {
  if (!isShellMethod(method)) {
    const name = typeof method === 'string' ? JSON.stringify(method.slice(0, 64)) : `of type ${typeof method}`;
    return failure(rpcErrorNumbers.METHOD_NOT_FOUND, 'METHOD_NOT_FOUND', `there is no shell method ${name}`);
  }
  if (!isEmptyObject(params)) return failure(rpcErrorNumbers.INVALID_PARAMS, 'INVALID_PARAMS', `${method} takes no parameters: pass {}`);
  try {
    switch (method) {
      case 'shell.restartNode':
        return { ok: true, result: { restarted: await actions.restartNode() } };
    }
  } catch (error) {
    return failure(rpcErrorNumbers.INTERNAL_ERROR, 'INTERNAL_ERROR', `${method} failed: ${String(error)}`);
  }
}
