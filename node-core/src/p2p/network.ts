/**
 * What the node needs from the network between members, whatever carries it: libp2p in a running
 * node, an in-memory network in tests and simulations. Every payload is already signed by an
 * organisation or node key and is validated by its receiver, so the network only moves bytes
 * between authenticated peers, bounded in size and in what it buffers.
 */

export type ConnectionKind = 'direct' | 'relayed';

export interface PeerInfo {
  readonly peerId: string;
  readonly connection: ConnectionKind;
}

/** What a message is for; each topic has its own size limit and its own handler. */
export type Topic = 'consensus' | 'tx' | 'status';

export const TOPICS: readonly Topic[] = ['consensus', 'tx', 'status'];

/** Largest message per topic: a proposal carries a whole block, the others are small. */
export const MESSAGE_BYTES_MAX: Readonly<Record<Topic, number>> = {
  consensus: 24 * 1024 * 1024,
  tx: 4 * 1024 * 1024,
  status: 4 * 1024,
};

/** Largest sync request and response. */
export const SYNC_REQUEST_BYTES_MAX = 1024;
export const SYNC_RESPONSE_BYTES_MAX = 32 * 1024 * 1024;

/** Largest telemetry request (a device, a time span, a metric, a count) and answer (signed batches with their anchors). */
export const TELEMETRY_REQUEST_BYTES_MAX = 4 * 1024;
export const TELEMETRY_RESPONSE_BYTES_MAX = 16 * 1024 * 1024;

/** Largest access request (a device, a permission, a lifetime) and answer (one signed access token, or a refusal). */
export const ACCESS_REQUEST_BYTES_MAX = 1024;
export const ACCESS_RESPONSE_BYTES_MAX = 4 * 1024;

/** Largest join-protocol request (a signed transaction and a little more) and answer (a genesis document). */
export const JOIN_REQUEST_BYTES_MAX = 32 * 1024;
export const JOIN_RESPONSE_BYTES_MAX = 1024 * 1024;

export interface PeerEvent {
  readonly peerId: string;
  readonly connected: boolean;
}

export interface PeerNetwork {
  /** This node's libp2p peer id. */
  readonly peerId: string;
  /** Addresses others can dial, with /p2p/<peer id>; relayed ones included once a reservation holds. */
  addresses(): string[];
  /**
   * The peer ids allowed to connect, from the ledger's membership: consulted on every inbound and
   * outbound connection; a connected peer that is no longer listed is disconnected.
   */
  setMembers(peerIds: readonly string[]): void;
  /** Connected members, and whether each link is direct or through a relay. */
  peers(): PeerInfo[];
  /**
   * Sends to every connected member. Best effort: a message for a peer whose queue is full is
   * dropped for that peer (consensus re-offers what matters), never buffered without bound.
   */
  broadcast(topic: Topic, message: Uint8Array): void;
  /** Sends to one peer, with the same best-effort rule. */
  send(peerId: string, topic: Topic, message: Uint8Array): void;
  onMessage(handler: (from: string, topic: Topic, message: Uint8Array) => void): () => void;
  onPeer(handler: (event: PeerEvent) => void): () => void;
  /** One request/response exchange on the sync protocol; rejects on timeout or an oversized answer. */
  request(peerId: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Answers sync requests; a handler that throws answers nothing and the requester times out or fails. */
  handleRequests(handler: (from: string, request: Uint8Array) => Promise<Uint8Array>): void;
  /**
   * One request/response exchange on the telemetry protocol (/ingot/telemetry/1.0.0), members only,
   * with the sync protocol's rules and its own limits; codes TELEMETRY_FETCH_TIMEOUT, _BUSY, _FAILED,
   * _REQUEST_TOO_LARGE, _RESPONSE_TOO_LARGE, PEER_NOT_MEMBER, PEER_NOT_CONNECTED.
   */
  telemetryRequest(peerId: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Answers telemetry requests from members; a handler that throws answers nothing. */
  handleTelemetryRequests(handler: (from: string, request: Uint8Array) => Promise<Uint8Array>): void;
  /**
   * One request/response exchange on the access protocol (/ingot/access/1.0.0: a grantee's node
   * asks a device owner's node for an access token), members only, with the sync protocol's rules
   * and its own limits; codes ACCESS_REQUEST_TIMEOUT, _BUSY, _FAILED, _REQUEST_TOO_LARGE,
   * _RESPONSE_TOO_LARGE, PEER_NOT_MEMBER, PEER_NOT_CONNECTED.
   */
  accessRequest(peerId: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  /** Answers access requests from members; a handler that throws answers nothing. */
  handleAccessRequests(handler: (from: string, request: Uint8Array) => Promise<Uint8Array>): void;
  /**
   * Peer ids that may connect for the join protocol and nothing else: the identities of open,
   * unexpired invites. Their message and sync streams are refused (PEER_NOT_MEMBER), nothing is
   * sent to them, they are not among `peers()`, and their connections are bounded in number,
   * lifetime and requests. A peer no longer listed (its invite used or expired) is disconnected.
   */
  setJoiners(peerIds: readonly string[]): void;
  /** Answers join-protocol requests from joiners and members; a handler that throws answers nothing. */
  handleJoinRequests(handler: (from: string, request: Uint8Array) => Promise<Uint8Array>): void;
  /**
   * As a joiner: one request/response exchange on the join protocol with a peer this network lists
   * as a member (a bootstrap peer), dialling it first when needed. Rejects with the peer's refusal
   * code (PEER_NOT_MEMBER, JOIN_BUSY, JOIN_LIMIT), JOIN_TIMEOUT or JOIN_FAILED.
   */
  joinRequest(peerId: string, request: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  stop(): Promise<void>;
}
