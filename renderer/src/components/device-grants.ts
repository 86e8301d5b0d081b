import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlCheckbox from '@shoelace-style/shoelace/dist/components/checkbox/checkbox.js';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import type SlRadioGroup from '@shoelace-style/shoelace/dist/components/radio-group/radio-group.js';
import type SlSelect from '@shoelace-style/shoelace/dist/components/select/select.js';
import type { DeviceGrantJson, DevicePermission } from '../../../node-core/src/api/device-methods.ts';
import type { MemberOrgJson } from '../../../node-core/src/api/methods.ts';
import { connectionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { toast, toastError } from '../app/toast.ts';
import { dateTimeText } from '../i18n/format.ts';
import { permissionLabel } from '../i18n/device-labels.ts';
import { DEVICE_PERMISSIONS, grantTarget } from '../lib/device-history.ts';
import { shortHex } from '../lib/format.ts';
import { describeError } from '../rpc/connection.ts';
import './problem-alert.ts';

/**
 * Who else may read, operate or maintain the device: its grants with a revoke button, and for the
 * owner a form that grants an organisation a set of permissions (`device.setPolicy`; an empty set
 * revokes). Fires `policy-changed` once a change is committed.
 */
export class DeviceGrants extends LitElement {
  static override properties = {
    device: {},
    owner: {},
    grants: { attribute: false },
    orgs: { attribute: false },
    canChange: { type: Boolean },
    locale: {},
    granteeKind: { state: true },
    grantee: { state: true },
    deviceGrantee: { state: true },
    validUntil: { state: true },
    permissions: { state: true },
    busy: { state: true },
    problem: { state: true },
  };
  static override styles = [
    screenStyles,
    css`
      .grant {
        margin-top: var(--sl-spacing-medium);
        display: grid;
        gap: var(--sl-spacing-small);
        max-width: 36rem;
      }
      .grant > h3 {
        margin: var(--sl-spacing-medium) 0 0;
      }
      sl-badge {
        margin-right: var(--sl-spacing-3x-small);
      }
    `,
  ];

  declare device: string;
  declare owner: string;
  declare grants: readonly DeviceGrantJson[];
  declare orgs: readonly MemberOrgJson[];
  declare canChange: boolean;
  declare locale: string;
  declare granteeKind: 'org' | 'device';
  declare grantee: string;
  declare deviceGrantee: string;
  declare validUntil: string;
  declare permissions: DevicePermission[];
  declare busy: boolean;
  declare problem: { message: string; code: string } | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.device = '';
    this.owner = '';
    this.grants = [];
    this.orgs = [];
    this.canChange = false;
    this.locale = 'en';
    this.granteeKind = 'org';
    this.grantee = '';
    this.deviceGrantee = '';
    this.validUntil = '';
    this.permissions = ['read-telemetry'];
    this.busy = false;
    this.problem = undefined;
  }

  override render(): TemplateResult {
    const names = new Map(this.orgs.map((org) => [org.id, org.name]));
    return html`${this.grants.length === 0
        ? html`<p class="muted" data-testid="grants-empty">${msg('Nobody else has access: only the owner.', { id: 'grants.none' })}</p>`
        : html`<table data-testid="grants">
            <thead>
              <tr>
                <th>${msg('Grantee', { id: 'grants.grantee' })}</th>
                <th>${msg('Permissions', { id: 'grants.permissions' })}</th>
                <th>${msg('Valid', { id: 'grants.window' })}</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              ${this.grants.map(
                (grant) => html`<tr data-testid="grant-row" data-grantee=${grant.grantee} data-active=${String(grant.active)}>
                  <td>
                    ${names.get(grant.grantee) ?? html`<span class="mono">${shortHex(grant.grantee, 16)}</span>`}
                    <span class="muted">${grant.kind === 'device' ? msg('(device)', { id: 'grants.deviceGrantee' }) : ''}</span>
                  </td>
                  <td>${grant.permissions.map((permission) => html`<sl-badge variant="neutral">${permissionLabel(permission)}</sl-badge>`)}</td>
                  <td>
                    ${grant.active ? msg('in force', { id: 'grants.active' }) : msg('not in force', { id: 'grants.inactive' })}
                    ${grant.validFrom === null ? '' : html`<div class="muted">${msg('from', { id: 'grants.from' })} ${dateTimeText(grant.validFrom, this.locale)}</div>`}
                    ${grant.validUntil === null ? '' : html`<div class="muted">${msg('until', { id: 'grants.until' })} ${dateTimeText(grant.validUntil, this.locale)}</div>`}
                  </td>
                  <td>
                    ${this.canChange
                      ? html`<sl-button size="small" variant="danger" outline data-testid="grant-revoke" ?disabled=${this.busy} @click=${() => void this.#set(grant.grantee, [])}>
                          ${msg('Revoke', { id: 'grants.revoke' })}
                        </sl-button>`
                      : ''}
                  </td>
                </tr>`,
              )}
            </tbody>
          </table>`}
      ${this.canChange ? this.#renderForm() : ''}`;
  }

  #renderForm(): TemplateResult {
    const candidates = this.orgs.filter((org) => org.id !== this.owner && org.status === 'active');
    const target = this.#target();
    const windowInvalid = 'problem' in target && target.problem === 'window';
    const deviceInvalid = this.granteeKind === 'device' && this.deviceGrantee.trim() !== '' && 'problem' in target && target.problem === 'grantee';
    return html`<div class="grant">
      <h3>${msg('Grant access', { id: 'grants.title' })}</h3>
      <sl-radio-group
        data-testid="grant-kind"
        label=${msg('Grantee', { id: 'grants.grantee' })}
        value=${this.granteeKind}
        @sl-change=${(event: Event) => (this.granteeKind = (event.target as SlRadioGroup).value === 'device' ? 'device' : 'org')}
      >
        <sl-radio value="org">${msg('An organisation', { id: 'grants.kindOrg' })}</sl-radio>
        <sl-radio value="device" data-testid="grant-kind-device">${msg('Another device (e.g. a gateway)', { id: 'grants.kindDevice' })}</sl-radio>
      </sl-radio-group>
      ${this.granteeKind === 'org'
        ? html`<sl-select
            data-testid="grant-org"
            label=${msg('Organisation', { id: 'overview.organisation' })}
            placeholder=${candidates.length === 0 ? msg('No other active organisation', { id: 'grants.noOrgs' }) : ''}
            value=${this.grantee}
            ?disabled=${candidates.length === 0}
            @sl-change=${(event: Event) => (this.grantee = String((event.target as SlSelect).value))}
          >
            ${candidates.map((org) => html`<sl-option value=${org.id}>${org.name}</sl-option>`)}
          </sl-select>`
        : html`<sl-input
            data-testid="grant-device"
            class="mono"
            label=${msg('Device id', { id: 'device.id' })}
            help-text=${deviceInvalid ? msg('A device id is 40 lower-case hex characters.', { id: 'grants.deviceInvalid' }) : ''}
            .value=${this.deviceGrantee}
            @sl-input=${(event: Event) => (this.deviceGrantee = (event.target as SlInput).value)}
          ></sl-input>`}
      <div class="row" role="group" aria-label=${msg('Permissions', { id: 'grants.permissions' })}>
        ${DEVICE_PERMISSIONS.map(
          (permission) => html`<sl-checkbox data-testid="grant-permission-${permission}" ?checked=${this.permissions.includes(permission)} @sl-change=${(event: Event) => this.#toggle(permission, (event.target as SlCheckbox).checked)}>
            ${permissionLabel(permission)}
          </sl-checkbox>`,
        )}
      </div>
      <sl-input
        data-testid="grant-until"
        type="datetime-local"
        label=${msg('Valid until (optional)', { id: 'grants.validUntil' })}
        help-text=${windowInvalid ? msg('Pick a time in the future, or leave it empty for no end.', { id: 'grants.windowInvalid' }) : ''}
        .value=${this.validUntil}
        @sl-input=${(event: Event) => (this.validUntil = (event.target as SlInput).value)}
      ></sl-input>
      <ingot-problem-alert data-testid="grant-error" .problem=${this.problem}></ingot-problem-alert>
      <div class="row">
        <sl-button variant="primary" data-testid="grant-submit" ?loading=${this.busy} ?disabled=${this.busy || 'problem' in target || this.permissions.length === 0} @click=${() => void this.#grant()}>
          ${msg('Grant', { id: 'grants.submit' })}
        </sl-button>
        <span class="muted">${msg('A new grant replaces the grantee’s earlier one.', { id: 'grants.replaces' })}</span>
      </div>
    </div>`;
  }

  #target(): ReturnType<typeof grantTarget> {
    return grantTarget({ kind: this.granteeKind, org: this.grantee, device: this.deviceGrantee, validUntil: this.validUntil }, Date.now());
  }

  async #grant(): Promise<void> {
    const target = this.#target();
    if ('problem' in target) return;
    await this.#set(target.grantee, this.permissions, target.validUntil);
  }

  #toggle(permission: DevicePermission, on: boolean): void {
    const rest = this.permissions.filter((p) => p !== permission);
    this.permissions = on ? DEVICE_PERMISSIONS.filter((p) => p === permission || rest.includes(p)) : rest;
  }

  async #set(grantee: string, permissions: DevicePermission[], validUntil?: number): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined) return;
    this.busy = true;
    this.problem = undefined;
    try {
      await connection.call('device.setPolicy', { device: this.device, grantee, permissions, ...(validUntil === undefined ? {} : { validUntil }) });
      toast(permissions.length === 0 ? msg('Access revoked', { id: 'deviceHistory.revoke' }) : msg('Access granted', { id: 'deviceHistory.grant' }), 'success');
      if (permissions.length > 0) {
        this.grantee = '';
        this.deviceGrantee = '';
        this.validUntil = '';
      }
      this.dispatchEvent(new CustomEvent('policy-changed', { bubbles: true, composed: true }));
    } catch (error) {
      if (permissions.length === 0) toastError(msg('Could not revoke the access', { id: 'grants.revokeFailed' }), error);
      else this.problem = describeError(error);
    } finally {
      this.busy = false;
    }
  }
}

customElements.define('ingot-device-grants', DeviceGrants);
