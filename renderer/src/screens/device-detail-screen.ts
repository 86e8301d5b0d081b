import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type { DeviceJson } from '../../../node-core/src/api/device-methods.ts';
import { connectionContext, sessionContext } from '../app/context.ts';
import { routeHref } from '../app/routes.ts';
import { screenStyles } from '../app/styles.ts';
import '../components/copyable-value.ts';
import '../components/device-alerts.ts';
import '../components/device-event-form.ts';
import '../components/device-grants.ts';
import '../components/device-rule-form.ts';
import '../components/device-timeline.ts';
import '../components/device-transfer.ts';
import '../components/problem-alert.ts';
import '../components/telemetry-chart.ts';
import { DeviceQueries } from '../controllers/device-queries.ts';
import { MembershipQueries } from '../controllers/membership-queries.ts';
import { dateTimeText } from '../i18n/format.ts';
import { batchStatusLabel, deviceStatusLabel, eventKindLabel } from '../i18n/device-labels.ts';
import { alertsOf, currentGrants, mayRecordEvents } from '../lib/device-history.ts';
import { fingerprint } from '../lib/fingerprint.ts';
import { telemetrySeries } from '../lib/telemetry-series.ts';

/** The timeline shows this many of the newest entries; the Explorer has them all. */
const TIMELINE_ENTRIES = 200;

/**
 * One device: its identity and owner, live telemetry, who has access, ownership transfer, rules
 * and alerts, and its life on the ledger.
 */
export class DeviceDetailScreen extends LitElement {
  static override properties = { deviceId: {} };
  static override styles = [
    screenStyles,
    css`
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(26rem, 1fr));
        gap: 0 var(--sl-spacing-large);
      }
      .last {
        font-size: var(--sl-font-size-x-large);
        font-weight: var(--sl-font-weight-bold);
      }
      .card > h2:first-child {
        margin-top: 0;
      }
    `,
  ];

