import { updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type { RoleName } from '../../../node-core/src/api/methods.ts';
import { roleLabel } from '../i18n/membership-labels.ts';

/** An organisation's roles as badges. */
export class RoleBadges extends LitElement {
  static override properties = { roles: { attribute: false } };
  static override styles = css`
    :host {
      display: inline-flex;
      gap: var(--sl-spacing-3x-small);
      flex-wrap: wrap;
    }
  `;

  declare roles: readonly RoleName[];

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.roles = [];
  }

  override render(): TemplateResult {
    return html`${this.roles.map((role) => html`<sl-badge variant=${role === 'admin' ? 'primary' : 'neutral'} data-role=${role}>${roleLabel(role)}</sl-badge>`)}`;
  }
}

customElements.define('ingot-role-badges', RoleBadges);
