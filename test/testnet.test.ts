import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Results } from '../node-core/src/api/methods.ts';
import { startLibp2pNetwork, type Libp2pPeerNetwork } from '../node-core/src/p2p/libp2p-network.ts';
import { describeResult, runCli, waitUntil } from './support/cli.ts';
import { killStrays, Testnet } from './support/testnet.ts';

/**
 * A consortium of 4 validators and 1 dial-only observer, each an `ingot start` process on
 * 127.0.0.1 made by `ingot testnet`. The steps share one cluster and run in order; each one
 * starts from all five nodes up and leaves them so.
 */

const VALIDATORS = ['org-1', 'org-2', 'org-3', 'org-4'];
const OBSERVER = 'observer-1';
const ALL = [...VALIDATORS, OBSERVER];
/** Longer than any connection a node's gate lets a non-member keep from the dialler's point of view. */
const LINGER_MS = 1_000;

describe('ingot testnet: writing the data directories', { timeout: 60_000 }, () => {
  let testnet: Testnet;
  before(async () => {
    testnet = await Testnet.create({ validators: 4, observers: 1, blockIntervalMs: 100 });
  });
  after(async () => {
    await testnet?.close();
  });

  it('writes one complete directory per node with a shared consortium, distinct loopback ports and the start commands', async () => {
    const { info, dir } = testnet;
    assert.deepEqual(info.nodes.map((node) => node.name), ALL);
    assert.deepEqual((await readdir(dir)).filter((name) => name !== 'genesis-ledger').sort(), [...ALL].sort());
    const ports = info.nodes.flatMap((node) => [node.apiPort, ...(node.p2pPort === undefined ? [] : [node.p2pPort])]);
    assert.equal(new Set(ports).size, ports.length, 'every port is used once');
    for (const node of info.nodes) {
      assert.equal(node.command, `ingot start --data ${join(dir, node.name)}`);
      assert.deepEqual((await readdir(node.dataDir)).sort(), ['config.json', 'keys.json', 'ledger', 'node-key.json']);
      const config = JSON.parse(await readFile(join(node.dataDir, 'config.json'), 'utf8'));
      assert.deepEqual(config.api, { host: '127.0.0.1', port: node.apiPort });
      assert.equal(config.blockIntervalMs, 100);
      assert.equal(config.p2p.mdns, false);
      if (node.role === 'validator') {
        assert.deepEqual(config.p2p.listen, [`/ip4/127.0.0.1/tcp/${node.p2pPort}`]);
        assert.equal(config.p2p.relay, true);
        assert.deepEqual(config.p2p.peers, testnet.validators.filter((other) => other !== node).map((other) => other.address));
      } else {
        assert.deepEqual(config.p2p.listen, [], 'an observer only dials out');
        assert.deepEqual(config.p2p.peers, [testnet.node('org-1').address]);
      }
    }
  });

  it('refuses to write over a directory that holds a node, with DATA_DIR_NOT_EMPTY', async () => {
    const result = await runCli(['testnet', '--validators', '2', '--dir', testnet.dir, '--base-port', '40000']);
    assert.equal(result.code, 1, describeResult(result));
    assert.match(result.stderr, /DATA_DIR_NOT_EMPTY/);
  });

  it('refuses ports that are taken, with PORT_IN_USE, and writes nothing', async () => {
    // Nothing listens on the testnet's ports yet: take one.
    const taken = testnet.node('org-1').apiPort;
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(taken, '127.0.0.1', resolve));
    try {
      const fresh = join(testnet.dir, '..', 'other');
      const result = await runCli(['testnet', '--validators', '1', '--dir', fresh, '--base-port', String(taken)]);
      assert.equal(result.code, 1, describeResult(result));
      assert.match(result.stderr, /PORT_IN_USE/);
      await assert.rejects(readdir(fresh), { code: 'ENOENT' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a 4-validator testnet with a dial-only observer, as 5 processes', { timeout: 150_000 }, () => {
  let testnet: Testnet;
  let contact = 0;
  const nextContact = () => `contact ${++contact}`;

  before(async () => {
    testnet = await Testnet.create({ validators: 4, observers: 1, blockIntervalMs: 100 });
    await Promise.all(ALL.map((name) => testnet.start(name)));
  });
  after(async () => {
    killStrays();
    await testnet?.close();
  });

  /** Starts whatever a failed step left stopped, so one failure does not cascade into the next steps. */
  async function allUp(): Promise<void> {
    await Promise.all(ALL.filter((name) => !testnet.up.includes(name)).map((name) => testnet.start(name)));
  }

  it('the observer, which cannot be dialled, is reachable through org-1\'s relay and connected to every validator', async () => {
    const validatorIds = testnet.validators.map((node) => node.peerId).sort();
    let peers: Results['node.status']['peers'] = [];
    await waitUntil(async () => {
      peers = (await testnet.status(OBSERVER)).peers;
      return validatorIds.every((id) => peers.some((peer) => peer.peerId === id));
    }, 'the observer to be connected to all validators', 40_000, 200).catch((error: Error) => {
      throw new Error(`${error.message}; observer peers ${JSON.stringify(peers)}`);
    });
    // Its only address is the circuit through org-1's relay: that is how the others dial it. Once it has
    // learnt their addresses from the members' address book it dials them directly itself, so which way
    // each link runs depends on timing (relayed messaging itself is tested in p2p-libp2p.test.ts).
    const org1 = testnet.node('org-1').peerId;
    await waitUntil(async () => (await testnet.status(OBSERVER)).addresses.some((address) => address.includes(`/p2p/${org1}/p2p-circuit`)), 'the observer\'s relay reservation at org-1', 20_000, 200);
    assert.ok((await testnet.status(OBSERVER)).addresses.every((address) => address.includes('/p2p-circuit')), 'the observer has no direct address');
    assert.ok(peers.some((peer) => peer.peerId === org1 && peer.connection === 'direct'), 'org-1, its static peer, directly');
  });

  it('transactions submitted to any node, the observer included, commit on all with equal block hashes and state roots', async () => {
    const committed = await Promise.all(ALL.map((name) => testnet.submitAndCommit(name, nextContact())));
    const top = Math.max(...committed.map((c) => c.height));
    await testnet.waitForHeight(ALL, top);
    for (const { hash, height } of committed) {
      for (const name of ALL) assert.equal(await testnet.committedAt(name, hash), height, `${hash} on ${name}`);
    }
    // Each node's own transaction changed its organisation's profile everywhere.
    for (const node of testnet.info.nodes) {
      const org = await testnet.call<{ contact: string }>('org-3', 'org.get', { id: node.orgId });
      assert.match(org.contact, /^contact \d+$/, node.name);
    }
    assert.ok(await testnet.assertAgreement(ALL) >= top);
  });

  it('a SIGKILLed validator does not stop the others; restarted, it catches up', async () => {
    await allUp();
    await testnet.stop('org-2', 'SIGKILL');
    const before = await testnet.height('org-1');
    for (const name of ['org-1', 'org-3', OBSERVER]) await testnet.submitAndCommit(name, nextContact());
    const live = ['org-1', 'org-3', 'org-4', OBSERVER];
    await testnet.waitForHeight(live, before + 3);
    const reached = await testnet.height('org-1');

    await testnet.start('org-2');
    await testnet.waitForHeight(['org-2'], reached);
    await testnet.submitAndCommit('org-2', nextContact());
    await testnet.waitForSameHead(ALL);
    await testnet.assertAgreement(ALL);
  });

  it('with two of four validators stopped nothing commits and nobody forks; one back and blocks resume', async () => {
    await allUp();
    await testnet.waitForSameHead(ALL);
    await testnet.stop('org-3');
    await testnet.stop('org-4');
    const live = ['org-1', 'org-2', OBSERVER];
    const stalled = await testnet.heights(live);
    const pending = await testnet.submit('org-1', nextContact());
    const observerPending = await testnet.submit(OBSERVER, nextContact());
    // Half of the voting power cannot commit: for a few seconds no height moves.
    const deadline = Date.now() + 4_000;
    while (Date.now() < deadline) {
      assert.deepEqual(await testnet.heights(live), stalled, 'no block without more than two thirds of the voting power');
      await sleep(250);
    }
    assert.equal(await testnet.committedAt('org-1', pending), undefined);
    await testnet.assertAgreement(live);

    await testnet.start('org-3');
    const three = ['org-1', 'org-2', 'org-3', OBSERVER];
    await waitUntil(async () => (await testnet.committedAt('org-1', pending)) !== undefined && (await testnet.committedAt('org-1', observerPending)) !== undefined,
      'the pending transactions to commit with three validators', 30_000, 200);
    await testnet.waitForSameHead(three);
    await testnet.assertAgreement(three);

    await testnet.start('org-4');
    await testnet.submitAndCommit('org-4', nextContact());
    await testnet.waitForSameHead(ALL);
    await testnet.assertAgreement(ALL);
  });

  it('a validator whose ledger directory was deleted (keys, node key, signing state, config and genesis.cbor kept) syncs to the others\' head and state', async () => {
    await allUp();
    await testnet.stop('org-2');
    await testnet.wipeLedger('org-2');
    for (const name of ['org-1', 'org-3']) await testnet.submitAndCommit(name, nextContact());
    const head = await testnet.height('org-1');

    await testnet.start('org-2');
    await testnet.waitForHeight(['org-2'], head);
    // Back in the validator set for real: it takes part in the next block.
    await testnet.submitAndCommit('org-2', nextContact());
    await testnet.waitForSameHead(ALL);
    const top = await testnet.assertAgreement(ALL);
    const [wiped, reference] = await Promise.all([testnet.status('org-2'), testnet.status('org-1')]);
    assert.equal(wiped.lastBlockHash, reference.lastBlockHash);
    assert.ok(top >= head);
  });

  it('a byzantine validator (conflicting votes, invalid proposals) cannot break agreement, and its equivocation is recorded on the ledger', async () => {
    await allUp();
    const byzantine = testnet.node('org-4');
    await testnet.stop('org-4');
    const liar = await testnet.startByzantine('org-4');
    const honest = ['org-1', 'org-2', 'org-3', OBSERVER];
    const from = await testnet.height('org-1');
    // Enough heights that the liar votes in each and proposes in some.
    for (let i = 0; i < 6; i++) await testnet.submitAndCommit(honest[i % honest.length] as string, nextContact(), 30_000);
    await testnet.waitForSameHead(honest);
    assert.ok(await testnet.assertAgreement(honest) >= from + 6);

    let history: Results['state.history'] = { entries: [] };
    await waitUntil(async () => {
      history = await testnet.call<Results['state.history']>('org-1', 'state.history', { subject: `validator/${byzantine.validatorKey}` });
      return history.entries.some((entry) => entry.contract === 'consensus' && entry.ok);
    }, 'the equivocation evidence on the ledger', 20_000, 200).catch((error: Error) => {
      throw new Error(`${error.message}; history ${JSON.stringify(history)}\nbyzantine output: ${liar.output()}`);
    });
    const evidence = history.entries.find((entry) => entry.contract === 'consensus' && entry.ok);
    assert.equal(evidence?.method, 'recordEvidence');
    // The record is on every honest node.
    await testnet.waitForSameHead(honest);
    for (const name of honest) {
      const seen = await testnet.call<Results['state.history']>(name, 'state.history', { subject: `validator/${byzantine.validatorKey}` });
      assert.ok(seen.entries.some((entry) => entry.hash === evidence?.hash), name);
    }

    await testnet.stop('org-4');
    // It did lie, both ways; and no honest node found itself outvoted on a block it refused.
    assert.match(liar.output(), /byzantine node stopped: [1-9]\d* conflicting votes, [1-9]\d* invalid proposals sent/);
    for (const name of honest) assert.doesNotMatch(testnet.running.get(name)?.output() ?? '', /block production failed|CONSENSUS_DIVERGED/, name);
    // Honest again, it rejoins on the same chain.
    await testnet.start('org-4');
    await testnet.submitAndCommit('org-4', nextContact());
    await testnet.waitForSameHead(ALL);
    await testnet.assertAgreement(ALL);
  });

  it('a libp2p peer with a fresh key that is not a member cannot open a connection to any node', async () => {
    await allUp();
    const members = testnet.info.nodes.map((node) => node.peerId);
    const targets = testnet.validators.map((node) => ({ name: node.name, peerId: node.peerId, address: node.address as string }));
    // Nor through org-1's relay to the observer, which listens nowhere else.
    targets.push({ name: OBSERVER, peerId: testnet.node(OBSERVER).peerId, address: `${testnet.node('org-1').address}/p2p-circuit/p2p/${testnet.node(OBSERVER).peerId}` });
    let stranger: Libp2pPeerNetwork | undefined;
    try {
      // It knows every address and takes every node for a member: only the nodes' gates stop it.
      stranger = await startLibp2pNetwork({ seed: new Uint8Array(randomBytes(32)), config: { listen: ['/ip4/127.0.0.1/tcp/0'], peers: [], mdns: false, relay: false }, members });
      const network = stranger;
      assert.ok(!members.includes(network.peerId));
      const received: string[] = [];
      network.onMessage((from, topic) => received.push(`${topic} from ${from}`));
      // From the dialler's side a connection shows as open until the node's gate closes it, a few
      // milliseconds later; and the stranger's own redial loop keeps trying. None may last.
      const opened = new Map<string, number>();
      let longest = 0;
      network.onPeer(({ peerId, connected }) => {
        const since = opened.get(peerId);
        if (connected) opened.set(peerId, Date.now());
        else if (since !== undefined) {
          longest = Math.max(longest, Date.now() - since);
          opened.delete(peerId);
        }
      });
      const assertNothingLasts = () => {
        for (const [peerId, since] of opened) assert.ok(Date.now() - since < LINGER_MS, `a connection to ${peerId} has stayed open for ${Date.now() - since} ms`);
        assert.ok(longest < LINGER_MS, `a connection stayed open for ${longest} ms`);
      };
      for (const target of targets) {
        // The dial itself may report success (the dialler's side of Noise completes before the node checks
        // the key): what counts is that nothing gets through and the node drops it at once.
        await network.dial(target.address);
        await assert.rejects(network.request(target.peerId, new Uint8Array([0xa0]), 3_000), Error, `a sync request to ${target.name} was answered`);
        await waitUntil(() => !network.peers().some((peer) => peer.peerId === target.peerId), `${target.name} to drop the stranger`, LINGER_MS);
      }
      // A node greets every peer it accepts with its status: none came, and no node lists the stranger.
      const deadline = Date.now() + 2_500;
      while (Date.now() < deadline) {
        assertNothingLasts();
        const statuses = await Promise.all(ALL.map((name) => testnet.status(name)));
        statuses.forEach((status, i) => assert.ok(!status.peers.some((peer) => peer.peerId === network.peerId), `${ALL[i]} lists the stranger`));
        await sleep(100);
      }
      assertNothingLasts();
      assert.deepEqual(received, [], 'no node sent the stranger anything');
    } finally {
      await stranger?.stop();
    }
  });
});
