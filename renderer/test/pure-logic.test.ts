import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AppState } from '../../node-core/src/api/methods.ts';
import { appStateChanged } from '../src/app/app-state.ts';
import { parseRoute, routeHref, type Route } from '../src/app/routes.ts';
import { blockSeries } from '../src/lib/block-series.ts';
import { fingerprint, groupHex } from '../src/lib/fingerprint.ts';
import { age } from '../src/lib/format.ts';
import { passphraseStrength } from '../src/lib/passphrase-strength.ts';
import { classifySearch } from '../src/lib/search.ts';
import { takeToken } from '../src/rpc/token.ts';

test('fingerprints hash the key bytes and group the hex by four', () => {
  // SHA-256 of the empty string is well known; of the byte 0x00 too.
  assert.equal(fingerprint('00'), '6e34 0b9c ffb3 7a98 9ca5 44e6 bb78 0a2c 7890 1d3f b337 3876 8511 a306 17af a01d');
  assert.equal(fingerprint('AB'), fingerprint('ab'));
  assert.notEqual(fingerprint('12D3KooW'), fingerprint('12d3koow'));
  assert.equal(groupHex('abcdef12ff'), 'abcd ef12 ff');
});

test('search input is a hash, a height or a subject', () => {
  assert.deepEqual(classifySearch('  '), { kind: 'empty' });
  assert.deepEqual(classifySearch('AB'.repeat(32)), { kind: 'hash', hash: 'ab'.repeat(32) });
  assert.deepEqual(classifySearch(' 42 '), { kind: 'height', height: 42 });
  assert.deepEqual(classifySearch('9'.repeat(30)), { kind: 'subject', subject: '9'.repeat(30) });
  assert.deepEqual(classifySearch('ab'.repeat(20)), { kind: 'subject', subject: 'ab'.repeat(20) });
  assert.deepEqual(classifySearch('device:7'), { kind: 'subject', subject: 'device:7' });
});

test('routes round-trip through their hrefs, unknown ones show the overview', () => {
  const routes: Route[] = [
    { name: 'overview' },
    { name: 'identity' },
    { name: 'settings' },
    { name: 'explorer' },
    { name: 'block', height: 5 },
    { name: 'tx', hash: 'cd'.repeat(32) },
    { name: 'subject', id: 'org/1 x' },
  ];
  for (const route of routes) assert.deepEqual(parseRoute(routeHref(route)), route);
  assert.deepEqual(parseRoute(''), { name: 'overview' });
  assert.deepEqual(parseRoute('#token=abc'), { name: 'overview' });
  assert.deepEqual(parseRoute('#/explorer/subject/%E0'), { name: 'overview' }, 'a broken escape does not throw');
  assert.deepEqual(parseRoute('#/explorer/subject/%'), { name: 'overview' });
  assert.deepEqual(parseRoute('#/explorer/block/x'), { name: 'explorer' });
});

test('the token is taken from the fragment, stored, and wiped from the address bar', () => {
  const stored = new Map<string, string>();
  const storage = { getItem: (key: string) => stored.get(key) ?? null, setItem: (key: string, value: string) => void stored.set(key, value) };
  const replaced: string[] = [];
  const history = { replaceState: (_data: unknown, _unused: string, url: string) => void replaced.push(url) };
  const first = takeToken({ location: { hash: '#token=beef', pathname: '/', search: '' }, history, storage });
  assert.equal(first, 'beef');
  assert.deepEqual(replaced, ['/']);
  const again = takeToken({ location: { hash: '#/explorer', pathname: '/', search: '' }, history, storage });
  assert.equal(again, 'beef');
  assert.equal(replaced.length, 1);
  const empty = new Map<string, string>();
  assert.equal(takeToken({ location: { hash: '', pathname: '/', search: '' }, history, storage: { getItem: (key) => empty.get(key) ?? null, setItem: () => undefined } }), undefined);
});

test('age picks a readable unit', () => {
  assert.deepEqual(age(0, 5_400), { value: 5, unit: 's' });
  assert.deepEqual(age(10_000, 0), { value: 0, unit: 's' });
  assert.deepEqual(age(0, 600_000), { value: 10, unit: 'min' });
  assert.deepEqual(age(0, 3 * 3_600_000), { value: 3, unit: 'h' });
  assert.deepEqual(age(0, 72 * 3_600_000), { value: 3, unit: 'd' });
});

test('passphrase strength grows with length and variety', () => {
  assert.equal(passphraseStrength('short'), 0);
  assert.equal(passphraseStrength('aaaaaaaaaaaaaaaaaaaaaaaa'), 1);
  assert.ok(passphraseStrength('correct horse battery staple') > passphraseStrength('abcdefgh'));
  assert.equal(passphraseStrength('Correct-Horse-Battery-9'), 4);
});

test('block series are oldest first with intervals between consecutive blocks', () => {
  const block = (height: number, time: number, txCount: number) => ({ header: { height, time } as never, txCount });
  const series = blockSeries([block(3, 5000, 1), block(2, 3000, 0), block(0, 0, 0)]);
  assert.deepEqual(series.heights, [0, 2, 3]);
  assert.deepEqual(series.intervals, [null, null, 2]);
  assert.deepEqual(series.txCounts, [0, 0, 1]);
});

test('a polled app state counts as a change only when something shown differs', () => {
  const running: AppState = { phase: 'running', dataDir: '/data', canRememberPassphrase: false };
  assert.equal(appStateChanged(undefined, running), true);
  assert.equal(appStateChanged(running, { ...running }), false);
  assert.equal(appStateChanged(running, { ...running, phase: 'locked' }), true, 'another tab locked or the node stopped');
  assert.equal(appStateChanged({ ...running, phase: 'locked' }, running), true, 'another tab or the CLI unlocked');
  const failed: AppState = { ...running, phase: 'failed', error: { code: 'A', message: 'a' } };
  assert.equal(appStateChanged(failed, { ...failed, error: { code: 'A', message: 'a' } }), false);
  assert.equal(appStateChanged(failed, { ...failed, error: { code: 'B', message: 'a' } }), true);
});
