import type { Timers } from './connection.ts';

export interface BlockSubscriptionOptions {
  /** Calls `blocks.subscribe` on the connection. */
  subscribe(): Promise<unknown>;
  /** Whether anyone listens to the connection's events. */
  hasListeners(): boolean;
  timers: Timers;
  /** Wait before asking again after the node refused (locked, starting…) or the call failed. */
  retryMs: number;
}

/**
 * Keeps one `blocks.subscribe` open on a connection for as long as anyone listens to its events,
 * shared by the WebSocket and the desktop bridge. The node refuses it until it runs, so a refusal is
 * retried; a subscription dies with the socket or the node's process, so the connection calls
 * `restart` when it has a fresh one.
 */
export class BlockSubscription {
  readonly #options: BlockSubscriptionOptions;
  #ready = false;
  #subscribed = false;
  #subscribing = false;
  /** Bumped on every restart or stop, so an answer to an earlier attempt is ignored. */
  #generation = 0;
  #retryTimer: unknown;

  constructor(options: BlockSubscriptionOptions) {
    this.#options = options;
  }

  /** A listener was added: subscribe if none is open yet. */
  ensure(): void {
    if (!this.#ready || this.#subscribed || this.#subscribing || !this.#options.hasListeners()) return;
    const generation = this.#generation;
    this.#subscribing = true;
    this.#options.timers.clearTimeout(this.#retryTimer);
    this.#options.subscribe().then(
      () => {
        if (generation !== this.#generation) return;
        this.#subscribing = false;
        this.#subscribed = true;
      },
      () => {
        if (generation !== this.#generation) return;
        this.#subscribing = false;
        this.#retryTimer = this.#options.timers.setTimeout(() => this.ensure(), this.#options.retryMs);
      },
    );
  }

  /** The way to the node is (again) open and any earlier subscription is gone: subscribe afresh. */
  restart(): void {
    this.#reset(true);
    this.ensure();
  }

  /** The way to the node is closed: nothing to keep until `restart`. */
  stop(): void {
    this.#reset(false);
  }

  #reset(ready: boolean): void {
    this.#generation++;
    this.#ready = ready;
    this.#subscribed = false;
    this.#subscribing = false;
    this.#options.timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }
}
