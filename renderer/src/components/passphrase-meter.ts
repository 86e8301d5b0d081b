import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import { passphraseStrength, type Strength } from '../lib/passphrase-strength.ts';

/** A hint of how hard the passphrase is to guess, updated as it is typed. */
export class PassphraseMeter extends LitElement {
  static override properties = { passphrase: {} };
  static override styles = css`
    :host {
      display: grid;
      gap: var(--sl-spacing-2x-small);
      font-size: var(--sl-font-size-small);
    }
    sl-progress-bar {
      --height: 6px;
    }
  `;

  declare passphrase: string;

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.passphrase = '';
  }

  override render(): TemplateResult {
    const strength = passphraseStrength(this.passphrase);
    const labels: Record<Strength, string> = {
      0: msg('Too short: at least 8 characters', { id: 'strength.tooShort' }),
      1: msg('Weak', { id: 'strength.weak' }),
      2: msg('Fair', { id: 'strength.fair' }),
      3: msg('Good', { id: 'strength.good' }),
      4: msg('Strong', { id: 'strength.strong' }),
    };
    const colours: Record<Strength, string> = {
      0: 'var(--sl-color-danger-600)',
      1: 'var(--sl-color-danger-600)',
      2: 'var(--sl-color-warning-600)',
      3: 'var(--sl-color-success-600)',
      4: 'var(--sl-color-success-600)',
    };
    return html`
      <sl-progress-bar value=${strength * 25} style="--indicator-color:${colours[strength]}" label=${msg('Passphrase strength', { id: 'strength.label' })}></sl-progress-bar>
      <span data-testid="passphrase-strength">${labels[strength]}</span>
    `;
  }
}

customElements.define('ingot-passphrase-meter', PassphraseMeter);
