import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import type SlSelect from '@shoelace-style/shoelace/dist/components/select/select.js';
import type { MemberOrgJson } from '../../../node-core/src/api/methods.ts';
import { connectionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { submitShowingProblem } from '../app/submit.ts';
import { toast } from '../app/toast.ts';
import { rulePayload, type RuleForm, type RuleProblem } from '../lib/telemetry-rules.ts';
import './problem-alert.ts';

function problemText(problem: RuleProblem): string {
  switch (problem) {
    case 'name':
      return msg('A rule name is lower-case letters, digits, - and _, starting with a letter.', { id: 'ruleForm.nameInvalid' });
    case 'metric':
      return msg('A metric name is lower-case letters, digits, ., - and _, starting with a letter.', { id: 'ruleForm.metricInvalid' });
    case 'threshold':
      return msg('Give a number above which, below which, or both.', { id: 'ruleForm.thresholdInvalid' });
    case 'forSeconds':
      return msg('Seconds from 0 to 604800 (a week).', { id: 'ruleForm.forSecondsInvalid' });
  }
}

/**
 * Sets a threshold rule on a device the node's organisation owns (`telemetry.setRule`, a
 * transaction): the owner's node raises an alert on the ledger when a metric stays above or below
 * the threshold for long enough, optionally opening a maintenance request for an organisation.
 * A rule of the same name is replaced. Fires `rule-changed` once committed.
 */
export class DeviceRuleForm extends LitElement {
  static override properties = { device: {}, metric: {}, orgs: { attribute: false }, form: { state: true }, busy: { state: true }, problem: { state: true } };
  static override styles = [
    screenStyles,
    css`
      .form {
        max-width: 36rem;
      }
      .pair {
        display: grid;
        grid-template-columns: 1fr 1fr;
        gap: var(--sl-spacing-small);
      }
    `,
  ];

  declare device: string;
  /** The metric the form starts with (the device's newest reading's). */
  declare metric: string;
  declare orgs: readonly MemberOrgJson[];
  declare form: RuleForm;
  declare busy: boolean;
  declare problem: { message: string; code: string } | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.device = '';
    this.metric = '';
    this.orgs = [];
    this.form = { name: '', metric: '', above: '', below: '', forSeconds: '0', assignTo: '' };
    this.busy = false;
    this.problem = undefined;
  }

  override render(): TemplateResult {
    const form = { ...this.form, metric: this.form.metric === '' ? this.metric : this.form.metric };
    const payload = rulePayload(this.device, form);
    const touched = this.form.name !== '' || this.form.above !== '' || this.form.below !== '';
    const set = (field: keyof RuleForm) => (event: Event) => (this.form = { ...this.form, [field]: (event.target as SlInput | SlSelect).value as string });
    return html`<div class="form">
      <h3>${msg('Set a rule', { id: 'ruleForm.title' })}</h3>
      <div class="pair">
        <sl-input data-testid="rule-name" label=${msg('Rule name', { id: 'ruleForm.name' })} placeholder="cold-chain" .value=${this.form.name} @sl-input=${set('name')}></sl-input>
        <sl-input data-testid="rule-metric" label=${msg('Metric', { id: 'alerts.metric' })} placeholder="temperature" .value=${form.metric} @sl-input=${set('metric')}></sl-input>
        <sl-input data-testid="rule-above" inputmode="decimal" label=${msg('Alert above', { id: 'ruleForm.above' })} .value=${this.form.above} @sl-input=${set('above')}></sl-input>
        <sl-input data-testid="rule-below" inputmode="decimal" label=${msg('Alert below', { id: 'ruleForm.below' })} .value=${this.form.below} @sl-input=${set('below')}></sl-input>
        <sl-input data-testid="rule-for" type="number" min="0" max="604800" label=${msg('For at least (s)', { id: 'ruleForm.forSeconds' })} .value=${this.form.forSeconds} @sl-input=${set('forSeconds')}></sl-input>
        <sl-select data-testid="rule-assign" label=${msg('Maintenance request to', { id: 'ruleForm.assignTo' })} value=${this.form.assignTo} @sl-change=${set('assignTo')}>
          <sl-option value="">${msg('nobody', { id: 'ruleForm.nobody' })}</sl-option>
          ${this.orgs.filter((org) => org.status === 'active').map((org) => html`<sl-option value=${org.id}>${org.name}</sl-option>`)}
        </sl-select>
      </div>
      ${touched && 'problem' in payload ? html`<p class="muted" data-testid="rule-invalid">${problemText(payload.problem)}</p>` : ''}
      <ingot-problem-alert data-testid="rule-error" .problem=${this.problem}></ingot-problem-alert>
      <div class="row">
        <sl-button data-testid="rule-submit" ?loading=${this.busy} ?disabled=${this.busy || 'problem' in payload} @click=${() => void this.#submit()}>${msg('Set the rule', { id: 'ruleForm.submit' })}</sl-button>
        <span class="muted">${msg('Thresholds are in the metric’s unit; a rule of the same name is replaced.', { id: 'ruleForm.hint' })}</span>
      </div>
    </div>`;
  }

  async #submit(): Promise<void> {
    const connection = this.#connection.value;
    const payload = rulePayload(this.device, { ...this.form, metric: this.form.metric === '' ? this.metric : this.form.metric });
    if (connection === undefined || 'problem' in payload) return;
    await submitShowingProblem(this, async () => {
      const result = await connection.call('tx.submit', { contract: 'telemetry', method: 'setRule', payload, waitForCommit: true });
      if (result.receipt !== undefined && !result.receipt.ok) {
        this.problem = { message: result.receipt.message, code: result.receipt.code };
        return;
      }
      toast(msg('Rule set', { id: 'ruleForm.done' }), 'success');
      this.form = { name: '', metric: '', above: '', below: '', forSeconds: '0', assignTo: '' };
      this.dispatchEvent(new CustomEvent('rule-changed', { bubbles: true, composed: true }));
    });
  }
}

customElements.define('ingot-device-rule-form', DeviceRuleForm);
