import type { TelemetryPointJson } from '../../../node-core/src/api/telemetry-methods.ts';

/** One metric's readings in time order, values in the metric's unit (the wire carries milli-units). */
export interface MetricSeries {
  readonly metric: string;
  readonly unit: string;
  readonly points: readonly { readonly t: number; readonly value: number }[];
}

export interface TelemetrySeries {
  readonly metrics: readonly MetricSeries[];
  /** How many points the chart shows. */
  readonly count: number;
  /** The newest reading of all. */
  readonly last: { readonly metric: string; readonly unit: string; readonly t: number; readonly value: number } | undefined;
}

/** Milli-units as the reading: 21500 is 21.5. */
export function fromMilli(value: number): number {
  return value / 1000;
}

/**
 * Groups points (in any order, as `telemetry.query` returns them newest first) by metric, each in
 * time order; metrics by name.
 */
export function telemetrySeries(points: readonly TelemetryPointJson[]): TelemetrySeries {
  const byMetric = new Map<string, { unit: string; points: { t: number; value: number }[] }>();
  let last: TelemetrySeries['last'];
  for (const point of points) {
    let series = byMetric.get(point.metric);
    if (series === undefined) {
      series = { unit: point.unit, points: [] };
      byMetric.set(point.metric, series);
    }
    const value = fromMilli(point.value);
    series.points.push({ t: point.t, value });
    if (last === undefined || point.t > last.t) last = { metric: point.metric, unit: point.unit, t: point.t, value };
  }
  const metrics = [...byMetric]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([metric, series]) => ({ metric, unit: series.unit, points: series.points.sort((a, b) => a.t - b.t) }));
  return { metrics, count: points.length, last };
}
