import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip } from 'chart.js';
import { LitElement, css, html, type PropertyValues, type TemplateResult } from 'lit';
import type { BlockSummary } from '../../../node-core/src/api/methods.ts';
import { ChartController, chartColours } from '../controllers/chart-controller.ts';
import { blockSeries } from '../lib/block-series.ts';

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, LineController, LineElement, PointElement, Tooltip);

/** Seconds between consecutive blocks (line) and transactions per block (bars) over the recent blocks. */
export class BlockChart extends LitElement {
  static override properties = { blocks: { attribute: false } };
  static override styles = css`
    :host {
      display: block;
      position: relative;
      height: 260px;
    }
  `;

  declare blocks: readonly BlockSummary[];
  readonly #chart = new ChartController<Chart>(this);

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.blocks = [];
  }

  override render(): TemplateResult {
    return html`<canvas role="img" aria-label=${msg('Block interval and transactions per block', { id: 'chart.label' })}></canvas>`;
  }

  override updated(changed: PropertyValues<this>): void {
    super.updated(changed);
    const canvas = this.renderRoot.querySelector('canvas');
    if (canvas === null) return;
    const series = blockSeries(this.blocks);
    const { text, grid } = chartColours(this);
    const data = {
      labels: series.heights.map(String),
      datasets: [
        {
          type: 'line' as const,
          label: msg('Seconds since previous block', { id: 'chart.interval' }),
          data: series.intervals,
          yAxisID: 'seconds',
          borderColor: '#0284c7',
          backgroundColor: '#0284c7',
          spanGaps: false,
        },
        { type: 'bar' as const, label: msg('Transactions', { id: 'chart.txs' }), data: series.txCounts, yAxisID: 'txs', backgroundColor: '#f59e0b88' },
      ],
    };
    this.#chart.draw(data, () =>
      new Chart(canvas, {
        data,
        options: {
          animation: false,
          maintainAspectRatio: false,
          plugins: { legend: { labels: { color: text } } },
          scales: {
            x: { ticks: { color: text }, grid: { color: grid } },
            seconds: { position: 'left', beginAtZero: true, ticks: { color: text }, grid: { color: grid } },
            txs: { position: 'right', beginAtZero: true, ticks: { color: text, precision: 0 }, grid: { display: false } },
          },
        },
      }),
    );
  }
}

customElements.define('ingot-block-chart', BlockChart);
