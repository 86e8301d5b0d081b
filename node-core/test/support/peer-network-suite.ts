import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IngotError } from '../../src/codec/errors.ts';
import { JOIN_REQUESTS_PER_CONNECTION_MAX } from '../../src/p2p/limits.ts';
import { ACCESS_REQUEST_BYTES_MAX, ACCESS_RESPONSE_BYTES_MAX, MESSAGE_BYTES_MAX, SYNC_REQUEST_BYTES_MAX, TELEMETRY_REQUEST_BYTES_MAX, type PeerEvent, type PeerNetwork, type Topic } from '../../src/p2p/network.ts';

/**
 * What every PeerNetwork must do, run against each implementation. A cluster's `networks` list one
 * another as members and are connected when the factory returns; `outsider` knows their peer ids
 * and tries to reach them, but none of them lists it as a member. `joiner()` makes a network with a
 * fresh identity that lists the members as its (bootstrap) peers, as a joining node does; a member
 * lets it in only after `setJoiners`, and only for the join protocol. The cluster stops it too.
 */
export interface PeerNetworkCluster {
  readonly networks: readonly PeerNetwork[];
  readonly outsider: PeerNetwork;
  joiner(): Promise<PeerNetwork>;
  stop(): Promise<void>;
}
export type ClusterFactory = (members: number) => Promise<PeerNetworkCluster>;

const TEST_TIMEOUT_MS = 20_000;

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Received {
  readonly from: string;
  readonly topic: Topic;
  readonly text: string;
}

function record(network: PeerNetwork): Received[] {
  const received: Received[] = [];
  network.onMessage((from, topic, message) => received.push({ from, topic, text: Buffer.from(message).toString() }));
  return received;
}

const bytes = (text: string) => new Uint8Array(Buffer.from(text));

