import { IngotError } from '../codec/errors.ts';
import {
  ACCESS_REQUEST_BYTES_MAX, ACCESS_RESPONSE_BYTES_MAX, MESSAGE_BYTES_MAX, SYNC_REQUEST_BYTES_MAX, SYNC_RESPONSE_BYTES_MAX, TELEMETRY_REQUEST_BYTES_MAX, TELEMETRY_RESPONSE_BYTES_MAX, TOPICS, type Topic,
} from './network.ts';

/** Sync requests one peer may have in progress at a node; more are refused. */
export const SYNC_INBOUND_CONCURRENT_MAX = 4;
/** Telemetry requests one peer may have in progress at a node (each reads up to a few MiB from disk). */
export const TELEMETRY_INBOUND_CONCURRENT_MAX = 2;
/** Access requests one peer may have in progress at a node (each waits for a block that records its token). */
export const ACCESS_INBOUND_CONCURRENT_MAX = 2;

/**
 * The members-only request/response protocols: one request and one answer per stream, each with its
 * own size limits, per-peer concurrency and error-code prefix (SYNC_TIMEOUT, TELEMETRY_FETCH_BUSY, …).
 */
export interface RequestProtocol {
  readonly name: 'sync' | 'telemetry' | 'access';
  readonly code: string;
  readonly requestBytesMax: number;
  readonly responseBytesMax: number;
  readonly inboundConcurrentMax: number;
}

export const SYNC_REQUESTS: RequestProtocol = {
  name: 'sync', code: 'SYNC', requestBytesMax: SYNC_REQUEST_BYTES_MAX, responseBytesMax: SYNC_RESPONSE_BYTES_MAX, inboundConcurrentMax: SYNC_INBOUND_CONCURRENT_MAX,
};
export const TELEMETRY_REQUESTS: RequestProtocol = {
  name: 'telemetry', code: 'TELEMETRY_FETCH', requestBytesMax: TELEMETRY_REQUEST_BYTES_MAX, responseBytesMax: TELEMETRY_RESPONSE_BYTES_MAX, inboundConcurrentMax: TELEMETRY_INBOUND_CONCURRENT_MAX,
};
export const ACCESS_REQUESTS: RequestProtocol = {
  name: 'access', code: 'ACCESS_REQUEST', requestBytesMax: ACCESS_REQUEST_BYTES_MAX, responseBytesMax: ACCESS_RESPONSE_BYTES_MAX, inboundConcurrentMax: ACCESS_INBOUND_CONCURRENT_MAX,
};
/** Every members-only request protocol, by name. */
export type RequestProtocolName = RequestProtocol['name'];

/** Peers connected as joiners at once (holders of open invites); more are refused at the gate. */
export const JOINERS_CONNECTED_MAX = 16;
/** How long a joiner's connection may last before it is closed: enough to fetch genesis and send a request. */
export const JOINER_CONNECTION_MS = 120_000;
/** Join-protocol requests one joiner connection may make. */
export const JOIN_REQUESTS_PER_CONNECTION_MAX = 16;
/** Join-protocol requests one peer may have in progress at a node. */
export const JOIN_INBOUND_CONCURRENT_MAX = 2;

/** Bytes queued for one peer before further messages to it are dropped. */
export const OUTBOUND_QUEUE_BYTES_MAX = 32 * 1024 * 1024;

/**
 * An oversized message is a bug in the caller (consensus and the mempool bound what they send),
 * so sending one throws rather than drop it quietly; a receiver refuses one before reading it.
 */
export function assertMessageSize(topic: Topic, message: Uint8Array): void {
  const max = MESSAGE_BYTES_MAX[topic];
  if (max === undefined) throw new IngotError('P2P_UNKNOWN_TOPIC', `unknown topic ${String(topic)}`);
  if (message.byteLength > max) {
    throw new IngotError('MESSAGE_TOO_LARGE', `a ${topic} message of ${message.byteLength} bytes exceeds ${max}`, { topic, bytes: message.byteLength, max });
  }
}

/** Topics travel as one byte: their index in TOPICS. */
export function topicByte(topic: Topic): number {
  return TOPICS.indexOf(topic);
}

export function topicFromByte(byte: number): Topic | undefined {
  return TOPICS[byte];
}
