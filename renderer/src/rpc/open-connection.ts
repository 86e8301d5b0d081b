import { BRIDGE_GLOBAL, type IngotBridge } from '../../../node-core/src/api/bridge.ts';
import { RPC_PATH } from '../../../node-core/src/api/web-mode.ts';
import { BridgeConnection } from './bridge-connection.ts';
import type { NodeConnection } from './connection.ts';
import { takeToken } from './token.ts';
import { WebSocketConnection } from './ws-connection.ts';

/** The desktop bridge when the preload script put it there, else web mode; undefined without a token. */
export function openConnection(): NodeConnection | undefined {
  const bridge = (window as unknown as Record<string, IngotBridge | undefined>)[BRIDGE_GLOBAL];
  if (bridge !== undefined) return new BridgeConnection(bridge);
  const token = takeToken({ location: window.location, history: window.history, storage: window.sessionStorage });
  if (token === undefined) return undefined;
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  return new WebSocketConnection({
    url: `${scheme}://${window.location.host}${RPC_PATH}`,
    token,
    openSocket: (url, protocols) => new WebSocket(url, protocols),
    fetch: (url, init) => window.fetch(url, { ...init, cache: 'no-store', credentials: 'omit' }),
    timers: { setTimeout: (callback, ms) => window.setTimeout(callback, ms), clearTimeout: (handle) => window.clearTimeout(handle as number) },
  });
}
