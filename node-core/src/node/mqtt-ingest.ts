import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import type { TelemetryStatsJson } from '../api/telemetry-methods.ts';
import { IngotError } from '../codec/errors.ts';
import type { Clock } from './clock.ts';

/**
 * The node as an MQTT subscriber (docs/telemetry.md): devices or gateways publish their signed
 * batches to `<topicPrefix>/<device id>` on a broker; the node subscribes to `<topicPrefix>/+` with
 * QoS 1 and takes each message's payload as one encoded batch. A QoS 1 message is acknowledged to
 * the broker only after the batch is stored (or refused for good), so the broker keeps what the node
 * has not stored. Malformed and refused messages are counted, logged (at most one line every few
 * seconds) and acknowledged; nothing a publisher sends can stop the node. A batch the node could not
 * store (busy for too long, a failing store) is not acknowledged: the node drops the connection and
 * reconnects, and the persistent session (clean: false, a client id stable for the node) makes the
 * broker deliver it again. A lost connection is retried with backoff, 0.5 s doubling to 30 s.
 */

export interface MqttConfig {
  /** `mqtt://host:port` (or `mqtts://`, `ws://`); credentials may be in the URL. */
  readonly url: string;
  /** Topics are `<topicPrefix>/<device id>`; `ingot/telemetry` unless set. */
  readonly topicPrefix?: string | undefined;
  /** The MQTT client id of the persistent session (the node sets `mqttClientIdFor(its peer id)`); random when not given. */
  readonly clientId?: string | undefined;
}

/** The stable client id of a node's session, from its libp2p peer id: the same across restarts, distinct per node. */
export function mqttClientIdFor(peerId: string): string {
  return `ingot-${peerId.slice(-16)}`;
}

/** A batch the node could not store; the message is not acknowledged so the broker delivers it again. */
class StoreFailed extends Error {}

export const DEFAULT_TOPIC_PREFIX = 'ingot/telemetry';
export const MQTT_RECONNECT_MIN_MS = 500;
export const MQTT_RECONNECT_MAX_MS = 30_000;
const LOG_INTERVAL_MS = 5_000;
/** Transient refusals (the node is busy) are retried this many times before the message is given up. */
const BUSY_RETRIES = 20;
const BUSY_RETRY_MS = 100;

/** What the node reports of its MQTT subscription (`telemetry.stats`). */
export type MqttStats = NonNullable<TelemetryStatsJson['mqtt']>;

const DEVICE_ID = /^[0-9a-f]{40}$/;
const MALFORMED_CODES = new Set(['TELEMETRY_MALFORMED', 'TELEMETRY_TOO_LARGE', 'TELEMETRY_WRONG_DEVICE']);

export type SubmitBatch = (bytes: Uint8Array, device: string) => Promise<{ duplicate: boolean }>;

function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//');
  }
}

export class MqttIngest {
  readonly #client: MqttClient;
  readonly #prefix: string;
  readonly #submit: SubmitBatch;
  readonly #clock: Clock;
  readonly #stats: MqttStats;
  #backoffMs = MQTT_RECONNECT_MIN_MS;
  #reconnectTimer: { cancel(): void } | undefined;
  #closed = false;
  #lastLog = 0;
  #unlogged = 0;

