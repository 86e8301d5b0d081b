import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { Results } from '../../../node-core/src/api/methods.ts';
import { describeError, type NodeConnection } from '../rpc/connection.ts';

export type NodeStatus = Results['node.status'];
/** `node.status`, polled every couple of seconds and refreshed at once when a block arrives. */
export class NodeStatusController implements ReactiveController {
  status: NodeStatus | undefined;
  error: { message: string; code: string } | undefined;
  readonly #host: ReactiveControllerHost;
  readonly #connection: () => NodeConnection | undefined;
  readonly #intervalMs: number;
  #timer: number | undefined;
  #stopEvents: (() => void) | undefined;

  constructor(host: ReactiveControllerHost, connection: () => NodeConnection | undefined, intervalMs = 2000) {
    this.#host = host;
    this.#connection = connection;
    this.#intervalMs = intervalMs;
    host.addController(this);
  }

  hostConnected(): void {
    this.#stopEvents = this.#connection()?.onEvent((event) => {
      if (event.method === 'blocks.header') void this.refresh();
    });
    this.#timer = window.setInterval(() => void this.refresh(), this.#intervalMs);
    void this.refresh();
  }

  hostDisconnected(): void {
    window.clearInterval(this.#timer);
    this.#stopEvents?.();
  }

  async refresh(): Promise<void> {
    const connection = this.#connection();
    if (connection === undefined || connection.status !== 'open') return;
    try {
      this.status = await connection.call('node.status', {});
      this.error = undefined;
    } catch (error) {
      this.error = describeError(error);
    }
    this.#host.requestUpdate();
  }
}
