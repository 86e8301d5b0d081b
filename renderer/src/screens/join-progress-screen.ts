import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import { screenStyles } from '../app/styles.ts';
import '../components/problem-alert.ts';
import { durationText } from '../i18n/membership-labels.ts';

/** Where a joining node is, as the screen shows it. */
export type JoinView =
  | { stage: 'connecting'; consortium: string; organisation: string }
  | { stage: 'awaiting-admission'; consortium: string; organisation: string; inviter: string }
  | {
      stage: 'syncing';
      consortium: string;
      organisation: string;
      height: number;
      target: number;
      /** Blocks per second over the last few seconds; undefined until measured. */
      rate: number | undefined;
      /** Seconds until caught up at that rate. */
      eta: number | undefined;
    }
  | { stage: 'member'; consortium: string; organisation: string };

/**
 * A node that has joined with an invite, until it is a member that has caught up: reaching the
 * consortium, waiting for the admins' approval, then copying the ledger with blocks left, rate and
 * estimated time.
 */
export class JoinProgressScreen extends LitElement {
  static override properties = { view: { attribute: false }, problem: { attribute: false } };
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

  declare view: JoinView;
  declare problem: { message: string; code: string } | undefined;

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.view = { stage: 'connecting', consortium: '', organisation: '' };
    this.problem = undefined;
  }

  override render(): TemplateResult {
    const view = this.view;
    return html`<div class="card" data-testid="join-progress" data-stage=${view.stage}>
      <h1>${view.consortium === '' ? msg('Joining the consortium', { id: 'joinProgress.title' }) : msg(str`Joining ${view.consortium}`, { id: 'joinProgress.titleNamed' })}</h1>
      ${this.#renderSteps(view.stage)} ${this.#renderStage(view)}
      <ingot-problem-alert .problem=${this.problem}></ingot-problem-alert>
    </div>`;
  }

  #renderSteps(stage: JoinView['stage']): TemplateResult {
    const order: JoinView['stage'][] = ['connecting', 'awaiting-admission', 'syncing', 'member'];
    const labels: Record<JoinView['stage'], string> = {
      connecting: msg('Reach the consortium', { id: 'joinProgress.stepConnect' }),
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

  #renderStage(view: JoinView): TemplateResult {
    switch (view.stage) {
      case 'connecting':
        return html`<sl-progress-bar indeterminate></sl-progress-bar>
          <p class="muted">${msg('Reaching the consortium\u2019s nodes named in the invite and sending the join request…', { id: 'joinProgress.connecting' })}</p>`;
      case 'awaiting-admission':
        return html`<sl-alert variant="primary" open data-testid="join-waiting">
            <sl-icon slot="icon" name="hourglass-split"></sl-icon>
            <strong>${msg('Waiting for approval', { id: 'joinProgress.waiting' })}</strong><br />
            ${msg(str`The request of ${view.organisation} is on the ledger. The consortium\u2019s admins approve it; this page moves on by itself when they have.`, { id: 'joinProgress.waitingDetail' })}
          </sl-alert>
          <p class="muted">${view.inviter === '' ? '' : msg(str`Tell your contact at ${view.inviter} that the request is waiting.`, { id: 'joinProgress.tellInviter' })}</p>`;
      case 'syncing': {
        const left = Math.max(0, view.target - view.height);
        const percent = view.target === 0 ? 100 : Math.min(100, Math.floor((view.height / view.target) * 100));
        return html`<p>${msg('Approved. The node is copying the ledger and checks every block as it goes.', { id: 'joinProgress.syncing' })}</p>
          <sl-progress-bar value=${percent} label=${msg('Ledger copied', { id: 'joinProgress.copied' })}>${percent} %</sl-progress-bar>
          <div class="figures" data-testid="join-sync">
            <div class="figure"><strong data-testid="join-blocks-left">${left}</strong>${msg('blocks left', { id: 'joinProgress.blocksLeft' })}</div>
            <div class="figure">
              <strong data-testid="join-rate">${view.rate === undefined ? '—' : msg(str`${view.rate.toFixed(view.rate < 10 ? 1 : 0)}/s`, { id: 'joinProgress.rateValue' })}</strong>${msg('blocks per second', { id: 'joinProgress.rate' })}
            </div>
            <div class="figure"><strong data-testid="join-eta">${view.eta === undefined ? '—' : durationText(view.eta)}</strong>${msg('estimated time left', { id: 'joinProgress.eta' })}</div>
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
