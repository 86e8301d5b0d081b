import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, html, nothing, type TemplateResult } from 'lit';

/** A failure as the screens show it: what went wrong and its code, or nothing when there is none. */
export class ProblemAlert extends LitElement {
  static override properties = { problem: { attribute: false }, heading: {} };

  declare problem: { message: string; code: string } | undefined;
  /** What was being done, when the message alone would not say. */
  declare heading: string;

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.problem = undefined;
    this.heading = '';
  }

  override render(): TemplateResult | typeof nothing {
    const problem = this.problem;
    if (problem === undefined) return nothing;
    return html`<sl-alert variant="danger" open data-code=${problem.code}>
      <sl-icon slot="icon" name="exclamation-octagon"></sl-icon>
      ${this.heading === '' ? '' : html`<strong>${this.heading}</strong><br />`}
      ${msg(str`${problem.message} (code ${problem.code})`, { id: 'error.withCode' })}
    </sl-alert>`;
  }
}

customElements.define('ingot-problem-alert', ProblemAlert);
