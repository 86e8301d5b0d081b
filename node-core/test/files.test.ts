import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeFileAtomic } from '../src/node/files.ts';
import { tempDir } from './support/temp-node.ts';

test('writes of one file at the same moment all succeed and leave one of them whole, and no temporary file', async (t) => {
  const { dir, remove } = await tempDir();
  t.after(remove);
  const path = join(dir, 'record.json');
  const contents = Array.from({ length: 20 }, (_, i) => JSON.stringify({ write: i, padding: 'x'.repeat(1000 * i) }));
  await Promise.all(contents.map((content) => writeFileAtomic(path, content)));
  assert.ok(contents.includes(await readFile(path, 'utf8')));
  assert.deepEqual(await readdir(dir), ['record.json']);
});