function assertCode(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof IngotError, `expected an IngotError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

export function peerNetworkSuite(name: string, factory: ClusterFactory): void {
  const withCluster = (members: number, body: (cluster: PeerNetworkCluster) => Promise<void>) => async () => {
    const cluster = await factory(members);
    try {
      await body(cluster);
    } finally {
      await cluster.stop();
    }
  };

  describe(`PeerNetwork: ${name}`, { timeout: TEST_TIMEOUT_MS * 8 }, () => {
    test('members see one another as connected peers', { timeout: TEST_TIMEOUT_MS }, withCluster(3, async ({ networks }) => {
      for (const network of networks) {
        const others = networks.filter((other) => other !== network).map((other) => other.peerId).sort();
        assert.deepEqual(network.peers().map((peer) => peer.peerId).sort(), others);
        assert.ok(network.addresses().every((address) => address.endsWith(`/p2p/${network.peerId}`)));
      }
    }));

    test('a broadcast reaches every other member exactly once, in order with what follows', { timeout: TEST_TIMEOUT_MS }, withCluster(3, async ({ networks }) => {
      const [a, b, c] = networks as [PeerNetwork, PeerNetwork, PeerNetwork];
      const atA = record(a);
      const atB = record(b);
      const atC = record(c);
      a.broadcast('tx', bytes('hello'));
      a.broadcast('status', bytes('marker'));
      await waitFor(() => atB.length >= 2 && atC.length >= 2, 'the broadcast and the marker');
      for (const received of [atB, atC]) {
        assert.deepEqual(received, [{ from: a.peerId, topic: 'tx', text: 'hello' }, { from: a.peerId, topic: 'status', text: 'marker' }]);
      }
      assert.deepEqual(atA, []);
    }));

    test('send reaches only its peer', { timeout: TEST_TIMEOUT_MS }, withCluster(3, async ({ networks }) => {
      const [a, b, c] = networks as [PeerNetwork, PeerNetwork, PeerNetwork];
      const atB = record(b);
      const atC = record(c);
      a.send(b.peerId, 'consensus', bytes('for b'));
      a.send(c.peerId, 'status', bytes('marker'));
      a.send(b.peerId, 'status', bytes('marker'));
      await waitFor(() => atB.length >= 2 && atC.length >= 1, 'the messages');
      assert.deepEqual(atB.map((m) => m.text), ['for b', 'marker']);
      assert.deepEqual(atC.map((m) => m.text), ['marker']);
    }));

    test('a large message within its topic limit is delivered intact', { timeout: TEST_TIMEOUT_MS }, withCluster(2, async ({ networks }) => {
      const [a, b] = networks as [PeerNetwork, PeerNetwork];
      const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
      const got: Uint8Array[] = [];
      b.onMessage((_from, topic, message) => {
        if (topic === 'consensus') got.push(message);
      });
      a.send(b.peerId, 'consensus', big);
      await waitFor(() => got.length === 1, 'the large message');
      assert.deepEqual(got[0], big);
    }));

    test('unsubscribing a handler stops its deliveries; a throwing handler does not stop others', { timeout: TEST_TIMEOUT_MS }, withCluster(2, async ({ networks }) => {
      const [a, b] = networks as [PeerNetwork, PeerNetwork];
      const first: string[] = [];
      const second: string[] = [];
      const unsubscribe = b.onMessage((_from, _topic, message) => first.push(Buffer.from(message).toString()));
      b.onMessage(() => {
        throw new Error('a handler bug (expected in this test)');
      });
      b.onMessage((_from, _topic, message) => second.push(Buffer.from(message).toString()));
      a.send(b.peerId, 'tx', bytes('one'));
      await waitFor(() => second.length === 1, 'the first message');
      unsubscribe();
      a.send(b.peerId, 'tx', bytes('two'));
      a.send(b.peerId, 'tx', bytes('three'));
      await waitFor(() => second.length === 3, 'the later messages');
      assert.deepEqual(first, ['one']);
      assert.deepEqual(second, ['one', 'two', 'three']);
    }));

    test('a request gets its answer, and a large answer arrives intact', { timeout: TEST_TIMEOUT_MS }, withCluster(2, async ({ networks }) => {
      const [a, b] = networks as [PeerNetwork, PeerNetwork];
      const big = new Uint8Array(2 * 1024 * 1024).map((_, i) => i % 253);
      b.handleRequests(async (from, request) => {
        const text = Buffer.from(request).toString();
        return text === 'big' ? big : bytes(`${text} from ${from}`);
      });
      assert.equal(Buffer.from(await a.request(b.peerId, bytes('blocks 1..10'), 5_000)).toString(), `blocks 1..10 from ${a.peerId}`);
      assert.deepEqual(await a.request(b.peerId, bytes('big'), 5_000), big);
      const answers = await Promise.all([1, 2, 3].map((i) => a.request(b.peerId, bytes(`r${i}`), 5_000)));
      assert.deepEqual(answers.map((answer) => Buffer.from(answer).toString()), [1, 2, 3].map((i) => `r${i} from ${a.peerId}`));
    }));

    test('a request with no answer in time rejects with SYNC_TIMEOUT; a throwing handler answers nothing', { timeout: TEST_TIMEOUT_MS }, withCluster(2, async ({ networks }) => {
      const [a, b] = networks as [PeerNetwork, PeerNetwork];
      b.handleRequests(async (_from, request) => {
        if (Buffer.from(request).toString() === 'throw') throw new Error('no such blocks');
        return new Promise<Uint8Array>(() => {});
      });
      const started = Date.now();
      await assert.rejects(a.request(b.peerId, bytes('slow'), 200), assertCode('SYNC_TIMEOUT'));
      assert.ok(Date.now() - started < 2_000);
      await assert.rejects(a.request(b.peerId, bytes('throw'), 1_000), (error: unknown) => error instanceof IngotError);
    }));

    test('the telemetry protocol has its own handler and limits: answers intact, separate from sync, oversized requests refused, busy beyond the per-peer limit', { timeout: TEST_TIMEOUT_MS }, withCluster(2, async ({ networks }) => {
      const [a, b] = networks as [PeerNetwork, PeerNetwork];
      const big = new Uint8Array(6 * 1024 * 1024).map((_, i) => i % 241);
      const release = Promise.withResolvers<void>();
      b.handleRequests(async () => bytes('sync answer'));
      b.handleTelemetryRequests(async (from, request) => {
        const text = Buffer.from(request).toString();
        if (text === 'big') return big;
        if (text === 'hold') await release.promise;
        return bytes(`telemetry ${text} for ${from}`);
      });
      assert.equal(Buffer.from(await a.telemetryRequest(b.peerId, bytes('device 1'), 5_000)).toString(), `telemetry device 1 for ${a.peerId}`);
      assert.equal(Buffer.from(await a.request(b.peerId, bytes('blocks'), 5_000)).toString(), 'sync answer');
      assert.deepEqual(await a.telemetryRequest(b.peerId, bytes('big'), 10_000), big);
      await assert.rejects(a.telemetryRequest(b.peerId, new Uint8Array(TELEMETRY_REQUEST_BYTES_MAX + 1), 1_000), assertCode('TELEMETRY_FETCH_REQUEST_TOO_LARGE'));
      // Two requests held by the handler use up a's share; a third is refused at once, and sync is not affected.
      const held = [a.telemetryRequest(b.peerId, bytes('hold'), 5_000), a.telemetryRequest(b.peerId, bytes('hold'), 5_000)];
      await sleep(100);
      await assert.rejects(a.telemetryRequest(b.peerId, bytes('third'), 5_000), assertCode('TELEMETRY_FETCH_BUSY'));
      assert.equal(Buffer.from(await a.request(b.peerId, bytes('blocks'), 5_000)).toString(), 'sync answer');
      release.resolve();
      assert.equal((await Promise.all(held)).length, 2);
      // Without a handler, nothing is answered.
      await assert.rejects(b.telemetryRequest(a.peerId, bytes('x'), 300), (error: unknown) => error instanceof IngotError);
    }));

    test('the access protocol has its own handler and limits: separate from telemetry, small answers only, busy beyond the per-peer limit', { timeout: TEST_TIMEOUT_MS }, withCluster(2, async ({ networks }) => {
      const [a, b] = networks as [PeerNetwork, PeerNetwork];
      const release = Promise.withResolvers<void>();
      b.handleTelemetryRequests(async () => bytes('telemetry answer'));
      b.handleAccessRequests(async (from, request) => {
        const text = Buffer.from(request).toString();
        if (text === 'big') return new Uint8Array(ACCESS_RESPONSE_BYTES_MAX + 1);
        if (text === 'hold') await release.promise;
        return bytes(`token ${text} for ${from}`);
      });
      assert.equal(Buffer.from(await a.accessRequest(b.peerId, bytes('operate'), 5_000)).toString(), `token operate for ${a.peerId}`);
      assert.equal(Buffer.from(await a.telemetryRequest(b.peerId, bytes('device'), 5_000)).toString(), 'telemetry answer');
      await assert.rejects(a.accessRequest(b.peerId, new Uint8Array(ACCESS_REQUEST_BYTES_MAX + 1), 1_000), assertCode('ACCESS_REQUEST_REQUEST_TOO_LARGE'));
      // An answer beyond the limit never reaches the requester as an answer.
      await assert.rejects(a.accessRequest(b.peerId, bytes('big'), 2_000), (error: unknown) => error instanceof IngotError);
      const held = [a.accessRequest(b.peerId, bytes('hold'), 5_000), a.accessRequest(b.peerId, bytes('hold'), 5_000)];
      await sleep(100);
      await assert.rejects(a.accessRequest(b.peerId, bytes('third'), 5_000), assertCode('ACCESS_REQUEST_BUSY'));
      assert.equal(Buffer.from(await a.telemetryRequest(b.peerId, bytes('device'), 5_000)).toString(), 'telemetry answer');
      release.resolve();
      assert.equal((await Promise.all(held)).length, 2);
      const started = Date.now();
      await assert.rejects(b.accessRequest(a.peerId, bytes('x'), 300), (error: unknown) => error instanceof IngotError);
      assert.ok(Date.now() - started < 2_000);
    }));

    test('oversized messages and requests are refused with MESSAGE_TOO_LARGE / SYNC_REQUEST_TOO_LARGE', { timeout: TEST_TIMEOUT_MS }, withCluster(2, async ({ networks }) => {
      const [a, b] = networks as [PeerNetwork, PeerNetwork];
      const atB = record(b);
      assert.throws(() => a.send(b.peerId, 'status', new Uint8Array(MESSAGE_BYTES_MAX.status + 1)), assertCode('MESSAGE_TOO_LARGE'));
      assert.throws(() => a.broadcast('tx', new Uint8Array(MESSAGE_BYTES_MAX.tx + 1)), assertCode('MESSAGE_TOO_LARGE'));
      await assert.rejects(a.request(b.peerId, new Uint8Array(SYNC_REQUEST_BYTES_MAX + 1), 1_000), assertCode('SYNC_REQUEST_TOO_LARGE'));
      a.send(b.peerId, 'status', new Uint8Array(MESSAGE_BYTES_MAX.status)); // exactly at the limit is fine
      await waitFor(() => atB.length === 1, 'the message at the limit');
    }));

    test('a peer that is not a member exchanges nothing with members', { timeout: TEST_TIMEOUT_MS }, withCluster(2, async ({ networks, outsider }) => {
      const [a, b] = networks as [PeerNetwork, PeerNetwork];
      const atA = record(a);
      const atB = record(b);
      const atOutsider = record(outsider);
      a.handleRequests(async () => bytes('answer'));
      outsider.handleRequests(async () => bytes('answer'));
      await sleep(200); // time for any dial the outsider attempts
      outsider.broadcast('tx', bytes('let me in'));
      outsider.send(a.peerId, 'tx', bytes('let me in'));
      a.send(outsider.peerId, 'tx', bytes('leak'));
      a.broadcast('status', bytes('members only'));
      await assert.rejects(outsider.request(a.peerId, bytes('blocks'), 500), (error: unknown) => error instanceof IngotError);
      await assert.rejects(a.request(outsider.peerId, bytes('blocks'), 500), (error: unknown) => error instanceof IngotError);
      a.handleTelemetryRequests(async () => bytes('points'));
      await assert.rejects(outsider.telemetryRequest(a.peerId, bytes('device'), 500), (error: unknown) => error instanceof IngotError);
      a.handleAccessRequests(async () => bytes('token'));
      await assert.rejects(outsider.accessRequest(a.peerId, bytes('device'), 500), (error: unknown) => error instanceof IngotError);
      await waitFor(() => atB.length === 1, 'the members-only broadcast');
      await sleep(100);
      assert.deepEqual(atA, []);
      assert.deepEqual(atB.map((m) => m.from), [a.peerId]);
      assert.deepEqual(atOutsider, []);
      assert.deepEqual(outsider.peers(), []);
      for (const network of networks) assert.ok(!network.peers().some((peer) => peer.peerId === outsider.peerId));
    }));

    test('a joiner listed by a member reaches its join protocol and nothing else', { timeout: TEST_TIMEOUT_MS }, withCluster(2, async (cluster) => {
      const [a, b] = cluster.networks as [PeerNetwork, PeerNetwork];
      const joiner = await cluster.joiner();
      a.setJoiners([joiner.peerId]);
      const echo = async (from: string, request: Uint8Array) => bytes(`${Buffer.from(request).toString()} for ${from}`);
      a.handleJoinRequests(echo);
      b.handleJoinRequests(echo);
      a.handleRequests(async () => bytes('blocks'));
      const atA = record(a);
      const atB = record(b);
      const atJoiner = record(joiner);
      const events: PeerEvent[] = [];
      a.onPeer((event) => events.push(event));

      assert.equal(Buffer.from(await joiner.joinRequest(a.peerId, bytes('genesis'), 5_000)).toString(), `genesis for ${joiner.peerId}`);
      // The sync protocol is refused with a code, so the joiner does not wait for a timeout.
      await assert.rejects(joiner.request(a.peerId, bytes('blocks'), 5_000), assertCode('PEER_NOT_MEMBER'));
      a.handleTelemetryRequests(async () => bytes('points'));
      await assert.rejects(joiner.telemetryRequest(a.peerId, bytes('device'), 5_000), assertCode('PEER_NOT_MEMBER'));
      a.handleAccessRequests(async () => bytes('token'));
      await assert.rejects(joiner.accessRequest(a.peerId, bytes('device'), 5_000), assertCode('PEER_NOT_MEMBER'));
      joiner.send(a.peerId, 'tx', bytes('let me in'));
      joiner.broadcast('consensus', bytes('let me in'));
      a.send(joiner.peerId, 'tx', bytes('leak'));
      a.broadcast('status', bytes('members only'));
      await waitFor(() => atB.length === 1, 'the members-only broadcast');
      // b does not list the joiner: it gets no connection, whatever it asks.
      await assert.rejects(joiner.joinRequest(b.peerId, bytes('genesis'), 2_000), (error: unknown) => error instanceof IngotError);
      await sleep(200);
      assert.deepEqual(atA, []);
      assert.deepEqual(atB.map((m) => m.from), [a.peerId]);
      assert.deepEqual(atJoiner, []);
      assert.deepEqual(events, [], 'a joiner is never reported as a connected peer');
      for (const network of [a, b]) assert.ok(!network.peers().some((peer) => peer.peerId === joiner.peerId));
      assert.equal(Buffer.from(await joiner.joinRequest(a.peerId, bytes('status'), 5_000)).toString(), `status for ${joiner.peerId}`);
    }));

    test('a joiner\'s requests are bounded, and it loses access when no longer listed', { timeout: TEST_TIMEOUT_MS }, withCluster(2, async (cluster) => {
      const [a] = cluster.networks as [PeerNetwork, PeerNetwork];
      const joiner = await cluster.joiner();
      a.setJoiners([joiner.peerId]);
      a.handleJoinRequests(async () => bytes('ok'));
      for (let i = 0; i < JOIN_REQUESTS_PER_CONNECTION_MAX; i++) {
        assert.equal(Buffer.from(await joiner.joinRequest(a.peerId, bytes(`r${i}`), 5_000)).toString(), 'ok');
      }
      await assert.rejects(joiner.joinRequest(a.peerId, bytes('one more'), 5_000), assertCode('JOIN_LIMIT'));
      // A member is never counted against that limit.
      const [, b] = cluster.networks as [PeerNetwork, PeerNetwork];
      for (let i = 0; i <= JOIN_REQUESTS_PER_CONNECTION_MAX; i++) assert.equal(Buffer.from(await b.joinRequest(a.peerId, bytes('m'), 5_000)).toString(), 'ok');
      const other = await cluster.joiner();
      a.setJoiners([other.peerId]);
      await sleep(100);
      await assert.rejects(joiner.joinRequest(a.peerId, bytes('again'), 3_000), (error: unknown) => error instanceof IngotError);
      assert.equal(Buffer.from(await other.joinRequest(a.peerId, bytes('hi'), 5_000)).toString(), 'ok');
      await assert.rejects(joiner.joinRequest(a.peerId, bytes('big'.repeat(20_000)), 1_000), assertCode('JOIN_REQUEST_TOO_LARGE'));
    }));

    test('removing a member disconnects it on both sides and onPeer reports it', { timeout: TEST_TIMEOUT_MS }, withCluster(3, async ({ networks }) => {
      const [a, b, c] = networks as [PeerNetwork, PeerNetwork, PeerNetwork];
      const eventsAtA: PeerEvent[] = [];
      const eventsAtC: PeerEvent[] = [];
      a.onPeer((event) => eventsAtA.push(event));
      c.onPeer((event) => eventsAtC.push(event));
      const atA = record(a);
      a.setMembers([b.peerId]);
      await waitFor(() => eventsAtA.some((e) => e.peerId === c.peerId && !e.connected), 'a to report c gone');
      await waitFor(() => eventsAtC.some((e) => e.peerId === a.peerId && !e.connected), 'c to report a gone');
      assert.deepEqual(a.peers().map((peer) => peer.peerId), [b.peerId]);
      assert.ok(!c.peers().some((peer) => peer.peerId === a.peerId));
      c.send(a.peerId, 'tx', bytes('still here'));
      c.broadcast('tx', bytes('still here'));
      await sleep(200);
      assert.deepEqual(atA, []);
      // b is still a member of a.
      b.send(a.peerId, 'tx', bytes('hi'));
      await waitFor(() => atA.length === 1, 'b still reaches a');
    }));
  });
}
