import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, html, type TemplateResult } from 'lit';
import type { TelemetryRuleJson } from '../../../node-core/src/api/telemetry-methods.ts';
import { connectionContext } from '../app/context.ts';
import { routeHref } from '../app/routes.ts';
import { screenStyles } from '../app/styles.ts';
import { toast, toastError } from '../app/toast.ts';
import { dateTimeText } from '../i18n/format.ts';
import type { DeviceAlert } from '../lib/device-history.ts';
import { fromMilli } from '../lib/telemetry-series.ts';

/** The device's threshold rules and the alerts they raised, newest first. */
export class DeviceAlerts extends LitElement {
  static override properties = { device: {}, canChange: { type: Boolean }, alerts: { attribute: false }, rules: { attribute: false }, locale: {}, busy: { state: true } };
  static override styles = screenStyles;

  declare device: string;
  /** The owner's node may remove rules. */
  declare canChange: boolean;
  declare busy: boolean;
  declare alerts: readonly DeviceAlert[];
  declare rules: readonly TelemetryRuleJson[];
  declare locale: string;

  readonly #connection = new ContextConsumer(this, { context: connectionContext });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.device = '';
    this.canChange = false;
    this.busy = false;
    this.alerts = [];
    this.rules = [];
    this.locale = 'en';
  }

  override render(): TemplateResult {
    return html`${this.rules.length === 0
        ? html`<p class="muted" data-testid="rules-empty">${msg('No threshold rules.', { id: 'alerts.noRules' })}</p>`
        : html`<table data-testid="rules">
            <thead>
              <tr>
                <th>${msg('Rule', { id: 'alerts.rule' })}</th>
                <th>${msg('Metric', { id: 'alerts.metric' })}</th>
                <th>${msg('Above', { id: 'alerts.above' })}</th>
                <th>${msg('Below', { id: 'alerts.below' })}</th>
                <th>${msg('For (s)', { id: 'alerts.forSeconds' })}</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${this.rules.map(
                (rule) => html`<tr data-testid="rule-row" data-rule=${rule.name}>
                  <td>${rule.name}</td>
                  <td>${rule.metric}</td>
                  <td>${rule.above === null ? '—' : fromMilli(rule.above)}</td>
                  <td>${rule.below === null ? '—' : fromMilli(rule.below)}</td>
                  <td>${rule.forSeconds}</td>
                  <td>
                    ${this.canChange
                      ? html`<sl-button size="small" variant="danger" outline data-testid="rule-remove" ?disabled=${this.busy} @click=${() => void this.#remove(rule.name)}>
                          ${msg('Remove', { id: 'alerts.removeRule' })}
                        </sl-button>`
                      : ''}
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>`}
      <h3>${msg('Alerts', { id: 'alerts.title' })}</h3>
      ${this.alerts.length === 0
        ? html`<p class="muted" data-testid="alerts-empty">${msg('No alerts raised.', { id: 'alerts.none' })}</p>`
        : html`<table data-testid="alerts">
            <thead>
              <tr>
                <th>${msg('Rule', { id: 'alerts.rule' })}</th>
                <th>${msg('From', { id: 'alerts.from' })}</th>
                <th>${msg('To', { id: 'alerts.to' })}</th>
                <th>${msg('Value', { id: 'alerts.value' })}</th>
                <th>${msg('Block', { id: 'tx.block' })}</th>
              </tr>
            </thead>
            <tbody>
              ${this.alerts.map(
                (alert) => html`<tr data-testid="alert-row">
                  <td><sl-badge variant="danger">${alert.rule}</sl-badge></td>
                  <td>${dateTimeText(alert.from, this.locale)}</td>
                  <td>${dateTimeText(alert.to, this.locale)}</td>
                  <td>${fromMilli(alert.value)}</td>
                  <td><a href=${routeHref({ name: 'tx', hash: alert.hash })}>${alert.height}</a></td>
                </tr>`,
              )}
            </tbody>
          </table>`}`;
  }

  async #remove(name: string): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined) return;
    this.busy = true;
    const failed = msg('Could not remove the rule', { id: 'alerts.removeFailed' });
    try {
      const result = await connection.call('tx.submit', { contract: 'telemetry', method: 'removeRule', payload: { device: this.device, name }, waitForCommit: true });
      const receipt = result.receipt;
      if (receipt !== undefined && !receipt.ok) toast(failed, 'danger', msg(str`${receipt.message} (code ${receipt.code})`, { id: 'error.withCode' }));
      else this.dispatchEvent(new CustomEvent('rule-changed', { bubbles: true, composed: true }));
    } catch (error) {
      toastError(failed, error);
    } finally {
      this.busy = false;
    }
  }
}

customElements.define('ingot-device-alerts', DeviceAlerts);
