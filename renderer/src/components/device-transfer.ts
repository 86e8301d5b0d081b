import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlSelect from '@shoelace-style/shoelace/dist/components/select/select.js';
import type { DeviceJson } from '../../../node-core/src/api/device-methods.ts';
import type { MemberOrgJson } from '../../../node-core/src/api/methods.ts';
import { connectionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { submitShowingProblem } from '../app/submit.ts';
import { toast } from '../app/toast.ts';
import { dateTimeText } from '../i18n/format.ts';
import { offerStatusLabel } from '../i18n/device-labels.ts';
import { durationText } from '../i18n/membership-labels.ts';
import { transferActions } from '../lib/device-history.ts';
import './problem-alert.ts';

/** Offer lifetimes in hours; the node accepts 1 to 720. */
const EXPIRY_HOURS = [24, 72, 168, 720] as const;

/**
 * Ownership transfer (docs/devices.md#ownership-transfer): the open offer if any; the owner offers
 * to another active organisation or withdraws; the recipient accepts. Every grant ends with the
 * transfer. Fires `transfer-changed` once a change is committed.
 */
export class DeviceTransfer extends LitElement {
  static override properties = {
    device: { attribute: false },
    orgs: { attribute: false },
    self: {},
    locale: {},
    to: { state: true },
    hours: { state: true },
    busy: { state: true },
    problem: { state: true },
  };
  static override styles = [
    screenStyles,
    css`
      .offer {
        display: grid;
        gap: var(--sl-spacing-small);
        max-width: 36rem;
      }
      .offer > h3,
      .offer > p {
        margin: 0;
      }
      .offer > h3 {
        margin-top: var(--sl-spacing-medium);
      }
    `,
  ];

  declare device: DeviceJson | undefined;
  declare orgs: readonly MemberOrgJson[];
  declare self: string;
  declare locale: string;
  declare to: string;
  declare hours: number;
  declare busy: boolean;
  declare problem: { message: string; code: string } | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.device = undefined;
    this.orgs = [];
    this.self = '';
    this.locale = 'en';
    this.to = '';
    this.hours = 168;
    this.busy = false;
    this.problem = undefined;
  }

  override render(): TemplateResult {
    const device = this.device;
    if (device === undefined) return html``;
    const names = new Map(this.orgs.map((org) => [org.id, org.name]));
    const actions = transferActions(device, this.self === '' ? undefined : this.self);
    const offer = device.offer;
    return html`${offer === null
        ? html`<p class="muted" data-testid="transfer-none">${msg('No transfer offer.', { id: 'transfer.none' })}</p>`
        : html`<p data-testid="transfer-offer" data-status=${offer.status}>
            ${msg(str`Offered to ${names.get(offer.to) ?? offer.to}, until ${dateTimeText(offer.expiresAt, this.locale)}:`, { id: 'transfer.offered' })}
            <sl-badge variant=${offer.status === 'open' ? 'warning' : 'neutral'}>${offerStatusLabel(offer.status)}</sl-badge>
          </p>`}
      <ingot-problem-alert data-testid="transfer-error" .problem=${this.problem}></ingot-problem-alert>
      <div class="row">
        ${actions.accept
          ? html`<sl-button variant="primary" data-testid="transfer-accept" ?loading=${this.busy} @click=${() => void this.#run('accept')}>${msg('Accept the transfer', { id: 'transfer.accept' })}</sl-button>`
          : ''}
        ${actions.withdraw
          ? html`<sl-button data-testid="transfer-withdraw" ?loading=${this.busy} @click=${() => void this.#run('withdraw')}>${msg('Withdraw the offer', { id: 'transfer.withdraw' })}</sl-button>`
          : ''}
      </div>
      ${actions.offer ? this.#renderOfferForm(device, offer?.status === 'open') : ''}`;
  }

  #renderOfferForm(device: DeviceJson, replacing: boolean): TemplateResult {
    const candidates = this.orgs.filter((org) => org.id !== device.owner && org.status === 'active');
    return html`<div class="offer">
      <h3>${msg('Offer to another organisation', { id: 'transfer.offerTitle' })}</h3>
      <p class="muted">${msg('The device changes hands only when the recipient accepts; then every grant ends.', { id: 'transfer.hint' })}</p>
      <sl-select
        data-testid="transfer-to"
        label=${msg('Organisation', { id: 'overview.organisation' })}
        placeholder=${candidates.length === 0 ? msg('No other active organisation', { id: 'grants.noOrgs' }) : ''}
        value=${this.to}
        ?disabled=${candidates.length === 0}
        @sl-change=${(event: Event) => (this.to = String((event.target as SlSelect).value))}
      >
        ${candidates.map((org) => html`<sl-option value=${org.id}>${org.name}</sl-option>`)}
      </sl-select>
      <sl-select data-testid="transfer-expiry" label=${msg('Valid for', { id: 'invite.expiry' })} value=${String(this.hours)} @sl-change=${(event: Event) => (this.hours = Number((event.target as SlSelect).value))}>
        ${EXPIRY_HOURS.map((hours) => html`<sl-option value=${String(hours)}>${durationText(hours * 3600)}</sl-option>`)}
      </sl-select>
      <div class="row">
        <sl-button data-testid="transfer-offer-submit" ?loading=${this.busy} ?disabled=${this.busy || this.to === ''} @click=${() => void this.#run('offer', replacing)}>
          ${replacing ? msg('Replace the offer', { id: 'transfer.replace' }) : msg('Offer the device', { id: 'transfer.offer' })}
        </sl-button>
      </div>
    </div>`;
  }

  async #run(action: 'offer' | 'withdraw' | 'accept', replace = false): Promise<void> {
    const connection = this.#connection.value;
    const device = this.device;
    if (connection === undefined || device === undefined) return;
    await submitShowingProblem(this, async () => {
      if (action === 'offer') {
        await connection.call('device.offerTransfer', { device: device.id, to: this.to, expiresInHours: this.hours, replace });
        toast(msg('Transfer offered', { id: 'deviceHistory.offerTransfer' }), 'success');
      } else if (action === 'withdraw') {
        await connection.call('device.withdrawTransfer', { device: device.id });
        toast(msg('Transfer offer withdrawn', { id: 'deviceHistory.withdrawTransfer' }), 'success');
      } else {
        await connection.call('device.acceptTransfer', { device: device.id });
        toast(msg('Transfer accepted', { id: 'deviceHistory.acceptTransfer' }), 'success');
      }
      this.dispatchEvent(new CustomEvent('transfer-changed', { bubbles: true, composed: true }));
    });
  }
}

customElements.define('ingot-device-transfer', DeviceTransfer);
