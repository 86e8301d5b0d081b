import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlCheckbox from '@shoelace-style/shoelace/dist/components/checkbox/checkbox.js';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import { connectionContext, sessionContext } from '../app/context.ts';
import { queryView } from '../app/query-view.ts';
import { screenStyles, titleBarStyles } from '../app/styles.ts';
import '../components/devices-table.ts';
import '../components/register-device-dialog.ts';
import type { RegisterDeviceDialog } from '../components/register-device-dialog.ts';
import { deviceListQuery } from '../controllers/device-queries.ts';
import { MembershipQueries } from '../controllers/membership-queries.ts';

/** Typing waits this long before asking the node again. */
const SEARCH_DELAY_MS = 250;

/** The devices on the ledger, searchable, with their owners; a member registers its own from here. */
export class DevicesScreen extends LitElement {
  static override properties = { search: { state: true }, ownOnly: { state: true } };
  static override styles = [
    screenStyles,
    titleBarStyles,
    css`
      .filters {
        display: flex;
        align-items: flex-end;
        gap: var(--sl-spacing-large);
        flex-wrap: wrap;
        margin-bottom: var(--sl-spacing-medium);
      }
      .filters sl-input {
        flex: 0 1 28rem;
      }
      .filters sl-checkbox {
        padding-bottom: var(--sl-spacing-x-small);
      }
    `,
  ];

  declare search: string;
  declare ownOnly: boolean;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });
  readonly #members = new MembershipQueries(this, () => this.#connection.value, () => false);
  readonly #devices = deviceListQuery(this, () => this.#connection.value, () => ({ search: this.search, ownOnly: this.ownOnly }), () => this.#selfId());
  #searchTimer: number | undefined;

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.search = '';
    this.ownOnly = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.clearTimeout(this.#searchTimer);
  }

  override render(): TemplateResult {
    const locale = this.#session.value?.locale ?? 'en';
    const self = this.#selfId() ?? '';
    return html`
      <div class="title-bar">
        <h1>${msg('Devices', { id: 'nav.devices' })}</h1>
        <sl-button variant="primary" data-testid="devices-register" @click=${() => void this.#dialog()?.show()}>
          <sl-icon slot="prefix" name="plus-lg"></sl-icon>${msg('Register a device', { id: 'registerDevice.title' })}
        </sl-button>
      </div>
      <section class="card">
        <div class="filters">
          <sl-input
            type="search"
            clearable
            data-testid="devices-search"
            placeholder=${msg('Id, model, serial number or manufacturer', { id: 'devices.searchPlaceholder' })}
            label=${msg('Search', { id: 'explorer.search' })}
            .value=${this.search}
            @sl-input=${this.#onSearch}
            @sl-clear=${this.#onSearch}
          >
            <sl-icon slot="prefix" name="search"></sl-icon>
          </sl-input>
          <sl-checkbox data-testid="devices-own" ?checked=${this.ownOnly} @sl-change=${this.#onOwnOnly}>${msg('Only this organisation’s devices', { id: 'devices.ownOnly' })}</sl-checkbox>
        </div>
        ${queryView(
          this.#devices,
          (rows) => rows,
          this.search.trim() === '' && !this.ownOnly ? msg('No devices registered yet.', { id: 'devices.none' }) : msg('No device matches.', { id: 'devices.noMatch' }),
          (rows) => html`<ingot-devices-table .devices=${rows} .names=${this.#members.names()} self=${self} locale=${locale}></ingot-devices-table>`,
          'devices',
        )}
      </section>
      <ingot-register-device-dialog @device-registered=${() => void this.#devices.refresh()}></ingot-register-device-dialog>
    `;
  }

  #selfId(): string | undefined {
    return this.#members.members.value?.orgs.find((org) => org.self)?.id;
  }

  #onSearch(event: Event): void {
    this.search = (event.target as SlInput).value;
    window.clearTimeout(this.#searchTimer);
    this.#searchTimer = window.setTimeout(() => void this.#devices.refresh(), SEARCH_DELAY_MS);
  }

  #onOwnOnly(event: Event): void {
    this.ownOnly = (event.target as SlCheckbox).checked;
    void this.#devices.refresh();
  }

  #dialog(): RegisterDeviceDialog | null {
    return this.renderRoot.querySelector('ingot-register-device-dialog');
  }
}

customElements.define('ingot-devices-screen', DevicesScreen);
