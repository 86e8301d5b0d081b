import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Results } from '../node-core/src/api/methods.ts';
import { encodeInviteCode, signInvite } from '../node-core/src/codec/invite-code.ts';
import { signingKeyFromSeed } from '../node-core/src/crypto/ed25519.ts';
import {
  describeResult, killStrays, rpcResult, runCli, startNode, stdoutJson, tempDir, waitUntil, type RunningNode,
} from './support/cli.ts';

/**
 * Joining as separate processes on 127.0.0.1: a founder runs `ingot init` and `ingot start` and
 * invites; a fresh directory runs `ingot join` with the code, then `ingot start`, and waits as a
 * non-member until the founder's vote admits it; then it connects, syncs and is a member.
 */

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'];

interface JoinOutput {
  consortiumId: string;
  consortiumName: string;
  orgId: string;
  peerId: string;
  request: string;
  status: string;
  dataDir: string;
}

type Status = Results['node.status'];

describe('ingot join: a second organisation joins a running consortium', { timeout: 180_000 }, () => {
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let founder: RunningNode;
  let joiner: RunningNode | undefined;
  let code: string;
  let joined: JoinOutput;
  const founderDir = () => join(temp.dir, 'founder');
  const joinerDir = () => join(temp.dir, 'harbour');

  before(async () => {
    temp = await tempDir('ingot-join-test-');
    const init = await runCli(['init', '--data', founderDir(), '--org', 'Founder Works', '--block-interval', '100', '--api', '0']);
    assert.equal(init.code, 0, describeResult(init));
    founder = await startNode(founderDir(), { timeoutMs: 30_000 });
    const invite = await runCli(['invite', '--data', founderDir(), '--org', 'Harbour Logistics', '--role', 'member', '--json']);
    assert.equal(invite.code, 0, describeResult(invite));
    code = stdoutJson<{ code: string }>(invite).code;
  });
  after(async () => {
    await joiner?.stop('SIGKILL').catch(() => undefined);
    await founder?.stop('SIGKILL').catch(() => undefined);
    killStrays();
    await temp?.remove();
  });

  it('ingot join checks the code, fetches genesis from the founder and sends the request; it prints what it did', async () => {
    const result = await runCli(['join', '--data', joinerDir(), '--org', 'Harbour Logistics', '--registry-id', 'HRB 42', '--invite', code, '--api', '0', ...LOOPBACK], { timeoutMs: 60_000 });
    assert.equal(result.code, 0, describeResult(result));
    joined = stdoutJson<JoinOutput>(result);
    const status = await rpcResult<Status>(founder.api, 'node.status');
    assert.equal(joined.consortiumId, status.consortiumId);
    assert.equal(joined.status, 'pending');
    assert.match(joined.request, /^[0-9a-f]{64}$/);
    assert.deepEqual((await readdir(joinerDir())).sort(), ['config.json', 'join.json', 'keys.json', 'ledger', 'node-key.json']);
    // The request travels to the validator and is committed: an admit proposal waits for the vote.
    await waitUntil(async () => {
      const proposals = await rpcResult<{ proposals: { id: string }[] }>(founder.api, 'proposals.list', {});
      return proposals.proposals.some((proposal) => proposal.id === joined.request);
    }, 'the admit proposal', 20_000, 100);
  });

  it('refuses a non-empty directory, a used code and a forged one', async () => {
    const again = await runCli(['join', '--data', joinerDir(), '--org', 'Harbour Logistics', '--invite', code, ...LOOPBACK]);
    assert.equal(again.code, 1, describeResult(again));
    assert.match(again.stderr, /DATA_DIR_NOT_EMPTY/);
    const used = await runCli(['join', '--data', join(temp.dir, 'second'), '--org', 'Copycat', '--invite', code, ...LOOPBACK], { timeoutMs: 60_000 });
    assert.equal(used.code, 1, describeResult(used));
    assert.match(used.stderr, /JOIN_UNREACHABLE/);
    const forged = `${code.slice(0, -8)}${code.slice(-8) === 'AAAAAAAA' ? 'BBBBBBBB' : 'AAAAAAAA'}`;
    const bad = await runCli(['join', '--data', join(temp.dir, 'third'), '--org', 'Forger', '--invite', forged, ...LOOPBACK]);
    assert.equal(bad.code, 1, describeResult(bad));
    assert.match(bad.stderr, /INVITE_(SIGNATURE_INVALID|MALFORMED)/);
    for (const name of ['second', 'third']) await assert.rejects(readdir(join(temp.dir, name)), { code: 'ENOENT' });
  });

  it('ingot start runs the joined node before admission: awaiting admission, unable to sign', async () => {
    joiner = await startNode(joinerDir(), { timeoutMs: 30_000 });
    const status = await rpcResult<Status>(joiner.api, 'node.status');
    assert.equal(status.join?.state, 'awaiting-admission');
    assert.equal(status.join?.request, joined.request);
    assert.equal(status.organisation.id, joined.orgId);
    assert.equal(status.peerId, joined.peerId);
    const refused = await runCli(['call', '--data', joinerDir(), 'tx.submit', JSON.stringify({ contract: 'identity', method: 'updateProfile', payload: { contact: 'x' } })]);
    assert.equal(refused.code, 1, describeResult(refused));
    assert.match(refused.stdout, /ORG_NOT_ADMITTED/);
  });

  it('after the founder votes yes, the joined node connects, syncs and is a member that signs', async () => {
    const started = Date.now();
    const vote = await rpcResult<Results['tx.submit']>(founder.api, 'tx.submit', { contract: 'membership', method: 'vote', payload: { proposal: joined.request, choice: 'yes' }, waitForCommit: true });
    assert.equal(vote.receipt?.ok, true, JSON.stringify(vote.receipt));
    const voted = Date.now();
    const states = new Set<string>();
    let last: Status | undefined;
    await waitUntil(async () => {
      last = await rpcResult<Status>(joiner!.api, 'node.status');
      if (last.join !== undefined) states.add(last.join.state);
      return last.join?.state === 'member';
    }, 'the joined node to be a member that caught up', 30_000, 100).catch((error: Error) => {
      throw new Error(`${error.message}; last status ${JSON.stringify(last)}\njoiner stderr: ${joiner?.stderr()}`);
    });
    const memberAt = Date.now();
    const founderStatus = await rpcResult<Status>(founder.api, 'node.status');
    assert.ok(last!.height >= vote.height!, `the joined node reached the vote's block (${last!.height} ≥ ${vote.height})`);
    assert.ok(last!.peers.some((peer) => peer.peerId === founderStatus.peerId), 'connected to the founder');
    assert.ok(founderStatus.peers.some((peer) => peer.peerId === joined.peerId), 'the founder lists it as a peer');
    assert.equal(last!.organisation.name, 'Harbour Logistics');
    // A member now: what it signs is committed and seen by the founder.
    const tx = await rpcResult<Results['tx.submit']>(joiner!.api, 'tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: 'ops@harbour.example' }, waitForCommit: true });
    assert.equal(tx.receipt?.ok, true, JSON.stringify(tx.receipt));
    await waitUntil(async () => (await rpcResult<Status>(founder.api, 'node.status')).height >= tx.height!, 'the founder to commit it', 10_000, 100);
    process.stderr.write(`join: vote committed ${voted - started} ms after submitting; joined node a member ${memberAt - voted} ms after the vote; states seen ${[...states].join(' → ')}\n`);
  });

  it('a code read from --invite-file or from standard input (--invite -) joins like one given as an argument', async () => {
    const codes: string[] = [];
    for (const org of ['Quay Freight', 'Dock Energy']) {
      const invite = await runCli(['invite', '--data', founderDir(), '--org', org, '--role', 'member', '--json']);
      assert.equal(invite.code, 0, describeResult(invite));
      codes.push(stdoutJson<{ code: string }>(invite).code);
    }
    const [fileCode, stdinCode] = codes as [string, string];
    const inviteFile = join(temp.dir, 'quay-invite.txt');
    // As saved by an editor or `echo`: a trailing newline.
    await writeFile(inviteFile, `${fileCode}\n`, { mode: 0o600 });
    const fromFile = await runCli(['join', '--data', join(temp.dir, 'quay'), '--org', 'Quay Freight', '--invite-file', inviteFile, '--api', '0', ...LOOPBACK], { timeoutMs: 60_000 });
    assert.equal(fromFile.code, 0, describeResult(fromFile));
    const fromStdin = await runCli(['join', '--data', join(temp.dir, 'dock'), '--org', 'Dock Energy', '--invite', '-', '--api', '0', ...LOOPBACK], { timeoutMs: 60_000, stdin: `${stdinCode}\n` });
    assert.equal(fromStdin.code, 0, describeResult(fromStdin));
    const requests = [stdoutJson<JoinOutput>(fromFile), stdoutJson<JoinOutput>(fromStdin)].map((output) => {
      assert.equal(output.status, 'pending');
      return output.request;
    });
    await waitUntil(async () => {
      const proposals = await rpcResult<{ proposals: { id: string }[] }>(founder.api, 'proposals.list', {});
      return requests.every((request) => proposals.proposals.some((proposal) => proposal.id === request));
    }, 'admit proposals for both requests', 20_000, 100);
  });
});

describe('ingot join: where the invite code comes from', { timeout: 60_000 }, () => {
  let temp: Awaited<ReturnType<typeof tempDir>>;
  const dataDir = () => join(temp.dir, 'node');
  const joinWith = (inviteArgs: readonly string[], stdin?: string) =>
    runCli(['join', '--data', dataDir(), '--org', 'Harbour Logistics', ...inviteArgs, ...LOOPBACK], stdin === undefined ? {} : { stdin });

  before(async () => {
    temp = await tempDir('ingot-join-input-test-');
  });
  after(async () => {
    killStrays();
    await temp?.remove();
  });

  it('refuses --invite together with --invite-file with INVITE_SOURCE_CONFLICT, before writing anything', async () => {
    const inviteFile = join(temp.dir, 'invite.txt');
    await writeFile(inviteFile, 'ingot-invite:AAAA\n');
    for (const inviteArgs of [['--invite', 'ingot-invite:AAAA', '--invite-file', inviteFile], ['--invite', '-', '--invite-file', inviteFile]]) {
      const result = await joinWith(inviteArgs, '');
      assert.equal(result.code, 1, describeResult(result));
      assert.match(result.stderr, /^ingot: INVITE_SOURCE_CONFLICT: /m);
    }
    await assert.rejects(readdir(dataDir()), { code: 'ENOENT' });
  });

  it('without --invite or --invite-file, exits 2 with the usage naming all three forms', async () => {
    const result = await joinWith([]);
    assert.equal(result.code, 2, describeResult(result));
    assert.match(result.stderr, /--invite CODE, --invite - \(standard input\) or --invite-file PATH is required/);
    assert.match(result.stderr, /join --data DIR --org NAME \(--invite CODE \| --invite - \| --invite-file PATH\)/);
  });

  it('a missing file is INVITE_FILE_UNREADABLE; an empty file, empty input or input too large for a code is INVITE_MALFORMED', async () => {
    const missing = await joinWith(['--invite-file', join(temp.dir, 'no-such-invite.txt')]);
    assert.equal(missing.code, 1, describeResult(missing));
    assert.match(missing.stderr, /INVITE_FILE_UNREADABLE: cannot read the invite file .*no-such-invite\.txt \(ENOENT\)/);
    const emptyFile = join(temp.dir, 'empty.txt');
    await writeFile(emptyFile, ' \n');
    const cases = [
      { what: 'an empty file', result: await joinWith(['--invite-file', emptyFile]), message: /INVITE_MALFORMED: the invite file .* is empty/ },
      { what: 'empty input', result: await joinWith(['--invite', '-'], ''), message: /INVITE_MALFORMED: standard input is empty/ },
      { what: 'input too large', result: await joinWith(['--invite', '-'], 'A'.repeat(64 * 1024)), message: /INVITE_MALFORMED: standard input holds more than \d+ bytes/ },
    ];
    for (const { what, result, message } of cases) {
      assert.equal(result.code, 1, `${what}: ${describeResult(result)}`);
      assert.match(result.stderr, message, what);
    }
    await assert.rejects(readdir(dataDir()), { code: 'ENOENT' });
  });

  it('hands what it read to the code check: a well-formed, signed but expired code is INVITE_EXPIRED from a file, from standard input and as an argument alike', async () => {
    const inviter = signingKeyFromSeed(new Uint8Array(32).fill(7));
    const expired = encodeInviteCode(signInvite({
      v: 1, chain: new Uint8Array(32).fill(1), consortium: 'Rail freight', peers: ['/ip4/127.0.0.1/tcp/9/p2p/12D3KooWGzGvXHnsZ5hWbdS7kU1F3fFpRZcmR8yUhc3VtCmEwzNm'],
      org: 'Harbour Logistics', roles: ['member'], expires: 1, secret: new Uint8Array(32).fill(9), inviter: 'ab'.repeat(20), inviterKey: inviter.publicKey,
    }, inviter.sign));
    const inviteFile = join(temp.dir, 'expired.txt');
    await writeFile(inviteFile, `${expired}\n`);
    for (const result of [await joinWith(['--invite-file', inviteFile]), await joinWith(['--invite', '-'], expired), await joinWith(['--invite', expired])]) {
      assert.equal(result.code, 1, describeResult(result));
      assert.match(result.stderr, /^ingot: INVITE_EXPIRED: /m);
    }
    await assert.rejects(readdir(dataDir()), { code: 'ENOENT' });
  });
});
