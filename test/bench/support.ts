import { randomBytes } from 'node:crypto';
import { signingKeyFromSeed, type SigningKey } from '../../node-core/src/crypto/ed25519.ts';
import { dataPaths } from '../../node-core/src/node/data-dir.ts';
import { readKeyStore } from '../../node-core/src/node/keystore.ts';
import { signTransaction, type Transaction } from '../../node-core/src/ledger/transaction.ts';

/** Benchmark nodes listen on a free loopback port and look for no one on the LAN. */
export const LOOPBACK_P2P = { listen: ['/ip4/127.0.0.1/tcp/0'], peers: [], mdns: false, relay: false };
export const BENCH_PASSPHRASE = 'bench passphrase';

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export const round = (value: number, digits = 2) => Number(value.toFixed(digits));

export async function orgKeyOf(dataDir: string): Promise<SigningKey> {
  const secrets = await readKeyStore(dataPaths(dataDir).keyStore, BENCH_PASSPHRASE);
  return signingKeyFromSeed(secrets.signingSeeds[0] as Uint8Array);
}

/** Signed profile updates, each with its own contact text so that every one writes state. */
export function profileUpdates(key: SigningKey, chain: Uint8Array, count: number, expires: number, label: string): Transaction[] {
  const txs: Transaction[] = [];
  for (let i = 0; i < count; i++) {
    txs.push(signTransaction({
      v: 1, chain, contract: 'identity', method: 'updateProfile', payload: { contact: `${label}-${i}@bench.example` },
      signer: key.publicKey, nonce: new Uint8Array(randomBytes(16)), expires,
    }, key));
  }
  return txs;
}

export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}
