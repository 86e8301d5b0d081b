import { msg, str } from '@lit/localize';
import { age } from '../lib/format.ts';

/** "12 s ago" and the like, in the current language. */
export function ageText(fromMs: number, nowMs: number): string {
  const { value, unit } = age(fromMs, nowMs);
  switch (unit) {
    case 's':
      return msg(str`${value} s ago`, { id: 'age.seconds' });
    case 'min':
      return msg(str`${value} min ago`, { id: 'age.minutes' });
    case 'h':
      return msg(str`${value} h ago`, { id: 'age.hours' });
    case 'd':
      return msg(str`${value} d ago`, { id: 'age.days' });
  }
}

export function dateTimeText(ms: number, locale: string): string {
  return new Date(ms).toLocaleString(locale);
}
