import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MemoryLevel } from 'memory-level';
import type { LedgerDatabase } from '../src/ledger/database.ts';
import { IngotError } from '../src/codec/errors.ts';
import { CHUNK_ENTRIES, decodeChunk, encodeRecord, HistoryIndex, type HistoryEntry } from '../src/ledger/history-index.ts';

const encoder = new TextEncoder();
const newDb = () => new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) as unknown as LedgerDatabase;

function entry(height: number, index: number, ok = true): HistoryEntry {
  return { hash: new Uint8Array(32).fill((height * 31 + index) % 256), height, index, contract: 'identity', method: ok ? 'updateProfile' : 'rotateKey', ok, code: ok ? '' : 'KEY_PROOF_INVALID' };
}

/** Appends one block's entries per owner as the ledger does: prepare, write the puts in a batch, then confirm. */
async function appendBlock(index: HistoryIndex, db: LedgerDatabase, block: Map<string, HistoryEntry[]>): Promise<void> {
  const owners = new Map([...block].map(([id, records]) => [id, { owner: encoder.encode(id), records }]));
  const { puts, written } = await index.prepareAppend(owners);
  await db.batch(puts.map(({ key, value }) => ({ type: 'put' as const, key, value })));
  written();
}

test('a long history spans many chunks and reads back whole, in order, page by page', async () => {
  const db = newDb();
  const index = new HistoryIndex(db, 0x6a);
  const expected: HistoryEntry[] = [];
  for (let height = 1; height <= 20; height++) {
    const records = Array.from({ length: 7 }, (_, i) => entry(height, i * 2, i !== 3));
    expected.push(...records);
    await appendBlock(index, db, new Map([['machine-1', records], ['machine-2', [entry(height, 1)]]]));
  }
  assert.ok(expected.length > 4 * CHUNK_ENTRIES);
  assert.deepEqual(await index.read(encoder.encode('machine-1'), undefined, 1000), expected);
  for (const limit of [1, 5, CHUNK_ENTRIES - 1, CHUNK_ENTRIES, CHUNK_ENTRIES + 1, 100]) {
    const pages: HistoryEntry[] = [];
    let after: { height: number; index: number } | undefined;
    for (let i = 0; i < 200; i++) {
      const page = await index.read(encoder.encode('machine-1'), after, limit);
      pages.push(...page);
      if (page.length < limit) break;
      const last = page.at(-1) as HistoryEntry;
      after = { height: last.height, index: last.index };
    }
    assert.deepEqual(pages, expected, `pages of ${limit}`);
  }
  assert.equal((await index.read(encoder.encode('machine-2'), undefined, 1000)).length, 20);
  assert.deepEqual(await index.read(encoder.encode('machine-3'), undefined, 10), []);
  assert.deepEqual(await index.read(encoder.encode('machine-1'), { height: 0, index: 5 }, 2), expected.slice(0, 2), 'a cursor before the first entry');
  assert.deepEqual(await index.read(encoder.encode('machine-1'), { height: 99, index: 0 }, 2), [], 'a cursor after the last entry');
});

test('appending after a restart, with nothing cached, continues the last chunk', async () => {
  const db = newDb();
  const first = new HistoryIndex(db, 0x6a);
  await appendBlock(first, db, new Map([['s', [entry(1, 0), entry(1, 1)]]]));
  const restarted = new HistoryIndex(db, 0x6a);
  await appendBlock(restarted, db, new Map([['s', [entry(2, 0)]]]));
  assert.deepEqual(await restarted.read(encoder.encode('s'), undefined, 10), [entry(1, 0), entry(1, 1), entry(2, 0)]);
  assert.equal((await db.keys().all()).length, 1, 'still one chunk');
});

test('a prepared append that was never written leaves the cache as it was', async () => {
  const db = newDb();
  const index = new HistoryIndex(db, 0x6a);
  await appendBlock(index, db, new Map([['s', [entry(1, 0)]]]));
  await index.prepareAppend(new Map([['s', { owner: encoder.encode('s'), records: [entry(2, 0)] }]]));
  await appendBlock(index, db, new Map([['s', [entry(3, 0)]]]));
  assert.deepEqual(await index.read(encoder.encode('s'), undefined, 10), [entry(1, 0), entry(3, 0)]);
});

test('property: any sequence of appends reads back like a list, from any cursor, with any limit', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 40 })), { maxLength: 3 }), { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 80 }),
      fc.nat(),
      async (blocks, limit, cursorPick) => {
        const db = newDb();
        const index = new HistoryIndex(db, 0x61);
        const model = new Map<string, HistoryEntry[]>();
        for (const [b, owners] of blocks.entries()) {
          const block = new Map<string, HistoryEntry[]>();
          let position = 0;
          for (const [owner, count] of owners) {
            const records = Array.from({ length: count }, () => entry(b + 1, position++));
            block.set(owner, [...(block.get(owner) ?? []), ...records]);
          }
          for (const [owner, records] of block) model.set(owner, [...(model.get(owner) ?? []), ...records]);
          await appendBlock(index, db, block);
        }
        for (const [owner, all] of model) {
          const cut = cursorPick % (all.length + 1);
          const after = cut === 0 ? undefined : { height: (all[cut - 1] as HistoryEntry).height, index: (all[cut - 1] as HistoryEntry).index };
          assert.deepEqual(await index.read(encoder.encode(owner), after, limit), all.slice(cut, cut + limit));
        }
      },
    ),
    { numRuns: 60 },
  );
});

test('property: damaged chunk bytes give LEDGER_CORRUPT or entries, never a crash', () => {
  const valid = encodeRecord(entry(3, 4));
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.tuple(fc.nat({ max: valid.length }), fc.uint8Array({ maxLength: 8 })).map(([cut, tail]) => new Uint8Array([...valid.subarray(0, cut), ...tail]))), (bytes) => {
      try {
        decodeChunk(bytes);
      } catch (error) {
        assert.ok(error instanceof IngotError && error.code === 'LEDGER_CORRUPT', String(error));
      }
    }),
    { numRuns: 500 },
  );
  assert.deepEqual(decodeChunk(valid), [entry(3, 4)]);
});
