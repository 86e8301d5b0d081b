import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ClassicLevel } from 'classic-level';
import { MemoryLevel } from 'memory-level';
import type { Results } from '../src/api/methods.ts';
import { InvariantError } from '../src/codec/errors.ts';
import { encodeReceipt, type BlockHeader, type Commit, type Genesis } from '../src/codec/messages.ts';
import { signingKeyFromSeed, type SigningKey } from '../src/crypto/ed25519.ts';
import { merkleRoot, verifyMerkleProof } from '../src/crypto/merkle.ts';
import { executeBlock } from '../src/contracts/execute.ts';
import { genesisBlock } from '../src/contracts/genesis.ts';
import { orgIdOf, orgIdOfSigner, readOrg, readValidators } from '../src/contracts/membership-state.ts';
import { blockHash, commitProblem, signPrecommit, type Validator } from '../src/ledger/block.ts';
import type { LedgerDatabase } from '../src/ledger/database.ts';
import * as keys from '../src/ledger/keys.ts';
import { chainIdOf, Ledger, type BlockToCommit, type HistoryEntry } from '../src/ledger/ledger.ts';
import { nextStateRoot } from '../src/ledger/state.ts';
import { parseTransaction, signTransaction, type Transaction } from '../src/ledger/transaction.ts';
import { startTempNode, tempDir } from './support/temp-node.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const hexToBytes = (text: string) => new Uint8Array(Buffer.from(text, 'hex'));
const seed = (n: number) => new Uint8Array(32).fill(n);

/** A storage backend for the shared suite: `database()` opens the same stored data again each time. */
interface Store {
  database(): LedgerDatabase;
  cleanup(): Promise<void>;
}
interface Backend {
  readonly name: string;
  create(): Promise<Store>;
}

const backends: Backend[] = [
  {
    name: 'memory-level',
    async create() {
      // memory-level keeps its data across close() and open() of the same instance.
      const db = new MemoryLevel<Uint8Array, Uint8Array>({ keyEncoding: 'view', valueEncoding: 'view' }) as unknown as LedgerDatabase;
      return { database: () => db, cleanup: async () => {} };
    },
  },
  {
    name: 'classic-level',
    async create() {
      const { dir, remove } = await tempDir('ingot-ledger-');
      const path = join(dir, 'ledger');
      return {
        database: () => new ClassicLevel<Uint8Array, Uint8Array>(path, { keyEncoding: 'view', valueEncoding: 'view' }) as unknown as LedgerDatabase,
        cleanup: remove,
      };
    },
  },
];

/** A consortium of two organisations, A (also the validator's) and B, and one validator. */
const orgA = signingKeyFromSeed(seed(1));
const orgB = signingKeyFromSeed(seed(2));
const validator = signingKeyFromSeed(seed(3));
const idA = orgIdOf(orgA.publicKey);
const idB = orgIdOf(orgB.publicKey);
const genesis: Genesis = {
  v: 1,
  name: 'Ledger suite',
  time: 1_700_000_000_000,
  orgs: [
    { name: 'A', registryId: 'REG-A', roles: ['admin', 'validator', 'member'], signingKey: orgA.publicKey, encryptionKey: seed(4), nodes: [] },
    { name: 'B', registryId: 'REG-B', roles: ['member'], signingKey: orgB.publicKey, encryptionKey: seed(5), nodes: [] },
  ],
  validators: [{ key: validator.publicKey, org: 0, power: 1 }],
};

function tx(ledger: Ledger, key: SigningKey, payload: Record<string, string>): Transaction {
  return signTransaction(
    { v: 1, chain: ledger.chainId, contract: 'identity', method: 'updateProfile', payload, signer: key.publicKey, nonce: new Uint8Array(randomBytes(16)), expires: 1000 },
    key,
  );
}

