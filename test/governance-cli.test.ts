import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MemberOrgJson, ProposalJson, Results } from '../node-core/src/api/methods.ts';
import { decodeInviteCode, inviteSignatureValid } from '../node-core/src/codec/invite-code.ts';
import { verifySignature } from '../node-core/src/crypto/ed25519.ts';
import { describeResult, killStrays, rpcResult, runCli, startNode, stdoutJson, tempDir, type CliResult, type RunningNode } from './support/cli.ts';

/** `ingot invite`, `proposals`, `vote` and `members` against a running one-organisation node, in child processes. */

const ORG = 'Brandt Gießerei AG';
const HOUR_MS = 3_600_000;

interface ErrorOutput {
  error: { code: number; message: string; data: { code: string; field?: string } };
}

/** A command the node refused: exit 1 and the coded error as JSON on stdout. */
function refused(result: CliResult, code: string, field?: string): void {
  assert.equal(result.code, 1, describeResult(result));
  const { error } = stdoutJson<ErrorOutput>(result);
  assert.equal(error.data.code, code, describeResult(result));
  if (field !== undefined) assert.equal(error.data.field, field, describeResult(result));
}

/** A command line the CLI itself rejects: exit 2 with the usage, nothing asked of the node. */
function usage(result: CliResult, message: RegExp): void {
  assert.equal(result.code, 2, describeResult(result));
  assert.match(result.stderr, message);
  assert.match(result.stderr, /Usage: ingot <command>/);
  assert.equal(result.stdout, '');
}

