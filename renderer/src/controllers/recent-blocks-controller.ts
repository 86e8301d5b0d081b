import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { BlockSummary } from '../../../node-core/src/api/methods.ts';
import { describeError, type NodeConnection } from '../rpc/connection.ts';

/** The newest blocks, newest first: one `blocks.list`, then kept current by block notifications. */
export class RecentBlocksController implements ReactiveController {
  blocks: BlockSummary[] = [];
  loading = true;
  error: { message: string; code: string } | undefined;
  readonly #host: ReactiveControllerHost;
  readonly #connection: () => NodeConnection | undefined;
  readonly #limit: number;
  #stopEvents: (() => void) | undefined;
  #stopStatus: (() => void) | undefined;

  constructor(host: ReactiveControllerHost, connection: () => NodeConnection | undefined, limit = 30) {
    this.#host = host;
    this.#connection = connection;
    this.#limit = limit;
    host.addController(this);
  }

  hostConnected(): void {
    const connection = this.#connection();
    if (connection === undefined) return;
    this.#stopEvents = connection.onEvent((event) => {
      if (event.method !== 'blocks.header') return;
      this.#add({ header: event.params.header, txCount: event.params.txCount });
    });
    // Blocks may have been missed while the socket was down: list them again once it is back.
    this.#stopStatus = connection.onStatus((status) => {
      if (status === 'open') void this.reload();
    });
    void this.reload();
  }

  hostDisconnected(): void {
    this.#stopEvents?.();
    this.#stopStatus?.();
  }

  async reload(): Promise<void> {
    const connection = this.#connection();
    if (connection === undefined) return;
    try {
      const { blocks } = await connection.call('blocks.list', { limit: this.#limit });
      this.blocks = blocks;
      this.error = undefined;
    } catch (error) {
      this.error = describeError(error);
    }
    this.loading = false;
    this.#host.requestUpdate();
  }

  #add(block: BlockSummary): void {
    if (this.blocks.some((known) => known.header.hash === block.header.hash)) return;
    this.blocks = [block, ...this.blocks].sort((a, b) => b.header.height - a.header.height).slice(0, this.#limit);
    this.#host.requestUpdate();
  }
}
