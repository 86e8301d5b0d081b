import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import type { JoinProgress } from '../../../node-core/src/api/methods.ts';
import { screenStyles } from '../app/styles.ts';
import '../components/problem-alert.ts';
import { durationText } from '../i18n/membership-labels.ts';
import { shortHex } from '../lib/format.ts';

type Stage = 'requested' | JoinProgress['state'];


/**
 * A node that has joined with an invite, until it is a member that has caught up: its request
 * sent, waiting for the admins' approval, then copying the ledger with blocks left, rate and
 * estimated time.
 */
export class JoinProgressScreen extends LitElement {
  static override properties = { progress: { attribute: false }, problem: { attribute: false } };
  static override styles = [
    screenStyles,
    css`
      .card {
        max-width: 40rem;
        margin: 5vh auto;
      }
      ol {
        display: flex;
        gap: var(--sl-spacing-large);
        list-style: none;
        padding: 0;
        margin: 0 0 var(--sl-spacing-large);
        flex-wrap: wrap;
      }
      li {
        color: var(--sl-color-neutral-500);
      }
      li[data-state='current'] {
        color: var(--sl-color-primary-600);
        font-weight: var(--sl-font-weight-semibold);
      }
      li[data-state='done'] {
        color: var(--sl-color-success-600);
      }
      .figures {
        display: grid;
        grid-template-columns: repeat(3, 1fr);
        gap: var(--sl-spacing-medium);
        margin-top: var(--sl-spacing-large);
      }
      .figure strong {
        display: block;
        font-size: var(--sl-font-size-x-large);
      }
    `,
  ];

  declare progress: JoinProgress;
  declare problem: { message: string; code: string } | undefined;

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.progress = { state: 'awaiting-admission', consortium: '', organisation: '', inviter: '', request: '', height: 0, target: 0, blocksLeft: 0, rate: null, etaSeconds: null };
    this.problem = undefined;
  }

  override render(): TemplateResult {
    const view = this.progress;
    return html`<div class="card" data-testid="join-progress" data-stage=${view.state}>
      <h1>${view.consortium === '' ? msg('Joining the consortium', { id: 'joinProgress.title' }) : msg(str`Joining ${view.consortium}`, { id: 'joinProgress.titleNamed' })}</h1>
      ${this.#renderSteps(view.state)} ${this.#renderStage(view)}
      <ingot-problem-alert .problem=${this.problem}></ingot-problem-alert>
    </div>`;
  }

  #renderSteps(stage: Stage): TemplateResult {
    const order: Stage[] = ['requested', 'awaiting-admission', 'syncing', 'member'];
    const labels: Record<Stage, string> = {
      requested: msg('Request sent', { id: 'joinProgress.stepRequest' }),
      'awaiting-admission': msg('Approval', { id: 'joinProgress.stepApproval' }),
      syncing: msg('Copy the ledger', { id: 'joinProgress.stepSync' }),
      member: msg('Member', { id: 'joinProgress.stepMember' }),
    };
    const at = order.indexOf(stage);
    return html`<ol aria-label=${msg('Steps', { id: 'joinProgress.steps' })}>
      ${order.map((step, index) => {
        const state = index < at ? 'done' : index === at ? 'current' : 'todo';
        return html`<li data-state=${state} aria-current=${state === 'current' ? 'step' : 'false'}>${index + 1}. ${labels[step]}</li>`;
      })}
    </ol>`;
  }

  #renderStage(view: JoinProgress): TemplateResult {
    switch (view.state) {
      case 'awaiting-admission':
        return html`<sl-alert variant="primary" open data-testid="join-waiting">
            <sl-icon slot="icon" name="hourglass-split"></sl-icon>
            <strong>${msg('Waiting for approval', { id: 'joinProgress.waiting' })}</strong><br />
            ${msg(str`The request of ${view.organisation} is on the ledger. The consortium\u2019s admins approve it; this page moves on by itself when they have.`, { id: 'joinProgress.waitingDetail' })}
          </sl-alert>
          <p class="muted">${msg(str`Tell your contact at the inviting organisation (${shortHex(view.inviter, 12)}) that the request is waiting.`, { id: 'joinProgress.tellInviter' })}
            <br />${msg(str`Request ${shortHex(view.request, 16)}`, { id: 'joinProgress.request' })}</p>`;
      case 'syncing': {
        const left = view.blocksLeft;
        const percent = view.target === 0 ? 100 : Math.min(100, Math.floor((view.height / view.target) * 100));
        return html`<p>${msg('Approved. The node is copying the ledger and checks every block as it goes.', { id: 'joinProgress.syncing' })}</p>
          <sl-progress-bar value=${percent} label=${msg('Ledger copied', { id: 'joinProgress.copied' })}>${percent} %</sl-progress-bar>
          <div class="figures" data-testid="join-sync">
            <div class="figure"><strong data-testid="join-blocks-left">${left}</strong>${msg('blocks left', { id: 'joinProgress.blocksLeft' })}</div>
            <div class="figure">
              <strong data-testid="join-rate">${view.rate === null ? '—' : msg(str`${view.rate.toFixed(view.rate < 10 ? 1 : 0)}/s`, { id: 'joinProgress.rateValue' })}</strong>${msg('blocks per second', { id: 'joinProgress.rate' })}
            </div>
            <div class="figure"><strong data-testid="join-eta">${view.etaSeconds === null ? '—' : durationText(view.etaSeconds)}</strong>${msg('estimated time left', { id: 'joinProgress.eta' })}</div>
          </div>
          <p class="muted">${msg(str`Block ${view.height} of ${view.target}`, { id: 'joinProgress.height' })}</p>`;
      }
      case 'member':
        return html`<sl-alert variant="success" open data-testid="join-member">
          <sl-icon slot="icon" name="check2-circle"></sl-icon>
          ${msg(str`${view.organisation} is a member and has caught up.`, { id: 'joinProgress.member' })}
        </sl-alert>`;
    }
  }
}

customElements.define('ingot-join-progress-screen', JoinProgressScreen);
