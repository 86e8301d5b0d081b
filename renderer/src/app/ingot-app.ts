import { ContextProvider } from '@lit/context';
import { msg, updateWhenLocaleChanges } from '@lit/localize';
import { LitElement, css, html, type TemplateResult } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import type { NodeExited } from '../../../node-core/src/api/bridge.ts';
import type { AppState } from '../../../node-core/src/api/methods.ts';
import { startLocalization, type Locale, type Localization } from '../i18n/localization.ts';
import { describeError, type NodeConnection } from '../rpc/connection.ts';
import { openConnection } from '../rpc/open-connection.ts';
import '../components/node-exited-banner.ts';
import '../components/status-bar.ts';
import '../screens/device-detail-screen.ts';
import '../screens/devices-screen.ts';
import '../screens/explorer-screen.ts';
import '../screens/first-run-screen.ts';
import '../screens/identity-screen.ts';
import '../screens/join-progress-screen.ts';
import '../screens/members-screen.ts';
import '../screens/not-authorised-screen.ts';
import '../screens/org-detail-screen.ts';
import '../screens/overview-screen.ts';
import '../screens/phase-screen.ts';
import '../screens/settings-screen.ts';
import '../screens/unlock-screen.ts';
import { APP_STATE_POLL_MS, appStateChanged, joining } from './app-state.ts';
import { connectionContext, sessionContext, type Session } from './context.ts';
import { Preferences, applyTheme, type ThemeChoice } from './preferences.ts';
import { parseRoute, routeHref, sectionOf, type Route, type Section } from './routes.ts';

/**
 * The window's root: opens the connection, owns the session (app phase, theme, language) and the
 * route, and shows the screen the node's phase allows.
 */
export class IngotApp extends LitElement {
  static override properties = {
    appState: { state: true },
    appStateError: { state: true },
    route: { state: true },
    nodeExit: { state: true },
  };

  static override styles = css`
    :host {
      display: grid;
      grid-template-rows: auto 1fr auto;
      height: 100vh;
    }
    header {
      min-height: 3.25rem;
      display: flex;
      align-items: center;
      gap: var(--sl-spacing-large);
      padding: 0 var(--sl-spacing-large);
      border-bottom: 1px solid var(--sl-panel-border-color);
      background: var(--sl-panel-background-color);
    }
    .brand {
      font-weight: var(--sl-font-weight-bold);
      font-size: var(--sl-font-size-large);
    }
    nav ul {
      display: flex;
      gap: var(--sl-spacing-2x-small);
      list-style: none;
      margin: 0;
      padding: 0;
    }
    nav a {
      display: block;
      padding: var(--sl-spacing-medium) var(--sl-spacing-medium);
      color: var(--sl-color-neutral-700);
      text-decoration: none;
      border-bottom: 3px solid transparent;
    }
    nav a[aria-current='page'] {
      color: var(--sl-color-primary-600);
      border-bottom-color: var(--sl-color-primary-600);
    }
    nav a:focus-visible {
      outline: var(--sl-focus-ring);
      outline-offset: -3px;
    }
    main {
      overflow: auto;
      padding: var(--sl-spacing-large);
    }
    .centre {
      display: grid;
      place-items: center;
    }
  `;

  declare appState: AppState | undefined;
  declare appStateError: { message: string; code: string } | undefined;
  declare route: Route;
  declare nodeExit: NodeExited | undefined;

  readonly #connection: NodeConnection | undefined = openConnection();
  readonly #localization: Localization = startLocalization();
  readonly #preferences = new Preferences(window.localStorage);
  readonly #darkQuery = window.matchMedia('(prefers-color-scheme: dark)');
  readonly #sessionProvider: ContextProvider<typeof sessionContext, this>;
  #locale: Locale;
  #settleTimer: number | undefined;
  readonly #cleanups: (() => void)[] = [];

