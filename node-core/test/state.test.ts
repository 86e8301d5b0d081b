import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { InvariantError } from '../src/codec/errors.ts';
import { toHex } from '../src/crypto/hex.ts';
import { STATE_KEY_CHARS_MAX, StateOverlay, nextStateRoot, type StateReader, type WriteSet } from '../src/ledger/state.ts';

// ---------------------------------------------------------------------------------------------
// Helpers

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (s: string) => new TextEncoder().encode(s);
const ZERO_ROOT = new Uint8Array(32);

/** A base reader over a plain map, counting reads. */
class MapReader implements StateReader {
  readonly data: Map<string, Uint8Array>;
  reads = 0;
  constructor(entries: Iterable<[string, Uint8Array]> = []) {
    this.data = new Map(entries);
  }
  async get(key: string): Promise<Uint8Array | undefined> {
    this.reads++;
    return this.data.get(key);
  }
}

const writeSet = (entries: Iterable<readonly [string, Uint8Array | null]>): WriteSet => new Map(entries);
const rootHex = (previous: Uint8Array, entries: Iterable<readonly [string, Uint8Array | null]>) => toHex(nextStateRoot(previous, writeSet(entries)));

const keyArb = fc.oneof(
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 24 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
  fc.constantFrom('org/a', 'org/b', 'signer/00', 'validators', 'a', 'aa', 'b', 'B'),
);
const valueArb = fc.oneof({ arbitrary: fc.uint8Array({ maxLength: 24 }), weight: 3 }, { arbitrary: fc.constant(null), weight: 1 });
const entriesArb = fc.uniqueArray(fc.tuple(keyArb, valueArb), { selector: ([key]) => key, maxLength: 12 });
const rootArb = fc.uint8Array({ minLength: 32, maxLength: 32 });

// ---------------------------------------------------------------------------------------------

