import { TOKEN_FRAGMENT_KEY, TOKEN_STORAGE_KEY } from '../../../node-core/src/api/web-mode.ts';

export interface TokenSources {
  location: { hash: string; pathname: string; search: string };
  history: { replaceState(data: unknown, unused: string, url: string): void };
  storage: Pick<Storage, 'getItem' | 'setItem'>;
}

/**
 * The API token of web mode: taken from the `#token=…` fragment of the link `ingot ui` prints, kept
 * for this tab only, and wiped from the address bar so it is not bookmarked or shared by accident.
 */
export function takeToken({ location, history, storage }: TokenSources): string | undefined {
  const fragment = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromLink = fragment.get(TOKEN_FRAGMENT_KEY);
  if (fromLink !== null && fromLink !== '') {
    storage.setItem(TOKEN_STORAGE_KEY, fromLink);
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    return fromLink;
  }
  return storage.getItem(TOKEN_STORAGE_KEY) ?? undefined;
}
