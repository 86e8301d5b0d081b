import { isLocale, type Locale } from '../i18n/localization.ts';

export type ThemeChoice = 'light' | 'dark' | 'system';
const THEMES: readonly ThemeChoice[] = ['light', 'dark', 'system'];

const THEME_KEY = 'ingot.theme';
const LOCALE_KEY = 'ingot.locale';

/** Theme and language survive restarts; they are per-computer choices, so localStorage. */
export class Preferences {
  readonly #storage: Pick<Storage, 'getItem' | 'setItem'>;
  constructor(storage: Pick<Storage, 'getItem' | 'setItem'>) {
    this.#storage = storage;
  }

  get theme(): ThemeChoice {
    const stored = this.#storage.getItem(THEME_KEY);
    return THEMES.includes(stored as ThemeChoice) ? (stored as ThemeChoice) : 'system';
  }
  set theme(theme: ThemeChoice) {
    this.#storage.setItem(THEME_KEY, theme);
  }

  /** The stored choice, else the browser's language when it is one we speak. */
  localeOr(browserLanguages: readonly string[]): Locale {
    const stored = this.#storage.getItem(LOCALE_KEY);
    if (isLocale(stored)) return stored;
    return browserLanguages.some((language) => language.toLowerCase().startsWith('zh')) ? 'zh-Hans' : 'en';
  }
  set locale(locale: Locale) {
    this.#storage.setItem(LOCALE_KEY, locale);
  }
}

export function isThemeChoice(value: unknown): value is ThemeChoice {
  return THEMES.includes(value as ThemeChoice);
}

/** Shoelace's dark theme is switched by a class on <html>. */
export function applyTheme(theme: ThemeChoice, prefersDark: boolean): void {
  const dark = theme === 'dark' || (theme === 'system' && prefersDark);
  document.documentElement.classList.toggle('sl-theme-dark', dark);
  document.documentElement.classList.toggle('sl-theme-light', !dark);
}
