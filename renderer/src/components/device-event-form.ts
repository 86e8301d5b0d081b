import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import type SlSelect from '@shoelace-style/shoelace/dist/components/select/select.js';
import type { DeviceEventKind } from '../../../node-core/src/api/device-methods.ts';
import { connectionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { submitShowingProblem } from '../app/submit.ts';
import { toast } from '../app/toast.ts';
import { eventKindLabel } from '../i18n/device-labels.ts';
import { DEVICE_EVENT_KINDS, eventReady } from '../lib/device-history.ts';
import './problem-alert.ts';

/**
 * Records a lifecycle event (`device.recordEvent`): installed, firmware updated (with the firmware's
 * SHA-256), maintenance, inspection, incident, decommissioned. For the owner and organisations
 * holding `maintain`. Fires `event-recorded` once the event is committed.
 */
export class DeviceEventForm extends LitElement {
  static override properties = {
    device: {},
    kind: { state: true },
    firmwareHash: { state: true },
    note: { state: true },
    busy: { state: true },
    problem: { state: true },
  };
  static override styles = [
    screenStyles,
    css`
      .form {
        max-width: 36rem;
      }
    `,
  ];

  declare device: string;
  declare kind: DeviceEventKind;
  declare firmwareHash: string;
  declare note: string;
  declare busy: boolean;
  declare problem: { message: string; code: string } | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.device = '';
    this.kind = 'installed';
    this.firmwareHash = '';
    this.note = '';
    this.busy = false;
    this.problem = undefined;
  }

  override render(): TemplateResult {
    const ready = !this.busy && eventReady(this.kind, this.firmwareHash);
    return html`<div class="form">
      <h3>${msg('Record an event', { id: 'deviceEvent.title' })}</h3>
      <sl-select data-testid="event-kind" label=${msg('Event', { id: 'deviceEvent.kind' })} value=${this.kind} @sl-change=${(e: Event) => (this.kind = (e.target as SlSelect).value as DeviceEventKind)}>
        ${DEVICE_EVENT_KINDS.map((kind) => html`<sl-option value=${kind}>${eventKindLabel(kind)}</sl-option>`)}
      </sl-select>
      ${this.kind === 'firmwareUpdated'
        ? html`<sl-input
            data-testid="event-firmware"
            label=${msg('Firmware SHA-256 (64 hex characters)', { id: 'deviceEvent.firmwareHash' })}
            .value=${this.firmwareHash}
            @sl-input=${(e: Event) => (this.firmwareHash = (e.target as SlInput).value)}
          ></sl-input>`
        : ''}
      <sl-input data-testid="event-note" maxlength="500" label=${msg('Note (optional)', { id: 'deviceEvent.note' })} .value=${this.note} @sl-input=${(e: Event) => (this.note = (e.target as SlInput).value)}></sl-input>
      ${this.kind === 'decommissioned' ? html`<p class="muted">${msg('A decommissioned device takes no further event or transfer; its history and telemetry stay readable.', { id: 'deviceEvent.decommissionHint' })}</p>` : ''}
      <ingot-problem-alert data-testid="event-error" .problem=${this.problem}></ingot-problem-alert>
      <div class="row">
        <sl-button data-testid="event-submit" variant=${this.kind === 'decommissioned' ? 'danger' : 'default'} ?loading=${this.busy} ?disabled=${!ready} @click=${() => void this.#record()}>
          ${msg('Record', { id: 'deviceEvent.submit' })}
        </sl-button>
      </div>
    </div>`;
  }

  async #record(): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined || !eventReady(this.kind, this.firmwareHash)) return;
    const note = this.note.trim();
    await submitShowingProblem(this, async () => {
      await connection.call('device.recordEvent', {
        device: this.device,
        kind: this.kind,
        ...(this.kind === 'firmwareUpdated' ? { firmwareHash: this.firmwareHash.trim().toLowerCase() } : {}),
        ...(note === '' ? {} : { note }),
      });
      toast(eventKindLabel(this.kind), 'success');
      this.note = '';
      this.firmwareHash = '';
      this.dispatchEvent(new CustomEvent('event-recorded', { bubbles: true, composed: true }));
    });
  }
}

customElements.define('ingot-device-event-form', DeviceEventForm);