describe('nextStateRoot', () => {
  test('is SHA-256("ingot/state\\0" ‖ previous ‖ CBOR([[key, value | null], …])) with keys sorted', () => {
    const previous = new Uint8Array(32).fill(0xab);
    // inserted out of order; "a" is deleted, "b" holds 0x01
    const writes = writeSet([
      ['b', bytes(1)],
      ['a', null],
    ]);
    // 82 (array of 2) 82 61 61 f6 (["a", null]) 82 61 62 41 01 (["b", h'01'])
    const cbor = Buffer.from('82' + '826161f6' + '8261624101', 'hex');
    const expected = createHash('sha256').update('ingot/state\0').update(previous).update(cbor).digest('hex');
    assert.equal(toHex(nextStateRoot(previous, writes)), expected);
  });

  test('an empty write set still moves the root (CBOR empty array) and depends on the previous root', () => {
    const expected = createHash('sha256').update('ingot/state\0').update(ZERO_ROOT).update(Buffer.from('80', 'hex')).digest('hex');
    assert.equal(rootHex(ZERO_ROOT, []), expected);
    assert.notEqual(rootHex(ZERO_ROOT, []), toHex(ZERO_ROOT));
    assert.notEqual(rootHex(ZERO_ROOT, []), rootHex(new Uint8Array(32).fill(1), []));
  });

  test('is 32 bytes and deterministic', () => {
    const writes = writeSet([['k', bytes(1, 2, 3)]]);
    const a = nextStateRoot(ZERO_ROOT, writes);
    assert.equal(a.length, 32);
    assert.equal(toHex(a), toHex(nextStateRoot(ZERO_ROOT, writes)));
  });

  test('keys sort by JavaScript string order, not length-first', () => {
    // ["aa", "b"] in code unit order; a length-first order would put "b" first
    const cbor = Buffer.from('82' + '82626161f6' + '826162f6', 'hex');
    const expected = createHash('sha256').update('ingot/state\0').update(ZERO_ROOT).update(cbor).digest('hex');
    assert.equal(
      rootHex(ZERO_ROOT, [
        ['b', null],
        ['aa', null],
      ]),
      expected,
    );
  });

  test('a deletion, an empty value and an absent key are three different things', () => {
    const roots = new Set([
      rootHex(ZERO_ROOT, [['k', null]]),
      rootHex(ZERO_ROOT, [['k', new Uint8Array(0)]]),
      rootHex(ZERO_ROOT, []),
      rootHex(ZERO_ROOT, [['k', bytes(0)]]),
      rootHex(ZERO_ROOT, [['k', bytes(0xf6)]]), // the CBOR byte of null, as a value
    ]);
    assert.equal(roots.size, 5);
  });

  test('property: independent of the insertion order of the writes', () => {
    const input = entriesArb.chain((entries) =>
      fc.tuple(fc.constant(entries), fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }), rootArb),
    );
    fc.assert(
      fc.property(input, ([entries, shuffled, previous]) => {
        assert.equal(rootHex(previous, shuffled), rootHex(previous, entries));
        assert.equal(rootHex(previous, [...entries].reverse()), rootHex(previous, entries));
      }),
      { numRuns: 200 },
    );
  });

  test('property: changes when any key, value or deletion changes, or an entry is added or removed', () => {
    const input = entriesArb
      .filter((entries) => entries.length > 0)
      .chain((entries) => fc.tuple(fc.constant(entries), fc.nat(entries.length - 1), rootArb, fc.nat(7)));
    fc.assert(
      fc.property(input, ([entries, index, previous, bit]) => {
        const base = rootHex(previous, entries);
        const [key, value] = entries[index] as [string, Uint8Array | null];
        const keys = new Set(entries.map(([k]) => k));
        const replaced = (entry: [string, Uint8Array | null]) => entries.map((e, i) => (i === index ? entry : e));

        // value changes
        if (value === null) {
          assert.notEqual(rootHex(previous, replaced([key, new Uint8Array(0)])), base, 'deletion → empty value');
          assert.notEqual(rootHex(previous, replaced([key, bytes(0)])), base, 'deletion → value');
        } else {
          assert.notEqual(rootHex(previous, replaced([key, null])), base, 'value → deletion');
          assert.notEqual(rootHex(previous, replaced([key, new Uint8Array([...value, 0])])), base, 'byte appended');
          if (value.length > 0) {
            const flipped = Uint8Array.from(value);
            flipped[0] = (flipped[0] as number) ^ (1 << bit);
            assert.notEqual(rootHex(previous, replaced([key, flipped])), base, 'bit flipped');
            assert.notEqual(rootHex(previous, replaced([key, value.subarray(1)])), base, 'byte removed');
          }
        }
        // key changes
        let renamed = `${key}x`;
        while (keys.has(renamed)) renamed += 'x';
        assert.notEqual(rootHex(previous, replaced([renamed, value])), base, 'key renamed');
        // entries added or removed
        assert.notEqual(rootHex(previous, entries.filter((_, i) => i !== index)), base, 'entry removed');
        let added = 'added';
        while (keys.has(added)) added += '!';
        assert.notEqual(rootHex(previous, [...entries, [added, null]]), base, 'entry added');
        // previous root changes
        const otherPrevious = Uint8Array.from(previous);
        otherPrevious[bit] = (otherPrevious[bit] as number) ^ 1;
        assert.notEqual(rootHex(otherPrevious, entries), base, 'previous root changed');
      }),
      { numRuns: 200 },
    );
  });

  test('property: two keys swapping their values change the root', () => {
    fc.assert(
      fc.property(keyArb, keyArb, fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (k1, k2, v1, v2) => {
        fc.pre(k1 !== k2 && toHex(v1) !== toHex(v2));
        assert.notEqual(
          rootHex(ZERO_ROOT, [
            [k1, v1],
            [k2, v2],
          ]),
          rootHex(ZERO_ROOT, [
            [k1, v2],
            [k2, v1],
          ]),
        );
      }),
      { numRuns: 100 },
    );
  });

  test('chains on the previous root: the order of blocks matters, and a chain is not one merged block', () => {
    const w1 = writeSet([['k', bytes(1)]]);
    const w2 = writeSet([['k', bytes(2)]]);
    const r1 = nextStateRoot(ZERO_ROOT, w1);
    const r12 = nextStateRoot(r1, w2);
    assert.equal(toHex(r12), toHex(nextStateRoot(nextStateRoot(ZERO_ROOT, w1), w2)));
    assert.notEqual(toHex(r12), toHex(nextStateRoot(nextStateRoot(ZERO_ROOT, w2), w1)));
    assert.notEqual(toHex(r12), toHex(nextStateRoot(ZERO_ROOT, w2)));
    // the same final state reached through a different history has a different root
    const w0 = writeSet([['k', bytes(2)]]);
    assert.notEqual(toHex(r12), toHex(nextStateRoot(ZERO_ROOT, w0)));
    // an empty block still advances the chain
    assert.notEqual(toHex(nextStateRoot(r12, writeSet([]))), toHex(r12));
  });

  test('does not modify the write set or the previous root', () => {
    const previous = new Uint8Array(32).fill(9);
    const value = bytes(1, 2, 3);
    const writes = writeSet([
      ['z', value],
      ['a', null],
    ]);
    nextStateRoot(previous, writes);
    assert.deepEqual([...writes.keys()], ['z', 'a']);
    assert.deepEqual(value, bytes(1, 2, 3));
    assert.deepEqual(previous, new Uint8Array(32).fill(9));
  });
});

