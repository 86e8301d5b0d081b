import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, html, type TemplateResult } from 'lit';
import { routeHref } from '../app/routes.ts';
import { screenStyles } from '../app/styles.ts';
import type { DeviceRow } from '../controllers/device-queries.ts';
import { dateTimeText } from '../i18n/format.ts';
import { deviceStatusLabel } from '../i18n/device-labels.ts';
import { shortHex } from '../lib/format.ts';

/** Devices with their owner, model, status and the time of their newest reading on this node. */
export class DevicesTable extends LitElement {
  static override properties = { devices: { attribute: false }, names: { attribute: false }, self: {}, locale: {} };
  static override styles = screenStyles;

  declare devices: readonly DeviceRow[];
  declare names: ReadonlyMap<string, string>;
  declare self: string;
  declare locale: string;

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.devices = [];
    this.names = new Map();
    this.self = '';
    this.locale = 'en';
  }

  override render(): TemplateResult {
    return html`<table data-testid="devices">
      <thead>
        <tr>
          <th>${msg('Device', { id: 'devices.device' })}</th>
          <th>${msg('Owner', { id: 'devices.owner' })}</th>
          <th>${msg('Status', { id: 'identity.status' })}</th>
          <th>${msg('Last data', { id: 'devices.lastData' })}</th>
        </tr>
      </thead>
      <tbody>
        ${this.devices.map(
          (device) => html`<tr data-testid="device-row" data-device=${device.id}>
            <td>
              <a href=${routeHref({ name: 'device', id: device.id })} data-testid="device-link">${device.model}</a>
              <span class="muted">${device.serial}</span>
              <div class="mono muted">${shortHex(device.id, 12)}</div>
            </td>
            <td>
              ${this.names.get(device.owner) ?? shortHex(device.owner, 12)}
              ${device.owner === this.self ? html`<sl-badge variant="primary" pill>${msg('you', { id: 'members.you' })}</sl-badge>` : ''}
            </td>
            <td><sl-badge variant=${device.status === 'active' ? 'success' : 'neutral'} data-testid="device-status">${deviceStatusLabel(device.status)}</sl-badge></td>
            <td data-testid="device-last-data">${device.lastData === null ? html`<span class="muted">—</span>` : dateTimeText(device.lastData, this.locale)}</td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }
}

customElements.define('ingot-devices-table', DevicesTable);
