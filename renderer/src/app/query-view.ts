import { msg } from '@lit/localize';
import { html, type TemplateResult } from 'lit';
import type { LedgerQueryController } from '../controllers/ledger-query-controller.ts';
import '../components/problem-alert.ts';

/**
 * The three states every list shows besides its content: loading (before the first answer), the
 * last error with its code, and empty. An error after a good answer keeps the answer on screen.
 */
export function queryView<T, I>(
  query: LedgerQueryController<T>,
  items: (value: T) => readonly I[],
  empty: string,
  render: (items: readonly I[]) => TemplateResult,
  testId: string,
): TemplateResult {
  const error = html`<ingot-problem-alert data-testid="${testId}-error" .problem=${query.error}></ingot-problem-alert>`;
  if (query.value === undefined) {
    return query.loading ? html`<sl-spinner data-testid="${testId}-loading" aria-label=${msg('Loading', { id: 'common.loading' })}></sl-spinner>` : error;
  }
  const list = items(query.value);
  return html`${error}${list.length === 0 ? html`<p class="muted" data-testid="${testId}-empty">${empty}</p>` : render(list)}`;
}