/** Executes transactions on the head and builds the signed block a correct proposer would commit. */
async function nextBlock(ledger: Ledger, txs: Transaction[], overrides: { height?: number; prev?: Uint8Array } = {}): Promise<BlockToCommit> {
  const head = ledger.head;
  const chain = ledger.chainId;
  const height = overrides.height ?? head.height + 1;
  const time = head.time + 1000;
  const { receipts, writes } = await executeBlock(ledger, { chain, height, time }, txs, { verifySignatures: true });
  const header: BlockHeader = {
    v: 1,
    chain,
    height,
    prev: overrides.prev ?? head.hash,
    time,
    proposer: validator.publicKey,
    txRoot: merkleRoot(txs.map((t) => t.bytes)),
    resultsRoot: merkleRoot(receipts.map(encodeReceipt)),
    stateRoot: nextStateRoot(head.stateRoot, writes),
  };
  const commit: Commit = { height, round: 0, block: blockHash(header), sigs: [signPrecommit(validator, chain, header, 0)] };
  return { header, txs, receipts, commit, writes };
}

async function withGenesis(store: Store): Promise<Ledger> {
  const ledger = await Ledger.open(store.database());
  const { genesisBytes, block } = genesisBlock(genesis);
  await ledger.commitGenesis(genesisBytes, block);
  return ledger;
}

const headJson = (ledger: Ledger) => {
  const { height, hash, stateRoot, time, txCount } = ledger.head;
  return { height, hash: hex(hash), stateRoot: hex(stateRoot), time, txCount };
};
const positions = (entries: HistoryEntry[]) => entries.map((e) => [e.height, e.index, hex(e.hash)]);
const at = (height: number, index: number, t: Transaction) => [height, index, t.idHex];

/** Three blocks: [a1, b1, aBad], [b2, a2], [a3]. aBad's payload is refused by the contract. */
async function threeBlocks(ledger: Ledger) {
  const a1 = tx(ledger, orgA, { contact: 'a1' });
  const b1 = tx(ledger, orgB, { contact: 'b1' });
  const aBad = tx(ledger, orgA, { colour: 'red' });
  const b2 = tx(ledger, orgB, { contact: 'b2' });
  const a2 = tx(ledger, orgA, { contact: 'a2' });
  const a3 = tx(ledger, orgA, { name: 'A Renamed' });
  const blocks: BlockToCommit[] = [];
  for (const txs of [[a1, b1, aBad], [b2, a2], [a3]]) {
    const block = await nextBlock(ledger, txs);
    await ledger.commit(block);
    blocks.push(block);
  }
  return { a1, b1, aBad, b2, a2, a3, blocks };
}

