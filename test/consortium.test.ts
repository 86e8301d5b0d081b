import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Results } from '../node-core/src/api/methods.ts';
import { describeResult, killStrays, rpcResult, runCli, startNode, stdoutJson, tempDir, waitUntil, type RunningNode } from './support/cli.ts';

/**
 * A consortium grown from one organisation, as separate processes on 127.0.0.1 knowing only invite
 * codes: the founder invites three organisations (one with the validator role), they join, the
 * founder approves them, two more are voted in as validators, the four validators keep committing,
 * and once the founder's node stops the other three go on without it.
 */

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'];

type Status = Results['node.status'];

interface Joiner {
  readonly name: string;
  readonly roles: readonly string[];
  dir: string;
  orgId: string;
  peerId: string;
  request: string;
  node?: RunningNode;
}

describe('a consortium grows from its founder to four validators by invites and votes, and outlives the founder', { timeout: 300_000 }, () => {
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let founder: RunningNode;
  const joiners: Joiner[] = [
    { name: 'Baltic Castings', roles: ['member', 'validator'], dir: '', orgId: '', peerId: '', request: '' },
    { name: 'Carpathian Bearings', roles: ['member'], dir: '', orgId: '', peerId: '', request: '' },
    { name: 'Danube Recycling', roles: ['member'], dir: '', orgId: '', peerId: '', request: '' },
  ];
  let contact = 0;

  const status = (node: RunningNode) => rpcResult<Status>(node.api, 'node.status');
  const running = () => joiners.map((j) => j.node as RunningNode);
  /** A profile update signed by `node`'s organisation, committed; returns its height. */
  const commitThrough = async (node: RunningNode) => {
    const tx = await rpcResult<Results['tx.submit']>(node.api, 'tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: `ops-${++contact}@example.com` }, waitForCommit: true }, 60_000);
    assert.equal(tx.receipt?.ok, true, JSON.stringify(tx.receipt));
    return tx.height as number;
  };
  const allReach = async (nodes: readonly RunningNode[], height: number) => {
    await waitUntil(async () => (await Promise.all(nodes.map(status))).every((s) => s.height >= height), `every node at height ${height}`, 30_000, 100);
    // One chain: every node holds the same block at that height.
    const hashes = await Promise.all(nodes.map(async (node) => (await rpcResult<Results['block.get']>(node.api, 'block.get', { height })).header.hash));
    assert.equal(new Set(hashes).size, 1, `block ${height} differs between nodes: ${hashes.join(', ')}`);
  };
  const vote = async (id: string) => {
    const result = await runCli(['vote', '--data', join(temp.dir, 'founder'), id, 'yes']);
    assert.equal(result.code, 0, describeResult(result));
  };
  const validatorKeys = async (node: RunningNode) => (await status(node)).validators.map((v) => v.key).sort();
  const nodeKeyOf = (peerId: string) => Buffer.from(peerIdFromString(peerId).publicKey?.raw ?? []).toString('hex');

  before(async () => {
    temp = await tempDir('ingot-consortium-test-');
    const init = await runCli(['init', '--data', join(temp.dir, 'founder'), '--org', 'Founder Gears', '--block-interval', '100', '--api', '0']);
    assert.equal(init.code, 0, describeResult(init));
    founder = await startNode(join(temp.dir, 'founder'), { timeoutMs: 30_000 });
  });
  after(async () => {
    for (const joiner of joiners) await joiner.node?.stop('SIGKILL').catch(() => undefined);
    await founder?.stop('SIGKILL').catch(() => undefined);
    killStrays();
    await temp?.remove();
  });

  it('three organisations join from fresh directories with nothing but their invite codes, and the founder admits them', async () => {
    for (const joiner of joiners) {
      const invite = await runCli(['invite', '--data', join(temp.dir, 'founder'), '--org', joiner.name, ...joiner.roles.flatMap((role) => ['--role', role]), '--json']);
      assert.equal(invite.code, 0, describeResult(invite));
      const { code } = stdoutJson<{ code: string }>(invite);
      joiner.dir = join(temp.dir, joiner.name.split(' ')[0]!.toLowerCase());
      const joined = await runCli(['join', '--data', joiner.dir, '--org', joiner.name, '--invite', code, '--api', '0', ...LOOPBACK], { timeoutMs: 60_000 });
      assert.equal(joined.code, 0, describeResult(joined));
      Object.assign(joiner, stdoutJson<{ orgId: string; peerId: string; request: string }>(joined));
      joiner.node = await startNode(joiner.dir, { timeoutMs: 30_000 });
    }
    await waitUntil(async () => {
      const open = await rpcResult<Results['proposals.list']>(founder.api, 'proposals.list', {});
      return joiners.every((j) => open.proposals.some((p) => p.id === j.request && p.kind === 'admit'));
    }, 'the three join requests on the ledger', 30_000, 100);
    for (const joiner of joiners) await vote(joiner.request);
    await waitUntil(async () => (await Promise.all(running().map(status))).every((s) => s.join?.state === 'member'), 'all three to be members', 60_000, 200);
    const members = await rpcResult<Results['members.list']>(founder.api, 'members.list', {});
    for (const joiner of joiners) {
      const org = members.orgs.find((o) => o.id === joiner.orgId);
      assert.ok(org !== undefined, `${joiner.name} is listed`);
      assert.equal(org.status, 'active');
      assert.deepEqual([...org.roles].sort(), [...joiner.roles].sort());
    }
  });

  it('the organisation invited as a validator validates once admitted; two more are voted in; four validators commit', async () => {
    const [baltic, carpathian, danube] = joiners as [Joiner, Joiner, Joiner];
    // No empty blocks: a change fixed for a later height arrives with the blocks that transactions make.
    await waitUntil(async () => (await commitThrough(founder), (await validatorKeys(founder)).includes(nodeKeyOf(baltic.peerId))), 'the validator invited to be in the set', 30_000, 0);
    for (const joiner of [carpathian, danube]) {
      const proposal = await rpcResult<Results['proposals.create']>(founder.api, 'proposals.create', { kind: 'addValidator', org: joiner.orgId, key: nodeKeyOf(joiner.peerId) });
      await vote(proposal.id);
    }
    const expected = [nodeKeyOf((await status(founder)).peerId), ...joiners.map((j) => nodeKeyOf(j.peerId))];
    await waitUntil(async () => (await commitThrough(founder), (await validatorKeys(founder)).length === 4), 'four validators', 30_000, 0);
    assert.deepEqual(await validatorKeys(founder), expected.sort());
    // Each organisation's transactions commit everywhere while all four validate.
    let top = 0;
    for (const node of [founder, ...running()]) top = Math.max(top, await commitThrough(node));
    await allReach([founder, ...running()], top);
  });

  it('an organisation voted out has its node disconnected by every member and refused when it dials again', async () => {
    const invite = await runCli(['invite', '--data', join(temp.dir, 'founder'), '--org', 'Elbe Traders', '--role', 'member', '--json']);
    assert.equal(invite.code, 0, describeResult(invite));
    const elbe: Joiner = { name: 'Elbe Traders', roles: ['member'], dir: join(temp.dir, 'elbe'), orgId: '', peerId: '', request: '' };
    const joined = await runCli(['join', '--data', elbe.dir, '--org', elbe.name, '--invite', stdoutJson<{ code: string }>(invite).code, '--api', '0', ...LOOPBACK], { timeoutMs: 60_000 });
    assert.equal(joined.code, 0, describeResult(joined));
    Object.assign(elbe, stdoutJson<{ orgId: string; peerId: string; request: string }>(joined));
    elbe.node = await startNode(elbe.dir, { timeoutMs: 30_000 });
    try {
      await waitUntil(async () => (await rpcResult<Results['proposals.list']>(founder.api, 'proposals.list', {})).proposals.some((p) => p.id === elbe.request), 'the join request', 30_000, 100);
      await vote(elbe.request);
      const everyone = [founder, ...running()];
      const linkedToElbe = async () => (await Promise.all(everyone.map(status))).filter((s) => s.peers.some((peer) => peer.peerId === elbe.peerId)).length;
      await waitUntil(async () => (await linkedToElbe()) === everyone.length, 'every member connected to the new organisation\'s node', 30_000, 200);

      const proposal = await rpcResult<Results['proposals.create']>(founder.api, 'proposals.create', { kind: 'remove', org: elbe.orgId });
      await vote(proposal.id);
      await waitUntil(async () => (await linkedToElbe()) === 0, 'every member to disconnect the removed organisation\'s node', 30_000, 200);
      // It keeps dialling; nobody lets it in again.
      for (let i = 0; i < 10; i++) {
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(await linkedToElbe(), 0, 'the removed organisation\'s node got back in');
      }
      const members = await rpcResult<Results['members.list']>(founder.api, 'members.list', {});
      assert.equal(members.orgs.find((org) => org.id === elbe.orgId)?.status, 'removed');
    } finally {
      await elbe.node.stop('SIGKILL').catch(() => undefined);
    }
  });

  it('with the founder\'s node stopped, the other three organisations keep committing', async () => {
    await founder.stop('SIGTERM');
    let top = 0;
    for (const node of running()) top = Math.max(top, await commitThrough(node));
    await allReach(running(), top);
    const heights = await Promise.all(running().map(async (node) => (await status(node)).height));
    assert.ok(heights.every((height) => height >= top));
  });
});
