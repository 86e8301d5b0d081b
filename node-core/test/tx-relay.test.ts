import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { signTransaction } from '../src/ledger/transaction.ts';
import { systemClock } from '../src/node/clock.ts';
import { TxRelay } from '../src/node/tx-relay.ts';
import { MemoryHub } from '../src/p2p/memory-network.ts';

const VALIDATORS = ['v1', 'v2', 'v3'];
const ALL = [...VALIDATORS, 'observer'];

function cluster() {
  const hub = new MemoryHub();
  const received = new Map<string, { from: string; count: number }[]>();
  const relays = new Map<string, TxRelay>();
  for (const name of ALL) {
    const network = hub.create(name);
    network.setMembers(ALL);
    const relay = new TxRelay(network, systemClock, (peerId) => VALIDATORS.includes(peerId));
    relay.start((_bytes, from) => received.set(name, [...(received.get(name) ?? []), { from, count: 1 }]));
    relays.set(name, relay);
    received.set(name, []);
  }
  const fromPeers = (name: string) => (received.get(name) ?? []).map((r) => r.from).sort();
  return { relays, fromPeers, stop: () => { for (const relay of relays.values()) relay.stop(); } };
}

const key = signingKeyFromSeed(new Uint8Array(32).fill(4));
const tx = signTransaction({ v: 1, chain: new Uint8Array(32), contract: 'identity', method: 'updateProfile', payload: { contact: 'x' }, signer: key.publicKey, nonce: new Uint8Array(16), expires: 10 }, key);
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

test('a transaction from a node\'s own client goes to every peer; one a validator relayed goes on only to non-validators', async () => {
  const c = cluster();
  try {
    const v1 = c.relays.get('v1')!;
    const v2 = c.relays.get('v2')!;
    assert.equal(v1.audienceFor(undefined), 'everyone');
    assert.equal(v2.audienceFor('v1'), 'non-validators');
    assert.equal(v2.audienceFor('observer'), 'everyone');

    v1.relay(tx, v1.audienceFor(undefined));
    await settle();
    for (const name of ['v2', 'v3', 'observer']) assert.deepEqual(c.fromPeers(name), ['v1'], name);

    // v2 passes v1's transaction on: the observer gets a copy, the validators none.
    v2.relay(tx, v2.audienceFor('v1'));
    await settle();
    assert.deepEqual(c.fromPeers('v3'), ['v1']);
    assert.deepEqual(c.fromPeers('v1'), []);
    assert.deepEqual(c.fromPeers('observer'), ['v1', 'v2']);

    // What the observer's client sent goes to everyone, and validators pass it on to non-validators only.
    c.relays.get('observer')!.relay(tx, 'everyone');
    await settle();
    for (const name of VALIDATORS) assert.ok(c.fromPeers(name).includes('observer'), name);
  } finally {
    c.stop();
  }
});
