import { IngotError } from '../codec/errors.ts';
import {
  JOIN_REQUEST_BYTES_MAX,
  JOIN_RESPONSE_BYTES_MAX,
  type PeerEvent,
  type PeerInfo,
  type PeerNetwork,
  type Topic,
} from './network.ts';
import {
  ACCESS_REQUESTS, assertMessageSize, JOIN_INBOUND_CONCURRENT_MAX, JOIN_REQUESTS_PER_CONNECTION_MAX, JOINERS_CONNECTED_MAX, SYNC_REQUESTS, TELEMETRY_REQUESTS,
  type RequestProtocol, type RequestProtocolName,
} from './limits.ts';

/** Runs a callback later; a simulation passes its own seeded scheduler. */
export type Scheduler = (run: () => void) => void;

/** The part of a clock the network needs: request timeouts. */
export interface Timers {
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface MemoryHubOptions {
  readonly schedule?: Scheduler;
  readonly timers?: Timers;
}

const realTimers: Timers = {
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

const pairKey = (a: string, b: string): string => (a < b ? `${a}|${b}` : `${b}|${a}`);

/**
 * Connects in-memory networks by peer id. Two networks are linked when both are in the hub and
 * online, the pair is not partitioned, and each lists the other as a member. Delivery is
 * asynchronous through the scheduler and in order per (sender, receiver) pair.
 */
export class MemoryHub {
  readonly schedule: Scheduler;
  readonly timers: Timers;
  readonly #networks = new Map<string, MemoryNetwork>();
  readonly #partitioned = new Set<string>();
  readonly #offline = new Set<string>();

  constructor(options: MemoryHubOptions = {}) {
    this.schedule = options.schedule ?? queueMicrotask;
    this.timers = options.timers ?? realTimers;
  }

  create(peerId: string): MemoryNetwork {
    if (this.#networks.has(peerId)) throw new IngotError('PEER_ID_TAKEN', `a network for ${peerId} is already in the hub`);
    const network = new MemoryNetwork(this, peerId);
    this.#networks.set(peerId, network);
    return network;
  }

  partition(a: string, b: string): void {
    this.#partitioned.add(pairKey(a, b));
    this.refresh();
  }

  heal(a: string, b: string): void {
    this.#partitioned.delete(pairKey(a, b));
    this.refresh();
  }

  /** Cuts a peer from everyone (a crash or a pulled cable) until `reconnect`. */
  disconnect(peerId: string): void {
    this.#offline.add(peerId);
    this.refresh();
  }

  reconnect(peerId: string): void {
    this.#offline.delete(peerId);
    this.refresh();
  }

  linked(a: string, b: string): boolean {
    if (a === b) return false;
    const na = this.#networks.get(a);
    const nb = this.#networks.get(b);
    if (!na || !nb || this.#offline.has(a) || this.#offline.has(b) || this.#partitioned.has(pairKey(a, b))) return false;
    return na.isMember(b) && nb.isMember(a);
  }

  /** `joiner` may use `member`'s join protocol: `member` lists it as a joiner and `joiner` lists `member` as a (bootstrap) peer. */
  joinLinked(joiner: string, member: string): boolean {
    if (joiner === member) return false;
    const nj = this.#networks.get(joiner);
    const nm = this.#networks.get(member);
    if (!nj || !nm || this.#offline.has(joiner) || this.#offline.has(member) || this.#partitioned.has(pairKey(joiner, member))) return false;
    return nj.isMember(member) && (nm.isMember(joiner) || nm.isJoiner(joiner));
  }

  network(peerId: string): MemoryNetwork | undefined {
    return this.#networks.get(peerId);
  }

  remove(peerId: string): void {
    this.#networks.delete(peerId);
    this.refresh();
  }

  /** Recomputes every link and reports the changes to each side. */
  refresh(): void {
    for (const network of this.#networks.values()) network.updateLinks([...this.#networks.keys()].filter((other) => this.linked(network.peerId, other)));
  }
}

type MessageHandler = (from: string, topic: Topic, message: Uint8Array) => void;
type RequestHandler = (from: string, request: Uint8Array) => Promise<Uint8Array>;

export class MemoryNetwork implements PeerNetwork {
  readonly peerId: string;
  readonly #hub: MemoryHub;
  #members = new Set<string>();
  #joiners = new Set<string>();
  #linked = new Set<string>();
  #joinHandler: RequestHandler | undefined;
  /** Join requests each joiner made since it was listed, and those in progress. */
  readonly #joinRequestsUsed = new Map<string, number>();
  readonly #inboundJoins = new Map<string, number>();
  readonly #messageHandlers = new Set<MessageHandler>();
  readonly #peerHandlers = new Set<(event: PeerEvent) => void>();
  /** The handler of each members-only request protocol (sync, telemetry, access). */
  readonly #requestHandlers = new Map<RequestProtocolName, RequestHandler>();
  /** Per sender: messages on their way to this network, delivered in order. */
  readonly #inbox = new Map<string, { topic: Topic; message: Uint8Array }[]>();
  /** Per protocol, per requesting peer: requests in progress. */
  readonly #inbound = new Map<RequestProtocolName, Map<string, number>>();
  #stopped = false;

  constructor(hub: MemoryHub, peerId: string) {
    this.#hub = hub;
    this.peerId = peerId;
  }

  addresses(): string[] {
    return [`/memory/${this.peerId}/p2p/${this.peerId}`];
  }

  isMember(peerId: string): boolean {
    return this.#members.has(peerId);
  }

  setMembers(peerIds: readonly string[]): void {
    this.#members = new Set(peerIds.filter((id) => id !== this.peerId));
    this.#hub.refresh();
  }

  isJoiner(peerId: string): boolean {
    return this.#joiners.has(peerId) && !this.#members.has(peerId);
  }

  /** At most JOINERS_CONNECTED_MAX joiners are listed at once here, the first ones given. */
  setJoiners(peerIds: readonly string[]): void {
    const next = new Set(peerIds.filter((id) => id !== this.peerId).slice(0, JOINERS_CONNECTED_MAX));
    for (const peerId of this.#joinRequestsUsed.keys()) if (!next.has(peerId)) this.#joinRequestsUsed.delete(peerId);
    this.#joiners = next;
  }

  handleJoinRequests(handler: RequestHandler): void {
    this.#joinHandler = handler;
  }

  joinRequest(peerId: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    if (request.byteLength > JOIN_REQUEST_BYTES_MAX) {
      return Promise.reject(new IngotError('JOIN_REQUEST_TOO_LARGE', `a join request of ${request.byteLength} bytes exceeds ${JOIN_REQUEST_BYTES_MAX}`));
    }
    if (!this.#members.has(peerId)) return Promise.reject(new IngotError('PEER_UNKNOWN', `${peerId} is not among this node's peers`));
    if (!this.#hub.joinLinked(this.peerId, peerId)) return Promise.reject(new IngotError('JOIN_REFUSED', `${peerId} did not accept the connection`));
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>();
    let settled = false;
    const timer = this.#hub.timers.setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(new IngotError('JOIN_TIMEOUT', `no join answer from ${peerId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const copy = request.slice();
    this.#hub.schedule(() => {
      const target = this.#hub.network(peerId);
      if (!target || !this.#hub.joinLinked(this.peerId, peerId)) return;
      target.answerJoin(this.peerId, copy, (answer) => this.#hub.schedule(() => {
        if (settled) return;
        settled = true;
        this.#hub.timers.clearTimeout(timer);
        if (answer instanceof IngotError) reject(answer);
        else resolve(answer);
      }));
    });
    return promise;
  }

  /** Called by a joiner's network. */
  answerJoin(from: string, request: Uint8Array, reply: (answer: Uint8Array | IngotError) => void): void {
    if (this.#stopped) return;
    const member = this.#members.has(from);
    const used = this.#joinRequestsUsed.get(from) ?? 0;
    const running = this.#inboundJoins.get(from) ?? 0;
    const refused = !member && !this.isJoiner(from) ? 'PEER_NOT_MEMBER'
      : this.#joinHandler === undefined ? 'JOIN_UNAVAILABLE'
      : !member && used >= JOIN_REQUESTS_PER_CONNECTION_MAX ? 'JOIN_LIMIT'
      : running >= JOIN_INBOUND_CONCURRENT_MAX ? 'JOIN_BUSY'
      : undefined;
    const handler = this.#joinHandler;
    if (refused !== undefined || handler === undefined) {
      reply(new IngotError(refused ?? 'JOIN_UNAVAILABLE', `${this.peerId} refused the join request`));
      return;
    }
    if (!member) this.#joinRequestsUsed.set(from, used + 1);
    this.#inboundJoins.set(from, running + 1);
    const done = () => {
      const left = (this.#inboundJoins.get(from) ?? 1) - 1;
      if (left === 0) this.#inboundJoins.delete(from);
      else this.#inboundJoins.set(from, left);
    };
    let pending: Promise<Uint8Array>;
    try {
      pending = handler(from, request);
    } catch {
      done();
      reply(new IngotError('JOIN_FAILED', `${this.peerId} answered nothing`));
      return;
    }
    pending.then(
      (response) => {
        done();
        reply(response.byteLength > JOIN_RESPONSE_BYTES_MAX ? new IngotError('JOIN_RESPONSE_TOO_LARGE', `a join response of ${response.byteLength} bytes exceeds ${JOIN_RESPONSE_BYTES_MAX}`) : response.slice());
      },
      () => {
        done();
        reply(new IngotError('JOIN_FAILED', `${this.peerId} answered nothing`));
      },
    );
  }

  peers(): PeerInfo[] {
    return [...this.#linked].map((peerId) => ({ peerId, connection: 'direct' as const }));
  }

  broadcast(topic: Topic, message: Uint8Array): void {
    assertMessageSize(topic, message);
    for (const peerId of this.#linked) this.#deliver(peerId, topic, message);
  }

  send(peerId: string, topic: Topic, message: Uint8Array): void {
    assertMessageSize(topic, message);
    if (this.#linked.has(peerId)) this.#deliver(peerId, topic, message);
  }

  #deliver(peerId: string, topic: Topic, message: Uint8Array): void {
    const target = this.#hub.network(peerId);
    if (!target) return;
    target.enqueue(this.peerId, topic, message.slice());
  }

  /** Called by a sender's network: queues, then delivers the oldest message from that sender. */
  enqueue(from: string, topic: Topic, message: Uint8Array): void {
    let queue = this.#inbox.get(from);
    if (!queue) this.#inbox.set(from, (queue = []));
    queue.push({ topic, message });
    this.#hub.schedule(() => {
      const next = queue.shift();
      if (queue.length === 0 && this.#inbox.get(from) === queue) this.#inbox.delete(from);
      if (!next || this.#stopped || !this.#hub.linked(from, this.peerId)) return;
      for (const handler of [...this.#messageHandlers]) {
        try {
          handler(from, next.topic, next.message);
        } catch (error) {
          console.error(`p2p: a message handler failed on a ${next.topic} message from ${from}: ${String(error)}`);
        }
      }
    });
  }

  onMessage(handler: MessageHandler): () => void {
    const wrapped: MessageHandler = (...args) => handler(...args);
    this.#messageHandlers.add(wrapped);
    return () => this.#messageHandlers.delete(wrapped);
  }

  onPeer(handler: (event: PeerEvent) => void): () => void {
    const wrapped = (event: PeerEvent) => handler(event);
    this.#peerHandlers.add(wrapped);
    return () => this.#peerHandlers.delete(wrapped);
  }

  updateLinks(linked: readonly string[]): void {
    const next = new Set(this.#stopped ? [] : linked);
    const events: PeerEvent[] = [];
    for (const peerId of next) if (!this.#linked.has(peerId)) events.push({ peerId, connected: true });
    for (const peerId of this.#linked) if (!next.has(peerId)) events.push({ peerId, connected: false });
    this.#linked = next;
    for (const event of events) {
      this.#hub.schedule(() => {
        for (const handler of [...this.#peerHandlers]) {
          try {
            handler(event);
          } catch (error) {
            console.error(`p2p: a peer handler failed: ${String(error)}`);
          }
        }
      });
    }
  }

  request(peerId: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return this.#memberRequest(SYNC_REQUESTS, peerId, request, timeoutMs);
  }

  telemetryRequest(peerId: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return this.#memberRequest(TELEMETRY_REQUESTS, peerId, request, timeoutMs);
  }

  accessRequest(peerId: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    return this.#memberRequest(ACCESS_REQUESTS, peerId, request, timeoutMs);
  }

  #memberRequest(spec: RequestProtocol, peerId: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const { code, name } = spec;
    if (request.byteLength > spec.requestBytesMax) {
      return Promise.reject(new IngotError(`${code}_REQUEST_TOO_LARGE`, `a ${name} request of ${request.byteLength} bytes exceeds ${spec.requestBytesMax}`));
    }
    if (!this.#linked.has(peerId)) {
      // A joiner asking a member that admits it for the join protocol only is told so, as over libp2p.
      if (this.#hub.joinLinked(this.peerId, peerId)) return Promise.reject(new IngotError('PEER_NOT_MEMBER', `${peerId} answers this peer on the join protocol only`));
      return Promise.reject(new IngotError('PEER_NOT_CONNECTED', `${peerId} is not connected`));
    }
    const { promise, resolve, reject } = Promise.withResolvers<Uint8Array>();
    let settled = false;
    const timer = this.#hub.timers.setTimeout(() => {
      if (settled) return;
      settled = true;
      reject(new IngotError(`${code}_TIMEOUT`, `no ${name} answer from ${peerId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const settle = (result: Uint8Array | IngotError) => {
      if (settled) return;
      settled = true;
      this.#hub.timers.clearTimeout(timer);
      if (result instanceof IngotError) reject(result);
      else resolve(result);
    };
    const copy = request.slice();
    this.#hub.schedule(() => {
      const target = this.#hub.network(peerId);
      if (!target || !this.#hub.linked(this.peerId, peerId)) return; // lost: the requester times out
      target.answer(spec, this.peerId, copy, (answer) => this.#hub.schedule(() => {
        if (answer instanceof IngotError || this.#hub.linked(this.peerId, peerId)) settle(answer);
      }));
    });
    return promise;
  }

  /** Called by a requester's network. */
  answer(spec: RequestProtocol, from: string, request: Uint8Array, reply: (answer: Uint8Array | IngotError) => void): void {
    const handler = this.#requestHandlers.get(spec.name);
    if (!handler || this.#stopped) return;
    const inbound = this.#inbound.get(spec.name) ?? new Map<string, number>();
    this.#inbound.set(spec.name, inbound);
    const running = inbound.get(from) ?? 0;
    if (running >= spec.inboundConcurrentMax) {
      reply(new IngotError(`${spec.code}_BUSY`, `${this.peerId} is already answering ${running} ${spec.name} requests from this peer`));
      return;
    }
    inbound.set(from, running + 1);
    const done = () => {
      const left = (inbound.get(from) ?? 1) - 1;
      if (left === 0) inbound.delete(from);
      else inbound.set(from, left);
    };
    let pending: Promise<Uint8Array>;
    try {
      pending = handler(from, request);
    } catch {
      done();
      return;
    }
    pending.then(
      (response) => {
        done();
        if (response.byteLength > spec.responseBytesMax) {
          reply(new IngotError(`${spec.code}_RESPONSE_TOO_LARGE`, `a ${spec.name} response of ${response.byteLength} bytes exceeds ${spec.responseBytesMax}`));
        } else {
          reply(response.slice());
        }
      },
      () => done(), // a failing handler answers nothing
    );
  }

  handleRequests(handler: RequestHandler): void {
    this.#requestHandlers.set('sync', handler);
  }

  handleTelemetryRequests(handler: RequestHandler): void {
    this.#requestHandlers.set('telemetry', handler);
  }

  handleAccessRequests(handler: RequestHandler): void {
    this.#requestHandlers.set('access', handler);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#hub.remove(this.peerId);
    this.updateLinks([]);
  }
}
