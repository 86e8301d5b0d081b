import { NODE_EXITED_METHOD, NODE_STARTED_METHOD, type BridgeMethodName, type BridgeParams, type BridgeResult, type IngotBridge, type NodeEvent } from '../../../node-core/src/api/bridge.ts';
import { BlockSubscription } from './block-subscription.ts';
import { Listeners, NodeCallError, globalTimers, type ConnectionStatus, type NodeConnection, type Timers } from './connection.ts';

/**
 * The desktop window's connection: the preload bridge is always open while the window lives. The
 * node's process behind it can stop and start again, and its block subscription with it, so a
 * `shell.nodeStarted` event subscribes afresh.
 */
export class BridgeConnection implements NodeConnection {
  readonly kind = 'bridge';
  readonly hasShell = true;
  readonly address = 'desktop bridge';
  readonly status: ConnectionStatus = 'open';
  readonly closedReason = undefined;
  readonly #bridge: IngotBridge;
  readonly #events = new Listeners<NodeEvent>();
  readonly #blocks: BlockSubscription;
  readonly #unsubscribe: () => void;

  constructor(bridge: IngotBridge, options: { timers?: Timers; retryMs?: number } = {}) {
    this.#bridge = bridge;
    this.#blocks = new BlockSubscription({
      subscribe: () => this.call('blocks.subscribe', {}),
      hasListeners: () => this.#events.size > 0,
      timers: options.timers ?? globalTimers,
      retryMs: options.retryMs ?? 2000,
    });
    this.#unsubscribe = bridge.subscribe((event) => {
      if (event.method === NODE_EXITED_METHOD) this.#blocks.stop();
      if (event.method === NODE_STARTED_METHOD) this.#blocks.restart();
      this.#events.emit(event);
    });
    this.#blocks.restart();
  }

  async call<M extends BridgeMethodName>(method: M, params: BridgeParams<M>): Promise<BridgeResult<M>> {
    const outcome = await this.#bridge.call(method, params);
    if (!outcome.ok) throw new NodeCallError(outcome.error);
    return outcome.result;
  }

  onEvent(listener: (event: NodeEvent) => void): () => void {
    const remove = this.#events.add(listener);
    this.#blocks.ensure();
    return remove;
  }

  onStatus(): () => void {
    return () => undefined;
  }

  close(): void {
    this.#blocks.stop();
    this.#unsubscribe();
  }
}
