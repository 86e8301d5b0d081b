export type Strength = 0 | 1 | 2 | 3 | 4;

/**
 * A rough hint, not a guarantee: length counts most, then the mix of character kinds. The key
 * store's scrypt slows guessing, so a long phrase of plain words scores well.
 */
export function passphraseStrength(passphrase: string): Strength {
  if (passphrase.length < 8) return 0;
  const kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((pattern) => pattern.test(passphrase)).length;
  let score = passphrase.length >= 20 ? 3 : passphrase.length >= 14 ? 2 : 1;
  if (kinds >= 3) score += 1;
  if (new Set(passphrase).size < 4) score = 1;
  return Math.min(score, 4) as Strength;
}
