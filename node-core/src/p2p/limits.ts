import { IngotError } from '../codec/errors.ts';
import { MESSAGE_BYTES_MAX, TOPICS, type Topic } from './network.ts';

/** Sync requests one peer may have in progress at a node; more are refused. */
export const SYNC_INBOUND_CONCURRENT_MAX = 4;

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
