import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { identify } from '@libp2p/identify';
import { FaultTolerance, type Connection, type ConnectionGater, type Libp2p, type PeerId, type Stream } from '@libp2p/interface';
import { mdns } from '@libp2p/mdns';
import { peerIdFromString } from '@libp2p/peer-id';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p } from 'libp2p';
import { IngotError } from '../codec/errors.ts';
import { ADDRESS_BOOK_BYTES_MAX, ADDRESS_BOOK_INTERVAL_MS, ADDRESS_BOOK_KIND, ADDRESS_BOOK_ADDRESSES_MAX, ADDRESS_BOOK_PEERS_MAX, decodeAddressBook, encodeAddressBook, type AddressBookEntry } from './address-book.ts';
import { encodeFrame, FRAME_HEADER_BYTES, FrameDecoder, type Chunk, type Frame } from './framing.ts';
import {
  ACCESS_REQUESTS,
  assertMessageSize,
  JOIN_INBOUND_CONCURRENT_MAX,
  JOIN_REQUESTS_PER_CONNECTION_MAX,
  JOINER_CONNECTION_MS,
  JOINERS_CONNECTED_MAX,
  OUTBOUND_QUEUE_BYTES_MAX,
  SYNC_REQUESTS,
  TELEMETRY_REQUESTS,
  topicByte,
  type RequestProtocol,
  topicFromByte,
} from './limits.ts';
import {
  JOIN_REQUEST_BYTES_MAX,
  JOIN_RESPONSE_BYTES_MAX,
  MESSAGE_BYTES_MAX,
  type PeerEvent,
  type PeerInfo,
  type PeerNetwork,
  type Topic,
} from './network.ts';

export const MESSAGE_PROTOCOL = '/ingot/msg/1.0.0';
export const SYNC_PROTOCOL = '/ingot/sync/1.0.0';
/** The only protocol a joiner (the holder of an open invite) may use. */
export const JOIN_PROTOCOL = '/ingot/join/1.0.0';
/** Raw telemetry for organisations holding read-telemetry on a device (members only). */
export const TELEMETRY_PROTOCOL = '/ingot/telemetry/1.0.0';
/** Access tokens a device owner's node issues to a grantee's node (members only). */
export const ACCESS_PROTOCOL = '/ingot/access/1.0.0';

type RequestHandler = (from: string, request: Uint8Array) => Promise<Uint8Array>;

/** The node's p2p settings (the `p2p` section of its config). */
export interface P2pOptions {
  readonly listen: readonly string[];
  readonly peers: readonly string[];
  readonly mdns: boolean;
  readonly relay: boolean;
}

export interface Libp2pNetworkInit {
  /** The node key's 32-byte seed: the libp2p Ed25519 key is made from it. */
  readonly seed: Uint8Array;
  readonly config: P2pOptions;
  readonly members: readonly string[];
  /** Peer ids allowed to connect for the join protocol only (see PeerNetwork.setJoiners). */
  readonly joiners?: readonly string[];
  /** Listens nowhere and takes no relay slot: a joiner's temporary node, which only dials its bootstrap peers. */
  readonly dialOnly?: boolean;
  /** How often unconnected members and static peers are dialled again; backoff doubles up to `redialMaxMs`. */
  readonly redialMs?: number;
  readonly redialMaxMs?: number;
  readonly outboundQueueBytesMax?: number;
}

export interface Libp2pNetworkStats {
  /** Messages dropped because a peer's outbound queue was full or its stream failed. */
  readonly dropped: number;
  /** Bytes waiting in outbound queues, all peers together. */
  readonly queuedBytes: number;
}

export interface Libp2pPeerNetwork extends PeerNetwork {
  stats(): Libp2pNetworkStats;
  /** Dials a multiaddr (with /p2p/<peer id>) of a member now; false if it fails. */
  dial(address: string): Promise<boolean>;
}

const SYNC_KIND_REQUEST = 0;
const SYNC_KIND_RESPONSE = 1;
const SYNC_KIND_REFUSED = 2;
const REFUSAL_BYTES_MAX = 64;
const STREAM_OPEN_TIMEOUT_MS = 10_000;
const SYNC_ANSWER_TIMEOUT_MS = 30_000;
const JOIN_ANSWER_TIMEOUT_MS = 30_000;
/** A connection that lasted this long was a working one: losing it starts redialling from the shortest delay again. */
const STABLE_CONNECTION_MS = 10_000;
const refusal = (code: string) => encodeFrame(SYNC_KIND_REFUSED, new TextEncoder().encode(code));
const refusalCode = (frame: Frame, fallback: string) => new TextDecoder().decode(frame.payload).replace(/[^A-Z_]/g, '') || fallback;

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

