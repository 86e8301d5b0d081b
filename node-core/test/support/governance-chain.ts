import type { Receipt } from '../../src/codec/messages.ts';
import { executeBlock, type ChainView } from '../../src/contracts/execute.ts';
import { genesisBlock } from '../../src/contracts/genesis.ts';
import { joinProofMessage } from '../../src/contracts/join-proof.ts';
import { orgIdOf } from '../../src/contracts/membership-state.ts';
import { peerIdOfKey } from '../../src/contracts/peer-id.ts';
import { signingKeyFromSeed, type SigningKey } from '../../src/crypto/ed25519.ts';
import { toHex } from '../../src/crypto/hex.ts';
import { inviteKeyFromSecret } from '../../src/crypto/invite-key.ts';
import type { Role } from '../../src/codec/messages.ts';
import { nextStateRoot, type WriteSet } from '../../src/ledger/state.ts';
import { signTransaction, type Transaction } from '../../src/ledger/transaction.ts';

/**
 * A ledger in memory for contract tests: genesis, then blocks of signed transactions run through
 * executeBlock exactly as a node runs them, each block's writes applied before the next.
 */

export const DAY = 24 * 60 * 60 * 1000;
export const GENESIS_TIME = 1_700_000_000_000;

/** An organisation's keys, made from a label so every run is the same. */
export interface Party {
  readonly label: string;
  readonly key: SigningKey;
  readonly nodeKey: SigningKey;
  readonly encryptionKey: Uint8Array;
  readonly id: string;
  readonly peerId: string;
}

const seedOf = (label: string, purpose: string) => {
  const seed = new Uint8Array(32);
  const text = new TextEncoder().encode(`${purpose}:${label}`);
  seed.set(text.subarray(0, 32));
  seed[31] = text.length;
  return seed;
};

export function party(label: string): Party {
  const key = signingKeyFromSeed(seedOf(label, 'org'));
  const nodeKey = signingKeyFromSeed(seedOf(label, 'node'));
  return { label, key, nodeKey, encryptionKey: seedOf(label, 'enc'), id: orgIdOf(key.publicKey), peerId: peerIdOfKey(nodeKey.publicKey) };
}

export class MemoryChain implements ChainView {
  readonly state = new Map<string, Uint8Array>();
  readonly #committed = new Set<string>();
  readonly chain: Uint8Array;
  height = 0;
  time = GENESIS_TIME;
  stateRoot: Uint8Array;
  #nonce = 0;

  /** Genesis with the founders (all `admin`, `validator`, `member` unless given roles) and the first `validators` of them validating. */
  constructor(founders: readonly { party: Party; roles?: Role[] }[], validators = 1) {
    const { block } = genesisBlock({
      v: 1, name: 'Test consortium', time: GENESIS_TIME,
      orgs: founders.map(({ party: p, roles }) => ({
        name: p.label, registryId: '', roles: roles ?? ['admin', 'validator', 'member'], signingKey: p.key.publicKey, encryptionKey: p.encryptionKey, nodes: [p.peerId],
      })),
      validators: founders.slice(0, validators).map(({ party: p }, org) => ({ key: p.nodeKey.publicKey, org, power: 1 })),
    });
    this.chain = block.header.chain;
    this.stateRoot = block.header.stateRoot;
    this.#apply(block.writes);
  }

  get(key: string): Promise<Uint8Array | undefined> {
    return Promise.resolve(this.state.get(key));
  }

  hasTransactions(ids: readonly Uint8Array[]): Promise<boolean[]> {
    return Promise.resolve(ids.map((id) => this.#committed.has(toHex(id))));
  }

  #apply(writes: WriteSet): void {
    for (const [key, value] of writes) {
      if (value === null) this.state.delete(key);
      else this.state.set(key, value);
    }
  }

  tx(signer: SigningKey, contract: string, method: string, payload: Record<string, unknown>): Transaction {
    const nonce = new Uint8Array(16);
    new DataView(nonce.buffer).setUint32(0, ++this.#nonce);
    return signTransaction({ v: 1, chain: this.chain, contract, method, payload: payload as never, signer: signer.publicKey, nonce, expires: this.height + 100 }, signer);
  }

  /** Executes and commits the next block; `advance` ms pass since the previous one. */
  async block(txs: readonly Transaction[], advance = 1000): Promise<{ receipts: Receipt[]; writes: WriteSet; height: number }> {
    const height = this.height + 1;
    const time = this.time + advance;
    const { receipts, writes } = await executeBlock(this, { chain: this.chain, height, time }, txs, { verifySignatures: true });
    this.#apply(writes);
    for (const tx of txs) this.#committed.add(tx.idHex);
    this.height = height;
    this.time = time;
    this.stateRoot = nextStateRoot(this.stateRoot, writes);
    return { receipts, writes, height };
  }

  /** One transaction in its own block; its receipt. */
  async run(signer: SigningKey, contract: string, method: string, payload: Record<string, unknown>, advance = 1000): Promise<Receipt & { txId: string; height: number }> {
    const tx = this.tx(signer, contract, method, payload);
    const { receipts, height } = await this.block([tx], advance);
    return { ...(receipts[0] as Receipt), txId: tx.idHex, height };
  }

  /** A copy of the whole state, to show that a refusal changed nothing. */
  snapshot(): Map<string, string> {
    return new Map([...this.state].map(([k, v]) => [k, toHex(v)]));
  }
}

/** An invite's secret and key pair, from a label. */
export function invite(label: string): { secret: Uint8Array; key: SigningKey; keyHex: string } {
  const secret = seedOf(label, 'invite');
  const key = inviteKeyFromSecret(secret);
  return { secret, key, keyHex: toHex(key.publicKey) };
}

/** The requestJoin payload a joiner sends: signed by `inviteKey` over the joiner's keys and nodes. */
export function joinPayload(chain: Uint8Array, inviteKey: SigningKey, joiner: Party, fields: { name?: string; registryId?: string; nodes?: string[] } = {}) {
  const name = fields.name ?? joiner.label;
  const registryId = fields.registryId ?? '';
  const nodes = fields.nodes ?? [joiner.peerId];
  const proof = inviteKey.sign(joinProofMessage(chain, { inviteKey: inviteKey.publicKey, signingKey: joiner.key.publicKey, encryptionKey: joiner.encryptionKey, name, registryId, nodes }));
  return { inviteKey: toHex(inviteKey.publicKey), encryptionKey: toHex(joiner.encryptionKey), name, registryId, nodes, proof: toHex(proof) };
}
