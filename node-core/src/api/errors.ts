/**
 * JSON-RPC 2.0 error codes. Every error also carries `data.code`, a stable string that names the
 * exact reason (see docs/api.md); the number only says which family it belongs to.
 */
export const rpcErrorNumbers = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** Any operating error with its own code: rejected transaction, not found, full mempool… */
  APPLICATION_ERROR: -32000,
} as const;

export interface RpcErrorData {
  readonly code: string;
  readonly field?: string;
}

export interface RpcError {
  readonly code: number;
  readonly message: string;
  readonly data: RpcErrorData;
}