function peerIdOf(address: Multiaddr): string | undefined {
  return address.getComponents().findLast((component) => component.name === 'p2p')?.value;
}

/** Resolves with the first frame on a stream; rejects when the stream closes first, on a bad frame, or on abort. */
function readOneFrame(stream: Stream, maxFor: (kind: number) => number | undefined, signal: AbortSignal): Promise<Frame> {
  const { promise, resolve, reject } = Promise.withResolvers<Frame>();
  const decoder = new FrameDecoder(maxFor);
  const cleanup = () => {
    stream.removeEventListener('message', onMessage);
    stream.removeEventListener('close', onClose);
    signal.removeEventListener('abort', onAbort);
  };
  const onMessage = (event: { data: Chunk }) => {
    try {
      const [frame] = decoder.push(event.data);
      if (frame) {
        cleanup();
        resolve(frame);
      }
    } catch (error) {
      cleanup();
      reject(error);
    }
  };
  const onClose = () => {
    cleanup();
    reject(new IngotError('P2P_STREAM_CLOSED', 'the stream closed before a complete answer'));
  };
  const onAbort = () => {
    cleanup();
    reject(signal.reason);
  };
  if (signal.aborted) {
    onAbort();
    return promise;
  }
  stream.addEventListener('message', onMessage);
  stream.addEventListener('close', onClose);
  signal.addEventListener('abort', onAbort);
  return promise;
}

/** Sends a whole buffer, waiting for the stream to drain when it asks to. */
async function sendAll(stream: Stream, data: Uint8Array, signal: AbortSignal): Promise<void> {
  if (stream.writableNeedsDrain) await stream.onDrain({ signal });
  if (!stream.send(data)) await stream.onDrain({ signal });
}

interface Outbound {
  stream: Stream | undefined;
  readonly queue: Uint8Array[];
  queuedBytes: number;
  pumping: boolean;
}

interface Redial {
  nextAt: number;
  delayMs: number;
  dialing: boolean;
  /** When a connection to the peer last opened; one that closes soon after (a refusal) keeps the backoff. */
  connectedAt: number | undefined;
}

/**
 * Starts libp2p (TCP, Noise, Yamux, identify, ping, circuit relay v2, mDNS if asked) with a
 * connection gater that admits only members, and carries Ingot's messages on one long-lived
 * stream per member and direction, and sync, telemetry and access requests on one short stream per request.
 */
