import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { SafeStorage } from './electron-api.ts';

/**
 * The organisation's passphrase between runs, encrypted by the OS keychain (Electron's
 * safeStorage) into one file in the app's user-data directory. Where the OS offers no keychain,
 * nothing is kept: a passphrase on disk under a key stored next to it would protect nothing.
 */
export interface PassphraseStore {
  /** Asked each time: safeStorage can only answer once the app is ready. */
  readonly canRemember: boolean;
  load(): Promise<string | undefined>;
  save(passphrase: string): Promise<void>;
  forget(): Promise<void>;
}

/**
 * Linux backends that encrypt with nothing secret: `basic_text` uses a key hard-coded in Chromium
 * (yet `isEncryptionAvailable()` says true), `unknown` means none was chosen.
 */
const UNSAFE_LINUX_BACKENDS = new Set(['basic_text', 'unknown']);

export function safeStoragePassphraseStore(safeStorage: SafeStorage, file: string, platform: NodeJS.Platform = process.platform): PassphraseStore {
  const usable = () => {
    if (!safeStorage.isEncryptionAvailable()) return false;
    if (platform !== 'linux') return true;
    return !UNSAFE_LINUX_BACKENDS.has(safeStorage.getSelectedStorageBackend?.() ?? 'unknown');
  };
  return {
    get canRemember() {
      return usable();
    },
    async load() {
      if (!usable()) return undefined;
      let encrypted: Buffer;
      try {
        encrypted = await readFile(file);
      } catch {
        return undefined;
      }
      try {
        return safeStorage.decryptString(encrypted);
      } catch {
        // Encrypted under a keychain entry that is gone (another OS user, a reset keychain): the
        // user types the passphrase again, and a wrong one makes the node forget this file.
        return undefined;
      }
    },
    async save(passphrase) {
      if (!usable()) throw new Error('this system offers no keychain to keep the passphrase in');
      // Written aside and renamed, so a crash never leaves half a file to decrypt.
      const partial = `${file}.partial`;
      await writeFile(partial, safeStorage.encryptString(passphrase), { mode: 0o600 });
      await rename(partial, file);
    },
    async forget() {
      await rm(file, { force: true });
    },
  };
}
