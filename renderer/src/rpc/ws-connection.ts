import type { BridgeMethodName, BridgeParams, BridgeResult, NodeEvent } from '../../../node-core/src/api/bridge.ts';
import { WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX } from '../../../node-core/src/api/web-mode.ts';
import { parseServerMessage } from '../../../node-core/src/api/json-rpc.ts';
import { Listeners, NodeCallError, connectionError, type ClosedReason, type ConnectionStatus, type NodeConnection } from './connection.ts';

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

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WebSocketConnectionOptions {
  url: string;
  token: string;
  openSocket: SocketFactory;
  timers: Timers;
  /** First reconnect delay; it doubles up to `maxBackoffMs`. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

interface PendingCall {
  resolve(result: unknown): void;
  reject(error: Error): void;
}


/**
 * JSON-RPC 2.0 over a WebSocket, for web mode. It reconnects with backoff after the socket drops,
 * and keeps one block subscription alive for as long as anyone listens to events (the node refuses
 * it until it runs, so it is retried).
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
  #nextId = 1;
  #everOpened = false;
  #backoff: number;
  #reconnectTimer: unknown;
  #subscribeTimer: unknown;
  #subscription: string | undefined;
  #subscribing = false;
  #closedByUs = false;

  constructor(options: WebSocketConnectionOptions) {
    this.#options = { backoffMs: 500, maxBackoffMs: 10_000, ...options };
    this.#backoff = this.#options.backoffMs;
    this.address = new URL(options.url).host;
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
    this.#keepSubscribed();
    return remove;
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    return this.#statusListeners.add(listener);
  }

  close(): void {
    this.#closedByUs = true;
    this.#options.timers.clearTimeout(this.#reconnectTimer);
    this.#options.timers.clearTimeout(this.#subscribeTimer);
    this.#socket?.close();
    this.#setStatus('closed');
  }

  #request(method: string, params: unknown): Promise<unknown> {
    if (this.#status !== 'open' || this.#socket === undefined) {
      return Promise.reject(connectionError('NOT_CONNECTED', 'not connected to the node'));
    }
    const id = this.#nextId++;
    const socket = this.#socket;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
    });
  }

  #connect(): void {
    const socket = this.#options.openSocket(this.#options.url, [WS_PROTOCOL, WS_TOKEN_PROTOCOL_PREFIX + this.#options.token]);
    this.#socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      this.#everOpened = true;
      this.#backoff = this.#options.backoffMs;
      this.#setStatus('open');
      this.#keepSubscribed();
    };
    socket.onmessage = (event) => this.#receive(event.data);
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#socket = undefined;
      this.#subscription = undefined;
      this.#subscribing = false;
      this.#failPending();
      if (this.#closedByUs) return;
      // A first socket that never opens was refused at the upgrade: the page is served by the same
      // node, so the node is up and the token is what it turned down.
      if (!opened && !this.#everOpened) {
        this.#closedReason = 'unauthorised';
        this.#setStatus('closed');
        return;
      }
      this.#closedReason = 'lost';
      this.#setStatus('connecting');
      this.#reconnectTimer = this.#options.timers.setTimeout(() => this.#connect(), this.#backoff);
      this.#backoff = Math.min(this.#backoff * 2, this.#options.maxBackoffMs);
    };
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
    if (message.outcome.ok) pending.resolve(message.outcome.result);
    else pending.reject(new NodeCallError(message.outcome.error));
  }

  #keepSubscribed(): void {
    if (this.#events.size === 0 || this.#status !== 'open' || this.#subscription !== undefined || this.#subscribing) return;
    this.#subscribing = true;
    this.#options.timers.clearTimeout(this.#subscribeTimer);
    this.#request('blocks.subscribe', {}).then(
      (result) => {
        this.#subscribing = false;
        this.#subscription = (result as { subscription: string }).subscription;
      },
      () => {
        // Refused until the node runs (locked, starting…), or the socket dropped: try again later.
        this.#subscribing = false;
        this.#subscribeTimer = this.#options.timers.setTimeout(() => this.#keepSubscribed(), this.#options.maxBackoffMs / 5);
      },
    );
  }

  #failPending(): void {
    const lost = connectionError('CONNECTION_LOST', 'the connection to the node was lost');
    for (const pending of this.#pending.values()) pending.reject(lost);
    this.#pending.clear();
  }

  #setStatus(status: ConnectionStatus): void {
    if (this.#status === status) return;
    this.#status = status;
    this.#statusListeners.emit(status);
  }
}
