import type { DeviceSubcommand } from './device.ts';
import { readDeviceKeyFile, simulate as run } from '../node/telemetry-simulator.ts';

/**
 * `ingot device simulate --key FILE --mqtt URL --rate N [--metric temperature] [--batch 500]
 * [--topic-prefix P] [--count BATCHES]`: publishes signed batches of made-up readings as the device
 * of the key file, until SIGINT/SIGTERM or --count batches, then prints a summary.
 */
export const simulate: DeviceSubcommand = async (args, { parse, required, usage, print }) => {
  const { values } = parse(args, {
    key: { type: 'string' }, mqtt: { type: 'string' }, rate: { type: 'string' }, metric: { type: 'string' }, batch: { type: 'string' },
    'topic-prefix': { type: 'string' }, count: { type: 'string' },
  });
  const keyPath = required(values, 'key');
  const url = required(values, 'mqtt');
  const number = (name: string, fallback: number | undefined, min: number, max: number): number | undefined => {
    const value = values[name];
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max || (name !== 'rate' && !Number.isInteger(n))) throw usage(`--${name} must be a number from ${min} to ${max}`);
    return n;
  };
  const rate = number('rate', undefined, 0.01, 1_000_000);
  if (rate === undefined) throw usage('--rate is required (points per second)');
  const metric = typeof values.metric === 'string' ? values.metric : 'temperature';
  if (!/^[a-z][a-z0-9_.-]{0,31}$/.test(metric)) throw usage('--metric must be a metric name such as temperature');
  const batch = number('batch', 500, 1, 1000) as number;
  const count = number('count', undefined, 1, Number.MAX_SAFE_INTEGER);
  const device = await readDeviceKeyFile(keyPath);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let reported = Date.now();
  try {
    const summary = await run({
      device, url, rate, metric, batch, signal: controller.signal,
      ...(typeof values['topic-prefix'] === 'string' ? { topicPrefix: values['topic-prefix'] } : {}),
      ...(count === undefined ? {} : { batches: count }),
      onBatch: ({ seq }) => {
        if (Date.now() - reported >= 5000) {
          reported = Date.now();
          process.stderr.write(`published batch ${seq}\n`);
        }
      },
    });
    print(summary);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
};