  constructor(config: MqttConfig, submit: SubmitBatch, clock: Clock) {
    this.#prefix = (config.topicPrefix ?? DEFAULT_TOPIC_PREFIX).replace(/\/+$/, '');
    this.#submit = submit;
    this.#clock = clock;
    this.#stats = {
      url: withoutCredentials(config.url), topic: `${this.#prefix}/+`, state: 'connecting',
      received: 0, accepted: 0, duplicates: 0, malformed: 0, rejected: 0, failed: 0, reconnects: 0, lastError: null,
    };
    this.#client = mqtt.connect(config.url, {
      clientId: config.clientId ?? `ingot-${randomBytes(6).toString('hex')}`,
      // Reconnection is ours, with a growing delay; MQTT.js would retry at a fixed period.
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      // A persistent session: the broker keeps unacknowledged and offline messages for this client id.
      clean: false,
      manualConnect: true,
    });
    // Called for every incoming message before MQTT.js acknowledges it (QoS 1 PUBACK): the batch is stored first.
    // done(error) makes MQTT.js skip the PUBACK (it neither emits nor closes on it); the node then drops
    // the connection so that the broker, on the reconnection, delivers the unacknowledged message again.
    this.#client.handleMessage = (packet, done) => {
      this.#handle(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload).then(
        () => done(),
        (error: unknown) => {
          done(error instanceof Error ? error : new Error(String(error)));
          if (!this.#closed) this.#client.stream?.destroy();
        },
      );
    };
    this.#client.on('connect', () => {
      this.#stats.state = 'connected';
      this.#backoffMs = MQTT_RECONNECT_MIN_MS;
      this.#client.subscribe(this.#stats.topic, { qos: 1 }, (error) => {
        if (error !== null && error !== undefined) this.#log(`MQTT: could not subscribe to ${this.#stats.topic}: ${error.message}`);
      });
    });
    this.#client.on('error', (error) => {
      this.#stats.lastError = error.message;
    });
    this.#client.on('close', () => this.#scheduleReconnect());
    this.#client.connect();
  }

  get stats(): MqttStats {
    return { ...this.#stats };
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer !== undefined) return;
    this.#stats.state = 'reconnecting';
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(MQTT_RECONNECT_MAX_MS, this.#backoffMs * 2);
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      if (this.#closed) return;
      this.#stats.reconnects++;
      this.#client.reconnect();
    }, delay);
  }

  async #handle(topic: string, payload: Uint8Array): Promise<void> {
    this.#stats.received++;
    const device = topic.startsWith(`${this.#prefix}/`) ? topic.slice(this.#prefix.length + 1) : '';
    if (!DEVICE_ID.test(device)) {
      this.#stats.malformed++;
      this.#log(`MQTT: a message on ${topic.slice(0, 200)} is not on ${this.#prefix}/<device id>`);
      return;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        const accepted = await this.#submit(new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength), device);
        if (accepted.duplicate) this.#stats.duplicates++;
        else this.#stats.accepted++;
        return;
      } catch (error) {
        const code = error instanceof IngotError ? error.code : undefined;
        if (code === 'TELEMETRY_BUSY' && attempt < BUSY_RETRIES && !this.#closed) {
          await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, BUSY_RETRY_MS));
          continue;
        }
        const message = error instanceof Error ? error.message : String(error);
        if (code !== undefined && MALFORMED_CODES.has(code)) this.#stats.malformed++;
        else if (code !== undefined && code !== 'TELEMETRY_BUSY' && code.startsWith('TELEMETRY_')) this.#stats.rejected++;
        else {
          // Not stored, yet not refused: no acknowledgement, the broker delivers it again.
          this.#stats.failed++;
          this.#log(`MQTT: a batch on ${topic} could not be stored, it will be delivered again: ${code ?? 'ERROR'}: ${message}`);
          throw new StoreFailed(message);
        }
        this.#log(`MQTT: a batch on ${topic} was not accepted: ${code ?? 'ERROR'}: ${message}`);
        return;
      }
    }
  }

  /** Logs at most one line every few seconds, with how many were left out. */
  #log(line: string): void {
    const now = this.#clock.now();
    if (now - this.#lastLog < LOG_INTERVAL_MS) {
      this.#unlogged++;
      return;
    }
    const skipped = this.#unlogged === 0 ? '' : ` (${this.#unlogged} similar messages not logged)`;
    this.#lastLog = now;
    this.#unlogged = 0;
    console.warn(`${line}${skipped}`);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#reconnectTimer?.cancel();
    this.#stats.state = 'closed';
    await this.#client.endAsync(true).catch(() => undefined);
  }
}
