import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { IngotError } from '../src/codec/errors.ts';
import { toHex } from '../src/crypto/hex.ts';
import { leafHash, merkleProof, merkleRoot, merkleRootOfLeafHashes, verifyMerkleProof, type MerkleProof } from '../src/crypto/merkle.ts';

// ---------------------------------------------------------------------------------------------
// An independent reference: RFC 6962 §2.1 MTH and PATH, written straight from the RFC.

function sha(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** The largest power of two smaller than n (n > 1). */
function largestPowerOfTwoBelow(n: number): number {
  let k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

function referenceRoot(items: readonly Uint8Array[]): Uint8Array {
  if (items.length === 0) return sha(new Uint8Array(0));
  if (items.length === 1) return sha(Uint8Array.of(0), items[0] as Uint8Array);
  const k = largestPowerOfTwoBelow(items.length);
  return sha(Uint8Array.of(1), referenceRoot(items.slice(0, k)), referenceRoot(items.slice(k)));
}

/** PATH(m, D[n]): sibling hashes from the leaf up. */
function referencePath(m: number, items: readonly Uint8Array[]): Uint8Array[] {
  if (items.length <= 1) return [];
  const k = largestPowerOfTwoBelow(items.length);
  if (m < k) return [...referencePath(m, items.slice(0, k)), referenceRoot(items.slice(k))];
  return [...referencePath(m - k, items.slice(k)), referenceRoot(items.slice(0, k))];
}

/** The turns from the root down to leaf m of a tree of n leaves: L or R per level. */
function shape(m: number, n: number): string {
  if (n <= 1) return '';
  const k = largestPowerOfTwoBelow(n);
  return m < k ? `L${shape(m, k)}` : `R${shape(m - k, n - k)}`;
}

/** Distinct items: "item-<i>" with some varying length so that no two are equal. */
const itemsOf = (n: number): Uint8Array[] => Array.from({ length: n }, (_, i) => new TextEncoder().encode(`item-${i}${'.'.repeat(i % 3)}`));

const flipBit = (bytes: Uint8Array, at = 0, bit = 0): Uint8Array => {
  const copy = Uint8Array.from(bytes);
  copy[at % copy.length] = (copy[at % copy.length] as number) ^ (1 << bit);
  return copy;
};

const hexes = (list: readonly Uint8Array[]) => list.map(toHex);

// ---------------------------------------------------------------------------------------------

describe('merkle roots', () => {
  test('the empty tree has the root SHA-256("")', () => {
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    assert.equal(toHex(merkleRoot([])), empty);
    assert.equal(toHex(merkleRootOfLeafHashes([])), empty);
  });

  test('a one-leaf tree has the leaf hash SHA-256(0x00 ‖ item) as its root', () => {
    const item = new TextEncoder().encode('hello');
    const expected = sha(Uint8Array.of(0), item);
    assert.equal(toHex(leafHash(item)), toHex(expected));
    assert.equal(toHex(merkleRoot([item])), toHex(expected));
    assert.equal(toHex(merkleRoot([new Uint8Array(0)])), '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
  });

  test('a two-leaf tree hashes SHA-256(0x01 ‖ left ‖ right)', () => {
    const [a, b] = itemsOf(2) as [Uint8Array, Uint8Array];
    assert.equal(toHex(merkleRoot([a, b])), toHex(sha(Uint8Array.of(1), leafHash(a), leafHash(b))));
    assert.notEqual(toHex(merkleRoot([a, b])), toHex(merkleRoot([b, a])));
  });

  test('roots equal the RFC 6962 reference for sizes 0..70', () => {
    for (let n = 0; n <= 70; n++) {
      const items = itemsOf(n);
      assert.equal(toHex(merkleRoot(items)), toHex(referenceRoot(items)), `size ${n}`);
      assert.equal(toHex(merkleRootOfLeafHashes(items.map(leafHash))), toHex(referenceRoot(items)), `size ${n}`);
    }
  });

  test('roots are 32 bytes and differ between sizes and orders', () => {
    const seen = new Set<string>();
    for (let n = 0; n <= 20; n++) {
      const root = merkleRoot(itemsOf(n));
      assert.equal(root.length, 32);
      seen.add(toHex(root));
    }
    assert.equal(seen.size, 21);
  });

  test('a leaf cannot pass for an inner node (domain separation)', () => {
    const items = itemsOf(4);
    const [l0, l1, l2, l3] = items.map(leafHash) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const root = merkleRoot(items);
    // the left child of the root is H(0x01 ‖ l0 ‖ l1); offering l0 ‖ l1 as a leaf must not work
    const right = sha(Uint8Array.of(1), l2, l3);
    const forged = new Uint8Array([...l0, ...l1]);
    assert.equal(verifyMerkleProof(forged, { index: 0, count: 2, path: [right] }, root), false);
    // and a two-leaf tree of the children's hashes is not the same tree
    assert.notEqual(toHex(merkleRoot([new Uint8Array([...l0, ...l1]), new Uint8Array([...l2, ...l3])])), toHex(root));
  });

  test('property: merkleRoot equals the reference for random leaf lists', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 48 }), { maxLength: 80 }), (items) => {
        assert.equal(toHex(merkleRoot(items)), toHex(referenceRoot(items)));
      }),
      { numRuns: 150 },
    );
  });
});