for (const backend of backends) {
  describe(`Ledger on ${backend.name}`, () => {
    async function withStore(body: (store: Store) => Promise<void>): Promise<void> {
      const store = await backend.create();
      try {
        await body(store);
      } finally {
        await store.cleanup();
      }
    }

    test('genesis writes block 0 and the state of the genesis document', () =>
      withStore(async (store) => {
        const ledger = await Ledger.open(store.database());
        try {
          assert.equal(ledger.isEmpty, true);
          assert.throws(() => ledger.head, { code: 'LEDGER_EMPTY' });
          const { genesisBytes, block } = genesisBlock(genesis);
          await ledger.commitGenesis(genesisBytes, block);
          assert.equal(ledger.isEmpty, false);
          assert.deepEqual(headJson(ledger), { height: 0, hash: hex(blockHash(block.header)), stateRoot: hex(block.header.stateRoot), time: genesis.time, txCount: 0 });
          assert.equal(hex(ledger.chainId), hex(chainIdOf(genesisBytes)));
          assert.equal(hex(ledger.genesisBytes), hex(genesisBytes));
          assert.deepEqual(await ledger.header(0), block.header);
          assert.equal(await ledger.heightOfHash(blockHash(block.header)), 0);
          assert.equal(await ledger.commitOf(0), undefined);
          assert.deepEqual(await ledger.blockTransactions(0), []);
          assert.deepEqual(await ledger.receipts(0), []);
          assert.equal((await readOrg(ledger, idA))?.name, 'A');
          assert.equal((await readOrg(ledger, idB))?.registryId, 'REG-B');
          assert.equal(await orgIdOfSigner(ledger, orgB.publicKey), idB);
          assert.deepEqual((await readValidators(ledger)).map((v) => [hex(v.key), v.org, v.power]), [[hex(validator.publicKey), idA, 1]]);
          await assert.rejects(ledger.commitGenesis(genesisBytes, block), InvariantError);
          assert.equal(ledger.head.height, 0);
        } finally {
          await ledger.close();
        }
      }));

    test('commits blocks built with executeBlock and a signed precommit', () =>
      withStore(async (store) => {
        const ledger = await withGenesis(store);
        try {
          let txCount = 0;
          for (const [height, txs] of [[1, [tx(ledger, orgA, { contact: 'x' }), tx(ledger, orgB, { contact: 'y' })]], [2, [tx(ledger, orgA, { registryId: 'R2' })]]] as const) {
            const block = await nextBlock(ledger, [...txs]);
            await ledger.commit(block);
            txCount += txs.length;
            const hash = blockHash(block.header);
            assert.deepEqual(headJson(ledger), { height, hash: hex(hash), stateRoot: hex(block.header.stateRoot), time: block.header.time, txCount });
            assert.deepEqual(await ledger.header(height), block.header);
            assert.equal(await ledger.heightOfHash(hash), height);
            assert.deepEqual((await ledger.blockTransactions(height)).map(hex), txs.map((t) => hex(t.bytes)));
            assert.deepEqual(await ledger.receipts(height), block.receipts);
            assert.deepEqual(await ledger.commitOf(height), block.commit);
          }
          assert.deepEqual(await ledger.receipts(1), [
            { ok: true, code: '', message: '', subjects: [idA] },
            { ok: true, code: '', message: '', subjects: [idB] },
          ]);
          const a = await readOrg(ledger, idA);
          assert.deepEqual([a?.contact, a?.registryId], ['x', 'R2']);
          assert.equal((await readOrg(ledger, idB))?.contact, 'y');
          assert.equal(await ledger.header(3), undefined);
          assert.equal(await ledger.heightOfHash(new Uint8Array(32)), undefined);
        } finally {
          await ledger.close();
        }
      }));

    test('reopening restores the head from storage, without replaying the chain', () =>
      withStore(async (store) => {
        let ledger = await withGenesis(store);
        const { blocks } = await threeBlocks(ledger);
        const head = headJson(ledger);
        await ledger.close();

        ledger = await Ledger.open(store.database());
        assert.deepEqual(headJson(ledger), head);
        assert.equal(hex(ledger.chainId), hex(chainIdOf(genesisBlock(genesis).genesisBytes)));
        assert.equal((await readOrg(ledger, idA))?.name, 'A Renamed');
        await ledger.close();

        // Take away every block's transactions, receipts and commits: a ledger that replayed them
        // could not open, but the head and the state are stored as they are.
        const raw = store.database();
        await raw.open();
        for (let height = 1; height <= 3; height++) {
          await raw.clear({ gte: keys.txKey(height, 0), lt: keys.txKey(height + 1, 0) });
          await raw.clear({ gte: keys.receiptKey(height, 0), lt: keys.receiptKey(height + 1, 0) });
          await raw.del(keys.commitKey(height));
        }
        await raw.close();
        ledger = await Ledger.open(store.database());
        try {
          assert.deepEqual(headJson(ledger), head);
          assert.deepEqual(await ledger.blockTransactions(2), [], 'the records really are gone');
          assert.equal((await readOrg(ledger, idA))?.name, 'A Renamed');
          // The chain continues on the restored head.
          const block = await nextBlock(ledger, [tx(ledger, orgB, { contact: 'after reopen' })]);
          assert.deepEqual(block.header.prev, blockHash((blocks.at(-1) as BlockToCommit).header));
          await ledger.commit(block);
          assert.deepEqual([ledger.head.height, ledger.head.txCount], [4, head.txCount + 1]);
        } finally {
          await ledger.close();
        }
      }));

    test('finds transactions by id and lists history by subject and by signer in chain order, with cursors', () =>
      withStore(async (store) => {
        const ledger = await withGenesis(store);
        try {
          const { a1, b1, aBad, b2, a2, a3 } = await threeBlocks(ledger);
          const found = await ledger.transactionById(a2.id);
          assert.deepEqual(found && { height: found.height, index: found.index, bytes: hex(found.bytes), receipt: found.receipt }, {
            height: 2, index: 1, bytes: hex(a2.bytes), receipt: { ok: true, code: '', message: '', subjects: [idA] },
          });
          const refused = await ledger.transactionById(aBad.id);
          assert.deepEqual([refused?.height, refused?.index, refused?.receipt.ok, refused?.receipt.code], [1, 2, false, 'PAYLOAD_INVALID']);
          assert.equal(await ledger.transactionById(new Uint8Array(32)), undefined);
          assert.deepEqual(await ledger.hasTransactions([a1.id, new Uint8Array(32), b2.id]), [true, false, true]);
          assert.deepEqual(await ledger.hasTransactions([]), []);

          const bySignerA = await ledger.historyOfSigner(orgA.publicKey, undefined, 100);
          assert.deepEqual(positions(bySignerA), [at(1, 0, a1), at(1, 2, aBad), at(2, 1, a2), at(3, 0, a3)]);
          assert.deepEqual(bySignerA.map((e) => [e.contract, e.method, e.ok, e.code]), [
            ['identity', 'updateProfile', true, ''], ['identity', 'updateProfile', false, 'PAYLOAD_INVALID'],
            ['identity', 'updateProfile', true, ''], ['identity', 'updateProfile', true, ''],
          ]);
          assert.deepEqual(positions(await ledger.historyOfSigner(orgA.publicKey, undefined, 2)), [at(1, 0, a1), at(1, 2, aBad)]);
          assert.deepEqual(positions(await ledger.historyOfSigner(orgA.publicKey, { height: 1, index: 2 }, 100)), [at(2, 1, a2), at(3, 0, a3)]);
          assert.deepEqual(positions(await ledger.historyOfSigner(orgA.publicKey, { height: 1, index: 1 }, 1)), [at(1, 2, aBad)], 'a cursor between entries');
          assert.deepEqual(await ledger.historyOfSigner(orgA.publicKey, { height: 3, index: 0 }, 100), []);
          assert.deepEqual(positions(await ledger.historyOfSigner(orgB.publicKey, undefined, 100)), [at(1, 1, b1), at(2, 0, b2)]);
          assert.deepEqual(await ledger.historyOfSigner(validator.publicKey, undefined, 100), []);

          // The refused transaction names no subject, so it is not in A's history.
          assert.deepEqual(positions(await ledger.historyOfSubject(idA, undefined, 100)), [at(1, 0, a1), at(2, 1, a2), at(3, 0, a3)]);
          assert.deepEqual(positions(await ledger.historyOfSubject(idA, { height: 1, index: 0 }, 1)), [at(2, 1, a2)]);
          assert.deepEqual(positions(await ledger.historyOfSubject(idA, { height: 2, index: 1 }, 100)), [at(3, 0, a3)]);
          assert.deepEqual(positions(await ledger.historyOfSubject(idB, undefined, 100)), [at(1, 1, b1), at(2, 0, b2)]);
          assert.deepEqual(await ledger.historyOfSubject(idA.slice(0, 39), undefined, 100), [], 'a prefix of a subject is another subject');
          assert.deepEqual(await ledger.historyOfSubject(`${idA}x`, undefined, 100), []);
        } finally {
          await ledger.close();
        }
      }));

    test('a block at the wrong height, on the wrong parent or without a commit throws InvariantError and changes nothing', () =>
      withStore(async (store) => {
        let ledger = await withGenesis(store);
        const first = tx(ledger, orgA, { contact: 'first' });
        await ledger.commit(await nextBlock(ledger, [first]));
        const head = headJson(ledger);
        const stateBefore = await readOrg(ledger, idA);
        const pending = tx(ledger, orgA, { contact: 'never' });

        const good = await nextBlock(ledger, [pending]);
        const wrongHeight = await nextBlock(ledger, [pending], { height: 3 });
        const staleHeight = await nextBlock(ledger, [pending], { height: 1 });
        const wrongParent = await nextBlock(ledger, [pending], { prev: new Uint8Array(32).fill(7) });
        const refused: [string, BlockToCommit][] = [
          ['wrong height', wrongHeight],
          ['height already taken', staleHeight],
          ['wrong previous hash', wrongParent],
          ['no commit', { ...good, commit: undefined }],
          ['a receipt missing', { ...good, receipts: [] }],
        ];
        const unchanged = async (what: string) => {
          assert.deepEqual(headJson(ledger), head, what);
          assert.equal(await ledger.header(2), undefined, what);
          assert.equal(await ledger.header(3), undefined, what);
          assert.deepEqual(await ledger.hasTransactions([pending.id]), [false], what);
          assert.deepEqual(await readOrg(ledger, idA), stateBefore, what);
          assert.deepEqual(positions(await ledger.historyOfSigner(orgA.publicKey, undefined, 100)), [at(1, 0, first)], what);
        };
        for (const [what, block] of refused) {
          await assert.rejects(ledger.commit(block), InvariantError, what);
          await unchanged(what);
        }
        // Nothing of the refused blocks reached storage either.
        await ledger.close();
        ledger = await Ledger.open(store.database());
        try {
          await unchanged('after reopening');
          await ledger.commit(await nextBlock(ledger, [pending]));
          assert.equal(ledger.head.height, 2);
          assert.equal((await readOrg(ledger, idA))?.contact, 'never');
        } finally {
          await ledger.close();
        }
      }));

    test('commitProblem accepts the stored commit against the validator set and rejects tampered or weak ones', () =>
      withStore(async (store) => {
        const ledger = await withGenesis(store);
        try {
          await threeBlocks(ledger);
          const header = (await ledger.header(2)) as BlockHeader;
          const commit = (await ledger.commitOf(2)) as Commit;
          const validators = await readValidators(ledger);
          assert.equal(commitProblem(commit, header, validators), undefined);
          for (let height = 1; height <= 3; height++) {
            assert.equal(commitProblem((await ledger.commitOf(height)) as Commit, (await ledger.header(height)) as BlockHeader, validators), undefined);
          }

          const [sig] = commit.sigs;
          assert.ok(sig !== undefined);
          const flipped = new Uint8Array(sig.sig);
          flipped[10] = (flipped[10] as number) ^ 0x80;
          assert.match(commitProblem({ ...commit, sigs: [{ validator: sig.validator, sig: flipped }] }, header, validators) ?? '', /bad signature/);
          assert.match(commitProblem({ ...commit, round: 1 }, header, validators) ?? '', /bad signature/, 'signed for round 0, claimed for round 1');
          assert.match(commitProblem({ ...commit, sigs: [sig, sig] }, header, validators) ?? '', /two signatures/);
          assert.match(commitProblem({ ...commit, sigs: [] }, header, validators) ?? '', /0 of 1 voting power/);
          const outsider = signingKeyFromSeed(seed(9));
          assert.match(commitProblem({ ...commit, sigs: [signPrecommit(outsider, ledger.chainId, header, 0)] }, header, validators) ?? '', /not a validator/);
          assert.match(commitProblem({ ...commit, height: 3 }, header, validators) ?? '', /height 3/);
          assert.match(commitProblem((await ledger.commitOf(1)) as Commit, header, validators) ?? '', /commit is for/);
          const otherBlock = { ...header, time: header.time + 1 };
          assert.match(commitProblem(commit, otherBlock, validators) ?? '', /another block/);

          // Voting power: more than two thirds of the set must sign; exactly two thirds is not enough.
          const power = (own: number, other: number): Validator[] => [
            { key: validator.publicKey, org: idA, power: own },
            { key: outsider.publicKey, org: idB, power: other },
          ];
          assert.match(commitProblem(commit, header, power(1, 1)) ?? '', /1 of 2 voting power/);
          assert.match(commitProblem(commit, header, power(2, 1)) ?? '', /2 of 3 voting power/);
          assert.equal(commitProblem(commit, header, power(3, 1)), undefined);
          const both = { ...commit, sigs: [sig, signPrecommit(outsider, ledger.chainId, header, 0)] };
          assert.equal(commitProblem(both, header, power(1, 1)), undefined);
        } finally {
          await ledger.close();
        }
      }));
  });
}

