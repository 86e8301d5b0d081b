import { ClassicLevel } from 'classic-level';
import { IngotError } from '../codec/errors.ts';
import type { LedgerDatabase } from '../ledger/database.ts';

/**
 * LevelDB's write buffer: the in-memory table that is written out as a file when full. With the
 * default 4 MB, four validators at 2,100 tx/s flushed and compacted every few blocks and a block
 * now and then waited behind it (gaps of 0.6-0.9 s between blocks); with 16 MB the longest gap was
 * 0.38-0.43 s and p99 finality 0.52-0.79 s instead of 0.8-1.2 s, for 12 MB more memory.
 */
const WRITE_BUFFER_BYTES = 16 * 1024 * 1024;

/** Opens the on-disk ledger database; a second process on the same directory gets a clear error. */
export async function openLedgerDatabase(path: string): Promise<LedgerDatabase> {
  const db = new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view', writeBufferSize: WRITE_BUFFER_BYTES });
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