describe('governance from the command line', { timeout: 120_000 }, () => {
  let temp: Awaited<ReturnType<typeof tempDir>>;
  let dataDir: string;
  let node: RunningNode;
  let orgId: string;
  let peerId: string;

  before(async () => {
    temp = await tempDir('ingot-governance-cli-');
    dataDir = join(temp.dir, 'founder');
    const init = await runCli(['init', '--data', dataDir, '--org', ORG, '--api', '0', '--block-interval', '20']);
    assert.equal(init.code, 0, describeResult(init));
    ({ orgId, peerId } = stdoutJson<{ orgId: string; peerId: string }>(init));
    node = await startNode(dataDir);
  });
  after(async () => {
    await node?.stop().catch(() => undefined);
    killStrays();
    await temp.remove();
  });

  it('members prints the founding organisation with its roles, status and its own node', async () => {
    const result = await runCli(['members', '--data', dataDir]);
    assert.equal(result.code, 0, describeResult(result));
    const orgs = stdoutJson<MemberOrgJson[]>(result);
    assert.equal(orgs.length, 1);
    const [founder] = orgs;
    assert.equal(founder?.id, orgId);
    assert.equal(founder?.name, ORG);
    assert.deepEqual(founder?.roles, ['admin', 'validator', 'member']);
    assert.equal(founder?.status, 'active');
    assert.equal(founder?.self, true);
    assert.deepEqual(founder?.nodes, [{ peerId, online: true, connection: null, validator: { power: 1 } }]);
  });

  it('invite prints a signed invite code for the organisation and roles asked, which the node lists as open', async () => {
    const started = Date.now();
    const result = await runCli(['invite', '--data', dataDir, '--org', 'Acme Gears Ltd', '--role', 'member', '--role', 'auditor', '--expires', '48h']);
    assert.equal(result.code, 0, describeResult(result));
    const lines = result.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'only the code');
    const invite = decodeInviteCode(lines[0] as string);
    assert.equal(inviteSignatureValid(invite, verifySignature), true);
    assert.equal(invite.org, 'Acme Gears Ltd');
    assert.deepEqual(invite.roles, ['member', 'auditor']);
    assert.equal(invite.inviter, orgId);
    assert.ok(invite.expires >= started + 48 * HOUR_MS && invite.expires <= Date.now() + 48 * HOUR_MS);
    assert.ok(invite.peers.some((address) => address.startsWith('/ip4/127.0.0.1/') && address.endsWith(`/p2p/${peerId}`)), invite.peers.join(' '));

    const { invites } = await rpcResult<Results['invites.list']>(node.api, 'invites.list');
    const listed = invites.find((entry) => entry.expiresAt === invite.expires && entry.organisation === 'Acme Gears Ltd');
    assert.equal(listed?.status, 'open');
    assert.equal(listed?.inviter, orgId);
  });

  it('invite --json prints the code with the invite key and the committed transaction; the default expiry is 7 days', async () => {
    const result = await runCli(['invite', '--data', dataDir, '--org', 'Delta Logistics', '--role', 'member', '--json']);
    assert.equal(result.code, 0, describeResult(result));
    const created = stdoutJson<Results['invites.create']>(result);
    assert.match(created.code, /^ingot-invite:/);
    assert.match(created.inviteKey, /^[0-9a-f]{64}$/);
    assert.ok(created.height > 0);
    assert.ok(Math.abs(created.expiresAt - (Date.now() + 168 * HOUR_MS)) < 60_000);
    const tx = await rpcResult<Results['tx.get']>(node.api, 'tx.get', { hash: created.hash });
    assert.equal(`${tx.tx.contract}.${tx.tx.method}`, 'membership.createInvite');
  });

  it('invite: a bad role or an expiry beyond 30 days is refused by the node with its coded error; a malformed command line exits 2', async () => {
    refused(await runCli(['invite', '--data', dataDir, '--org', 'Acme', '--role', 'king']), 'INVALID_PARAMS', 'roles.0');
    refused(await runCli(['invite', '--data', dataDir, '--org', 'Acme', '--role', 'member', '--expires', '31d']), 'INVALID_PARAMS', 'expiresInHours');
    usage(await runCli(['invite', '--data', dataDir, '--org', 'Acme', '--role', 'member', '--expires', 'soon']), /--expires must be/);
    usage(await runCli(['invite', '--data', dataDir, '--org', 'Acme']), /at least one --role/);
    usage(await runCli(['invite', '--data', dataDir, '--role', 'member']), /--org is required/);
  });

  it('proposals lists an open proposal with its tally; vote decides it; a second vote and an unknown id are refused with their codes', async () => {
    const empty = await runCli(['proposals', '--data', dataDir]);
    assert.equal(empty.code, 0, describeResult(empty));
    assert.deepEqual(stdoutJson<ProposalJson[]>(empty), []);

    const created = await runCli(['call', '--data', dataDir, 'proposals.create', JSON.stringify({ kind: 'setPolicy', policy: { admission: 'majority', changes: 'majority' } })]);
    assert.equal(created.code, 0, describeResult(created));
    const { id } = stdoutJson<Results['proposals.create']>(created);

    const open = await runCli(['proposals', '--data', dataDir]);
    assert.equal(open.code, 0, describeResult(open));
    const listed = stdoutJson<ProposalJson[]>(open);
    assert.equal(listed.length, 1);
    assert.equal(listed[0]?.id, id);
    assert.equal(listed[0]?.kind, 'setPolicy');
    assert.equal(listed[0]?.subject, 'policy');
    assert.equal(listed[0]?.status, 'open');
    assert.deepEqual(listed[0]?.tally, { yes: 0, no: 0, needed: 1, voters: 1, votes: [] });
    assert.ok((listed[0]?.expiresAt ?? 0) > Date.now());

    usage(await runCli(['vote', '--data', dataDir, id, 'maybe']), /vote yes or no/);
    const voted = await runCli(['vote', '--data', dataDir, id, 'yes']);
    assert.equal(voted.code, 0, describeResult(voted));
    const outcome = stdoutJson<Results['proposals.vote']>(voted);
    assert.equal(outcome.status, 'passed');
    assert.ok(outcome.height > 0);

    refused(await runCli(['vote', '--data', dataDir, id, 'no']), 'PROPOSAL_CLOSED');
    refused(await runCli(['vote', '--data', dataDir, 'ff'.repeat(32), 'yes']), 'PROPOSAL_UNKNOWN');
    refused(await runCli(['vote', '--data', dataDir, 'not-an-id', 'yes']), 'INVALID_PARAMS', 'id');

    const afterVote = await runCli(['proposals', '--data', dataDir]);
    assert.deepEqual(stdoutJson<ProposalJson[]>(afterVote), []);
    const all = stdoutJson<ProposalJson[]>(await runCli(['proposals', '--data', dataDir, '--all']));
    assert.equal(all.find((p) => p.id === id)?.status, 'passed');
    assert.equal(all.find((p) => p.id === id)?.ownVote, 'yes');
  });

  it('the governance commands on a directory without a running node exit 1 with NODE_NOT_RUNNING', async () => {
    const nowhere = join(temp.dir, 'nowhere');
    for (const args of [['members'], ['proposals'], ['vote', 'ab'.repeat(32), 'yes'], ['invite', '--org', 'X', '--role', 'member']]) {
      const [command, ...rest] = args as [string, ...string[]];
      const result = await runCli([command, '--data', nowhere, ...rest]);
      assert.equal(result.code, 1, describeResult(result));
      assert.match(result.stderr, /NODE_NOT_RUNNING/);
    }
  });
});
