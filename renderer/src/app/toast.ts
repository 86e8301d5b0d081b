import { msg, str } from '@lit/localize';
import { describeError } from '../rpc/connection.ts';

type Variant = 'success' | 'danger' | 'primary';
const ICONS: Record<Variant, string> = { success: 'check2-circle', danger: 'exclamation-octagon', primary: 'info-circle' };

/** Built with text nodes, never markup: messages can carry text from the node or the user. */
export function toast(message: string, variant: Variant = 'primary', detail?: string): void {
  const alert = Object.assign(document.createElement('sl-alert'), { variant, closable: true, duration: variant === 'danger' ? 12_000 : 6_000 });
  const icon = Object.assign(document.createElement('sl-icon'), { name: ICONS[variant], slot: 'icon' });
  const title = document.createElement('strong');
  title.textContent = message;
  alert.append(icon, title);
  if (detail !== undefined) {
    const line = document.createElement('div');
    line.className = 'toast-detail';
    line.textContent = detail;
    alert.append(line);
  }
  document.body.append(alert);
  void alert.toast();
}

/** Every failure shows what went wrong and its code. */
export function toastError(action: string, error: unknown): void {
  const { message, code } = describeError(error);
  toast(action, 'danger', msg(str`${message} (code ${code})`, { id: 'error.withCode' }));
}
