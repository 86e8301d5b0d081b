import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { startLibp2pNetwork, type Libp2pPeerNetwork, type P2pOptions } from '../src/p2p/libp2p-network.ts';
import { peerNetworkSuite, sleep, waitFor } from './support/peer-network-suite.ts';

const LOCAL: P2pOptions = { listen: ['/ip4/127.0.0.1/tcp/0'], peers: [], mdns: false, relay: false };

async function freshKey(): Promise<{ seed: Uint8Array; peerId: string }> {
  const seed = new Uint8Array(randomBytes(32));
  return { seed, peerId: peerIdFromPrivateKey(await generateKeyPairFromSeed('Ed25519', seed)).toString() };
}

async function stopAll(networks: readonly (Libp2pPeerNetwork | undefined)[]): Promise<void> {
  await Promise.all(networks.map((network) => network?.stop().catch(() => {})));
}

const tcpAddress = (network: Libp2pPeerNetwork) => network.addresses().find((address) => address.includes('/tcp/') && !address.includes('/p2p-circuit'))!;

peerNetworkSuite('libp2p', async (count) => {
  const keys = await Promise.all(Array.from({ length: count + 1 }, freshKey));
  const memberIds = keys.slice(0, count).map((key) => key.peerId);
  const started: Libp2pPeerNetwork[] = [];
  try {
    // The first node listens; the others dial it and one another through static peers.
    for (const [i, key] of keys.slice(0, count).entries()) {
      const peers = started.map(tcpAddress);
      started.push(await startLibp2pNetwork({ seed: key.seed, config: { ...LOCAL, peers }, members: memberIds, redialMs: 100 }));
      void i;
    }
    const outsiderKey = keys[count]!;
    const outsider = await startLibp2pNetwork({
      seed: outsiderKey.seed,
      config: { ...LOCAL, peers: started.map(tcpAddress) },
      members: memberIds,
      redialMs: 100,
    });
    await waitFor(() => started.every((network) => network.peers().length === count - 1), 'the libp2p cluster to connect', 10_000);
    const joiners: Libp2pPeerNetwork[] = [];
    return {
      networks: started,
      outsider,
      async joiner() {
        // Like a joining node's temporary identity: dials the members' addresses, listens nowhere.
        const key = await freshKey();
        const joiner = await startLibp2pNetwork({ seed: key.seed, config: { ...LOCAL, listen: [], peers: started.map(tcpAddress) }, members: memberIds, dialOnly: true, redialMs: 100 });
        joiners.push(joiner);
        return joiner;
      },
      stop: () => stopAll([...started, outsider, ...joiners]),
    };
  } catch (error) {
    await stopAll(started);
    throw error;
  }
});

test('a fresh key that is not a member cannot open a connection to a node', { timeout: 20_000 }, async () => {
  const [member, stranger] = await Promise.all([freshKey(), freshKey()]);
  let node: Libp2pPeerNetwork | undefined;
  let intruder: Libp2pPeerNetwork | undefined;
  try {
    node = await startLibp2pNetwork({ seed: member.seed, config: LOCAL, members: [member.peerId] });
    const received: string[] = [];
    node.onMessage((from) => received.push(from));
    // The intruder lists the node as a member, so only the node's gater can stop it.
    intruder = await startLibp2pNetwork({ seed: stranger.seed, config: LOCAL, members: [member.peerId] });
    const intruderNode = intruder;
    const events: string[] = [];
    node.onPeer((event) => events.push(event.peerId));
    // Noise may complete on the dialling side before the node's gater closes the connection.
    await intruder.dial(tcpAddress(node));
    await waitFor(() => intruderNode.peers().length === 0, 'the node to close the connection');
    intruder.broadcast('tx', new Uint8Array([1]));
    intruder.send(member.peerId, 'tx', new Uint8Array([1]));
    await sleep(200);
    assert.deepEqual(node.peers(), []);
    assert.deepEqual(intruder.peers(), []);
    assert.deepEqual(received, []);
    assert.deepEqual(events, []);
  } finally {
    await stopAll([node, intruder]);
  }
});

