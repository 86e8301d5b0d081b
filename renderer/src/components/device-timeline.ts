import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type { DeviceHistoryEntryJson, DevicePermission } from '../../../node-core/src/api/device-methods.ts';
import { routeHref } from '../app/routes.ts';
import { screenStyles } from '../app/styles.ts';
import { dateTimeText } from '../i18n/format.ts';
import { historyLabel, permissionLabel } from '../i18n/device-labels.ts';
import { shortHex } from '../lib/format.ts';

/** A device's life on the ledger, newest first: registration, events, transfers, grants, tokens, rules and alerts. */
export class DeviceTimeline extends LitElement {
  static override properties = { entries: { attribute: false }, names: { attribute: false }, locale: {} };
  static override styles = [
    screenStyles,
    css`
      ol {
        list-style: none;
        margin: 0;
        padding: 0 0 0 var(--sl-spacing-medium);
        border-left: 2px solid var(--sl-color-neutral-200);
        display: grid;
        gap: var(--sl-spacing-small);
      }
      li {
        position: relative;
      }
      li::before {
        content: '';
        position: absolute;
        left: calc(-1 * var(--sl-spacing-medium) - 6px);
        top: 0.45em;
        width: 10px;
        height: 10px;
        border-radius: 50%;
        background: var(--sl-color-primary-600);
      }
      li[data-ok='false']::before {
        background: var(--sl-color-danger-600);
      }
      .what {
        font-weight: var(--sl-font-weight-semibold);
      }
    `,
  ];

  declare entries: readonly DeviceHistoryEntryJson[];
  declare names: ReadonlyMap<string, string>;
  declare locale: string;

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.entries = [];
    this.names = new Map();
    this.locale = 'en';
  }

  #detail(entry: DeviceHistoryEntryJson): TemplateResult | string {
    const detail = detailOf(entry, this.names);
    return detail === '' ? '' : html`<span data-testid="timeline-detail">— ${detail}</span>`;
  }

  override render(): TemplateResult {
    return html`<ol data-testid="device-timeline">
      ${[...this.entries].reverse().map(
        (entry) => html`<li data-testid="timeline-entry" data-method="${entry.contract}.${entry.method}" data-ok=${String(entry.ok)}>
          <span class="what">${historyLabel(entry)}</span>
          ${entry.ok ? '' : html`<sl-badge variant="danger">${entry.code}</sl-badge>`}
          ${this.#detail(entry)}
          <div class="muted">
            ${dateTimeText(entry.time, this.locale)} · ${this.names.get(entry.org) ?? shortHex(entry.org, 12)} ·
            <a href=${routeHref({ name: 'block', height: entry.height })}>${msg('block', { id: 'timeline.block' })} ${entry.height}</a> ·
            <a class="mono" href=${routeHref({ name: 'tx', hash: entry.hash })}>${shortHex(entry.hash, 12)}</a>
          </div>
        </li>`,
      )}
    </ol>`;
  }
}

/** Whom a grant, token or offer names and what it allows, or the note an event carries. */
function detailOf(entry: DeviceHistoryEntryJson, names: ReadonlyMap<string, string>): string {
  const payload = entry.payload;
  const party = (value: unknown) => (typeof value === 'string' ? (names.get(value) ?? shortHex(value, 12)) : '');
  const permissions = Array.isArray(payload.permissions) ? payload.permissions.filter((p): p is DevicePermission => typeof p === 'string').map(permissionLabel) : [];
  switch (`${entry.contract}.${entry.method}`) {
    case 'device.setPolicy':
      return [party(payload.grantee), permissions.join(', ')].filter((part) => part !== '').join(': ');
    case 'device.recordToken':
      return `${party(payload.grantee)}: ${typeof payload.permission === 'string' ? permissionLabel(payload.permission as DevicePermission) : ''}`;
    case 'device.offerTransfer':
      return party(payload.to);
    default:
      return typeof payload.note === 'string' ? payload.note : '';
  }
}

customElements.define('ingot-device-timeline', DeviceTimeline);
