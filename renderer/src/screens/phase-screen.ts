import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import { screenStyles } from '../app/styles.ts';

type Phase = 'connecting' | 'starting' | 'stopping' | 'failed';

/** The node is on its way somewhere (or failed to get there): nothing else to do but wait or read why. */
export class PhaseScreen extends LitElement {
  static override properties = { phase: {}, error: { attribute: false } };
  static override styles = [
    screenStyles,
    css`
      .card {
        max-width: 36rem;
        margin: 10vh auto;
      }
    `,
  ];

  declare phase: Phase;
  declare error: { code: string; message: string } | undefined;

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.phase = 'connecting';
    this.error = undefined;
  }

  override render(): TemplateResult {
    const titles: Record<Phase, string> = {
      connecting: msg('Connecting to the node…', { id: 'phase.connecting' }),
      starting: msg('Starting the node…', { id: 'phase.starting' }),
      stopping: msg('Stopping the node…', { id: 'phase.stopping' }),
      failed: msg('The node failed to start', { id: 'phase.failed' }),
    };
    return html`
      <div class="card" data-testid="phase-${this.phase}">
        <h1>${titles[this.phase]}</h1>
        ${this.phase === 'failed' ? '' : html`<sl-progress-bar indeterminate label=${titles[this.phase]}></sl-progress-bar>`}
        ${this.error === undefined
          ? ''
          : html`<sl-alert variant="danger" open>
              <sl-icon slot="icon" name="exclamation-octagon"></sl-icon>
              ${msg(str`${this.error.message} (code ${this.error.code})`, { id: 'error.withCode' })}
            </sl-alert>`}
      </div>
    `;
  }
}

customElements.define('ingot-phase-screen', PhaseScreen);
