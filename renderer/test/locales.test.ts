import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

/** The sources are read as text: importing them would need a DOM. */
const SOURCE = join(import.meta.dirname, '../src');
const LOCALE_FILE = join(SOURCE, 'locales/zh-Hans.ts');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && path !== LOCALE_FILE ? [path] : [];
  });
}

/** `msg('Text', { id: 'x' })` or msg(str`…`, { id: 'x' }): the id, and the number of ${} expressions. */
const MSG_CALL = /\bmsg\(\s*(str)?(['`])((?:\\.|(?!\2)[^\\])*)\2\s*,\s*\{\s*id:\s*'([^']+)'\s*\}\s*\)/gs;

function usedMessages(): Map<string, { expressions: number; file: string }> {
  const used = new Map<string, { expressions: number; file: string }>();
  for (const file of sourceFiles(SOURCE)) {
    const text = readFileSync(file, 'utf8');
    const calls = text.match(/\bmsg\(/g)?.length ?? 0;
    const matched = [...text.matchAll(MSG_CALL)];
    assert.equal(matched.length, calls, `${file}: every msg() call needs a literal text and an explicit { id } (found ${calls} calls, ${matched.length} with ids)`);
    for (const [, , , template = '', id = ''] of matched) used.set(id, { expressions: template.match(/\$\{/g)?.length ?? 0, file });
  }
  return used;
}

function translatedMessages(): Map<string, number> {
  const text = readFileSync(LOCALE_FILE, 'utf8');
  const entries = [...text.matchAll(/^\s*'([^']+)':\s*(str`[^`]*`|'[^']*')/gm)];
  return new Map(entries.map(([, id = '', value = '']) => [id, value.match(/\$\{\d+\}/g)?.length ?? 0]));
}

test('every message id used in the renderer has a zh-Hans translation with the same expressions', () => {
  const translated = translatedMessages();
  const missing = [...usedMessages()].filter(([id]) => !translated.has(id)).map(([id, { file }]) => `${id} (${file})`);
  assert.deepEqual(missing, [], 'ids without a zh-Hans translation');
  const mismatched = [...usedMessages()].filter(([id, { expressions }]) => translated.get(id) !== expressions).map(([id]) => id);
  assert.deepEqual(mismatched, [], 'translations whose ${n} placeholders differ in number from the source');
});

test('every zh-Hans translation is used', () => {
  const used = usedMessages();
  const unused = [...translatedMessages().keys()].filter((id) => !used.has(id));
  assert.deepEqual(unused, [], 'zh-Hans ids no msg() call uses');
});
