import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { IngotError } from '../../node-core/src/codec/errors.ts';
import { decodeGenesis } from '../../node-core/src/codec/messages.ts';
import { signingKeyFromSeed } from '../../node-core/src/crypto/ed25519.ts';
import { blockHash, signPrecommit } from '../../node-core/src/ledger/block.ts';
import { Ledger } from '../../node-core/src/ledger/ledger.ts';
import { parseTransaction, type Transaction } from '../../node-core/src/ledger/transaction.ts';
import { buildBlock } from '../../node-core/src/node/block-builder.ts';
import { BlockSync } from '../../node-core/src/node/block-sync.ts';
import { systemClock } from '../../node-core/src/node/clock.ts';
import { ConsensusEngine } from '../../node-core/src/node/consensus-engine.ts';
import { dataPaths, readConfig, readNodeKey } from '../../node-core/src/node/data-dir.ts';
import { openLedgerDatabase } from '../../node-core/src/node/database.ts';
import { initConsortium } from '../../node-core/src/node/init.ts';
import { Mempool } from '../../node-core/src/node/mempool.ts';
import { writeGenesis } from '../../node-core/src/node/node.ts';
import { WorkerVerifier } from '../../node-core/src/node/signature-verifier.ts';
import { SigningStore } from '../../node-core/src/node/signing-store.ts';
import { MemoryHub } from '../../node-core/src/p2p/memory-network.ts';
import { BENCH_PASSPHRASE, LOOPBACK_P2P, log, orgKeyOf, profileUpdates, round } from './support.ts';

/** Longest the catch-up may take before the benchmark gives up on it. */
const SYNC_DEADLINE_MS = 10 * 60_000;

/**
 * A validator's chain of `txCount` signed profile updates, each block executed by the node's own
 * block builder and certified by the validator's precommit (a one-validator consortium, so its
 * signature alone is the quorum), then a fresh node with the same genesis that catches up with
 * `BlockSync` over an in-memory network: certificates checked, every transaction's signature checked
 * on the node's worker threads (it never saw them), every block re-executed and committed to disk.
 */
