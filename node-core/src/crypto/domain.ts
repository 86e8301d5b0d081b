const encoder = new TextEncoder();

/**
 * Domain tags keep a signature or hash made for one purpose from being valid for another. This file
 * imports nothing from Node, so offline verifiers in a browser use the same tags.
 */
export function domainTag(name: string): Uint8Array {
  return encoder.encode(`ingot/${name}\0`);
}
