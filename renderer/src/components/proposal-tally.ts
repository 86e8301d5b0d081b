import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type { ProposalJson } from '../../../node-core/src/api/methods.ts';
import { tallyShares } from '../lib/proposal-summary.ts';

/** Yes and no votes against the yes votes needed, as a bar and in words. */
export class ProposalTally extends LitElement {
  static override properties = { tally: { attribute: false } };
  static override styles = css`
    :host {
      display: grid;
      gap: var(--sl-spacing-2x-small);
      font-size: var(--sl-font-size-small);
    }
    .bar {
      position: relative;
      height: 0.6rem;
      border-radius: var(--sl-border-radius-pill);
      background: var(--sl-color-neutral-200);
      overflow: hidden;
    }
    .yes,
    .no {
      position: absolute;
      top: 0;
      bottom: 0;
    }
    .yes {
      left: 0;
      background: var(--sl-color-success-600);
    }
    .no {
      right: 0;
      background: var(--sl-color-danger-600);
    }
    .needed {
      position: absolute;
      top: -2px;
      bottom: -2px;
      width: 2px;
      background: var(--sl-color-neutral-900);
    }
  `;

  declare tally: ProposalJson['tally'];

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.tally = { yes: 0, no: 0, needed: 1, voters: 1, votes: [] };
  }

  override render(): TemplateResult {
    const { yes, no, needed, voters } = this.tally;
    const shares = tallyShares(this.tally);
    return html`<div class="bar" role="img" aria-label=${msg(str`${yes} yes, ${no} no, ${needed} yes needed of ${voters} voters`, { id: 'tally.label' })}>
        <span class="yes" style="width:${shares.yes * 100}%"></span>
        <span class="no" style="width:${shares.no * 100}%"></span>
        <span class="needed" style="left:calc(${shares.needed * 100}% - 1px)"></span>
      </div>
      <span data-testid="tally" data-yes=${yes} data-no=${no} data-needed=${needed}>${msg(str`Yes ${yes} · No ${no} · ${needed} yes needed of ${voters} voters`, { id: 'tally.text' })}</span>`;
  }
}

customElements.define('ingot-proposal-tally', ProposalTally);
