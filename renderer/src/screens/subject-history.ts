import { ContextConsumer } from '@lit/context';
import { msg, str, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, html, type PropertyValues, type TemplateResult } from 'lit';
import type { HistoryEntryJson, HistoryPage } from '../../../node-core/src/api/methods.ts';
import { connectionContext } from '../app/context.ts';
import { routeHref } from '../app/routes.ts';
import { screenStyles } from '../app/styles.ts';
import { shortHex } from '../lib/format.ts';
import { describeError } from '../rpc/connection.ts';

const PAGE_SIZE = 50;

/** Every transaction about one subject (an organisation, later a device), oldest first, page by page. */
export class SubjectHistory extends LitElement {
  static override properties = { subject: {}, entries: { state: true }, next: { state: true }, loading: { state: true }, problem: { state: true } };
  static override styles = screenStyles;

  declare subject: string;
  declare entries: HistoryEntryJson[];
  declare next: HistoryPage['next'];
  declare loading: boolean;
  declare problem: { message: string; code: string } | undefined;
  readonly #connection = new ContextConsumer(this, { context: connectionContext });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.subject = '';
    this.entries = [];
    this.next = undefined;
    this.loading = false;
    this.problem = undefined;
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('subject')) {
      this.entries = [];
      this.next = undefined;
      void this.#loadPage(this.subject, undefined);
    }
  }

  override render(): TemplateResult {
    return html`
      <h2>${msg('History', { id: 'subject.title' })}</h2>
      <p class="mono" data-testid="subject-id">${this.subject}</p>
      ${this.problem === undefined ? '' : html`<sl-alert variant="danger" open data-testid="subject-error">${this.problem.message} (${this.problem.code})</sl-alert>`}
      <section class="card">
        ${!this.loading && this.problem === undefined && this.entries.length === 0
          ? html`<p class="muted" data-testid="subject-empty">${msg('No transactions about this subject.', { id: 'subject.empty' })}</p>`
          : html`<table data-testid="subject-history">
              <thead>
                <tr>
                  <th>${msg('Block', { id: 'tx.block' })}</th>
                  <th>${msg('Contract', { id: 'tx.contract' })}</th>
                  <th>${msg('Method', { id: 'tx.method' })}</th>
                  <th>${msg('Result', { id: 'tx.result' })}</th>
                  <th>${msg('Transaction', { id: 'tx.title' })}</th>
                </tr>
              </thead>
              <tbody>
                ${this.entries.map(
                  (entry) => html`<tr>
                    <td><a href=${routeHref({ name: 'block', height: entry.height })}>${entry.height}</a></td>
                    <td>${entry.contract}</td>
                    <td>${entry.method}</td>
                    <td><sl-badge variant=${entry.ok ? 'success' : 'danger'}>${entry.ok ? msg('accepted', { id: 'tx.ok' }) : entry.code}</sl-badge></td>
                    <td><a class="mono" data-testid="tx-link" href=${routeHref({ name: 'tx', hash: entry.hash })}>${shortHex(entry.hash, 16)}</a></td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
        ${this.loading ? html`<sl-spinner aria-label=${msg('Loading', { id: 'common.loading' })}></sl-spinner>` : ''}
        ${this.next === undefined
          ? ''
          : html`<sl-button @click=${() => void this.#loadPage(this.subject, this.next)} ?loading=${this.loading}>
              ${msg(str`Show ${PAGE_SIZE} more`, { id: 'subject.more' })}
            </sl-button>`}
      </section>
    `;
  }

  async #loadPage(subject: string, after: HistoryPage['next']): Promise<void> {
    const connection = this.#connection.value;
    if (connection === undefined) return;
    this.loading = true;
    this.problem = undefined;
    try {
      const page = await connection.call('state.history', { subject, limit: PAGE_SIZE, ...(after === undefined ? {} : { after }) });
      if (subject !== this.subject) return;
      this.entries = [...this.entries, ...page.entries];
      this.next = page.next;
    } catch (error) {
      if (subject === this.subject) this.problem = describeError(error);
    } finally {
      this.loading = false;
    }
  }
}

customElements.define('ingot-subject-history', SubjectHistory);
