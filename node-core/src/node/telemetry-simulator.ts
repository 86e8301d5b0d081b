import { readFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import { z } from 'zod';
import { IngotError } from '../codec/errors.ts';
import type { TelemetryPoint } from '../codec/telemetry.ts';
import { telemetryLimits } from '../codec/telemetry.ts';
import { deviceIdOf } from '../contracts/device-state.ts';
import { signTelemetryBatch } from '../contracts/telemetry-batch.ts';
import { signingKeyFromSeed, type SigningKey } from '../crypto/ed25519.ts';
import { toHex } from '../crypto/hex.ts';
import { DEFAULT_TOPIC_PREFIX } from './mqtt-ingest.ts';

/**
 * A device simulator for demos and tests (`ingot device simulate`): signs batches of made-up
 * readings with a device key file and publishes them to an MQTT broker, on the topic the owner's
 * node subscribes to.
 */

const keyFileSchema = z
  .object({
    v: z.literal(1),
    kind: z.literal('ingot-device-key'),
    id: z.string().regex(/^[0-9a-f]{40}$/),
    publicKey: z.string().regex(/^[0-9a-f]{64}$/),
    seed: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();

export interface DeviceKey {
  readonly id: string;
  readonly key: SigningKey;
}

/** Reads a device key file (docs/devices.md) and checks that its parts belong together. */
export async function readDeviceKeyFile(path: string): Promise<DeviceKey> {
  let parsed;
  try {
    parsed = keyFileSchema.parse(JSON.parse(await readFile(path, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new IngotError('KEY_FILE_MISSING', `there is no device key file ${path}`);
    throw new IngotError('KEY_FILE_INVALID', `${path} is not a device key file ({ v: 1, kind: "ingot-device-key", id, publicKey, seed })`);
  }
  const key = signingKeyFromSeed(new Uint8Array(Buffer.from(parsed.seed, 'hex')));
  if (toHex(key.publicKey) !== parsed.publicKey || deviceIdOf(key.publicKey) !== parsed.id) {
    throw new IngotError('KEY_FILE_INVALID', `${path}: the seed, public key and id do not belong together`);
  }
  return { id: parsed.id, key };
}

/** Plausible readings in milli-units: a reefer around −18 °C, a cell around 3.7 V, else a slow wave around 50. */
export function simulatedValue(metric: string, t: number): { value: number; unit: string } {
  const wave = Math.sin(t / 60_000);
  const noise = Math.random() - 0.5;
  if (metric === 'temperature') return { value: Math.round(-18_000 + 1_500 * wave + 200 * noise), unit: 'Cel' };
  if (metric === 'voltage') return { value: Math.round(3_700 + 100 * wave + 10 * noise), unit: 'V' };
  return { value: Math.round(50_000 + 10_000 * wave + 1_000 * noise), unit: '' };
}

export interface SimulateOptions {
  readonly device: DeviceKey;
  readonly url: string;
  readonly topicPrefix?: string;
  /** Points per second. */
  readonly rate: number;
  readonly metric: string;
  /** Points per batch at most; a batch also goes out at least every second. */
  readonly batch: number;
  /** The first batch's seq; by default the current time in ms, so that a restarted simulator keeps increasing. */
  readonly firstSeq?: number;
  /** Stop after this many batches (otherwise when `signal` aborts). */
  readonly batches?: number;
  readonly signal?: AbortSignal;
  readonly onBatch?: (info: { seq: number; points: number }) => void;
}

export interface SimulateSummary {
  device: string;
  topic: string;
  batches: number;
  points: number;
  firstSeq: number;
  lastSeq: number | null;
}

/** Publishes signed batches at the given rate until `batches` are sent or `signal` aborts; each is published with QoS 1. */
export async function simulate(options: SimulateOptions): Promise<SimulateSummary> {
  if (!Number.isInteger(options.batch) || options.batch < 1 || options.batch > telemetryLimits.pointsMax) {
    throw new IngotError('SIMULATE_INVALID', `a batch holds 1 to ${telemetryLimits.pointsMax} points`);
  }
  const topic = `${(options.topicPrefix ?? DEFAULT_TOPIC_PREFIX).replace(/\/+$/, '')}/${options.device.id}`;
  const client = await mqtt.connectAsync(options.url, { reconnectPeriod: 1000, connectTimeout: 10_000 });
  const summary: SimulateSummary = { device: options.device.id, topic, batches: 0, points: 0, firstSeq: options.firstSeq ?? Date.now(), lastSeq: null };
  const stepMs = 1000 / options.rate;
  // A batch leaves when it is full or a second has passed, whichever comes first.
  const perBatch = Math.max(1, Math.min(options.batch, Math.ceil(options.rate)));
  let seq = summary.firstSeq;
  let t = Date.now();
  const started = performance.now();
  let generated = 0;
  try {
    while (options.signal?.aborted !== true && (options.batches === undefined || summary.batches < options.batches)) {
      const points: TelemetryPoint[] = [];
      for (let i = 0; i < perBatch; i++) {
        const time = Math.floor(t);
        points.push({ t: time, metric: options.metric, ...simulatedValue(options.metric, time) });
        t += stepMs;
      }
      generated += perBatch;
      // Keep to the rate: wait until the last point's time has come.
      const due = started + (generated / options.rate) * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, wait);
        options.signal?.addEventListener('abort', () => { clearTimeout(timer); resolve(); }, { once: true });
      });
      if (options.signal !== undefined && options.signal.aborted) break;
      const bytes = signTelemetryBatch({ v: 1, device: options.device.key.publicKey, seq, points }, options.device.key);
      await client.publishAsync(topic, Buffer.from(bytes), { qos: 1 });
      summary.batches++;
      summary.points += points.length;
      summary.lastSeq = seq;
      options.onBatch?.({ seq, points: points.length });
      seq++;
    }
  } finally {
    await client.endAsync().catch(() => undefined);
  }
  return summary;
}