test('a node with no listen address is reached through a member that offers a relay', { timeout: 30_000 }, async () => {
  const [relayKey, listenerKey, hiddenKey] = await Promise.all([freshKey(), freshKey(), freshKey()]);
  const members = [relayKey.peerId, listenerKey.peerId, hiddenKey.peerId];
  let relay: Libp2pPeerNetwork | undefined;
  let listener: Libp2pPeerNetwork | undefined;
  let hidden: Libp2pPeerNetwork | undefined;
  try {
    relay = await startLibp2pNetwork({ seed: relayKey.seed, config: { ...LOCAL, relay: true }, members, redialMs: 100 });
    const relayAddress = tcpAddress(relay);
    hidden = await startLibp2pNetwork({ seed: hiddenKey.seed, config: { ...LOCAL, listen: [], peers: [relayAddress] }, members, redialMs: 100 });
    const hiddenNode = hidden;
    await waitFor(() => hiddenNode.addresses().some((address) => address.includes('/p2p-circuit')), 'a relay reservation', 10_000);
    const circuit = hidden.addresses().find((address) => address.includes('/p2p-circuit'))!;
    assert.equal(circuit, `${relayAddress}/p2p-circuit/p2p/${hidden.peerId}`);
    // The listener knows only the relay; it reaches the hidden node through it.
    listener = await startLibp2pNetwork({ seed: listenerKey.seed, config: { ...LOCAL, peers: [relayAddress] }, members, redialMs: 100 });
    const listenerNode = listener;
    await waitFor(() => listenerNode.peers().some((peer) => peer.peerId === hiddenNode.peerId), 'the relayed connection', 15_000);
    await waitFor(() => hiddenNode.peers().some((peer) => peer.peerId === listenerNode.peerId), 'the relayed connection at the hidden node');
    assert.deepEqual(listener.peers().find((peer) => peer.peerId === hiddenNode.peerId), { peerId: hidden.peerId, connection: 'relayed' });
    assert.deepEqual(hidden.peers().find((peer) => peer.peerId === listenerNode.peerId), { peerId: listener.peerId, connection: 'relayed' });
    assert.deepEqual(hidden.peers().find((peer) => peer.peerId === relay!.peerId)?.connection, 'direct');

    const atHidden: string[] = [];
    hidden.onMessage((_from, _topic, message) => atHidden.push(Buffer.from(message).toString()));
    const atListener: string[] = [];
    listener.onMessage((_from, _topic, message) => atListener.push(Buffer.from(message).toString()));
    listener.send(hidden.peerId, 'consensus', new Uint8Array(Buffer.from('over the relay')));
    hidden.send(listener.peerId, 'tx', new Uint8Array(Buffer.from('and back')));
    await waitFor(() => atHidden.length === 1 && atListener.length === 1, 'messages over the relay');
    assert.deepEqual([atHidden, atListener], [['over the relay'], ['and back']]);

    hidden.handleRequests(async (from, request) => new Uint8Array(Buffer.from(`${Buffer.from(request).toString()} for ${from}`)));
    const answer = await listener.request(hidden.peerId, new Uint8Array(Buffer.from('blocks')), 5_000);
    assert.equal(Buffer.from(answer).toString(), `blocks for ${listener.peerId}`);
  } finally {
    await stopAll([listener, hidden, relay]);
  }
});

test('members that know only one member learn each other\'s addresses from it, connect directly, and stay connected without it', { timeout: 30_000 }, async () => {
  const [hubKey, bKey, cKey] = await Promise.all([freshKey(), freshKey(), freshKey()]);
  const members = [hubKey.peerId, bKey.peerId, cKey.peerId];
  let hub: Libp2pPeerNetwork | undefined;
  let b: Libp2pPeerNetwork | undefined;
  let c: Libp2pPeerNetwork | undefined;
  try {
    hub = await startLibp2pNetwork({ seed: hubKey.seed, config: LOCAL, members, redialMs: 100 });
    b = await startLibp2pNetwork({ seed: bKey.seed, config: { ...LOCAL, peers: [tcpAddress(hub)] }, members, redialMs: 100 });
    c = await startLibp2pNetwork({ seed: cKey.seed, config: { ...LOCAL, peers: [tcpAddress(hub)] }, members, redialMs: 100 });
    const linked = (x: Libp2pPeerNetwork, y: Libp2pPeerNetwork) => x.peers().some((peer) => peer.peerId === y.peerId && peer.connection === 'direct');
    await waitFor(() => linked(b!, c!) && linked(c!, b!), 'the two members that only knew the hub to connect directly', 15_000);
    await hub.stop();
    await sleep(500);
    assert.ok(linked(b, c), 'still connected once the hub is gone');
    const received: string[] = [];
    c.onMessage((from, topic, message) => received.push(`${from}:${topic}:${new TextDecoder().decode(message)}`));
    b.broadcast('status', new TextEncoder().encode('hello'));
    await waitFor(() => received.length > 0, 'a message from b to c without the hub', 5_000);
    assert.deepEqual(received, [`${b.peerId}:status:hello`]);
  } finally {
    await stopAll([hub, b, c]);
  }
});

