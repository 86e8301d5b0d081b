/** The start of a long hex value: enough to tell values apart on one screen. */
export function shortHex(hex: string, chars = 10): string {
  return hex.length <= chars ? hex : `${hex.slice(0, chars)}…`;
}

export type AgeUnit = 's' | 'min' | 'h' | 'd';

/** Elapsed time in the largest unit that keeps the number at least 1; never negative. */
export function age(fromMs: number, nowMs: number): { value: number; unit: AgeUnit } {
  const seconds = Math.max(0, Math.floor((nowMs - fromMs) / 1000));
  if (seconds < 120) return { value: seconds, unit: 's' };
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return { value: minutes, unit: 'min' };
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return { value: hours, unit: 'h' };
  return { value: Math.floor(hours / 24), unit: 'd' };
}

export function prettyJson(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
