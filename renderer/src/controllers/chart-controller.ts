import type { Chart } from 'chart.js';
import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** The colours of a chart's text and grid lines, from the theme of the element it is drawn in. */
export function chartColours(element: Element): { text: string; grid: string } {
  const style = getComputedStyle(element);
  return {
    text: style.getPropertyValue('--sl-color-neutral-700').trim() || '#444',
    grid: style.getPropertyValue('--sl-color-neutral-200').trim() || '#ddd',
  };
}

/**
 * One Chart.js chart of a host element: made on the first draw, given the new data on every later
 * one, and destroyed when the host leaves the page.
 */
export class ChartController<TChart extends Chart> implements ReactiveController {
  #chart: TChart | undefined;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** Shows `data`: on the chart there is, or on the one `make` creates when there is none yet. */
  draw(data: TChart['data'], make: () => TChart): void {
    if (this.#chart === undefined) {
      this.#chart = make();
    } else {
      this.#chart.data = data;
      this.#chart.update();
    }
  }

  hostDisconnected(): void {
    this.#chart?.destroy();
    this.#chart = undefined;
  }
}
