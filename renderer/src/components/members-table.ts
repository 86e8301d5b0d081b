import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type { MemberNodeJson, MemberOrgJson } from '../../../node-core/src/api/methods.ts';
import { routeHref } from '../app/routes.ts';
import { screenStyles } from '../app/styles.ts';
import { orgStatusLabel } from '../i18n/membership-labels.ts';
import { shortHex } from '../lib/format.ts';
import './role-badges.ts';

const STATUS_VARIANT: Record<MemberOrgJson['status'], string> = { active: 'success', suspended: 'warning', removed: 'danger' };

/** The consortium's organisations: roles, status and each node with how this node reaches it. */
export class MembersTable extends LitElement {
  static override properties = { orgs: { attribute: false } };
  static override styles = [
    screenStyles,
    css`
      ul {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: var(--sl-spacing-3x-small);
      }
      td {
        vertical-align: top;
      }
    `,
  ];

  declare orgs: readonly MemberOrgJson[];

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.orgs = [];
  }

  override render(): TemplateResult {
    return html`<table data-testid="members">
      <thead>
        <tr>
          <th>${msg('Organisation', { id: 'overview.organisation' })}</th>
          <th>${msg('Roles', { id: 'identity.roles' })}</th>
          <th>${msg('Status', { id: 'identity.status' })}</th>
          <th>${msg('Nodes', { id: 'members.nodes' })}</th>
        </tr>
      </thead>
      <tbody>
        ${this.orgs.map(
          (org) => html`<tr data-testid="member-row" data-org=${org.id}>
            <td>
              <a href=${routeHref({ name: 'org', id: org.id })} data-testid="member-link">${org.name}</a>
              ${org.self ? html`<sl-badge variant="primary" pill>${msg('you', { id: 'members.you' })}</sl-badge>` : ''}
              <div class="mono muted">${shortHex(org.id, 12)}</div>
            </td>
            <td><ingot-role-badges .roles=${org.roles}></ingot-role-badges></td>
            <td><sl-badge variant=${STATUS_VARIANT[org.status]} data-testid="member-status">${orgStatusLabel(org.status)}</sl-badge></td>
            <td>
              ${org.nodes.length === 0
                ? html`<span class="muted">${msg('none', { id: 'members.noNodes' })}</span>`
                : html`<ul>
                    ${org.nodes.map((node) => html`<li>${nodeLine(node, org.self)}</li>`)}
                  </ul>`}
            </td>
          </tr>`,
        )}
      </tbody>
    </table>`;
  }
}

/** A node's peer id, whether it is connected and how, and its voting power when it validates. */
export function nodeLine(node: MemberNodeJson, self: boolean): TemplateResult {
  const own = self && node.connection === null && node.online;
  return html`<span class="mono" title=${node.peerId}>${shortHex(node.peerId, 16)}</span>
    ${own
      ? html`<sl-badge variant="primary" data-testid="node-state" data-state="self">${msg('this node', { id: 'members.thisNode' })}</sl-badge>`
      : node.online
        ? html`<sl-badge variant="success" data-testid="node-state" data-state="online">${msg('online', { id: 'members.online' })}</sl-badge>
            ${node.connection === null ? '' : html`<span class="muted">${node.connection === 'direct' ? msg('direct', { id: 'overview.direct' }) : msg('relayed', { id: 'overview.relayed' })}</span>`}`
        : html`<sl-badge variant="neutral" data-testid="node-state" data-state="offline">${msg('offline', { id: 'members.offline' })}</sl-badge>`}
    ${node.validator === null ? '' : html`<span class="muted">· ${msg(str`validator, power ${node.validator.power}`, { id: 'members.validatorPower' })}</span>`}`;
}

customElements.define('ingot-members-table', MembersTable);
