import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HalvingCache } from '../src/ledger/halving-cache.ts';

test('holds at most its capacity, keeping the newer entries and dropping the older half at once', () => {
  const cache = new HalvingCache<number, string>(8);
  for (let i = 0; i < 100; i++) {
    cache.set(i, `v${i}`);
    assert.ok(cache.size <= 8, `size ${cache.size} after ${i + 1} insertions`);
    // The last half-capacity insertions are always still there.
    for (let j = Math.max(0, i - 3); j <= i; j++) assert.equal(cache.get(j), `v${j}`);
  }
  assert.equal(cache.has(0), false);
  assert.equal(cache.get(0), undefined);
});

test('a value set again shadows the one in the older half, and null is a value', () => {
  const cache = new HalvingCache<string, string | null>(4);
  cache.set('a', 'old');
  cache.set('b', 'x'); // the newer half is full: a and b move to the older half
  cache.set('a', 'new');
  assert.equal(cache.get('a'), 'new');
  cache.set('c', null);
  assert.equal(cache.get('c'), null);
  assert.equal(cache.has('c'), true);
  cache.set('d', 'y'); // a (new) and c move to the older half; the first older half, with a (old), is dropped
  assert.equal(cache.get('a'), 'new');
  assert.equal(cache.get('b'), undefined);
});
