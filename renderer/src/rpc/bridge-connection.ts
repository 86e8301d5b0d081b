import type { BridgeMethodName, BridgeParams, BridgeResult, IngotBridge, NodeEvent } from '../../../node-core/src/api/bridge.ts';
import { Listeners, NodeCallError, type ConnectionStatus, type NodeConnection } from './connection.ts';

/** The desktop window's connection: the preload bridge is always open while the window lives. */
export class BridgeConnection implements NodeConnection {
  readonly kind = 'bridge';
  readonly hasShell = true;
  readonly address = 'desktop bridge';
  readonly status: ConnectionStatus = 'open';
  readonly closedReason = undefined;
  readonly #bridge: IngotBridge;
  readonly #events = new Listeners<NodeEvent>();
  readonly #unsubscribe: () => void;

  constructor(bridge: IngotBridge) {
    this.#bridge = bridge;
    this.#unsubscribe = bridge.subscribe((event) => this.#events.emit(event));
  }

  async call<M extends BridgeMethodName>(method: M, params: BridgeParams<M>): Promise<BridgeResult<M>> {
    const outcome = await this.#bridge.call(method, params);
    if (!outcome.ok) throw new NodeCallError(outcome.error);
    return outcome.result;
  }

  onEvent(listener: (event: NodeEvent) => void): () => void {
    return this.#events.add(listener);
  }

  onStatus(): () => void {
    return () => undefined;
  }

  close(): void {
    this.#unsubscribe();
  }
}
