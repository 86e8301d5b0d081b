import { ClassicLevel } from 'classic-level';
import { IngotError } from '../codec/errors.ts';
import type { LedgerDatabase } from '../ledger/database.ts';

/** Opens the on-disk ledger database; a second process on the same directory gets a clear error. */
export async function openLedgerDatabase(path: string): Promise<LedgerDatabase> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED') {
      throw new IngotError('LEDGER_LOCKED', `another Ingot process is using ${path}; stop it first`);
    }
    throw error;
  }
  return db as unknown as LedgerDatabase;
}
