import { LitElement, css, html, nothing, svg, type PropertyValues, type TemplateResult } from 'lit';
import { qrModules } from '../lib/qr.ts';

/** A QR code of `value`, drawn as one SVG path (black on white in either theme, so phones read it). */
export class QrCode extends LitElement {
  static override properties = { value: {}, label: {} };
  static override styles = css`
    :host {
      display: inline-block;
      background: #fff;
      padding: var(--sl-spacing-small);
      border-radius: var(--sl-border-radius-medium);
      line-height: 0;
    }
    svg {
      width: var(--qr-size, 18rem);
      height: var(--qr-size, 18rem);
      shape-rendering: crispEdges;
    }
  `;

  declare value: string;
  /** Said by screen readers instead of the picture. */
  declare label: string;
  #path = '';
  #size = 0;

  constructor() {
    super();
    this.value = '';
    this.label = '';
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (!changed.has('value')) return;
    const modules = this.value === '' ? [] : qrModules(this.value);
    this.#size = modules.length;
    this.#path = modules.flatMap((row, y) => row.flatMap((dark, x) => (dark ? [`M${x} ${y}h1v1h-1z`] : []))).join('');
  }

  override render(): TemplateResult | typeof nothing {
    if (this.#size === 0) return nothing;
    const quiet = 4;
    const box = `${-quiet} ${-quiet} ${this.#size + 2 * quiet} ${this.#size + 2 * quiet}`;
    return html`<svg viewBox=${box} role="img" aria-label=${this.label} data-testid="qr-svg">
      ${svg`<rect x=${-quiet} y=${-quiet} width=${this.#size + 2 * quiet} height=${this.#size + 2 * quiet} fill="#fff"></rect><path d=${this.#path} fill="#000"></path>`}
    </svg>`;
  }
}

customElements.define('ingot-qr-code', QrCode);
