import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Results } from '../src/api/methods.ts';
import { readValidatorSchedule } from '../src/contracts/governance.ts';
import { listInvites } from '../src/contracts/invite-state.ts';
import { readValidators } from '../src/contracts/membership-state.ts';
import { toHex } from '../src/crypto/hex.ts';
import { invite } from './support/governance-chain.ts';
import { startTempNode } from './support/temp-node.ts';

/** The new contracts through a running node: submitted over RPC, executed and committed in its blocks. */

async function submit(rpc: Awaited<ReturnType<typeof startTempNode>>['rpc'], contract: string, method: string, payload: Record<string, unknown>) {
  const reply = await rpc('tx.submit', { contract, method, payload, waitForCommit: true });
  assert.equal(reply.error, undefined, JSON.stringify(reply.error));
  return (reply.result as Results['tx.submit']).receipt;
}

test('a node commits createInvite and records.anchor, and refuses what the contracts refuse with their codes', async () => {
  const temp = await startTempNode();
  try {
    const now = temp.node.ledger.head.time;
    const inv = invite('node-test');
    const created = await submit(temp.rpc, 'membership', 'createInvite', { inviteKey: inv.keyHex, organisation: 'Partner', roles: ['member'], expiresAt: now + 3_600_000 });
    assert.deepEqual([created?.ok, created?.subjects], [true, [temp.init.orgId]]);
    assert.deepEqual((await listInvites(temp.node.ledger)).map((i) => toHex(i.key)), [inv.keyHex]);
    const again = await submit(temp.rpc, 'membership', 'createInvite', { inviteKey: inv.keyHex, organisation: 'Partner', roles: ['member'], expiresAt: now + 3_600_000 });
    assert.deepEqual([again?.ok, again?.code], [false, 'INVITE_KNOWN']);

    const anchored = await submit(temp.rpc, 'records', 'anchor', { subject: 'report/42', hash: 'ef'.repeat(32), label: 'Inspection report' });
    assert.deepEqual([anchored?.ok, anchored?.subjects], [true, ['report/42']]);
    const history = (await temp.rpc('state.history', { subject: 'report/42' })).result as Results['state.history'];
    assert.deepEqual(history.entries.map((e) => [e.contract, e.method, e.ok]), [['records', 'anchor', true]]);
    // The validator set is untouched by all this.
    assert.equal((await readValidators(temp.node.ledger)).length, 1);
    assert.deepEqual(await readValidatorSchedule(temp.node.ledger), []);
  } finally {
    await temp.close();
  }
});
