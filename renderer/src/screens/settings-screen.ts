import { ContextConsumer } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, html, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import type SlSelect from '@shoelace-style/shoelace/dist/components/select/select.js';
import { connectionContext, sessionContext } from '../app/context.ts';
import { isThemeChoice } from '../app/preferences.ts';
import { screenStyles } from '../app/styles.ts';
import { toastError } from '../app/toast.ts';
import { isLocale } from '../i18n/localization.ts';

/** Choices kept on this computer, and where this window's node lives. */
export class SettingsScreen extends LitElement {
  static override styles = screenStyles;

  readonly #connection = new ContextConsumer(this, { context: connectionContext });
  readonly #session = new ContextConsumer(this, { context: sessionContext, subscribe: true });

  constructor() {
    super();
    updateWhenLocaleChanges(this);
  }

  override render(): TemplateResult {
    const session = this.#session.value;
    const connection = this.#connection.value;
    // sl-select keeps the label of its selected option as first rendered, so a new language gets a new select (keyed).
    return html`
      <h1>${msg('Settings', { id: 'nav.settings' })}</h1>
      <section class="card">
        <div class="form">
          <sl-select data-testid="settings-language" label=${msg('Language', { id: 'settings.language' })} value=${session?.locale ?? 'en'} @sl-change=${this.#changeLocale}>
            <sl-option value="en">English</sl-option>
            <sl-option value="zh-Hans">简体中文</sl-option>
          </sl-select>
          ${keyed(session?.locale, html`<sl-select data-testid="settings-theme" label=${msg('Theme', { id: 'settings.theme' })} value=${session?.theme ?? 'system'} @sl-change=${this.#changeTheme}>
            <sl-option value="light">${msg('Light', { id: 'settings.light' })}</sl-option>
            <sl-option value="dark">${msg('Dark', { id: 'settings.dark' })}</sl-option>
            <sl-option value="system">${msg('Same as the system', { id: 'settings.system' })}</sl-option>
          </sl-select>`)}
        </div>
      </section>
      <section class="card">
        <dl class="fields">
          <dt>${msg('Data directory', { id: 'settings.dataDir' })}</dt>
          <dd class="mono" data-testid="settings-data-dir">${session?.appState.dataDir ?? ''}</dd>
          <dt>${msg('API address', { id: 'settings.api' })}</dt>
          <dd class="mono" data-testid="settings-api">${connection?.kind === 'bridge' ? msg('desktop bridge', { id: 'settings.bridge' }) : (connection?.address ?? '')}</dd>
        </dl>
      </section>
    `;
  }

  async #changeLocale(event: Event): Promise<void> {
    const value = (event.target as SlSelect).value;
    if (!isLocale(value)) return;
    try {
      await this.#session.value?.setLocale(value);
    } catch (error) {
      toastError(msg('Could not change the language', { id: 'settings.languageFailed' }), error);
    }
  }

  #changeTheme(event: Event): void {
    const value = (event.target as SlSelect).value;
    if (isThemeChoice(value)) this.#session.value?.setTheme(value);
  }
}

customElements.define('ingot-settings-screen', SettingsScreen);
