import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlDialog from '@shoelace-style/shoelace/dist/components/dialog/dialog.js';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import type SlSelect from '@shoelace-style/shoelace/dist/components/select/select.js';
import type { MemberOrgJson, Params, ProposalKind, RoleName } from '../../../node-core/src/api/methods.ts';
import { connectionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { submitShowingProblem } from '../app/submit.ts';
import { toast } from '../app/toast.ts';
import { proposalKindLabel } from '../i18n/membership-labels.ts';
import { shortHex } from '../lib/format.ts';
import { nodeKeyOfPeerId } from '../lib/peer-id.ts';
import './problem-alert.ts';
import './role-picker.ts';

export type ChangeKind = Exclude<ProposalKind, 'admit'>;
const KINDS: readonly ChangeKind[] = ['setRoles', 'addValidator', 'removeValidator', 'suspend', 'reinstate', 'remove', 'setPolicy'];
type Rule = 'inviter' | 'majority' | 'count';

/** A validator node any organisation runs now, with the key a proposal names. */
interface ValidatorNode {
  org: MemberOrgJson;
  peerId: string;
  key: string;
}

/**
 * Proposes a change to the consortium: an organisation's roles, a validator added or removed, a
 * suspension, reinstatement or removal, or the voting policy. Fires `proposal-created`.
 */
export class ProposalDialog extends LitElement {
  static override properties = {
    orgs: { attribute: false },
    kind: { state: true },
    org: { state: true },
    roles: { state: true },
    node: { state: true },
    power: { state: true },
    validatorKey: { state: true },
    admission: { state: true },
    admissionCount: { state: true },
    changes: { state: true },
    changesCount: { state: true },
    busy: { state: true },
    problem: { state: true },
  };
  static override styles = [
    screenStyles,
    css`
      .form {
        max-width: none;
      }
      sl-dialog::part(panel) {
        width: min(40rem, 95vw);
      }
      .pair {
        display: grid;
        grid-template-columns: 1fr 8rem;
        gap: var(--sl-spacing-small);
        align-items: end;
      }
    `,
  ];

  declare orgs: readonly MemberOrgJson[];
  declare kind: ChangeKind;
  declare org: string;
  declare roles: RoleName[];
  declare node: string;
  declare power: number;
  declare validatorKey: string;
  declare admission: Rule;
  declare admissionCount: number;
  declare changes: Exclude<Rule, 'inviter'>;
  declare changesCount: number;
  declare busy: boolean;
  declare problem: { message: string; code: string } | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.orgs = [];
    this.busy = false;
    this.#reset('setRoles', '');
  }

  /** Opens the dialog, optionally on one kind of change about one organisation. */
  async show(preset: { kind?: ChangeKind; org?: string } = {}): Promise<void> {
    if (!this.busy) this.#reset(preset.kind ?? 'setRoles', preset.org ?? '');
    await this.updateComplete;
    await this.renderRoot.querySelector<SlDialog>('sl-dialog')?.show();
  }

  override render(): TemplateResult {
    return html`<sl-dialog label=${msg('New proposal', { id: 'proposalDialog.title' })} data-testid="proposal-dialog">
      <form class="form" @submit=${this.#submit}>
        <sl-select data-testid="proposal-kind" label=${msg('Change', { id: 'proposalDialog.kind' })} value=${this.kind} @sl-change=${(event: Event) => this.#reset((event.target as SlSelect).value as ChangeKind, this.org)}>
          ${KINDS.map((kind) => html`<sl-option value=${kind}>${proposalKindLabel(kind)}</sl-option>`)}
        </sl-select>
        ${this.#renderFields()}
        <p class="muted">${msg('The admins vote on it; it takes effect in the block where the policy is met.', { id: 'proposalDialog.hint' })}</p>
        ${this.busy ? html`<sl-progress-bar indeterminate></sl-progress-bar>` : ''}
        <ingot-problem-alert data-testid="proposal-error" .problem=${this.problem}></ingot-problem-alert>
      </form>
      <sl-button slot="footer" @click=${() => void this.renderRoot.querySelector<SlDialog>('sl-dialog')?.hide()}>${msg('Cancel', { id: 'common.cancel' })}</sl-button>
      <sl-button slot="footer" variant="primary" data-testid="proposal-submit" ?loading=${this.busy} ?disabled=${this.#params() === undefined || this.busy} @click=${this.#submit}>
        ${msg('Propose', { id: 'proposalDialog.submit' })}
      </sl-button>
    </sl-dialog>`;
  }

  #renderFields(): TemplateResult {
    switch (this.kind) {
      case 'setRoles':
        return html`${this.#orgSelect(this.orgs.filter((org) => org.status !== 'removed'))}
          <ingot-role-picker label=${msg('New roles', { id: 'proposalDialog.newRoles' })} .value=${this.roles} @roles-change=${(event: CustomEvent<RoleName[]>) => (this.roles = event.detail)}></ingot-role-picker>`;
      case 'addValidator': {
        const org = this.orgs.find((candidate) => candidate.id === this.org);
        const nodes = org?.nodes.filter((node) => node.validator === null) ?? [];
        return html`${this.#orgSelect(this.orgs.filter((candidate) => candidate.status === 'active'))}
          <div class="pair">
            <sl-select data-testid="proposal-node" label=${msg('Node', { id: 'proposalDialog.node' })} value=${this.node} @sl-change=${(event: Event) => (this.node = (event.target as SlSelect).value as string)}>
              ${nodes.map((node) => html`<sl-option value=${node.peerId}>${shortHex(node.peerId, 24)}</sl-option>`)}
            </sl-select>
            <sl-input type="number" min="1" max="1000" label=${msg('Power', { id: 'overview.power' })} .value=${String(this.power)} @sl-input=${(event: Event) => (this.power = Number((event.target as SlInput).value))}></sl-input>
          </div>
          ${org !== undefined && nodes.length === 0 ? html`<p class="muted">${msg('All of its nodes validate already.', { id: 'proposalDialog.allValidate' })}</p>` : ''}`;
      }
      case 'removeValidator':
        return html`<sl-select data-testid="proposal-validator" label=${msg('Validator', { id: 'role.validator' })} value=${this.validatorKey} @sl-change=${(event: Event) => (this.validatorKey = (event.target as SlSelect).value as string)}>
          ${this.#validators().map((validator) => html`<sl-option value=${validator.key}>${validator.org.name} — ${shortHex(validator.peerId, 20)}</sl-option>`)}
        </sl-select>`;
      case 'suspend':
        return this.#orgSelect(this.orgs.filter((org) => org.status === 'active'));
      case 'reinstate':
        return this.#orgSelect(this.orgs.filter((org) => org.status === 'suspended'));
      case 'remove':
        return this.#orgSelect(this.orgs.filter((org) => org.status !== 'removed'));
      case 'setPolicy':
        return html`<div class="pair">
            <sl-select data-testid="policy-admission" label=${msg('Who admits a new organisation', { id: 'proposalDialog.admission' })} value=${this.admission} @sl-change=${(event: Event) => (this.admission = (event.target as SlSelect).value as Rule)}>
              <sl-option value="inviter">${msg('the inviter alone', { id: 'policy.inviter' })}</sl-option>
              <sl-option value="majority">${msg('a majority of the admins', { id: 'policy.majority' })}</sl-option>
              <sl-option value="count">${msg('a number of admins', { id: 'policy.countChoice' })}</sl-option>
            </sl-select>
            ${this.#countInput(this.admission === 'count', this.admissionCount, (value) => (this.admissionCount = value))}
          </div>
          <div class="pair">
            <sl-select data-testid="policy-changes" label=${msg('Who decides other changes', { id: 'proposalDialog.changes' })} value=${this.changes} @sl-change=${(event: Event) => (this.changes = (event.target as SlSelect).value as 'majority' | 'count')}>
              <sl-option value="majority">${msg('a majority of the admins', { id: 'policy.majority' })}</sl-option>
              <sl-option value="count">${msg('a number of admins', { id: 'policy.countChoice' })}</sl-option>
            </sl-select>
            ${this.#countInput(this.changes === 'count', this.changesCount, (value) => (this.changesCount = value))}
          </div>`;
    }
  }

  #countInput(enabled: boolean, value: number, set: (value: number) => void): TemplateResult {
    return html`<sl-input type="number" min="1" max="1000" ?disabled=${!enabled} label=${msg('Yes votes', { id: 'proposalDialog.yesVotes' })} .value=${String(value)} @sl-input=${(event: Event) => set(Number((event.target as SlInput).value))}></sl-input>`;
  }

  #orgSelect(orgs: readonly MemberOrgJson[]): TemplateResult {
    return html`<sl-select data-testid="proposal-org" label=${msg('Organisation', { id: 'overview.organisation' })} value=${this.org} @sl-change=${(event: Event) => this.#chooseOrg((event.target as SlSelect).value as string)}>
      ${orgs.map((org) => html`<sl-option value=${org.id}>${org.name}</sl-option>`)}
    </sl-select>`;
  }

  #validators(): ValidatorNode[] {
    return this.orgs.flatMap((org) =>
      org.nodes.flatMap((node) => {
        const key = node.validator === null ? undefined : nodeKeyOfPeerId(node.peerId);
        return key === undefined ? [] : [{ org, peerId: node.peerId, key }];
      }),
    );
  }

  #chooseOrg(id: string): void {
    this.org = id;
    const org = this.orgs.find((candidate) => candidate.id === id);
    this.roles = org === undefined ? [] : [...org.roles];
    this.node = org?.nodes.find((node) => node.validator === null)?.peerId ?? '';
  }

  #reset(kind: ChangeKind, org: string): void {
    this.kind = kind;
    this.power = 1;
    this.validatorKey = '';
    this.admission = 'inviter';
    this.admissionCount = 2;
    this.changes = 'majority';
    this.changesCount = 2;
    this.problem = undefined;
    this.#chooseOrg(org);
  }

  /** The call's params, or undefined while something is missing. */
  #params(): Params<'proposals.create'> | undefined {
    const count = (value: number) => (Number.isInteger(value) && value >= 1 && value <= 1000 ? { yes: value } : undefined);
    switch (this.kind) {
      case 'setRoles':
        return this.org === '' || this.roles.length === 0 ? undefined : { kind: 'setRoles', org: this.org, roles: this.roles };
      case 'addValidator': {
        const key = nodeKeyOfPeerId(this.node);
        return this.org === '' || key === undefined || count(this.power) === undefined ? undefined : { kind: 'addValidator', org: this.org, key, power: this.power };
      }
      case 'removeValidator':
        return this.validatorKey === '' ? undefined : { kind: 'removeValidator', key: this.validatorKey };
      case 'suspend':
      case 'reinstate':
      case 'remove':
        return this.org === '' ? undefined : { kind: this.kind, org: this.org };
      case 'setPolicy': {
        const admission = this.admission === 'count' ? count(this.admissionCount) : this.admission;
        const changes = this.changes === 'count' ? count(this.changesCount) : this.changes;
        return admission === undefined || changes === undefined ? undefined : { kind: 'setPolicy', policy: { admission, changes } };
      }
    }
  }

  async #submit(event: Event): Promise<void> {
    event.preventDefault();
    const connection = this.#connection.value;
    const params = this.#params();
    if (connection === undefined || params === undefined || this.busy) return;
    await submitShowingProblem(this, async () => {
      await connection.call('proposals.create', params);
      toast(msg('Proposal made', { id: 'proposalDialog.made' }), 'success', proposalKindLabel(params.kind));
      this.dispatchEvent(new CustomEvent('proposal-created', { bubbles: true, composed: true }));
      await this.renderRoot.querySelector<SlDialog>('sl-dialog')?.hide();
    });
  }
}

customElements.define('ingot-proposal-dialog', ProposalDialog);