  constructor() {
    super();
    updateWhenLocaleChanges(this);
    this.appState = undefined;
    this.appStateError = undefined;
    this.nodeExit = undefined;
    this.route = parseRoute(window.location.hash);
    this.#locale = this.#preferences.localeOr(navigator.languages);
    if (this.#connection !== undefined) new ContextProvider(this, { context: connectionContext, initialValue: this.#connection });
    this.#sessionProvider = new ContextProvider(this, { context: sessionContext });
  }

  override connectedCallback(): void {
    super.connectedCallback();
    applyTheme(this.#preferences.theme, this.#darkQuery.matches);
    void this.#localization.setLocale(this.#locale).then(() => {
      document.documentElement.lang = this.#locale;
    });
    const onHashChange = () => {
      this.route = parseRoute(window.location.hash);
    };
    const onSchemeChange = () => applyTheme(this.#preferences.theme, this.#darkQuery.matches);
    window.addEventListener('hashchange', onHashChange);
    this.#darkQuery.addEventListener('change', onSchemeChange);
    this.#cleanups.push(
      () => window.removeEventListener('hashchange', onHashChange),
      () => this.#darkQuery.removeEventListener('change', onSchemeChange),
    );
    const connection = this.#connection;
    if (connection === undefined) return;
    this.#cleanups.push(
      connection.onStatus((status) => {
        if (status === 'open') void this.#refreshAppState();
        this.requestUpdate();
      }),
      connection.onEvent((event) => {
        if (event.method === 'shell.nodeExited') this.nodeExit = event.params;
        if (event.method === 'shell.nodeStarted') {
          this.nodeExit = undefined;
          void this.#refreshAppState();
        }
      }),
    );
    // The phase can change without this window doing anything (another tab, the CLI, the node
    // stopping): look again every few seconds while anyone can see the page, and on coming back.
    const pollIfVisible = () => {
      if (document.visibilityState === 'visible' && connection.status === 'open') void this.#refreshAppState();
    };
    const poll = window.setInterval(pollIfVisible, APP_STATE_POLL_MS);
    document.addEventListener('visibilitychange', pollIfVisible);
    this.#cleanups.push(
      () => window.clearInterval(poll),
      () => document.removeEventListener('visibilitychange', pollIfVisible),
      () => window.clearTimeout(this.#settleTimer),
    );
    if (connection.status === 'open') void this.#refreshAppState();
    this.#publishSession();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const cleanup of this.#cleanups.splice(0)) cleanup();
  }

  override willUpdate(): void {
    this.#publishSession();
  }

  override render(): TemplateResult {
    const connection = this.#connection;
    if (connection === undefined) return html`<ingot-not-authorised-screen class="centre" reason="no-token"></ingot-not-authorised-screen>`;
    if (connection.closedReason === 'unauthorised') return html`<ingot-not-authorised-screen class="centre" reason="unauthorised"></ingot-not-authorised-screen>`;
    const running = this.appState?.phase === 'running' && !joining(this.appState);
    return html`
      <header>
        <span class="brand">Ingot</span>
        ${running ? this.#renderNav(sectionOf(this.route)) : ''}
      </header>
      <main>
        ${this.nodeExit !== undefined ? html`<ingot-node-exited-banner .exit=${this.nodeExit}></ingot-node-exited-banner>` : ''}
        ${this.#renderBody()}
      </main>
      <ingot-status-bar data-testid="status-bar" role="region" aria-label=${msg('Node status', { id: 'status.label' })} .phase=${this.appState?.phase}></ingot-status-bar>
    `;
  }

  #renderNav(current: Section): TemplateResult {
    const items: [Section, string][] = [
      ['overview', msg('Overview', { id: 'nav.overview' })],
      ['members', msg('Members', { id: 'nav.members' })],
      ['devices', msg('Devices', { id: 'nav.devices' })],
      ['identity', msg('Identity', { id: 'nav.identity' })],
      ['explorer', msg('Explorer', { id: 'nav.explorer' })],
      ['settings', msg('Settings', { id: 'nav.settings' })],
    ];
    return html`
      <nav aria-label=${msg('Main', { id: 'nav.label' })}>
        <ul>
          ${items.map(
            ([section, label]) => html`<li>
              <a href=${routeHref({ name: section })} data-testid="nav-${section}" aria-current=${current === section ? 'page' : 'false'}>${label}</a>
            </li>`,
          )}
        </ul>
      </nav>
    `;
  }

  #renderBody(): TemplateResult {
    const state = this.appState;
    if (state === undefined) {
      return html`<ingot-phase-screen phase="connecting" .error=${this.appStateError}></ingot-phase-screen>`;
    }
    if (joining(state)) return html`<ingot-join-progress-screen .progress=${state.join} .problem=${state.error}></ingot-join-progress-screen>`;
    switch (state.phase) {
      case 'uninitialised':
        return html`<ingot-first-run-screen></ingot-first-run-screen>`;
      case 'locked':
        return html`<ingot-unlock-screen></ingot-unlock-screen>`;
      case 'starting':
      case 'stopping':
      case 'failed':
        return html`<ingot-phase-screen phase=${state.phase} .error=${state.error}></ingot-phase-screen>`;
      case 'running':
        return this.#renderRoute(this.route);
    }
  }

  #renderRoute(route: Route): TemplateResult {
    switch (route.name) {
      case 'overview':
        return html`<ingot-overview-screen></ingot-overview-screen>`;
      case 'members':
        return html`<ingot-members-screen></ingot-members-screen>`;
      case 'org':
        return html`<ingot-org-detail-screen .orgId=${route.id}></ingot-org-detail-screen>`;
      case 'devices':
        return html`<ingot-devices-screen></ingot-devices-screen>`;
      case 'device':
        // A fresh screen per device: nothing of the previous device's reads shows while the next loads.
        return html`${keyed(route.id, html`<ingot-device-detail-screen .deviceId=${route.id}></ingot-device-detail-screen>`)}`;
      case 'identity':
        return html`<ingot-identity-screen></ingot-identity-screen>`;
      case 'settings':
        return html`<ingot-settings-screen></ingot-settings-screen>`;
      case 'explorer':
      case 'block':
      case 'tx':
      case 'subject':
        return html`<ingot-explorer-screen .route=${route}></ingot-explorer-screen>`;
    }
  }

  async #refreshAppState(): Promise<void> {
    const connection = this.#connection;
    if (connection === undefined) return;
    try {
      this.#acceptAppState(await connection.call('app.state', {}));
      this.appStateError = undefined;
    } catch (error) {
      this.appStateError = describeError(error);
    }
  }

  #acceptAppState(state: AppState): void {
    if (appStateChanged(this.appState, state)) this.appState = state;
    // The node moves through 'starting' and 'stopping', and a joining node towards membership, by
    // itself: look again soon until it settles.
    window.clearTimeout(this.#settleTimer);
    if (state.phase === 'starting' || state.phase === 'stopping' || joining(state)) this.#settleTimer = window.setTimeout(() => void this.#refreshAppState(), 1000);
  }

  #publishSession(): void {
    if (this.appState === undefined) return;
    const session: Session = {
      appState: this.appState,
      theme: this.#preferences.theme,
      locale: this.#locale,
      refreshAppState: () => this.#refreshAppState(),
      acceptAppState: (state) => this.#acceptAppState(state),
      setTheme: (theme: ThemeChoice) => {
        this.#preferences.theme = theme;
        applyTheme(theme, this.#darkQuery.matches);
        this.requestUpdate();
      },
      setLocale: async (locale: Locale) => {
        this.#preferences.locale = locale;
        this.#locale = locale;
        await this.#localization.setLocale(locale);
        document.documentElement.lang = locale;
        this.requestUpdate();
      },
    };
    this.#sessionProvider.setValue(session);
  }
}

customElements.define('ingot-app', IngotApp);

declare global {
  interface HTMLElementTagNameMap {
    'ingot-app': IngotApp;
  }
}