describe('StateOverlay', () => {
  test('reads through to the base for keys it has not written', async () => {
    const base = new MapReader([['a', bytes(1)]]);
    const overlay = new StateOverlay(base);
    assert.deepEqual(await overlay.get('a'), bytes(1));
    assert.equal(await overlay.get('missing'), undefined);
    assert.equal(base.reads, 2);
    assert.equal(overlay.writes.size, 0);
  });

  test('its own writes shadow the base without touching it', async () => {
    const base = new MapReader([['a', bytes(1)]]);
    const overlay = new StateOverlay(base);
    overlay.set('a', bytes(2));
    overlay.set('b', bytes(3));
    assert.deepEqual(await overlay.get('a'), bytes(2));
    assert.deepEqual(await overlay.get('b'), bytes(3));
    assert.equal(base.reads, 0, 'pending writes are answered without reading the base');
    assert.deepEqual(base.data.get('a'), bytes(1));
    assert.equal(base.data.has('b'), false);
  });

  test('a deletion reads as undefined even though the base has the key, and is recorded as null', async () => {
    const base = new MapReader([['a', bytes(1)]]);
    const overlay = new StateOverlay(base);
    overlay.delete('a');
    assert.equal(await overlay.get('a'), undefined);
    assert.equal(base.reads, 0);
    assert.equal(overlay.writes.get('a'), null);
    assert.equal(overlay.writes.has('a'), true);
    // deleting a key the base does not have is still a recorded deletion
    overlay.delete('nothing');
    assert.equal(overlay.writes.get('nothing'), null);
    assert.equal(await overlay.get('nothing'), undefined);
  });

  test('the last write to a key wins: set after delete, delete after set', async () => {
    const overlay = new StateOverlay(new MapReader([['a', bytes(1)]]));
    overlay.delete('a');
    overlay.set('a', bytes(5));
    assert.deepEqual(await overlay.get('a'), bytes(5));
    overlay.delete('a');
    assert.equal(await overlay.get('a'), undefined);
    overlay.set('a', new Uint8Array(0));
    assert.deepEqual(await overlay.get('a'), new Uint8Array(0), 'an empty value is a value, not a deletion');
    assert.deepEqual([...overlay.writes], [['a', new Uint8Array(0)]]);
  });

  test('writes lists exactly the pending puts and deletions', () => {
    const overlay = new StateOverlay(new MapReader());
    overlay.set('x', bytes(1));
    overlay.delete('y');
    overlay.set('z', bytes(2));
    overlay.set('x', bytes(3));
    assert.deepEqual(
      new Map(overlay.writes),
      new Map<string, Uint8Array | null>([
        ['x', bytes(3)],
        ['y', null],
        ['z', bytes(2)],
      ]),
    );
  });

  test('mergeInto copies puts and deletions into the parent, overriding the parent per key', async () => {
    const base = new MapReader([
      ['keep', bytes(0)],
      ['gone', bytes(0)],
    ]);
    const parent = new StateOverlay(base);
    parent.set('p', bytes(1));
    parent.set('both', bytes(1));
    parent.set('revived', bytes(1));
    parent.delete('revived');
    const child = new StateOverlay(parent);
    child.set('both', bytes(2));
    child.set('c', bytes(2));
    child.delete('gone');
    child.delete('p');
    child.set('revived', bytes(2));

    child.mergeInto(parent);
    assert.deepEqual(
      new Map(parent.writes),
      new Map<string, Uint8Array | null>([
        ['p', null],
        ['both', bytes(2)],
        ['revived', bytes(2)],
        ['c', bytes(2)],
        ['gone', null],
      ]),
    );
    assert.equal(await parent.get('p'), undefined);
    assert.equal(await parent.get('gone'), undefined);
    assert.deepEqual(await parent.get('both'), bytes(2));
    assert.deepEqual(await parent.get('keep'), bytes(0));
    // the child keeps its own writes; the base is untouched
    assert.equal(child.writes.size, 5);
    assert.deepEqual([...base.data.keys()].sort(), ['gone', 'keep']);
  });

  test('a discarded child leaves the parent as it was', async () => {
    const parent = new StateOverlay(new MapReader([['a', bytes(1)]]));
    parent.set('b', bytes(2));
    const child = new StateOverlay(parent);
    child.set('a', bytes(9));
    child.delete('b');
    assert.equal(await child.get('b'), undefined);
    assert.deepEqual(await parent.get('a'), bytes(1));
    assert.deepEqual(await parent.get('b'), bytes(2));
    assert.deepEqual([...parent.writes.keys()], ['b']);
  });

  test('merging an empty child changes nothing; merging twice is the same as once', () => {
    const parent = new StateOverlay(new MapReader());
    parent.set('a', bytes(1));
    new StateOverlay(parent).mergeInto(parent);
    assert.deepEqual([...parent.writes], [['a', bytes(1)]]);
    const child = new StateOverlay(parent);
    child.delete('a');
    child.mergeInto(parent);
    child.mergeInto(parent);
    assert.deepEqual([...parent.writes], [['a', null]]);
  });

  test('nested overlays: a transaction overlay on a block overlay on the base', async () => {
    const base = new MapReader([
      ['org/a', text('A0')],
      ['org/b', text('B0')],
    ]);
    const block = new StateOverlay(base);
    block.set('org/a', text('A1'));
    const tx1 = new StateOverlay(block);
    assert.deepEqual(await tx1.get('org/a'), text('A1'), "sees the block's pending write");
    assert.deepEqual(await tx1.get('org/b'), text('B0'), 'sees the base');
    tx1.delete('org/a');
    tx1.set('org/c', text('C1'));
    assert.equal(await tx1.get('org/a'), undefined);
    assert.deepEqual(await block.get('org/a'), text('A1'), 'not visible in the block before merging');
    tx1.mergeInto(block);
    assert.equal(await block.get('org/a'), undefined);
    assert.deepEqual(await block.get('org/c'), text('C1'));

    // a failing transaction: its overlay is dropped
    const tx2 = new StateOverlay(block);
    tx2.set('org/b', text('B2'));
    assert.deepEqual(await tx2.get('org/b'), text('B2'));
    assert.deepEqual(await block.get('org/b'), text('B0'));

    // three levels deep
    const tx3 = new StateOverlay(block);
    const call = new StateOverlay(tx3);
    call.set('org/d', text('D'));
    assert.equal(await tx3.get('org/d'), undefined);
    call.mergeInto(tx3);
    assert.deepEqual(await tx3.get('org/d'), text('D'));
    tx3.mergeInto(block);
    assert.deepEqual(
      new Map(block.writes),
      new Map<string, Uint8Array | null>([
        ['org/a', null],
        ['org/c', text('C1')],
        ['org/d', text('D')],
      ]),
    );
    assert.deepEqual([...base.data.keys()], ['org/a', 'org/b'], 'the base is never written');
  });

  test('the block root over merged overlays does not depend on the order transactions touched keys', () => {
    const block1 = new StateOverlay(new MapReader());
    block1.set('b', bytes(2));
    block1.set('a', bytes(1));
    block1.delete('c');
    const block2 = new StateOverlay(new MapReader());
    block2.delete('c');
    block2.set('a', bytes(1));
    block2.set('b', bytes(2));
    assert.equal(toHex(nextStateRoot(ZERO_ROOT, block1.writes)), toHex(nextStateRoot(ZERO_ROOT, block2.writes)));
  });

  test('keys must be 1..STATE_KEY_CHARS_MAX characters (an invariant, not user input)', () => {
    const overlay = new StateOverlay(new MapReader());
    assert.throws(() => overlay.set('', bytes(1)), InvariantError);
    assert.throws(() => overlay.delete(''), InvariantError);
    assert.throws(() => overlay.set('k'.repeat(STATE_KEY_CHARS_MAX + 1), bytes(1)), InvariantError);
    assert.throws(() => overlay.delete('k'.repeat(STATE_KEY_CHARS_MAX + 1)), InvariantError);
    overlay.set('k'.repeat(STATE_KEY_CHARS_MAX), bytes(1));
    overlay.delete('k');
    assert.equal(overlay.writes.size, 2);
  });

  test('property: a stack of overlays behaves like a model of stacked maps', async () => {
    type Op =
      | { kind: 'set'; key: string; value: number }
      | { kind: 'delete'; key: string }
      | { kind: 'get'; key: string }
      | { kind: 'push' }
      | { kind: 'merge' }
      | { kind: 'discard' };
    const key = fc.constantFrom('a', 'b', 'c', 'd');
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key, value: fc.nat(255) }, { noNullPrototype: true }),
      fc.record({ kind: fc.constant('delete' as const), key }, { noNullPrototype: true }),
      fc.record({ kind: fc.constant('get' as const), key }, { noNullPrototype: true }),
      fc.constant({ kind: 'push' as const }),
      fc.constant({ kind: 'merge' as const }),
      fc.constant({ kind: 'discard' as const }),
    );
    const baseArb = fc.dictionary(key, fc.nat(255), { noNullPrototype: true });
    await fc.assert(
      fc.asyncProperty(baseArb, fc.array(op, { maxLength: 40 }), async (baseValues, ops) => {
        const base = new MapReader(Object.entries(baseValues).map(([k, v]) => [k, bytes(v)]));
        const baseModel = new Map<string, number | null>(Object.entries(baseValues));
        const overlays: StateOverlay[] = [new StateOverlay(base)];
        const models: Map<string, number | null>[] = [new Map()];
        const modelGet = (k: string): number | undefined => {
          for (let level = models.length - 1; level >= 0; level--) {
            const layer = models[level] as Map<string, number | null>;
            if (layer.has(k)) return layer.get(k) ?? undefined;
          }
          return baseModel.get(k) ?? undefined;
        };
        const check = async (k: string) => {
          const expected = modelGet(k);
          const actual = await (overlays.at(-1) as StateOverlay).get(k);
          assert.deepEqual(actual, expected === undefined ? undefined : bytes(expected), `get(${k})`);
        };
        for (const o of ops) {
          const top = overlays.at(-1) as StateOverlay;
          const topModel = models.at(-1) as Map<string, number | null>;
          if (o.kind === 'set') {
            top.set(o.key, bytes(o.value));
            topModel.set(o.key, o.value);
          } else if (o.kind === 'delete') {
            top.delete(o.key);
            topModel.set(o.key, null);
          } else if (o.kind === 'get') {
            await check(o.key);
          } else if (o.kind === 'push') {
            overlays.push(new StateOverlay(top));
            models.push(new Map());
          } else if (overlays.length > 1) {
            overlays.pop();
            models.pop();
            if (o.kind === 'merge') {
              top.mergeInto(overlays.at(-1) as StateOverlay);
              for (const [k, v] of topModel) (models.at(-1) as Map<string, number | null>).set(k, v);
            }
          }
        }
        for (const k of ['a', 'b', 'c', 'd']) await check(k);
        // the bottom overlay's write set is exactly the bottom model
        const bottom = overlays[0] as StateOverlay;
        assert.deepEqual(
          new Map([...bottom.writes].map(([k, v]) => [k, v === null ? null : (v[0] as number)])),
          models[0],
        );
        // the base is never written
        assert.deepEqual(new Map([...base.data].map(([k, v]) => [k, v[0] as number])), new Map(Object.entries(baseValues)));
      }),
      { numRuns: 200 },
    );
  });
});