export async function syncBench(dir: string, txCount: number, blockTxs: number, verifyPerSecond: number) {
  const sourceDir = join(dir, 'sync-source');
  await initConsortium({ dataDir: sourceDir, orgName: 'Sync Works', passphrase: BENCH_PASSPHRASE, clock: systemClock, config: { api: { host: '127.0.0.1', port: 0 }, p2p: LOOPBACK_P2P } });
  const orgKey = await orgKeyOf(sourceDir);
  const nodeKey = await readNodeKey(dataPaths(sourceDir));
  const source = await Ledger.open(await openLedgerDatabase(dataPaths(sourceDir).ledger));
  const chain = source.chainId;

  log(`sync: building a certified chain of ${txCount} transactions (${blockTxs} per block)`);
  const buildStart = performance.now();
  let written = 0;
  while (written < txCount) {
    const head = source.head;
    const height = head.height + 1;
    const txs = profileUpdates(orgKey, chain, Math.min(blockTxs, txCount - written), height + 10, `sync-${height}`);
    const executed = await buildBlock(source, txs, nodeKey.signing.publicKey, head.time + 1000, { verifySignatures: false });
    const commit = { height, round: 0, block: blockHash(executed.header), sigs: [signPrecommit(nodeKey.signing, chain, executed.header, 0)] };
    await source.commit({ ...executed, commit });
    written += txs.length;
    if (height % 50 === 0) log(`sync: chain at ${written} transactions`);
  }
  const buildSeconds = (performance.now() - buildStart) / 1000;
  const target = source.head.height;

  // The fresh node: same genesis, its own node key (not a validator), its own ledger on disk.
  const freshPath = join(dir, 'sync-fresh-ledger');
  await writeGenesis(freshPath, decodeGenesis(source.genesisBytes));
  const fresh = await Ledger.open(await openLedgerDatabase(freshPath));

  const hub = new MemoryHub();
  const names = ['source', 'fresh'];
  const verifier = new WorkerVerifier();
  const stops: (() => Promise<void>)[] = [];
  const side = async (name: string, ledger: Ledger, key: typeof nodeKey.signing, onCommitted: () => void) => {
    const network = hub.create(name);
    const mempool = new Mempool((await readConfig(dataPaths(sourceDir))).mempool);
    // As the node does: signatures of transactions not in its own mempool are checked on the worker threads.
    const received = { parse: parseTransaction, verifyUnknown: async (txs: readonly Transaction[]) => {
      const unknown = txs.filter((tx) => !mempool.has(tx.idHex));
      const valid = await verifier.verifyBatch(unknown.map((tx) => ({ publicKey: tx.body.signer, message: tx.id, signature: tx.sig })));
      const bad = valid.indexOf(false);
      if (bad !== -1) throw new IngotError('TX_BAD_SIGNATURE', `transaction ${unknown[bad]?.idHex} has a bad signature`);
    } };
    const engine = new ConsensusEngine({
      ledger, mempool, nodeKey: key, clock: systemClock, network, blockIntervalMs: 1000, received,
      signingStore: new SigningStore(join(dir, `sync-${name}-signing.json`)),
      onCommitted, onDropped: () => undefined, onEvidence: () => undefined,
      onFailure: (error) => console.error(`sync bench: ${name} failed:`, error),
    });
    const sync = new BlockSync({ ledger, network, engine, received, onCommitted });
    sync.start();
    await engine.start();
    stops.push(async () => {
      await sync.stop();
      await engine.stop();
      await network.stop();
    });
    return network;
  };

  let blocks = 0;
  let replayed = 0;
  const caughtUp = Promise.withResolvers<void>();
  const sourceNetwork = await side('source', source, nodeKey.signing, () => undefined);
  const freshNetwork = await side('fresh', fresh, signingKeyFromSeed(new Uint8Array(randomBytes(32))), () => {
    blocks++;
    replayed = fresh.head.txCount;
    if (fresh.head.height >= target) caughtUp.resolve();
  });

  log(`sync: a fresh node catches up ${target} blocks`);
  const cpuAtStart = process.cpuUsage();
  const start = performance.now();
  // Linking the two makes the source greet the fresh node with its height; block sync takes it from there.
  sourceNetwork.setMembers(names);
  freshNetwork.setMembers(names);
  const deadline = new Promise<'timeout'>((resolve) => setTimeout(resolve, SYNC_DEADLINE_MS, 'timeout').unref());
  const outcome = await Promise.race([caughtUp.promise, deadline]);
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  for (const stop of stops) await stop();
  await verifier.close();
  const sameHead = Buffer.from(fresh.head.hash).equals(Buffer.from(source.head.hash));
  await fresh.close();
  await source.close();
  if (outcome === 'timeout') throw new Error(`sync bench: the fresh node reached only ${fresh.head.height} of ${target} blocks in ${SYNC_DEADLINE_MS / 1000} s`);
  if (!sameHead) throw new Error('sync bench: the fresh node ended on another head than the source');

  const txPerSecond = replayed / seconds;
  return {
    transactions: replayed,
    blocks,
    txsPerBlock: blockTxs,
    chainBuildSeconds: round(buildSeconds, 1),
    seconds: round(seconds),
    replayedTxPerSecond: round(txPerSecond, 0),
    blocksPerSecond: round(blocks / seconds, 1),
    verifierThreads: availableParallelism(),
    /** Replay rate over this machine's one-core Ed25519 verify rate: above 1 only with several cores. */
    ratioToVerifyBaseline: round(txPerSecond / verifyPerSecond, 3),
    /** CPU of this process (both nodes, worker threads included) per second: 2.0 is both cores busy. */
    coresBusy: round((cpu.user + cpu.system) / 1e6 / seconds),
    rssAtEndMB: round(process.memoryUsage().rss / 2 ** 20, 0),
    target: { replayedTxPerSecond: 10_000 },
    targetMet: txPerSecond >= 10_000,
  };
}
