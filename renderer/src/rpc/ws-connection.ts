import type { BridgeMethodName, BridgeParams, BridgeResult, NodeEvent } from '../../../node-core/src/api/bridge.ts';
import { WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../../node-core/src/api/web-mode.ts';
import { parseServerMessage } from '../../../node-core/src/api/json-rpc.ts';
import { BlockSubscription } from './block-subscription.ts';
import { Listeners, NodeCallError, connectionError, type ClosedReason, type ConnectionStatus, type NodeConnection, type Timers } from './connection.ts';

export type { Timers } from './connection.ts';

/** The part of the browser's WebSocket this connection uses, so tests can hand in a fake. */
export interface SocketLike {
  send(data: string): void;
  close(): void;
  // The events' contents are not needed (a refused upgrade tells nothing more): only that they happened.
  onopen: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
}
export type SocketFactory = (url: string, protocols: string[]) => SocketLike;

/** The part of `fetch` the token probe uses; it rejects on a network error, as `fetch` does. */
export type FetchLike = (url: string, init: { method: 'POST'; headers: Record<string, string>; body: string }) => Promise<{ status: number }>;

/** The node answers calls over this many in flight on one socket with id null, which no caller could match. */
export const MAX_PENDING_CALLS = 256;

export interface WebSocketConnectionOptions {
  url: string;
  token: string;
  openSocket: SocketFactory;
  /** Asks the node over HTTP whether it takes the token when a socket closes before opening. */
  fetch: FetchLike;
  timers: Timers;
  /** First reconnect delay; it doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A call unanswered for this long fails with CALL_TIMEOUT. */
  callTimeoutMs?: number;
}

interface PendingCall {
  resolve(result: unknown): void;
  reject(error: Error): void;
  timer: unknown;
}

/**
 * JSON-RPC 2.0 over a WebSocket, for web mode. It reconnects with backoff after the socket drops,
 * and keeps one block subscription alive for as long as anyone listens to events. A socket that
 * closes before opening says nothing about why, so the token is put to the node over HTTP: only a
 * 401 stops the reconnecting (the node restarted with a new token, or the link was wrong).
 */
export class WebSocketConnection implements NodeConnection {
  readonly kind = 'websocket';
  readonly hasShell = false;
  readonly address: string;
  #status: ConnectionStatus = 'connecting';
  #closedReason: ClosedReason | undefined;
  readonly #options: Required<WebSocketConnectionOptions>;
  readonly #events = new Listeners<NodeEvent>();
  readonly #statusListeners = new Listeners<ConnectionStatus>();
  readonly #pending = new Map<number, PendingCall>();
  #socket: SocketLike | undefined;
  readonly #blocks: BlockSubscription;
  #nextId = 1;
  #backoff: number;
  #reconnectTimer: unknown;
  #closedByUs = false;

  constructor(options: WebSocketConnectionOptions) {
    this.#options = { backoffMs: 500, maxBackoffMs: 10_000, callTimeoutMs: 120_000, ...options };
    this.#backoff = this.#options.backoffMs;
    this.address = new URL(options.url).host;
    this.#blocks = new BlockSubscription({
      subscribe: () => this.#request('blocks.subscribe', {}),
      hasListeners: () => this.#events.size > 0,
      timers: this.#options.timers,
      retryMs: this.#options.maxBackoffMs / 5,
    });
    this.#connect();
  }

  get status(): ConnectionStatus {
    return this.#status;
  }

  get closedReason(): ClosedReason | undefined {
    return this.#closedReason;
  }

  call<M extends BridgeMethodName>(method: M, params: BridgeParams<M>): Promise<BridgeResult<M>> {
    return this.#request(method, params) as Promise<BridgeResult<M>>;
  }

  onEvent(listener: (event: NodeEvent) => void): () => void {
    const remove = this.#events.add(listener);
    this.#blocks.ensure();
    return remove;
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    return this.#statusListeners.add(listener);
  }

  close(): void {
    this.#closedByUs = true;
    this.#options.timers.clearTimeout(this.#reconnectTimer);
    this.#blocks.stop();
    this.#socket?.close();
    this.#setStatus('closed');
  }

  #request(method: string, params: unknown): Promise<unknown> {
    if (this.#status !== 'open' || this.#socket === undefined) {
      return Promise.reject(connectionError('NOT_CONNECTED', 'not connected to the node'));
    }
    if (this.#pending.size >= MAX_PENDING_CALLS) {
      return Promise.reject(connectionError('TOO_MANY_CALLS', `more than ${MAX_PENDING_CALLS} calls are waiting for the node`));
    }
    const id = this.#nextId++;
    const socket = this.#socket;
    return new Promise((resolve, reject) => {
      const timer = this.#options.timers.setTimeout(() => {
        this.#pending.delete(id);
        reject(connectionError('CALL_TIMEOUT', `the node did not answer ${method} in ${this.#options.callTimeoutMs / 1000} s`));
      }, this.#options.callTimeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  #connect(): void {
    const socket = this.#options.openSocket(this.#options.url, [WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX + this.#options.token]);
    this.#socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.#backoff = this.#options.backoffMs;
      this.#setStatus('open');
      this.#blocks.restart();
    };
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#blocks.stop();
      this.#failPending();
      if (this.#closedByUs) return;
      this.#setStatus('connecting');
      if (opened) {
        this.#closedReason = 'lost';
        this.#reconnectLater();
        return;
      }
      // Refused at the upgrade, or nothing listening: the browser does not say which.
      void this.#tokenRefused().then((refused) => {
        if (this.#closedByUs) return;
        if (refused) {
          this.#closedReason = 'unauthorised';
          this.#setStatus('closed');
          return;
        }
        this.#reconnectLater();
      });
    };
  }

  #reconnectLater(): void {
    this.#reconnectTimer = this.#options.timers.setTimeout(() => this.#connect(), this.#backoff);
    this.#backoff = Math.min(this.#backoff * 2, this.#options.maxBackoffMs);
  }

  /** True only when the node answers the token with 401; a network error or any other answer is not a verdict. */
  async #tokenRefused(): Promise<boolean> {
    const url = new URL(this.#options.url);
    url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
    try {
      const response = await this.#options.fetch(url.href, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.#options.token}` },
        body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'app.state', params: {} }),
      });
      return response.status === 401;
    } catch {
      return false;
    }
  }

  #receive(data: unknown): void {
    const message = parseServerMessage(data);
    if (message === undefined) return;
    if (message.kind === 'event') {
      this.#events.emit(message.event);
      return;
    }
    const pending = this.#pending.get(message.id);
    if (pending === undefined) return;
    this.#pending.delete(message.id);
    this.#options.timers.clearTimeout(pending.timer);
    if (message.outcome.ok) pending.resolve(message.outcome.result);
    else pending.reject(new NodeCallError(message.outcome.error));
  }

  #failPending(): void {
    const lost = connectionError('CONNECTION_LOST', 'the connection to the node was lost');
    for (const pending of this.#pending.values()) {
      this.#options.timers.clearTimeout(pending.timer);
      pending.reject(lost);
    }
    this.#pending.clear();
  }

  #setStatus(status: ConnectionStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#statusListeners.emit(status);
  }
}
