import { createContext } from '@lit/context';
import type { AppState } from '../../../node-core/src/api/methods.ts';
import type { Locale } from '../i18n/localization.ts';
import type { NodeConnection } from '../rpc/connection.ts';
import type { ThemeChoice } from './preferences.ts';

export const connectionContext = createContext<NodeConnection>(Symbol('ingot-connection'));

/**
 * What the whole window shares besides the connection. A fresh object is provided on every change,
 * so subscribed consumers re-render.
 */
export interface Session {
  readonly appState: AppState;
  readonly theme: ThemeChoice;
  readonly locale: Locale;
  /** Asks the node for its phase again, e.g. after an unlock or a restart. */
  refreshAppState(): Promise<void>;
  /** Takes a phase the node just returned, without asking again. */
  acceptAppState(state: AppState): void;
  setTheme(theme: ThemeChoice): void;
  setLocale(locale: Locale): Promise<void>;
}

export const sessionContext = createContext<Session>(Symbol('ingot-session'));
