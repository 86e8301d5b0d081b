import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlCheckbox from '@shoelace-style/shoelace/dist/components/checkbox/checkbox.js';
import type { RoleName } from '../../../node-core/src/api/methods.ts';
import { ROLES, roleHint, roleLabel } from '../i18n/membership-labels.ts';

/** One checkbox per role with what it allows; fires `roles-change` with the chosen roles in their usual order. */
export class RolePicker extends LitElement {
  static override properties = { value: { attribute: false }, label: {} };
  static override styles = css`
    fieldset {
      border: none;
      margin: 0;
      padding: 0;
      display: grid;
      gap: var(--sl-spacing-2x-small);
    }
    legend {
      margin-bottom: var(--sl-spacing-2x-small);
      font-size: var(--sl-input-label-font-size-medium);
    }
    .hint {
      color: var(--sl-color-neutral-600);
      font-size: var(--sl-font-size-small);
    }
    .none {
      color: var(--sl-color-danger-600);
      font-size: var(--sl-font-size-small);
    }
  `;

  declare value: RoleName[];
  declare label: string;

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.value = [];
    this.label = '';
  }

  override render(): TemplateResult {
    return html`<fieldset>
      <legend>${this.label === '' ? msg('Roles', { id: 'identity.roles' }) : this.label}</legend>
      ${ROLES.map(
        (role) => html`<sl-checkbox data-testid="role-${role}" ?checked=${this.value.includes(role)} @sl-change=${(event: Event) => this.#toggle(role, (event.target as SlCheckbox).checked)}>
          ${roleLabel(role)} <span class="hint">— ${roleHint(role)}</span>
        </sl-checkbox>`,
      )}
      ${this.value.length === 0 ? html`<span class="none">${msg('Choose at least one role.', { id: 'roles.none' })}</span>` : ''}
    </fieldset>`;
  }

  #toggle(role: RoleName, on: boolean): void {
    const chosen = new Set(this.value);
    if (on) chosen.add(role);
    else chosen.delete(role);
    this.value = ROLES.filter((known) => chosen.has(known));
    this.dispatchEvent(new CustomEvent<RoleName[]>('roles-change', { detail: this.value, bubbles: true, composed: true }));
  }
}

customElements.define('ingot-role-picker', RolePicker);
