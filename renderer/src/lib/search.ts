/** What the explorer's search box was given: a 32-byte hash, a block height, or a subject id. */
export type SearchQuery =
  | { kind: 'empty' }
  | { kind: 'hash'; hash: string }
  | { kind: 'height'; height: number }
  | { kind: 'subject'; subject: string };

export function classifySearch(input: string): SearchQuery {
  const text = input.trim();
  if (text === '') return { kind: 'empty' };
  if (/^[0-9a-fA-F]{64}$/.test(text)) return { kind: 'hash', hash: text.toLowerCase() };
  if (/^\d+$/.test(text)) {
    const height = Number(text);
    if (Number.isSafeInteger(height)) return { kind: 'height', height };
  }
  return { kind: 'subject', subject: text };
}
