import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type PropertyValues, type TemplateResult } from 'lit';
import { verifyTransactionProof, type CheckResult } from '../../../node-core/src/api/proof.ts';
import type { Results } from '../../../node-core/src/api/methods.ts';
import { connectionContext } from '../app/context.ts';
import { routeHref } from '../app/routes.ts';
import { screenStyles } from '../app/styles.ts';
import '../components/copyable-value.ts';
import { checkFinality, type FinalityCheck } from '../lib/finality.ts';
import { prettyJson } from '../lib/format.ts';
import { describeError } from '../rpc/connection.ts';

/**
 * One transaction, with its inclusion proof and its block's commit certificate checked here rather
 * than taken on the node's word. The receipt is the node's report: no proof covers it, and it says so.
 */
export class TxDetail extends LitElement {
  static override properties = { hash: {}, view: { state: true }, proof: { state: true }, finality: { state: true }, problem: { state: true } };
  static override styles = [
    screenStyles,
    css`
      .proof {
        display: inline-flex;
        align-items: center;
        gap: var(--sl-spacing-x-small);
        font-weight: var(--sl-font-weight-semibold);
      }
      .proof.ok {
        color: var(--sl-color-success-700);
      }
      .proof.failed {
        color: var(--sl-color-danger-700);
      }
      .checks {
        display: grid;
        gap: var(--sl-spacing-x-small);
        margin-bottom: var(--sl-spacing-medium);
      }
      .note {
        display: block;
        margin-top: var(--sl-spacing-2x-small);
        color: var(--sl-color-neutral-600);
        font-size: var(--sl-font-size-small);
      }
    `,
  ];

  declare hash: string;
  declare view: Results['tx.get'] | undefined;
  declare proof: CheckResult | undefined;
  declare finality: FinalityCheck | undefined;
  declare problem: { message: string; code: string } | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.hash = '';
    this.view = undefined;
    this.proof = undefined;
    this.finality = undefined;
    this.problem = undefined;
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('hash')) void this.#load(this.hash);
  }

  override render(): TemplateResult {
    const title = html`<h2>${msg('Transaction', { id: 'tx.title' })}</h2>`;
    if (this.problem !== undefined) return html`${title}<sl-alert variant="danger" open data-testid="tx-error">${this.problem.message} (${this.problem.code})</sl-alert>`;
    const view = this.view;
    if (view === undefined) return html`${title}<sl-spinner aria-label=${msg('Loading', { id: 'common.loading' })}></sl-spinner>`;
    const { tx, receipt } = view;
    return html`
      ${title}
      <section class="card" data-testid="tx-detail">
        <div class="checks">${this.#renderProof()} ${this.#renderFinality()}</div>
        <dl class="fields">
          <dt>${msg('Hash', { id: 'field.hash' })}</dt>
          <dd><ingot-copyable-value .value=${tx.hash} label=${msg('transaction hash', { id: 'tx.hashNoun' })}></ingot-copyable-value></dd>
          <dt>${msg('Contract', { id: 'tx.contract' })}</dt>
          <dd data-testid="tx-contract">${tx.contract}</dd>
          <dt>${msg('Method', { id: 'tx.method' })}</dt>
          <dd data-testid="tx-method">${tx.method}</dd>
          <dt>${msg('Signer', { id: 'tx.signer' })}</dt>
          <dd class="mono">${tx.signer}</dd>
          <dt>${msg('Block', { id: 'tx.block' })}</dt>
          <dd>
            <a href=${routeHref({ name: 'block', height: view.height })} data-testid="tx-block-link">${msg(str`Block ${view.height}`, { id: 'block.title' })}</a>
            ${msg(str`position ${view.index}`, { id: 'tx.position' })}
          </dd>
          <dt>${msg('Result', { id: 'tx.result' })}</dt>
          <dd data-testid="tx-receipt">
            <sl-badge variant=${receipt.ok ? 'success' : 'danger'}>${receipt.ok ? msg('accepted', { id: 'tx.ok' }) : msg('refused', { id: 'tx.refused' })}</sl-badge>
            <span class="mono">${receipt.code}</span>
            ${receipt.message}
            <span class="note" data-testid="receipt-note">${msg('The result is reported by the node; the proof does not cover it.', { id: 'tx.receiptNote' })}</span>
          </dd>
          ${receipt.subjects.length === 0
            ? ''
            : html`<dt>${msg('Subjects', { id: 'tx.subjects' })}</dt>
                <dd class="row">${receipt.subjects.map((subject) => html`<a class="mono" href=${routeHref({ name: 'subject', id: subject })}>${subject}</a>`)}</dd>`}
        </dl>
        <h2>${msg('Payload', { id: 'tx.payload' })}</h2>
        <pre data-testid="tx-payload">${prettyJson(tx.payload)}</pre>
      </section>
    `;
  }

  #renderProof(): TemplateResult {
    const proof = this.proof;
    if (proof === undefined) return html``;
    return proof.ok
      ? html`<span class="proof ok" data-testid="proof-status" data-ok="true">
          <sl-icon name="shield-check" aria-hidden="true"></sl-icon>${msg('Proof verified: this transaction is in the block, checked in this window.', { id: 'tx.proofOk' })}
        </span>`
      : html`<span class="proof failed" data-testid="proof-status" data-ok="false">
          <sl-icon name="shield-x" aria-hidden="true"></sl-icon>${msg(str`Proof failed: ${proof.reason ?? ''}`, { id: 'tx.proofFailed' })}
        </span>`;
  }

  #renderFinality(): TemplateResult {
    const finality = this.finality;
    if (finality === undefined) return html``;
    return finality.ok
      ? html`<span class="proof ok" data-testid="finality-status" data-ok="true">
          <sl-icon name="shield-check" aria-hidden="true"></sl-icon>${msg(str`Finality verified: signed by validators holding ${finality.signed} of ${finality.total} voting power.`, { id: 'tx.finalityOk' })}
        </span>`
      : html`<span class="proof failed" data-testid="finality-status" data-ok="false">
          <sl-icon name="shield-x" aria-hidden="true"></sl-icon>${msg(str`Finality not verified: ${finality.reason ?? ''}`, { id: 'tx.finalityFailed' })}
        </span>`;
  }

  async #load(hash: string): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined) return;
    this.view = undefined;
    this.proof = undefined;
    this.finality = undefined;
    this.problem = undefined;
    let view: Results['tx.get'];
    try {
      view = await connection.call('tx.get', { hash });
      if (hash !== this.hash) return;
      this.view = view;
      this.proof = verifyTransactionProof(view, hash);
    } catch (error) {
      if (hash === this.hash) this.problem = describeError(error);
      return;
    }
    // The certificate is checked against the header the proof leads to, not the one block.get shows.
    let finality: FinalityCheck;
    try {
      const [block, status] = await Promise.all([connection.call('block.get', { height: view.height }), connection.call('node.status', {})]);
      finality = checkFinality(view.header, block.commit, status.validators);
    } catch (error) {
      const { message, code } = describeError(error);
      finality = { ok: false, reason: `${message} (${code})`, signed: 0, total: 0 };
    }
    if (hash === this.hash) this.finality = finality;
  }
}

customElements.define('ingot-tx-detail', TxDetail);