export async function startLibp2pNetwork(init: Libp2pNetworkInit): Promise<Libp2pPeerNetwork> {
  const privateKey = await generateKeyPairFromSeed('Ed25519', init.seed);
  const { config } = init;
  const queueMax = init.outboundQueueBytesMax ?? OUTBOUND_QUEUE_BYTES_MAX;
  const redialMs = init.redialMs ?? 1_000;
  const redialMaxMs = init.redialMaxMs ?? 30_000;
  let selfId = '';
  let members = new Set<string>();
  const setMemberSet = (ids: readonly string[]) => {
    members = new Set(ids.filter((id) => id !== selfId));
  };
  const isMember = (peer: PeerId | string) => members.has(peer.toString());
  let joiners = new Set<string>();
  const setJoinerSet = (ids: readonly string[]) => {
    joiners = new Set(ids.filter((id) => id !== selfId));
  };
  const isJoiner = (peer: PeerId | string) => joiners.has(peer.toString()) && !isMember(peer);
  /** Joiners connected now, each with the timer that ends its connection. */
  const joinerConnections = new Map<string, ReturnType<typeof setTimeout>>();
  const joinRequestsUsed = new Map<string, number>();
  const inboundJoins = new Map<string, number>();
  /** A joiner may open a connection while there is room for one more. */
  const joinerAdmissible = (peer: PeerId | string) => isJoiner(peer) && (joinerConnections.has(peer.toString()) || joinerConnections.size < JOINERS_CONNECTED_MAX);
  const mayConnectInbound = (peer: PeerId | string) => isMember(peer) || joinerAdmissible(peer);

  const gater: ConnectionGater = {
    denyDialPeer: (peer) => !isMember(peer),
    denyInboundEncryptedConnection: (peer) => !mayConnectInbound(peer),
    denyOutboundEncryptedConnection: (peer) => !isMember(peer),
    denyInboundUpgradedConnection: (peer) => !mayConnectInbound(peer),
    denyOutboundUpgradedConnection: (peer) => !isMember(peer),
    // As a relay: only members reserve slots; members' traffic and joiners' requests to members are relayed.
    denyInboundRelayReservation: (source) => !isMember(source),
    denyOutboundRelayedConnection: (source, destination) => !(isMember(source) || isJoiner(source)) || !isMember(destination),
    // Through a relay: the relay must be a member, the peer behind it a member or a joiner.
    denyInboundRelayedConnection: (relay, remotePeer) => !isMember(relay) || !mayConnectInbound(remotePeer),
  };

  // A node with nothing to listen on takes a slot on a relay among its peers instead.
  const listen = init.dialOnly === true ? [] : config.listen.length > 0 ? [...config.listen] : ['/p2p-circuit'];
  const libp2p: Libp2p = await createLibp2p({
    privateKey,
    addresses: { listen },
    transports: [tcp(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionGater: gater,
    connectionManager: {
      // A consortium's members often share a host in tests and an office NAT in production.
      inboundConnectionThreshold: 1_000,
      maxIncomingPendingConnections: 64,
    },
    // A relay that is down or a missing listen address must not stop the node.
    transportManager: { faultTolerance: listen.length > 0 && config.listen.length > 0 ? FaultTolerance.FATAL_ALL : FaultTolerance.NO_FATAL },
    peerDiscovery: config.mdns ? [mdns()] : [],
    services: {
      identify: identify(),
      ping: ping(),
      // Members only (see the gater), so relayed links carry no duration or data cap: consensus runs over them for days.
      ...(config.relay ? { relay: circuitRelayServer({ reservations: { maxReservations: 256, applyDefaultLimit: false } }) } : {}),
    },
    start: false,
  });
  selfId = libp2p.peerId.toString();
  setMemberSet(init.members);
  setJoinerSet(init.joiners ?? []);

  const messageHandlers = new Set<(from: string, topic: Topic, message: Uint8Array) => void>();
  const peerHandlers = new Set<(event: PeerEvent) => void>();
  let requestHandler: RequestHandler | undefined;
  let telemetryHandler: RequestHandler | undefined;
  let accessHandler: RequestHandler | undefined;
  let joinHandler: RequestHandler | undefined;
  const outbound = new Map<string, Outbound>();
  const redials = new Map<string, Redial>();
  /** Peers removed from the members whose disconnection must still be reported. */
  const wasMember = new Set<string>();
  const staticPeers = config.peers.flatMap((text) => {
    try {
      const address = multiaddr(text);
      const peerId = peerIdOf(address);
      return peerId ? [{ address, peerId }] : [];
    } catch {
      console.warn(`p2p: ignoring the peer address ${text}: not a multiaddr`);
      return [];
    }
  });
  let dropped = 0;
  let stopped = false;
  let redialTimer: ReturnType<typeof setTimeout> | undefined;

  const emitPeer = (event: PeerEvent) => {
    for (const handler of [...peerHandlers]) {
      try {
        handler(event);
      } catch (error) {
        console.error(`p2p: a peer handler failed: ${describe(error)}`);
      }
    }
  };
  const connected = (peerId: string) => libp2p.getConnections(peerIdFromString(peerId)).some((c) => c.status === 'open');

  // --- messages: one outbound stream per member, frames = topic byte + payload ---

  const closeOutbound = (peerId: string) => {
    const state = outbound.get(peerId);
    if (!state) return;
    outbound.delete(peerId);
    dropped += state.queue.length;
    state.queue.length = 0;
    state.queuedBytes = 0;
    state.stream?.abort(new Error('peer disconnected'));
  };

  const openStream = async (peerId: string): Promise<Stream> => {
    const stream = await libp2p.dialProtocol(peerIdFromString(peerId), MESSAGE_PROTOCOL, {
      runOnLimitedConnection: true,
      signal: AbortSignal.timeout(STREAM_OPEN_TIMEOUT_MS),
    });
    stream.addEventListener('close', () => {
      const state = outbound.get(peerId);
      if (state?.stream === stream) state.stream = undefined;
    });
    return stream;
  };

  const pump = async (peerId: string, state: Outbound) => {
    if (state.pumping) return;
    state.pumping = true;
    try {
      while (state.queue.length > 0 && outbound.get(peerId) === state) {
        state.stream ??= await openStream(peerId);
        const stream = state.stream;
        if (stream.writableNeedsDrain) await stream.onDrain();
        const frame = state.queue.shift()!;
        state.queuedBytes -= frame.byteLength;
        if (!stream.send(frame)) await stream.onDrain();
      }
    } catch {
      // The stream failed: what was queued for this peer is dropped (consensus re-offers what matters).
      dropped += state.queue.length;
      state.queue.length = 0;
      state.queuedBytes = 0;
      state.stream?.abort(new Error('message stream failed'));
      state.stream = undefined;
    } finally {
      state.pumping = false;
    }
  };

  /** Queues a frame, made only once there is room for it, so a flood of drops allocates nothing. */
  const enqueue = (peerId: string, frameBytes: number, makeFrame: () => Uint8Array) => {
    let state = outbound.get(peerId);
    if (!state) {
      if (!isMember(peerId) || !connected(peerId)) return;
      state = { stream: undefined, queue: [], queuedBytes: 0, pumping: false };
      outbound.set(peerId, state);
    }
    if (state.queuedBytes + frameBytes > queueMax) {
      dropped += 1;
      return;
    }
    const frame = makeFrame();
    state.queue.push(frame);
    state.queuedBytes += frame.byteLength;
    void pump(peerId, state);
  };

  const dispatch = (from: string, frame: Frame) => {
    const topic = topicFromByte(frame.kind)!;
    for (const handler of [...messageHandlers]) {
      try {
        handler(from, topic, frame.payload);
      } catch (error) {
        console.error(`p2p: a message handler failed on a ${topic} message from ${from}: ${describe(error)}`);
      }
    }
  };

  await libp2p.handle(MESSAGE_PROTOCOL, (stream: Stream, connection: Connection) => {
    const from = connection.remotePeer.toString();
    if (!isMember(from)) {
      stream.abort(new Error('not a member'));
      return;
    }
    const decoder = new FrameDecoder((kind) => {
      if (kind === ADDRESS_BOOK_KIND) return ADDRESS_BOOK_BYTES_MAX;
      const topic = topicFromByte(kind);
      return topic === undefined ? undefined : MESSAGE_BYTES_MAX[topic];
    });
    // Handlers run synchronously as frames complete, so nothing piles up here beyond one bounded frame.
    stream.addEventListener('message', (event) => {
      try {
        if (!isMember(from)) throw new IngotError('P2P_NOT_MEMBER', `${from} is no longer a member`);
        for (const frame of decoder.push(event.data)) {
          if (frame.kind === ADDRESS_BOOK_KIND) void learnAddresses(from, frame.payload);
          else dispatch(from, frame);
        }
      } catch (error) {
        console.warn(`p2p: resetting the message stream from ${from}: ${describe(error)}`);
        stream.abort(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }, { runOnLimitedConnection: true, maxInboundStreams: 4 });

  // --- sync, telemetry and access: members only, one request and one response per stream ---

  const answerMax = (spec: RequestProtocol) => (kind: number) => (kind === SYNC_KIND_RESPONSE ? spec.responseBytesMax : kind === SYNC_KIND_REFUSED ? REFUSAL_BYTES_MAX : undefined);

  const serveRequests = async (protocol: string, spec: RequestProtocol, handlerOf: () => RequestHandler | undefined) => {
    const inbound = new Map<string, number>();
    const requestMax = (kind: number) => (kind === SYNC_KIND_REQUEST ? spec.requestBytesMax : undefined);
    await libp2p.handle(protocol, async (stream: Stream, connection: Connection) => {
      const from = connection.remotePeer.toString();
      const running = inbound.get(from) ?? 0;
      const signal = AbortSignal.timeout(SYNC_ANSWER_TIMEOUT_MS);
      try {
        // A joiner is told why, so that it does not wait for its timeout.
        const refused = !isMember(from) ? 'PEER_NOT_MEMBER' : running >= spec.inboundConcurrentMax ? `${spec.code}_BUSY` : undefined;
        if (refused !== undefined) {
          await sendAll(stream, refusal(refused), signal);
          await stream.close({ signal });
          return;
        }
        const handler = handlerOf();
        if (!handler) throw new IngotError(`${spec.code}_UNAVAILABLE`, `no ${spec.name} service`);
        inbound.set(from, running + 1);
        try {
          const request = await readOneFrame(stream, requestMax, signal);
          const response = await handler(from, request.payload);
          if (response.byteLength > spec.responseBytesMax) throw new IngotError(`${spec.code}_RESPONSE_TOO_LARGE`, `a ${spec.name} response of ${response.byteLength} bytes exceeds ${spec.responseBytesMax}`);
          await sendAll(stream, encodeFrame(SYNC_KIND_RESPONSE, response), signal);
          await stream.close({ signal });
        } finally {
          const left = (inbound.get(from) ?? 1) - 1;
          if (left <= 0) inbound.delete(from);
          else inbound.set(from, left);
        }
      } catch (error) {
        // A failing handler answers nothing: the requester sees the stream reset.
        stream.abort(error instanceof Error ? error : new Error(String(error)));
      }
    }, { runOnLimitedConnection: true, maxInboundStreams: 16 });
  };

  const memberRequest = async (protocol: string, spec: RequestProtocol, peerId: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array> => {
    const { code, name } = spec;
    if (request.byteLength > spec.requestBytesMax) throw new IngotError(`${code}_REQUEST_TOO_LARGE`, `a ${name} request of ${request.byteLength} bytes exceeds ${spec.requestBytesMax}`);
    if (!isMember(peerId)) throw new IngotError('PEER_NOT_MEMBER', `${peerId} is not a member`);
    const signal = AbortSignal.timeout(timeoutMs);
    let stream: Stream | undefined;
    try {
      stream = await libp2p.dialProtocol(peerIdFromString(peerId), protocol, { runOnLimitedConnection: true, signal });
      await sendAll(stream, encodeFrame(SYNC_KIND_REQUEST, request), signal);
      const frame = await readOneFrame(stream, answerMax(spec), signal);
      if (frame.kind === SYNC_KIND_REFUSED) throw new IngotError(refusalCode(frame, `${code}_REFUSED`), `${peerId} refused the ${name} request`);
      void stream.close().catch(() => {});
      return frame.payload;
    } catch (error) {
      stream?.abort(new Error(`${name} request failed`));
      if (signal.aborted) throw new IngotError(`${code}_TIMEOUT`, `no ${name} answer from ${peerId} within ${timeoutMs} ms`);
      if (error instanceof IngotError) {
        if (error.code === 'P2P_FRAME_TOO_LARGE') throw new IngotError(`${code}_RESPONSE_TOO_LARGE`, error.message);
        if (error.code === 'P2P_STREAM_CLOSED') throw new IngotError(`${code}_FAILED`, `${peerId} answered nothing`);
        throw error;
      }
      throw new IngotError(`${code}_FAILED`, `${name} request to ${peerId} failed: ${describe(error)}`);
    }
  };

  await serveRequests(SYNC_PROTOCOL, SYNC_REQUESTS, () => requestHandler);
  await serveRequests(TELEMETRY_PROTOCOL, TELEMETRY_REQUESTS, () => telemetryHandler);
  await serveRequests(ACCESS_PROTOCOL, ACCESS_REQUESTS, () => accessHandler);

  // --- join: one request and one response per stream, from joiners (and members) ---

  const joinMaxAsResponder = (kind: number) => (kind === SYNC_KIND_REQUEST ? JOIN_REQUEST_BYTES_MAX : undefined);
  const joinMaxAsRequester = (kind: number) => (kind === SYNC_KIND_RESPONSE ? JOIN_RESPONSE_BYTES_MAX : kind === SYNC_KIND_REFUSED ? REFUSAL_BYTES_MAX : undefined);

  await libp2p.handle(JOIN_PROTOCOL, async (stream: Stream, connection: Connection) => {
    const from = connection.remotePeer.toString();
    const signal = AbortSignal.timeout(JOIN_ANSWER_TIMEOUT_MS);
    try {
      const used = joinRequestsUsed.get(from) ?? 0;
      const running = inboundJoins.get(from) ?? 0;
      const refused = !isMember(from) && !isJoiner(from) ? 'PEER_NOT_MEMBER'
        : !joinHandler ? 'JOIN_UNAVAILABLE'
        : !isMember(from) && used >= JOIN_REQUESTS_PER_CONNECTION_MAX ? 'JOIN_LIMIT'
        : running >= JOIN_INBOUND_CONCURRENT_MAX ? 'JOIN_BUSY'
        : undefined;
      if (refused !== undefined || !joinHandler) {
        await sendAll(stream, refusal(refused ?? 'JOIN_UNAVAILABLE'), signal);
        await stream.close({ signal });
        return;
      }
      const handler = joinHandler;
      joinRequestsUsed.set(from, used + 1);
      inboundJoins.set(from, running + 1);
      try {
        const request = await readOneFrame(stream, joinMaxAsResponder, signal);
        const response = await handler(from, request.payload);
        if (response.byteLength > JOIN_RESPONSE_BYTES_MAX) throw new IngotError('JOIN_RESPONSE_TOO_LARGE', `a join response of ${response.byteLength} bytes exceeds ${JOIN_RESPONSE_BYTES_MAX}`);
        await sendAll(stream, encodeFrame(SYNC_KIND_RESPONSE, response), signal);
        await stream.close({ signal });
      } finally {
        const left = (inboundJoins.get(from) ?? 1) - 1;
        if (left <= 0) inboundJoins.delete(from);
        else inboundJoins.set(from, left);
      }
    } catch (error) {
      stream.abort(error instanceof Error ? error : new Error(String(error)));
    }
  }, { runOnLimitedConnection: true, maxInboundStreams: 4 });

  const forgetJoiner = (peerId: string) => {
    clearTimeout(joinerConnections.get(peerId));
    joinerConnections.delete(peerId);
    joinRequestsUsed.delete(peerId);
  };

  // --- address book: members tell each other where the other members listen ---

  const shareAddresses = async (to: string) => {
    const entries: AddressBookEntry[] = [];
    for (const peerId of members) {
      if (entries.length >= ADDRESS_BOOK_PEERS_MAX) break;
      if (peerId === to || peerId === selfId || !connected(peerId)) continue;
      const peer = await libp2p.peerStore.get(peerIdFromString(peerId)).catch(() => undefined);
      const addrs = (peer?.addresses ?? []).map((address) => address.multiaddr.toString()).filter((address) => address.length <= 512).slice(0, ADDRESS_BOOK_ADDRESSES_MAX);
      if (addrs.length > 0) entries.push({ peer: peerId, addrs });
    }
    if (entries.length === 0 || stopped) return;
    const payload = encodeAddressBook(entries);
    enqueue(to, payload.byteLength + FRAME_HEADER_BYTES, () => encodeFrame(ADDRESS_BOOK_KIND, payload));
  };
  let shareTimer: ReturnType<typeof setTimeout> | undefined;
  let shareDueAt = Infinity;
  /** Soon after a member connects or the members change (several at once make one round), and then every interval. */
  const shareWithAllSoon = (delayMs = 500) => {
    if (stopped || Date.now() + delayMs >= shareDueAt) return;
    clearTimeout(shareTimer);
    shareDueAt = Date.now() + delayMs;
    shareTimer = setTimeout(() => {
      shareDueAt = Infinity;
      for (const peerId of members) if (connected(peerId)) void shareAddresses(peerId);
      shareWithAllSoon(ADDRESS_BOOK_INTERVAL_MS);
    }, delayMs);
    shareTimer.unref?.();
  };
  /**
   * Addresses heard for peers this node does not count as members yet: a book can arrive before the
   * block that admits them reaches this node. Bounded, oldest forgotten first.
   */
  const heard = new Map<string, string[]>();
  const HEARD_MAX = 256;
  const remember = async (peerId: string, addrs: readonly string[]): Promise<boolean> => {
    try {
      await libp2p.peerStore.merge(peerIdFromString(peerId), { multiaddrs: addrs.map((address) => multiaddr(address)) });
    } catch {
      return false; // an entry that does not parse teaches nothing
    }
    const redial = redials.get(peerId);
    if (redial !== undefined) redial.nextAt = 0;
    return true;
  };
  const learnAddresses = async (from: string, payload: Uint8Array) => {
    let entries: AddressBookEntry[];
    try {
      entries = decodeAddressBook(payload);
    } catch (error) {
      console.warn(`p2p: ignoring an address book from ${from}: ${describe(error)}`);
      return;
    }
    let learned = false;
    for (const entry of entries) {
      if (entry.peer === selfId || connected(entry.peer)) continue;
      if (!isMember(entry.peer)) {
        heard.delete(entry.peer);
        heard.set(entry.peer, entry.addrs);
        if (heard.size > HEARD_MAX) heard.delete(heard.keys().next().value as string);
        continue;
      }
      if (await remember(entry.peer, entry.addrs)) learned = true;
    }
    if (learned && !stopped) reconcile();
  };

  // --- membership, connections, redial ---

  libp2p.addEventListener('peer:connect', (event) => {
    const peerId = event.detail.toString();
    if (!isMember(peerId)) {
      if (isJoiner(peerId) && (joinerConnections.has(peerId) || joinerConnections.size < JOINERS_CONNECTED_MAX)) {
        // A joiner gets a bounded time for the join protocol, then the connection is closed.
        if (!joinerConnections.has(peerId)) {
          const timer = setTimeout(() => void libp2p.hangUp(event.detail).catch(() => {}), JOINER_CONNECTION_MS);
          timer.unref?.();
          joinerConnections.set(peerId, timer);
        }
        return;
      }
      void libp2p.hangUp(event.detail).catch(() => {});
      return;
    }
    const redial = redials.get(peerId);
    if (redial) redial.connectedAt = Date.now();
    emitPeer({ peerId, connected: true });
    shareWithAllSoon();
  });
  libp2p.addEventListener('peer:disconnect', (event) => {
    const peerId = event.detail.toString();
    closeOutbound(peerId);
    forgetJoiner(peerId);
    // Losing a connection that worked for a while redials at once; one refused right after opening keeps its backoff.
    const redial = redials.get(peerId);
    if (redial?.connectedAt !== undefined) {
      if (Date.now() - redial.connectedAt >= STABLE_CONNECTION_MS) redials.delete(peerId);
      else redial.connectedAt = undefined;
    }
    if (members.has(peerId) || wasMember.has(peerId)) {
      wasMember.delete(peerId);
      emitPeer({ peerId, connected: false });
    }
  });
  libp2p.addEventListener('peer:discovery', (event) => {
    // mDNS finds; dialling members is up to us.
    if (isMember(event.detail.id) && !connected(event.detail.id.toString())) void libp2p.dial(event.detail.id).catch(() => {});
  });
  const tryDial = async (peerId: string): Promise<void> => {
    const known = staticPeers.filter((p) => p.peerId === peerId).map((p) => p.address);
    for (const address of known) {
      try {
        await libp2p.dial(address, { signal: AbortSignal.timeout(STREAM_OPEN_TIMEOUT_MS) });
        return;
      } catch {
        // try the next way
      }
    }
    if ((await libp2p.peerStore.has(peerIdFromString(peerId))) && known.length === 0) {
      try {
        await libp2p.dial(peerIdFromString(peerId), { signal: AbortSignal.timeout(STREAM_OPEN_TIMEOUT_MS) });
        return;
      } catch {
        // fall back to relays
      }
    }
    // Through a connected static peer that may offer a relay: /p2p/<relay>/p2p-circuit/p2p/<member>.
    for (const relay of staticPeers) {
      if (relay.peerId === peerId || !connected(relay.peerId)) continue;
      try {
        await libp2p.dial(relay.address.encapsulate(`/p2p-circuit/p2p/${peerId}`), { signal: AbortSignal.timeout(STREAM_OPEN_TIMEOUT_MS) });
        return;
      } catch {
        // next relay
      }
    }
    throw new IngotError('P2P_UNREACHABLE', `no way to reach ${peerId}`);
  };

  const reconcile = () => {
    if (stopped) return;
    const now = Date.now();
    // Static peers first (relays among them), then every other member we have a way to.
    const targets = [...new Set([...staticPeers.map((p) => p.peerId), ...members])];
    for (const peerId of targets) {
      if (!isMember(peerId) || connected(peerId)) continue;
      let redial = redials.get(peerId);
      if (!redial) redials.set(peerId, (redial = { nextAt: 0, delayMs: redialMs, dialing: false, connectedAt: undefined }));
      if (redial.dialing || redial.nextAt > now) continue;
      redial.dialing = true;
      const state = redial;
      // A dial that succeeds may still be refused by the peer's gate right after (a node awaiting
      // admission): the next attempt waits as after a failure; a connection that lasts resets it.
      const backOff = () => {
        state.dialing = false;
        state.nextAt = Date.now() + state.delayMs;
        state.delayMs = Math.min(state.delayMs * 2, redialMaxMs);
      };
      tryDial(peerId).then(backOff, backOff);
    }
  };
  const scheduleReconcile = () => {
    if (stopped) return;
    redialTimer = setTimeout(() => {
      try {
        reconcile();
      } finally {
        scheduleReconcile();
      }
    }, Math.max(50, Math.min(redialMs, 1_000)));
    redialTimer.unref?.();
  };

  await libp2p.start();
  reconcile();
  scheduleReconcile();

  const network: Libp2pPeerNetwork = {
    peerId: selfId,
    addresses: () => libp2p.getMultiaddrs().map((address) => address.toString()),
    setMembers(peerIds) {
      const previous = members;
      setMemberSet(peerIds);
      const added = [...members].filter((peerId) => !previous.has(peerId));
      if (added.length > 0) {
        for (const peerId of added) {
          const addrs = heard.get(peerId);
          heard.delete(peerId);
          if (addrs !== undefined) void remember(peerId, addrs).then((ok) => ok && !stopped && reconcile());
        }
        shareWithAllSoon();
      }
      for (const peerId of previous) {
        if (members.has(peerId)) continue;
        redials.delete(peerId);
        if (connected(peerId)) {
          wasMember.add(peerId);
          closeOutbound(peerId);
          void libp2p.hangUp(peerIdFromString(peerId)).catch(() => {});
        }
      }
      reconcile();
    },
    setJoiners(peerIds) {
      const previous = joiners;
      setJoinerSet(peerIds);
      for (const peerId of previous) {
        if (joiners.has(peerId) || isMember(peerId)) continue;
        forgetJoiner(peerId);
        if (connected(peerId)) void libp2p.hangUp(peerIdFromString(peerId)).catch(() => {});
      }
    },
    handleJoinRequests(handler) {
      joinHandler = handler;
    },
    async joinRequest(peerId, request, timeoutMs) {
      if (request.byteLength > JOIN_REQUEST_BYTES_MAX) throw new IngotError('JOIN_REQUEST_TOO_LARGE', `a join request of ${request.byteLength} bytes exceeds ${JOIN_REQUEST_BYTES_MAX}`);
      if (!isMember(peerId)) throw new IngotError('PEER_UNKNOWN', `${peerId} is not among this node's peers`);
      // A timer that holds the process: `ingot join` has nothing else running while it waits, and with
      // AbortSignal.timeout's unreferenced timer Node would exit (code 13) instead of timing out.
      const deadline = new AbortController();
      const timer = setTimeout(() => deadline.abort(), timeoutMs);
      const signal = deadline.signal;
      let stream: Stream | undefined;
      try {
        if (!connected(peerId)) {
          const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('timed out')), { once: true }));
          aborted.catch(() => {});
          await Promise.race([tryDial(peerId), aborted]);
        }
        stream = await libp2p.dialProtocol(peerIdFromString(peerId), JOIN_PROTOCOL, { runOnLimitedConnection: true, signal });
        await sendAll(stream, encodeFrame(SYNC_KIND_REQUEST, request), signal);
        const frame = await readOneFrame(stream, joinMaxAsRequester, signal);
        if (frame.kind === SYNC_KIND_REFUSED) throw new IngotError(refusalCode(frame, 'JOIN_REFUSED'), `${peerId} refused the join request`);
        void stream.close().catch(() => {});
        return frame.payload;
      } catch (error) {
        stream?.abort(new Error('join request failed'));
        if (signal.aborted) throw new IngotError('JOIN_TIMEOUT', `no join answer from ${peerId} within ${timeoutMs} ms`);
        if (error instanceof IngotError) {
          if (error.code === 'P2P_UNREACHABLE') throw new IngotError('JOIN_UNREACHABLE', `could not connect to ${peerId}`);
          if (error.code === 'P2P_FRAME_TOO_LARGE') throw new IngotError('JOIN_RESPONSE_TOO_LARGE', error.message);
          if (error.code === 'P2P_STREAM_CLOSED') throw new IngotError('JOIN_FAILED', `${peerId} answered nothing`);
          throw error;
        }
        // The peer's gate closed the connection: it does not (or no longer) list this invite as open.
        throw new IngotError('JOIN_REFUSED', `${peerId} did not accept the connection: ${describe(error)}`);
      } finally {
        clearTimeout(timer);
      }
    },
    peers(): PeerInfo[] {
      const byPeer = new Map<string, PeerInfo['connection']>();
      for (const connection of libp2p.getConnections()) {
        const peerId = connection.remotePeer.toString();
        if (!isMember(peerId) || connection.status !== 'open') continue;
        const relayed = connection.limits !== undefined || connection.remoteAddr.toString().includes('/p2p-circuit');
        if (!relayed) byPeer.set(peerId, 'direct');
        else if (!byPeer.has(peerId)) byPeer.set(peerId, 'relayed');
      }
      return [...byPeer].map(([peerId, connection]) => ({ peerId, connection }));
    },
    broadcast(topic, message) {
      assertMessageSize(topic, message);
      let frame: Uint8Array | undefined;
      const makeFrame = () => (frame ??= encodeFrame(topicByte(topic), message));
      for (const peerId of new Set(libp2p.getConnections().map((c) => c.remotePeer.toString()))) {
        if (isMember(peerId)) enqueue(peerId, FRAME_HEADER_BYTES + message.byteLength, makeFrame);
      }
    },
    send(peerId, topic, message) {
      assertMessageSize(topic, message);
      enqueue(peerId, FRAME_HEADER_BYTES + message.byteLength, () => encodeFrame(topicByte(topic), message));
    },
    onMessage(handler) {
      const wrapped = (from: string, topic: Topic, message: Uint8Array) => handler(from, topic, message);
      messageHandlers.add(wrapped);
      return () => messageHandlers.delete(wrapped);
    },
    onPeer(handler) {
      const wrapped = (event: PeerEvent) => handler(event);
      peerHandlers.add(wrapped);
      return () => peerHandlers.delete(wrapped);
    },
    request: (peerId, request, timeoutMs) => memberRequest(SYNC_PROTOCOL, SYNC_REQUESTS, peerId, request, timeoutMs),
    telemetryRequest: (peerId, request, timeoutMs) => memberRequest(TELEMETRY_PROTOCOL, TELEMETRY_REQUESTS, peerId, request, timeoutMs),
    handleTelemetryRequests(handler) {
      telemetryHandler = handler;
    },
    accessRequest: (peerId, request, timeoutMs) => memberRequest(ACCESS_PROTOCOL, ACCESS_REQUESTS, peerId, request, timeoutMs),
    handleAccessRequests(handler) {
      accessHandler = handler;
    },
    handleRequests(handler) {
      requestHandler = handler;
    },
    stats: () => ({ dropped, queuedBytes: [...outbound.values()].reduce((sum, state) => sum + state.queuedBytes, 0) }),
    async dial(address) {
      try {
        await libp2p.dial(multiaddr(address), { signal: AbortSignal.timeout(STREAM_OPEN_TIMEOUT_MS) });
        return true;
      } catch {
        return false;
      }
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(redialTimer);
      clearTimeout(shareTimer);
      for (const peerId of [...joinerConnections.keys()]) forgetJoiner(peerId);
      for (const peerId of [...outbound.keys()]) closeOutbound(peerId);
      await libp2p.stop();
    },
  };
  return network;
}
