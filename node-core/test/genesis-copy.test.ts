import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { IngotError } from '../src/codec/errors.ts';
import { dataPaths } from '../src/node/data-dir.ts';
import { initConsortium } from '../src/node/init.ts';
import { IngotNode } from '../src/node/node.ts';
import { systemClock } from '../src/node/clock.ts';
import { inlineVerifier } from '../src/node/signature-verifier.ts';
import { LOOPBACK_P2P, TEST_KDF, TEST_PASSPHRASE, tempDir } from './support/temp-node.ts';

async function freshDirectory(name: string) {
  const temp = await tempDir();
  const dataDir = join(temp.dir, name);
  await initConsortium({ dataDir, orgName: name, registryId: '', passphrase: TEST_PASSPHRASE, clock: systemClock, kdf: TEST_KDF, config: { api: { host: '127.0.0.1', port: 0 }, blockIntervalMs: 20, p2p: LOOPBACK_P2P } });
  return { ...temp, dataDir, paths: dataPaths(dataDir) };
}

const start = (dataDir: string) => IngotNode.start({ dataDir, passphrase: TEST_PASSPHRASE, verifier: inlineVerifier });

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => error instanceof IngotError && error.code === code);
}

test('a node keeps a copy of its genesis and starts a deleted ledger again from it, at block 0 of the same chain', async (t) => {
  const { dataDir, paths, remove } = await freshDirectory('Genesis Works');
  t.after(remove);
  const first = await start(dataDir);
  const chain = first.ledger.chainId;
  await first.submit('identity', 'updateProfile', { contact: 'ops@genesis.example' }).then((tx) => first.waitForCommit(tx));
  const before = first.ledger.head;
  assert.ok(before.height >= 1);
  await first.close();
  assert.deepEqual(new Uint8Array(await readFile(paths.genesis)), new Uint8Array(first.ledger.genesisBytes));

  await rm(paths.ledger, { recursive: true, force: true });
  const again = await start(dataDir);
  try {
    assert.deepEqual(again.ledger.chainId, chain);
    // Started from block 0; the one validator may decide again the block it had signed before
    // (its signing state holds it) — the very same block, never another.
    const head = again.ledger.head;
    assert.ok(head.height <= before.height, `head ${head.height} after a restart from genesis`);
    if (head.height === before.height) assert.deepEqual(head.hash, before.hash);
  } finally {
    await again.close();
  }
});

test('without the genesis copy an empty ledger cannot start (LEDGER_EMPTY); a copy of another chain is refused (GENESIS_MISMATCH)', async (t) => {
  const { dataDir, paths, remove } = await freshDirectory('Lost Works');
  t.after(remove);
  await (await start(dataDir)).close();

  const other = await freshDirectory('Other Works');
  t.after(other.remove);
  await (await start(other.dataDir)).close();
  await writeFile(paths.genesis, await readFile(other.paths.genesis));
  await rejectsWithCode(start(dataDir), 'GENESIS_MISMATCH');

  await rm(paths.genesis);
  await rm(paths.ledger, { recursive: true, force: true });
  await rejectsWithCode(start(dataDir), 'LEDGER_EMPTY');
});
