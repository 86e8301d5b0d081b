import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { LitElement, css, html, type PropertyValues, type TemplateResult } from 'lit';
import { ChartController, chartColours } from '../controllers/chart-controller.ts';
import type { TelemetrySeries } from '../lib/telemetry-series.ts';

Chart.register(Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

const COLOURS = ['#0284c7', '#f59e0b', '#16a34a', '#dc2626', '#7c3aed', '#0d9488'];

/**
 * A device's readings over time, one line per metric (its own axis when there are two). The host
 * carries `data-points`, the number of points drawn, for tests and assistive tools.
 */
export class TelemetryChart extends LitElement {
  static override properties = { series: { attribute: false }, locale: {} };
  static override styles = css`
    :host {
      display: block;
      position: relative;
      height: 280px;
    }
  `;

  declare series: TelemetrySeries;
  declare locale: string;
  readonly #chart = new ChartController<Chart<'line', { x: number; y: number }[]>>(this);

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.series = { metrics: [], count: 0, last: undefined };
    this.locale = 'en';
  }

  override render(): TemplateResult {
    return html`<canvas role="img" aria-label=${msg('Device readings over time', { id: 'telemetryChart.label' })}></canvas>`;
  }

  override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    this.dataset.points = String(this.series.count);
    const canvas = this.renderRoot.querySelector('canvas');
    if (canvas === null) return;
    const { text, grid } = chartColours(this);
    const metrics = this.series.metrics;
    const data = {
      datasets: metrics.map((series, index) => ({
        label: series.unit === '' ? series.metric : `${series.metric} (${series.unit})`,
        data: series.points.map((point) => ({ x: point.t, y: point.value })),
        yAxisID: index === 1 ? 'y2' : 'y',
        borderColor: COLOURS[index % COLOURS.length],
        backgroundColor: COLOURS[index % COLOURS.length],
        pointRadius: series.points.length > 120 ? 0 : 2,
        borderWidth: 1.5,
      })),
    };
    const locale = this.locale;
    const time = (value: number | string) => new Date(Number(value)).toLocaleTimeString(locale);
    this.#chart.draw(data, () =>
      new Chart(canvas, {
        type: 'line',
        data,
        options: {
          animation: false,
          maintainAspectRatio: false,
          parsing: false,
          plugins: { legend: { labels: { color: text } }, tooltip: { callbacks: { title: (items) => (items[0] === undefined ? '' : time(items[0].parsed.x ?? 0)) } } },
          scales: {
            x: { type: 'linear', ticks: { color: text, maxTicksLimit: 8, callback: time }, grid: { color: grid } },
            y: { position: 'left', ticks: { color: text }, grid: { color: grid } },
            y2: { position: 'right', display: 'auto', ticks: { color: text }, grid: { display: false } },
          },
        },
      }),
    );
  }
}

customElements.define('ingot-telemetry-chart', TelemetryChart);
