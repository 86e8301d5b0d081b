/**
 * How a browser reaches the node in web mode: the same origin serves the UI and the RPC endpoint,
 * and the API token travels in the URL fragment (never sent to a server, never in a log).
 */
export const RPC_PATH = '/rpc';
/** Browsers cannot set headers on a WebSocket, so they offer the token as a subprotocol next to this one. */
export const WS_PROTOCOL = 'ingot-rpc';
export const WS_TOKEN_PROTOCOL_PREFIX = 'ingot-token.';
export const TOKEN_FRAGMENT_KEY = 'token';
export const TOKEN_STORAGE_KEY = 'ingot.token';
