import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type SlInput from '@shoelace-style/shoelace/dist/components/input/input.js';
import { connectionContext, sessionContext } from '../app/context.ts';
import { screenStyles } from '../app/styles.ts';
import { submitShowingProblem } from '../app/submit.ts';
import './join-form.ts';
import { newOrganisationReady, newPassphraseFields, organisationFields } from './new-organisation-fields.ts';

/**
 * A fresh data directory: create a consortium with this organisation as its first member, or join
 * one with an invite.
 */
export class FirstRunScreen extends LitElement {
  static override properties = {
    organisation: { state: true },
    registryId: { state: true },
    consortiumName: { state: true },
    passphrase: { state: true },
    confirmation: { state: true },
    remember: { state: true },
    busy: { state: true },
    problem: { state: true },
    mode: { state: true },
  };
  static override styles = [
    screenStyles,
    css`
      .card {
        max-width: 40rem;
        margin: 0 auto var(--sl-spacing-large);
      }
    `,
  ];

  declare organisation: string;
  declare registryId: string;
  declare consortiumName: string;
  declare passphrase: string;
  declare confirmation: string;
  declare remember: boolean;
  declare busy: boolean;
  declare problem: { message: string; code: string } | undefined;
  declare mode: 'create' | 'join';
  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.organisation = '';
    this.registryId = '';
    this.consortiumName = '';
    this.passphrase = '';
    this.confirmation = '';
    this.remember = false;
    this.busy = false;
    this.problem = undefined;
    this.mode = 'create';
  }

  override render(): TemplateResult {
    if (this.mode === 'join') {
      return html`<div class="card">
        <h1>${msg('Join with an invite', { id: 'firstRun.joinTitle' })}</h1>
        <p class="muted">${msg('An admin of the consortium sends you an invite code. Once you join, its admins approve the request, and this node then copies the ledger.', { id: 'join.intro' })}</p>
        <ingot-join-form></ingot-join-form>
        <sl-button variant="text" data-testid="firstrun-back-create" @click=${() => (this.mode = 'create')}>${msg('Create a new consortium instead', { id: 'join.createInstead' })}</sl-button>
      </div>`;
    }
    const canRemember = this.#session.value?.appState.canRememberPassphrase === true;
    return html`
      <div class="card">
        <h1>${msg('Create a new consortium', { id: 'firstRun.title' })}</h1>
        <p class="muted">${msg('Your organisation becomes its first member and validator. You can invite partners later.', { id: 'firstRun.intro' })}</p>
        <form class="form" @submit=${this.#create}>
          ${organisationFields('firstrun', this)}
          <sl-input
            data-testid="firstrun-consortium"
            label=${msg('Consortium name (optional)', { id: 'firstRun.consortiumName' })}
            .value=${this.consortiumName}
            @sl-input=${(event: Event) => (this.consortiumName = (event.target as SlInput).value)}
          ></sl-input>
          ${newPassphraseFields('firstrun', this, canRemember)}
          ${this.problem === undefined
            ? ''
            : html`<sl-alert variant="danger" open data-testid="firstrun-error">
                <sl-icon slot="icon" name="exclamation-octagon"></sl-icon>
                ${this.problem.message} (${this.problem.code})
              </sl-alert>`}
          ${this.busy
            ? html`<div>
                <sl-progress-bar indeterminate label=${msg('Creating', { id: 'firstRun.creating' })}></sl-progress-bar>
                <p class="muted">${msg('Making the keys and starting the node: this takes a few seconds.', { id: 'firstRun.progress' })}</p>
              </div>`
            : ''}
          <div class="row">
            <sl-button data-testid="firstrun-create" type="submit" variant="primary" ?loading=${this.busy} ?disabled=${!this.#ready()}>
              ${msg('Create consortium', { id: 'firstRun.create' })}
            </sl-button>
          </div>
        </form>
      </div>
      <div class="card">
        <h2>${msg('Join with an invite', { id: 'firstRun.joinTitle' })}</h2>
        <p class="muted">${msg('Your organisation was invited to an existing consortium: paste the invite code or read its QR code.', { id: 'firstRun.joinIntro' })}</p>
        <sl-button data-testid="firstrun-join" @click=${() => (this.mode = 'join')}>
          <sl-icon slot="prefix" name="person-plus"></sl-icon>${msg('Join with an invite', { id: 'firstRun.join' })}
        </sl-button>
      </div>
    `;
  }

  #ready(): boolean {
    return !this.busy && newOrganisationReady(this);
  }

  async #create(event: Event): Promise<void> {
    event.preventDefault();
    const connection = this.#connection.value;
    if (connection === undefined || !this.#ready()) return;
    await submitShowingProblem(this, async () => {
      const consortiumName = this.consortiumName.trim();
      const state = await connection.call('app.createConsortium', {
        organisation: this.organisation.trim(),
        registryId: this.registryId.trim(),
        ...(consortiumName === '' ? {} : { consortiumName }),
        passphrase: this.passphrase,
        remember: this.remember,
      });
      if (state.error !== undefined) this.problem = state.error;
      this.#session.value?.acceptAppState(state);
    });
  }
}

customElements.define('ingot-first-run-screen', FirstRunScreen);