describe('merkle proofs', () => {
  test('every index of trees of 1..40 leaves has a proof that verifies and matches RFC 6962 PATH', () => {
    for (let n = 1; n <= 40; n++) {
      const items = itemsOf(n);
      const root = merkleRoot(items);
      for (let i = 0; i < n; i++) {
        const proof = merkleProof(items, i);
        assert.equal(proof.index, i);
        assert.equal(proof.count, n);
        assert.deepEqual(hexes(proof.path), hexes(referencePath(i, items)), `size ${n} index ${i}`);
        assert.equal(verifyMerkleProof(items[i] as Uint8Array, proof, root), true, `size ${n} index ${i}`);
      }
    }
  });

  test('a one-leaf tree has an empty path', () => {
    const [item] = itemsOf(1) as [Uint8Array];
    const proof = merkleProof([item], 0);
    assert.deepEqual(proof.path, []);
    assert.equal(verifyMerkleProof(item, proof, merkleRoot([item])), true);
    assert.equal(verifyMerkleProof(item, proof, leafHash(item)), true);
    assert.equal(verifyMerkleProof(flipBit(item), proof, merkleRoot([item])), false);
  });

  test('path lengths follow the tree shape', () => {
    assert.equal(merkleProof(itemsOf(2), 0).path.length, 1);
    assert.equal(merkleProof(itemsOf(8), 5).path.length, 3);
    assert.equal(merkleProof(itemsOf(9), 8).path.length, 1); // the lone right subtree of size 1
    assert.equal(merkleProof(itemsOf(9), 0).path.length, 4);
    assert.equal(merkleProof(itemsOf(40), 39).path.length, 4); // 40 = 32 + 8: right subtree of 8
  });

  for (const n of [1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 17, 31, 40]) {
    test(`tampering with a proof for a tree of ${n} leaves makes it fail`, () => {
      const items = itemsOf(n);
      const root = merkleRoot(items);
      for (let i = 0; i < n; i++) {
        const item = items[i] as Uint8Array;
        const proof = merkleProof(items, i);
        const check = (what: string, it: Uint8Array, p: MerkleProof, r: Uint8Array = root) =>
          assert.equal(verifyMerkleProof(it, p, r), false, `size ${n} index ${i}: ${what}`);

        // the item
        check('flipped bit in the item', flipBit(item, i, i % 8), proof);
        check('another item', n === 1 ? new Uint8Array(1) : (items[(i + 1) % n] as Uint8Array), proof);
        check('item with a byte appended', new Uint8Array([...item, 0]), proof);
        check('the leaf hash instead of the item', leafHash(item), proof);

        // each path element
        for (let level = 0; level < proof.path.length; level++) {
          for (const bit of [0, 7]) {
            const path = proof.path.map((hash, j) => (j === level ? flipBit(hash, level * 5 + bit, bit) : hash));
            check(`flipped bit in path[${level}]`, item, { ...proof, path });
          }
          const zeroed = proof.path.map((hash, j) => (j === level ? new Uint8Array(32) : hash));
          check(`zeroed path[${level}]`, item, { ...proof, path: zeroed });
        }
        if (proof.path.length >= 2) check('path reversed', item, { ...proof, path: [...proof.path].reverse() });

        // the path's length
        if (proof.path.length > 0) {
          check('path truncated at the top', item, { ...proof, path: proof.path.slice(0, -1) });
          check('path truncated at the bottom', item, { ...proof, path: proof.path.slice(1) });
        }
        check('path extended at the top', item, { ...proof, path: [...proof.path, root] });
        check('path extended at the bottom', item, { ...proof, path: [leafHash(item), ...proof.path] });
        check('path extended with zeros', item, { ...proof, path: [...proof.path, new Uint8Array(32)] });

        // the index: every other leaf position of this tree
        for (let j = 0; j < n; j++) if (j !== i) check(`index ${j} instead of ${i}`, item, { ...proof, index: j });
        check('index = count', item, { ...proof, index: n });
        check('negative index', item, { ...proof, index: -1 });
        check('fractional index', item, { ...proof, index: i + 0.5 });
        check('NaN index', item, { ...proof, index: Number.NaN });

        // the count: it matters through the shape of the leaf's position only (see the test below)
        for (let count = i + 1; count <= 2 * n + 2; count++) {
          if (count === n) continue;
          if (shape(i, count) !== shape(i, n)) check(`count ${count} instead of ${n}`, item, { ...proof, count });
          else assert.equal(verifyMerkleProof(item, { ...proof, count }, root), true, `count ${count} has the same shape as ${n}`);
        }
        check('count 0', item, { ...proof, count: 0 });
        check('count infinite', item, { ...proof, count: Number.POSITIVE_INFINITY });

        // the root
        check('flipped bit in the root', item, proof, flipBit(root, i, 3));
        check('root of another tree', item, proof, merkleRoot(itemsOf(n + 1)));
        check('root of 31 bytes', item, proof, root.subarray(0, 31));
        check('root of 33 bytes', item, proof, new Uint8Array([...root, 0]));
        check('empty root', item, proof, new Uint8Array(0));
      }
    });
  }

  test('path elements of the wrong length are refused', () => {
    const items = itemsOf(6);
    const root = merkleRoot(items);
    const proof = merkleProof(items, 2);
    for (const length of [0, 31, 33, 64]) {
      const path = proof.path.map((hash, j) => (j === 0 ? new Uint8Array(length) : hash));
      assert.equal(verifyMerkleProof(items[2] as Uint8Array, { ...proof, path }, root), false);
    }
    // a right element padded to 33 bytes must not be accepted either
    const padded = proof.path.map((hash) => new Uint8Array([...hash, 0]));
    assert.equal(verifyMerkleProof(items[2] as Uint8Array, { ...proof, path: padded }, root), false);
  });

  test('the proof count is not fixed by the root: it must come from a trusted source', () => {
    // Documented behaviour, as in RFC 6962/9162: for index 0 the shapes of 5 and 6 leaves agree, so a
    // proof made for 5 leaves also checks with count 6. Callers must take the count from the block.
    const items = itemsOf(5);
    const proof = merkleProof(items, 0);
    assert.equal(verifyMerkleProof(items[0] as Uint8Array, { ...proof, count: 6 }, merkleRoot(items)), true);
  });

  test('merkleProof refuses an index outside the tree with PROOF_INDEX_OUT_OF_RANGE', () => {
    const isOutOfRange = (error: unknown) => error instanceof IngotError && error.code === 'PROOF_INDEX_OUT_OF_RANGE';
    assert.throws(() => merkleProof([], 0), isOutOfRange);
    assert.throws(() => merkleProof(itemsOf(3), 3), isOutOfRange);
    assert.throws(() => merkleProof(itemsOf(3), -1), isOutOfRange);
    assert.throws(() => merkleProof(itemsOf(3), 1.5), isOutOfRange);
    assert.throws(() => merkleProof(itemsOf(3), Number.NaN), isOutOfRange);
  });

  test('verifyMerkleProof does not change its inputs', () => {
    const items = itemsOf(7);
    const root = merkleRoot(items);
    const proof = merkleProof(items, 4);
    const before = { item: toHex(items[4] as Uint8Array), path: hexes(proof.path), root: toHex(root) };
    assert.equal(verifyMerkleProof(items[4] as Uint8Array, proof, root), true);
    assert.deepEqual({ item: toHex(items[4] as Uint8Array), path: hexes(proof.path), root: toHex(root) }, before);
  });

  test('property: proofs over random leaf lists verify, match the reference and fail when tampered', () => {
    const input = fc
      .uniqueArray(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 70, selector: (item) => toHex(item) })
      .chain((items) => fc.tuple(fc.constant(items), fc.nat(items.length - 1), fc.nat(), fc.nat(255), fc.nat(7)));
    fc.assert(
      fc.property(input, ([items, index, pick, at, bit]) => {
        const root = merkleRoot(items);
        assert.equal(toHex(root), toHex(referenceRoot(items)));
        const proof = merkleProof(items, index);
        const item = items[index] as Uint8Array;
        assert.deepEqual(hexes(proof.path), hexes(referencePath(index, items)));
        assert.equal(verifyMerkleProof(item, proof, root), true);

        const other = items[pick % items.length] as Uint8Array;
        if (pick % items.length !== index) assert.equal(verifyMerkleProof(other, proof, root), false);
        if (proof.path.length > 0) {
          const level = pick % proof.path.length;
          const path = proof.path.map((hash, j) => (j === level ? flipBit(hash, at, bit) : hash));
          assert.equal(verifyMerkleProof(item, { ...proof, path }, root), false);
          assert.equal(verifyMerkleProof(item, { ...proof, path: proof.path.slice(1) }, root), false);
        }
        if (item.length > 0) assert.equal(verifyMerkleProof(flipBit(item, at, bit), proof, root), false);
        assert.equal(verifyMerkleProof(item, proof, flipBit(root, at, bit)), false);
        if (items.length > 1) assert.equal(verifyMerkleProof(item, { ...proof, index: (index + 1 + (pick % (items.length - 1))) % items.length }, root), false);
      }),
      { numRuns: 200 },
    );
  });
});