describe('proofs served over RPC', () => {
  const headerOf = (json: Results['block.get']['header']): BlockHeader => ({
    v: 1,
    chain: hexToBytes(json.chain),
    height: json.height,
    prev: hexToBytes(json.prev),
    time: json.time,
    proposer: hexToBytes(json.proposer),
    txRoot: hexToBytes(json.txRoot),
    resultsRoot: hexToBytes(json.resultsRoot),
    stateRoot: hexToBytes(json.stateRoot),
  });

  test('tx.get returns a Merkle proof of the raw transaction to its header, and block.get a commit that checks out', async () => {
    const temp = await startTempNode();
    try {
      const submit = (contact: string, id: number) => ({
        jsonrpc: '2.0', id, method: 'tx.submit', params: { contract: 'identity', method: 'updateProfile', payload: { contact }, waitForCommit: true },
      });
      // Five transactions in one block (a tree that is not a power of two), then a block of one.
      const response = await fetch(temp.url, { method: 'POST', headers: { authorization: `Bearer ${temp.server.token}` }, body: JSON.stringify([0, 1, 2, 3, 4].map((i) => submit(`c${i}`, i))) });
      const batch = ((await response.json()) as { result: Results['tx.submit'] }[]).map((r) => r.result);
      const single = (await temp.rpc('tx.submit', submit('alone', 9).params)).result as Results['tx.submit'];
      const hashes = [...batch.map((r) => r.hash), single.hash];
      const status = (await temp.rpc('node.status')).result as Results['node.status'];
      const validators: Validator[] = status.validators.map((v) => ({ key: hexToBytes(v.key), org: v.org, power: v.power }));

      const headers = new Map<number, BlockHeader>();
      for (const hash of hashes) {
        const found = (await temp.rpc('tx.get', { hash })).result as Results['tx.get'];
        const block = (await temp.rpc('block.get', { height: found.height })).result as Results['block.get'];
        assert.deepEqual(found.header, block.header);
        assert.deepEqual((await temp.rpc('block.get', { hash: block.header.hash })).result, block, 'the same block by its hash');
        assert.equal(found.proof.count, block.txs.length);
        assert.equal(found.proof.index, found.index);
        assert.equal(block.txs[found.index], hash);
        const raw = hexToBytes(found.tx.raw);
        assert.equal(parseTransaction(raw).idHex, hash, 'raw is the transaction itself');
        const proof = { index: found.proof.index, count: found.proof.count, path: found.proof.path.map(hexToBytes) };
        const txRoot = hexToBytes(found.header.txRoot);
        assert.equal(verifyMerkleProof(raw, proof, txRoot), true);

        const tampered = new Uint8Array(raw);
        tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
        assert.equal(verifyMerkleProof(tampered, proof, txRoot), false);
        if (proof.count > 1) assert.equal(verifyMerkleProof(raw, { ...proof, index: (proof.index + 1) % proof.count }, txRoot), false);
        assert.equal(verifyMerkleProof(raw, proof, hexToBytes(status.lastBlockHash)), false);

        const header = headerOf(block.header);
        assert.equal(hex(blockHash(header)), block.header.hash, 'the header JSON hashes to its hash');
        headers.set(found.height, header);
        assert.ok(block.commit !== null);
        const commit: Commit = {
          height: block.commit.height,
          round: block.commit.round,
          block: hexToBytes(block.commit.block),
          sigs: block.commit.signatures.map((s) => ({ validator: hexToBytes(s.validator), sig: hexToBytes(s.signature) })),
        };
        assert.equal(commitProblem(commit, header, validators), undefined);
        const forged = { ...commit, sigs: commit.sigs.map((s) => ({ ...s, sig: new Uint8Array(64) })) };
        assert.match(commitProblem(forged, header, validators) ?? '', /bad signature/);
      }
      assert.equal(headers.size, 2, 'the batch shared one block and the single transaction had its own');
      assert.equal(batch[0]?.height, single.height === undefined ? -1 : single.height - 1);

      const missing = await temp.rpc('tx.get', { hash: '00'.repeat(32) });
      assert.equal(missing.error?.data.code, 'TX_NOT_FOUND');
      const genesis = (await temp.rpc('block.get', { height: 0 })).result as Results['block.get'];
      assert.deepEqual([genesis.commit, genesis.txs], [null, []]);
    } finally {
      await temp.close();
    }
  });
});
