export type DurationUnit = 's' | 'min' | 'h' | 'd';

/** A duration in the largest unit that keeps the number at least 1 (rounded up, so "1 min" never means 0). */
export function duration(seconds: number): { value: number; unit: DurationUnit } {
  const s = Math.max(0, Math.ceil(seconds));
  if (s < 90) return { value: s, unit: 's' };
  const minutes = Math.ceil(s / 60);
  if (minutes < 90) return { value: minutes, unit: 'min' };
  const hours = Math.ceil(minutes / 60);
  if (hours < 48) return { value: hours, unit: 'h' };
  return { value: Math.ceil(hours / 24), unit: 'd' };
}
