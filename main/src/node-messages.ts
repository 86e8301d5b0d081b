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

export type ToNodeMessage = StartMessage | ConnectMessage | StopMessage;

export type FromNodeMessage =
  | { type: 'remember-passphrase'; passphrase: string }
  | { type: 'forget-passphrase' }
  | { type: 'stopped' };

export function isFromNodeMessage(value: unknown): value is FromNodeMessage {
  if (value === null || typeof value !== 'object') return false;
  const { type, passphrase } = value as Record<string, unknown>;
  if (type === 'remember-passphrase') return typeof passphrase === 'string';
  return type === 'forget-passphrase' || type === 'stopped';
}
