import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryHub, type MemoryNetwork } from '../src/p2p/memory-network.ts';
import { peerNetworkSuite, waitFor } from './support/peer-network-suite.ts';

peerNetworkSuite('in memory', async (members) => {
  const hub = new MemoryHub();
  const networks = Array.from({ length: members }, (_, i) => hub.create(`member-${i}`));
  const ids = networks.map((network) => network.peerId);
  for (const network of networks) network.setMembers(ids);
  const outsider = hub.create('outsider');
  outsider.setMembers(ids);
  await waitFor(() => networks.every((network) => network.peers().length === members - 1), 'the cluster to connect');
  const joiners: MemoryNetwork[] = [];
  return {
    networks,
    outsider,
    async joiner() {
      const joiner = hub.create(`joiner-${joiners.length}`);
      joiner.setMembers(ids);
      joiners.push(joiner);
      return joiner;
    },
    stop: async () => {
      await Promise.all([...networks, outsider, ...joiners].map((network) => network.stop()));
    },
  };
});

function connected(hub: MemoryHub, count: number): MemoryNetwork[] {
  const networks = Array.from({ length: count }, (_, i) => hub.create(`n${i}`));
  for (const network of networks) network.setMembers(networks.map((n) => n.peerId));
  return networks;
}

test('a partition cuts a pair both ways until healed, and a disconnected peer reconnects', async () => {
  const hub = new MemoryHub();
  const [a, b, c] = connected(hub, 3) as [MemoryNetwork, MemoryNetwork, MemoryNetwork];
  const atB: string[] = [];
  b.onMessage((from) => atB.push(from));
  hub.partition(a.peerId, b.peerId);
  assert.deepEqual(a.peers().map((p) => p.peerId), [c.peerId]);
  a.send(b.peerId, 'tx', new Uint8Array([1]));
  c.send(b.peerId, 'tx', new Uint8Array([1]));
  await waitFor(() => atB.length === 1, 'c to reach b');
  hub.heal(a.peerId, b.peerId);
  a.send(b.peerId, 'tx', new Uint8Array([1]));
  await waitFor(() => atB.length === 2, 'a to reach b after healing');
  assert.deepEqual(atB, [c.peerId, a.peerId]);
  hub.disconnect(c.peerId);
  assert.deepEqual(c.peers(), []);
  assert.deepEqual(a.peers().map((p) => p.peerId), [b.peerId]);
  hub.reconnect(c.peerId);
  assert.equal(c.peers().length, 2);
});

test('a message in flight when a partition starts is lost, and a seeded scheduler keeps per-pair order', async () => {
  const pending: (() => void)[] = [];
  const hub = new MemoryHub({ schedule: (run) => pending.push(run) });
  const [a, b] = connected(hub, 2) as [MemoryNetwork, MemoryNetwork];
  const atB: number[] = [];
  b.onMessage((_from, _topic, message) => atB.push(message[0]!));
  for (let i = 0; i < 5; i += 1) a.send(b.peerId, 'tx', new Uint8Array([i]));
  // Run the scheduled deliveries in reverse: each still delivers the oldest message of its pair.
  const drain = () => {
    while (pending.length > 0) pending.splice(pending.length - 1, 1)[0]!();
  };
  drain();
  assert.deepEqual(atB, [0, 1, 2, 3, 4]);
  a.send(b.peerId, 'tx', new Uint8Array([9]));
  hub.partition(a.peerId, b.peerId);
  drain();
  assert.deepEqual(atB, [0, 1, 2, 3, 4]);
});