  declare deviceId: string;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });
  readonly #members = new MembershipQueries(this, () => this.#connection.value, () => false);
  readonly #data = new DeviceQueries(this, () => this.#connection.value, () => this.deviceId, () => this.#selfId());

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.deviceId = '';
  }

  override render(): TemplateResult {
    const query = this.#data.device;
    const device = query.value;
    const back = html`<p><a href=${routeHref({ name: 'devices' })} data-testid="device-back">← ${msg('All devices', { id: 'device.back' })}</a></p>`;
    if (device === undefined) {
      return html`${back}
        <h1>${msg('Device', { id: 'devices.device' })}</h1>
        <p class="mono">${this.deviceId}</p>
        <ingot-problem-alert data-testid="device-error" .problem=${query.error}></ingot-problem-alert>
        ${query.loading ? html`<sl-spinner data-testid="device-loading" aria-label=${msg('Loading', { id: 'common.loading' })}></sl-spinner>` : ''}`;
    }
    const locale = this.#session.value?.locale ?? 'en';
    const orgs = this.#members.members.value?.orgs ?? [];
    const names = this.#members.names();
    const self = orgs.find((org) => org.self)?.id ?? '';
    const owner = device.owner === self;
    return html`${back}
      <h1 data-testid="device-title">${device.model} <span class="muted">${device.serial}</span></h1>
      <ingot-problem-alert .problem=${query.error}></ingot-problem-alert>
      <div class="grid">
        ${this.#renderIdentity(device, names, locale)}
        <section class="card" aria-labelledby="telemetry-heading">
          <h2 id="telemetry-heading">${msg('Telemetry', { id: 'device.telemetry' })}</h2>
          ${this.#renderTelemetry(owner, locale)}
        </section>
      </div>
      <section class="card" aria-labelledby="grants-heading" @policy-changed=${() => this.#data.refreshLedger()}>
        <h2 id="grants-heading">${msg('Access', { id: 'device.access' })}</h2>
        <ingot-device-grants
          device=${device.id}
          owner=${device.owner}
          .grants=${currentGrants(device)}
          .orgs=${orgs}
          ?canChange=${owner}
          locale=${locale}
        ></ingot-device-grants>
      </section>
      <section class="card" aria-labelledby="transfer-heading" @transfer-changed=${() => this.#data.refreshLedger()}>
        <h2 id="transfer-heading">${msg('Ownership transfer', { id: 'device.transfer' })}</h2>
        <ingot-device-transfer .device=${device} .orgs=${orgs} self=${self} locale=${locale}></ingot-device-transfer>
      </section>
      <section class="card" aria-labelledby="alerts-heading" @rule-changed=${() => void this.#data.rules.refresh()}>
        <h2 id="alerts-heading">${msg('Rules and alerts', { id: 'device.alerts' })}</h2>
        <ingot-problem-alert .problem=${this.#data.rules.error}></ingot-problem-alert>
        <ingot-device-alerts
          device=${device.id}
          ?canChange=${owner && device.status === 'active'}
          .alerts=${alertsOf(this.#data.history.value?.entries ?? [])}
          .rules=${this.#data.rules.value?.rules ?? []}
          locale=${locale}
        ></ingot-device-alerts>
        ${owner && device.status === 'active'
          ? html`<ingot-device-rule-form device=${device.id} metric=${this.#lastMetric()} .orgs=${orgs}></ingot-device-rule-form>`
          : ''}
      </section>
      <section class="card" aria-labelledby="timeline-heading" @event-recorded=${() => this.#data.refreshLedger()}>
        <h2 id="timeline-heading">${msg('Lifecycle', { id: 'device.lifecycle' })}</h2>
        ${this.#renderTimeline(names, locale)}
        ${mayRecordEvents(device, self === '' ? undefined : self) ? html`<ingot-device-event-form device=${device.id}></ingot-device-event-form>` : ''}
      </section>`;
  }

  /** The metric of the newest reading shown, to start a rule with. */
  #lastMetric(): string {
    const points = this.#data.telemetry.value?.points ?? [];
    return points.reduce<{ t: number; metric: string } | undefined>((newest, point) => (newest === undefined || point.t > newest.t ? point : newest), undefined)?.metric ?? '';
  }

  /** This node's organisation, after the first read of the members if there was none yet. */
  async #selfId(): Promise<string | undefined> {
    const members = this.#members.members;
    if (members.value === undefined) await members.refresh();
    return members.value?.orgs.find((org) => org.self)?.id;
  }

  #renderIdentity(device: DeviceJson, names: ReadonlyMap<string, string>, locale: string): TemplateResult {
    return html`<section class="card" aria-labelledby="identity-heading">
      <h2 id="identity-heading">${msg('Identity', { id: 'nav.identity' })}</h2>
      <dl class="fields">
        <dt>${msg('Device id', { id: 'device.id' })}</dt>
        <dd><ingot-copyable-value data-testid="device-id" .value=${device.id} label=${msg('device id', { id: 'device.idNoun' })}></ingot-copyable-value></dd>
        <dt>${msg('Public key', { id: 'device.publicKey' })}</dt>
        <dd><ingot-copyable-value .value=${fingerprint(device.publicKey)} label=${msg('public key fingerprint', { id: 'device.publicKeyNoun' })}></ingot-copyable-value></dd>
        <dt>${msg('Model', { id: 'device.model' })}</dt>
        <dd>${device.model}</dd>
        <dt>${msg('Serial number', { id: 'device.serial' })}</dt>
        <dd>${device.serial}</dd>
        <dt>${msg('Manufacturer', { id: 'device.manufacturer' })}</dt>
        <dd>${device.manufacturer || '—'}</dd>
        <dt>${msg('Status', { id: 'identity.status' })}</dt>
        <dd><sl-badge data-testid="device-status" variant=${device.status === 'active' ? 'success' : 'neutral'}>${deviceStatusLabel(device.status)}</sl-badge></dd>
        <dt>${msg('Owner', { id: 'devices.owner' })}</dt>
        <dd data-testid="device-owner"><a href=${routeHref({ name: 'org', id: device.owner })}>${names.get(device.owner) ?? device.owner}</a></dd>
        <dt>${msg('Owner since', { id: 'device.ownerSince' })}</dt>
        <dd>${msg(str`block ${device.ownerSince}`, { id: 'device.atBlock' })}</dd>
        <dt>${msg('Registered', { id: 'deviceHistory.register' })}</dt>
        <dd>${dateTimeText(device.registeredTime, locale)}</dd>
        <dt>${msg('Last event', { id: 'device.lastEvent' })}</dt>
        <dd data-testid="device-last-event">${device.lastEvent === null ? '—' : `${eventKindLabel(device.lastEvent.kind)}, ${dateTimeText(device.lastEvent.time, locale)}`}</dd>
        ${device.firmwareHash === null ? '' : html`<dt>${msg('Firmware', { id: 'device.firmware' })}</dt><dd class="mono">${device.firmwareHash}</dd>`}
        ${device.codes.map((code) => html`<dt>${code.scheme}</dt><dd class="mono">${code.code}</dd>`)}
        ${Object.entries(device.metadata).map(([key, value]) => html`<dt>${key}</dt><dd>${value}</dd>`)}
      </dl>
    </section>`;
  }

  #renderTelemetry(owner: boolean, locale: string): TemplateResult {
    const query = this.#data.telemetry;
    const error = html`<ingot-problem-alert data-testid="telemetry-error" .problem=${query.error}></ingot-problem-alert>`;
    if (query.value === undefined) return query.loading ? html`<sl-spinner data-testid="telemetry-loading" aria-label=${msg('Loading', { id: 'common.loading' })}></sl-spinner>` : error;
    const readings = query.value;
    const series = telemetrySeries(readings.points);
    const last = series.last;
    const batches = [...readings.statuses.values()].reduce((sum, count) => sum + count, 0);
    return html`${error}
      ${last === undefined
        ? html`<p class="muted" data-testid="telemetry-empty">
            ${readings.source === 'local' && owner
              ? msg('No readings yet. The device publishes them over MQTT to this node (ingot device simulate makes some up).', { id: 'device.noReadingsOwner' })
              : msg('No readings from the owner’s node in the last two minutes.', { id: 'device.noReadingsOther' })}
          </p>`
        : html`<p>
            <span class="last" data-testid="telemetry-last" data-metric=${last.metric}>${last.value} ${last.unit}</span>
            <span class="muted">${last.metric}, ${dateTimeText(last.t, locale)}</span>
          </p>`}
      <ingot-telemetry-chart data-testid="telemetry-chart" .series=${series} locale=${locale}></ingot-telemetry-chart>
      <p class="muted" data-testid="telemetry-batches" data-source=${readings.source}>
        ${readings.source === 'local'
          ? msg(str`${series.count} newest points from ${batches} batches:`, { id: 'device.batches' })
          : msg(str`${series.count} points of the last two minutes from ${batches} batches, fetched from the owner’s node and checked against this ledger:`, { id: 'device.batchesFetched' })}
        ${[...readings.statuses].map(([status, count]) => html`<sl-badge variant=${status === 'anchored' || status === 'verified' ? 'success' : status === 'pending' || status === 'unanchored' ? 'neutral' : 'danger'}>${batchStatusLabel(status)} ${count}</sl-badge> `)}
      </p>`;
  }

  #renderTimeline(names: ReadonlyMap<string, string>, locale: string): TemplateResult {
    const history = this.#data.history;
    const error = html`<ingot-problem-alert data-testid="timeline-error" .problem=${history.error}></ingot-problem-alert>`;
    if (history.value === undefined) return history.loading ? html`<sl-spinner aria-label=${msg('Loading', { id: 'common.loading' })}></sl-spinner>` : error;
    const entries = history.value.entries;
    return html`${error}
      ${entries.length === 0
        ? html`<p class="muted">${msg('No transactions about this subject.', { id: 'subject.empty' })}</p>`
        : html`<ingot-device-timeline .entries=${entries.slice(-TIMELINE_ENTRIES)} .names=${names} locale=${locale}></ingot-device-timeline>`}
      ${history.value.complete && entries.length <= TIMELINE_ENTRIES
        ? ''
        : html`<p><a href=${routeHref({ name: 'subject', id: `device/${this.deviceId}` })}>${msg('The full history in the Explorer', { id: 'device.historyMore' })}</a></p>`}`;
  }
}

customElements.define('ingot-device-detail-screen', DeviceDetailScreen);
