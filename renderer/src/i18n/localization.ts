import { configureLocalization } from '@lit/localize';

export const LOCALES = ['en', 'zh-Hans'] as const;
export type Locale = (typeof LOCALES)[number];

export function isLocale(value: unknown): value is Locale {
  return LOCALES.includes(value as Locale);
}

export interface Localization {
  getLocale(): string;
  setLocale(locale: Locale): Promise<void>;
}

/** Runtime mode: one bundle, translations swapped in without a reload. Call once, at start. */
export function startLocalization(): Localization {
  return configureLocalization({
    sourceLocale: 'en',
    targetLocales: ['zh-Hans'],
    loadLocale: () => import('../locales/zh-Hans.ts'),
  });
}