test('a static peer or relay that is down is not fatal', { timeout: 20_000 }, async () => {
  const [a, gone] = await Promise.all([freshKey(), freshKey()]);
  let node: Libp2pPeerNetwork | undefined;
  try {
    const deadPeer = `/ip4/127.0.0.1/tcp/1/p2p/${gone.peerId}`;
    node = await startLibp2pNetwork({ seed: a.seed, config: { ...LOCAL, listen: [], peers: [deadPeer] }, members: [a.peerId, gone.peerId], redialMs: 50 });
    await sleep(300);
    assert.deepEqual(node.peers(), []);
  } finally {
    await stopAll([node]);
  }
});

test('a flood to a peer that does not keep up is bounded by the outbound queue: excess is dropped', { timeout: 30_000 }, async () => {
  const [sender, receiver] = await Promise.all([freshKey(), freshKey()]);
  const members = [sender.peerId, receiver.peerId];
  let a: Libp2pPeerNetwork | undefined;
  let b: Libp2pPeerNetwork | undefined;
  try {
    b = await startLibp2pNetwork({ seed: receiver.seed, config: LOCAL, members });
    const queueMax = 4 * 1024 * 1024;
    a = await startLibp2pNetwork({ seed: sender.seed, config: { ...LOCAL, peers: [tcpAddress(b)] }, members, outboundQueueBytesMax: queueMax });
    const senderNode = a;
    await waitFor(() => senderNode.peers().length === 1, 'the connection');
    // The receiver's handler blocks its event loop turn for a while on each message: it cannot keep up.
    let received = 0;
    b.onMessage(() => {
      received += 1;
      const until = Date.now() + 2;
      while (Date.now() < until) {
        // busy: a slow consumer
      }
    });
    const message = new Uint8Array(1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    let maxQueued = 0;
    for (let i = 0; i < 200; i += 1) {
      a.send(b.peerId, 'tx', message);
      maxQueued = Math.max(maxQueued, a.stats().queuedBytes);
    }
    assert.ok(maxQueued <= queueMax, `queued ${maxQueued} bytes`);
    assert.ok(a.stats().dropped > 0, 'some messages are dropped');
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 * 1024 * 1024, 'buffers stay bounded');
    // What was queued is delivered; the rest was dropped at the sender.
    await waitFor(() => senderNode.stats().queuedBytes === 0 && received + senderNode.stats().dropped === 200, 'the queue to drain', 15_000);
    assert.ok(received > 0 && received < 200, `received ${received}`);
  } finally {
    await stopAll([a, b]);
  }
});

test('a node refused by a peer keeps redialling it with a bounded backoff, and connects once the peer admits it', { timeout: 20_000 }, async () => {
  const [waiting, member] = await Promise.all([freshKey(), freshKey()]);
  let gate: Libp2pPeerNetwork | undefined;
  let node: Libp2pPeerNetwork | undefined;
  try {
    // The member does not list the waiting node yet (it awaits admission); the waiting node lists the member.
    gate = await startLibp2pNetwork({ seed: member.seed, config: LOCAL, members: [member.peerId] });
    node = await startLibp2pNetwork({ seed: waiting.seed, config: { ...LOCAL, peers: [tcpAddress(gate)] }, members: [member.peerId], redialMs: 50, redialMaxMs: 400 });
    const waitingNode = node;
    await sleep(1_500);
    assert.deepEqual(waitingNode.peers(), []);
    const admittedAt = Date.now();
    gate.setMembers([member.peerId, waiting.peerId]);
    await waitFor(() => waitingNode.peers().length === 1, 'the connection after admission', 5_000);
    assert.ok(Date.now() - admittedAt < 2_000, `connected ${Date.now() - admittedAt} ms after admission`);
  } finally {
    await stopAll([node, gate]);
  }
});
