import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTempNode } from './support/temp-node.ts';

test('a new consortium commits a profile update and reports it in the history', async () => {
  const temp = await startTempNode();
  try {
    const submitted = await temp.rpc('tx.submit', { contract: 'identity', method: 'updateProfile', payload: { contact: 'ops@example.test' }, waitForCommit: true });
    const { hash, height } = submitted.result as { hash: string; height: number };
    assert.equal(height, 1);
    const org = (await temp.rpc('org.get', { id: temp.init.orgId })).result as { contact: string };
    assert.equal(org.contact, 'ops@example.test');
    const history = (await temp.rpc('state.history', { subject: temp.init.orgId })).result as { entries: { hash: string }[] };
    assert.deepEqual(history.entries.map((e) => e.hash), [hash]);
  } finally {
    await temp.close();
  }
});
