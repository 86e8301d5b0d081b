/** Messages between the main process and the node's utility process (`process.parentPort`). */

export interface StartMessage {
  type: 'start';
  dataDir: string;
  /** The passphrase kept in the OS keychain, if any: the node unlocks itself with it. */
  passphrase?: string;
  /** Whether the main process has somewhere safe to keep a passphrase. */
  canRemember: boolean;
}

/** Carries one window load's MessagePort in `ports[0]`. */
export interface ConnectMessage {
  type: 'connect';
}

export interface StopMessage {
  type: 'stop';
}

/** The answer to one `remember-passphrase`: whether the keychain now holds the passphrase. */
export interface PassphraseRememberedMessage {
  type: 'passphrase-remembered';
  requestId: number;
  ok: boolean;
  error?: string;
}

export type ToNodeMessage = StartMessage | ConnectMessage | StopMessage | PassphraseRememberedMessage;

export type FromNodeMessage =
  | { type: 'remember-passphrase'; passphrase: string; requestId: number }
  | { type: 'forget-passphrase' }
  | { type: 'stopped' };

function isRequestId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value);
}

export function isFromNodeMessage(value: unknown): value is FromNodeMessage {
  if (value === null || typeof value !== 'object') return false;
  const { type, passphrase, requestId } = value as Record<string, unknown>;
  if (type === 'remember-passphrase') return typeof passphrase === 'string' && isRequestId(requestId);
  return type === 'forget-passphrase' || type === 'stopped';
}

export function isPassphraseRememberedMessage(value: unknown): value is PassphraseRememberedMessage {
  if (value === null || typeof value !== 'object') return false;
  const { type, requestId, ok, error } = value as Record<string, unknown>;
  return type === 'passphrase-remembered' && isRequestId(requestId) && typeof ok === 'boolean' && (error === undefined || typeof error === 'string');
}
