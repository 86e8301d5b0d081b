import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { encode } from '../../node-core/src/codec/cbor.ts';
import { encodeReceipt, type BlockHeader, type Receipt } from '../../node-core/src/codec/messages.ts';
import { merkleRoot } from '../../node-core/src/crypto/merkle.ts';
import { blockHash, signPrecommit } from '../../node-core/src/ledger/block.ts';
import { Ledger } from '../../node-core/src/ledger/ledger.ts';
import { nextStateRoot, StateOverlay } from '../../node-core/src/ledger/state.ts';
import { systemClock } from '../../node-core/src/node/clock.ts';
import { dataPaths, readNodeKey } from '../../node-core/src/node/data-dir.ts';
import { openLedgerDatabase } from '../../node-core/src/node/database.ts';
import { initConsortium } from '../../node-core/src/node/init.ts';
import { BENCH_PASSPHRASE, LOOPBACK_P2P, log, orgKeyOf, profileUpdates } from './support.ts';

export const SUBJECTS = 1000;

/**
 * A ledger of `blocks × txsPerBlock` real signed transactions, written through the ledger's commit
 * path. Each transaction is indexed under one of 1,000 subjects, round robin, so every subject has
 * (total / 1,000) transactions — the shape of a ledger full of device histories, which contracts of
 * later versions produce. The fixture is for measuring storage and indexes; its receipts are not
 * what the identity contract would give, so verify-ledger is not meant to pass on it.
 */
export async function buildScaleLedger(dir: string, blocks: number, txsPerBlock: number): Promise<string> {
  const dataDir = join(dir, 'scale');
  await initConsortium({ dataDir, orgName: 'Scale Works', passphrase: BENCH_PASSPHRASE, clock: systemClock, config: { api: { host: '127.0.0.1', port: 0 }, p2p: LOOPBACK_P2P } });
  const key = await orgKeyOf(dataDir);
  const nodeKey = await readNodeKey(dataPaths(dataDir));
  const ledger = await Ledger.open(await openLedgerDatabase(dataPaths(dataDir).ledger));
  const chain = ledger.chainId;
  let sequence = 0;
  for (let b = 0; b < blocks; b++) {
    const head = ledger.head;
    const height = head.height + 1;
    const txs = profileUpdates(key, chain, txsPerBlock, height + 10, `scale-${height}`);
    const receipts: Receipt[] = txs.map(() => ({ ok: true, code: '', message: '', subjects: [`machine-${String(sequence++ % SUBJECTS).padStart(4, '0')}`] }));
    const state = new StateOverlay(ledger);
    state.set(`bench/${height}`, encode(txs.length));
    const header: BlockHeader = {
      v: 1, chain, height, prev: head.hash, time: head.time + 1000, proposer: nodeKey.signing.publicKey,
      txRoot: merkleRoot(txs.map((tx) => tx.bytes)), resultsRoot: merkleRoot(receipts.map(encodeReceipt)),
      stateRoot: nextStateRoot(head.stateRoot, state.writes),
    };
    const commit = { height, round: 0, block: blockHash(header), sigs: [signPrecommit(nodeKey.signing, chain, header, 0)] };
    await ledger.commit({ header, txs, receipts, commit, writes: state.writes });
    if ((b + 1) % 10 === 0) log(`scale ledger: ${(b + 1) * txsPerBlock} transactions`);
  }
  await ledger.close();
  // A ledger at rest: let LevelDB finish the compactions that writing it in one go has queued,
  // which would otherwise compete with the measured queries.
  const db = await openLedgerDatabase(dataPaths(dataDir).ledger);
  await (db as unknown as { compactRange(start: Uint8Array, end: Uint8Array): Promise<void> }).compactRange(Uint8Array.of(0x00), Uint8Array.of(0xff));
  await db.close();
  return dataDir;
}

/** Starts a node on the scale ledger in a fresh process, so its start-up time and memory are its own. */
export async function measureScaleNode(dataDir: string, queries: number): Promise<unknown> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'scale-node.ts'), dataDir, String(queries)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, INGOT_PASSPHRASE: BENCH_PASSPHRASE },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  if (code !== 0) throw new Error(`scale node exited with ${code}`);
  return JSON.parse(output);
}
