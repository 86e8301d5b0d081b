import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { describeError, type NodeConnection } from '../rpc/connection.ts';

export interface LedgerQueryOptions {
  /** Also ask again this often, for what changes without a block (who is online). */
  readonly pollMs?: number;
}

/**
 * One read of the node's state, kept current: asked when the host connects, again after every new
 * block (what the ledger says changes only then) and when the connection comes back. Calls never
 * overlap: a block that arrives during a call asks once more after it. `loading` is true only
 * until the first answer; `error` holds the last failure with its code.
 */
export class LedgerQueryController<T> implements ReactiveController {
  value: T | undefined;
  loading = true;
  error: { message: string; code: string } | undefined;
  readonly #host: ReactiveControllerHost;
  readonly #connection: () => NodeConnection | undefined;
  readonly #query: (connection: NodeConnection) => Promise<T>;
  readonly #pollMs: number | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #timer: number | undefined;
  readonly #stops: (() => void)[] = [];

  constructor(host: ReactiveControllerHost, connection: () => NodeConnection | undefined, query: (connection: NodeConnection) => Promise<T>, options: LedgerQueryOptions = {}) {
    this.#host = host;
    this.#connection = connection;
    this.#query = query;
    this.#pollMs = options.pollMs;
    host.addController(this);
  }

  hostConnected(): void {
    const connection = this.#connection();
    if (connection === undefined) return;
    this.#stops.push(
      connection.onEvent((event) => {
        if (event.method === 'blocks.header') void this.refresh();
      }),
      connection.onStatus((status) => {
        if (status === 'open') void this.refresh();
      }),
    );
    if (this.#pollMs !== undefined) this.#timer = window.setInterval(() => void this.refresh(), this.#pollMs);
    void this.refresh();
  }

  hostDisconnected(): void {
    window.clearInterval(this.#timer);
    for (const stop of this.#stops.splice(0)) stop();
  }

  /** Asks now (or right after the call in flight); resolves when the answer is in. */
  async refresh(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#run();
    try {
      await this.#running;
    } finally {
      this.#running = undefined;
    }
    if (this.#again) {
      this.#again = false;
      await this.refresh();
    }
  }

  async #run(): Promise<void> {
    const connection = this.#connection();
    if (connection === undefined || connection.status !== 'open') return;
    try {
      this.value = await this.#query(connection);
      this.error = undefined;
    } catch (error) {
      this.error = describeError(error);
    }
    this.loading = false;
    this.#host.requestUpdate();
  }
}
