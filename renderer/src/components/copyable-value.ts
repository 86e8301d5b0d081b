import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';

/** A long id in monospace with a button that copies it; the button says what it copies. */
export class CopyableValue extends LitElement {
  static override properties = { value: {}, label: {} };
  static override styles = css`
    :host {
      display: inline-flex;
      align-items: center;
      gap: var(--sl-spacing-2x-small);
      min-width: 0;
    }
    span {
      font-family: var(--sl-font-mono);
      font-size: var(--sl-font-size-small);
      overflow-wrap: anywhere;
    }
  `;

  declare value: string;
  declare label: string;

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.value = '';
    this.label = '';
  }

  override render(): TemplateResult {
    return html`<span>${this.value}</span>
      <sl-copy-button
        value=${this.value}
        copy-label=${msg(str`Copy ${this.label}`, { id: 'copy.label' })}
        success-label=${msg('Copied', { id: 'copy.done' })}
        error-label=${msg('Could not copy', { id: 'copy.failed' })}
        aria-label=${msg(str`Copy ${this.label}`, { id: 'copy.label' })}
      ></sl-copy-button>`;
  }
}

customElements.define('ingot-copyable-value', CopyableValue);
