import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEVICE_LIMITS, deviceIdOf, deviceSubject, grantsOf, hasPermission, PERMISSIONS, readDevice } from '../src/contracts/device-state.ts';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { sha256 } from '../src/crypto/hash.ts';
import { toHex } from '../src/crypto/hex.ts';
import { MemoryChain, party, type Party } from './support/governance-chain.ts';

/** Access policies, who may record lifecycle events, the token record, and roles, on an in-memory chain. */

const deviceKey = (label: string) => signingKeyFromSeed(sha256(new TextEncoder().encode(`device:${label}`)));
const MINUTE = 60_000;

async function setup() {
  const [owner, fleet, service, auditor] = ['owner', 'fleet', 'service', 'auditor'].map(party) as [Party, Party, Party, Party];
  const chain = new MemoryChain([{ party: owner }, { party: fleet, roles: ['member'] }, { party: service, roles: ['member'] }, { party: auditor, roles: ['auditor'] }]);
  const register = async (label: string) => {
    const receipt = await chain.run(owner.key, 'device', 'register', { publicKey: toHex(deviceKey(label).publicKey), model: 'Reefer R1', serial: label });
    assert.equal(receipt.ok, true, receipt.message);
    return deviceIdOf(deviceKey(label).publicKey);
  };
  return { owner, fleet, service, auditor, chain, device: await register('reefer-1'), register };
}

test('hasPermission: the owner holds everything; a grantee only what its grant says, inside its window, until revoked', async () => {
  const { owner, fleet, chain, device } = await setup();
  for (const permission of PERMISSIONS) assert.equal(await hasPermission(chain, device, owner.id, permission, chain.time), true);
  assert.equal(await hasPermission(chain, device, fleet.id, 'read-telemetry', chain.time), false, 'no grant, no permission');

  const from = chain.time + 10 * MINUTE;
  const until = from + 10 * MINUTE;
  const set = await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: fleet.id, permissions: ['read-telemetry', 'read-history'], validFrom: from, validUntil: until });
  assert.equal(set.ok, true, set.message);
  assert.deepEqual(set.subjects.sort(), [deviceSubject(device), owner.id, fleet.id].sort());
  assert.equal(await hasPermission(chain, device, fleet.id, 'read-telemetry', from - 1), false, 'before the window');
  assert.equal(await hasPermission(chain, device, fleet.id, 'read-telemetry', from), true);
  assert.equal(await hasPermission(chain, device, fleet.id, 'read-history', until - 1), true);
  assert.equal(await hasPermission(chain, device, fleet.id, 'read-telemetry', until), false, 'after the window');
  assert.equal(await hasPermission(chain, device, fleet.id, 'operate', from + 1), false, 'a permission not granted');
  assert.equal(await hasPermission(chain, 'f'.repeat(40), fleet.id, 'read-telemetry', from + 1), false, 'an unknown device');

  // A new policy replaces the earlier one: no window, only operate.
  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: fleet.id, permissions: ['operate'] })).ok, true);
  assert.equal(await hasPermission(chain, device, fleet.id, 'read-telemetry', from + 1), false);
  assert.equal(await hasPermission(chain, device, fleet.id, 'operate', chain.time + 365 * 24 * 60 * MINUTE), true);
  assert.equal((await grantsOf(chain, device)).length, 1);

  // An empty set revokes.
  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: fleet.id, permissions: [] })).ok, true);
  assert.equal(await hasPermission(chain, device, fleet.id, 'operate', chain.time), false);
  assert.deepEqual(await grantsOf(chain, device), []);
  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: fleet.id, permissions: [] })).code, 'GRANT_UNKNOWN');
});

test('setPolicy is the owner’s: others, unknown grantees, the owner itself, bad windows and a full grant list are refused', async () => {
  const { owner, fleet, service, chain, device, register } = await setup();
  const before = chain.snapshot();
  const refusals: [Party, Record<string, unknown>, string][] = [
    [fleet, { device, grantee: service.id, permissions: ['operate'] }, 'DEVICE_NOT_OWNER'],
    [owner, { device: 'e'.repeat(40), grantee: fleet.id, permissions: ['operate'] }, 'DEVICE_UNKNOWN'],
    [owner, { device, grantee: '1'.repeat(40), permissions: ['operate'] }, 'GRANTEE_UNKNOWN'],
    [owner, { device, grantee: owner.id, permissions: ['operate'] }, 'GRANTEE_IS_OWNER'],
    [owner, { device, grantee: fleet.id, permissions: ['operate'], validFrom: 5, validUntil: 5 }, 'GRANT_WINDOW_INVALID'],
    [owner, { device, grantee: fleet.id, permissions: ['fly'] }, 'PAYLOAD_INVALID'],
    [owner, { device, grantee: fleet.id, permissions: ['operate', 'operate'] }, 'PAYLOAD_INVALID'],
  ];
  for (const [signer, payload, code] of refusals) assert.equal((await chain.run(signer.key, 'device', 'setPolicy', payload)).code, code, code);
  assert.deepEqual(chain.snapshot(), before);

  // Another device may be a grantee too.
  const gateway = await register('gateway-1');
  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: gateway, permissions: ['read-telemetry'] })).ok, true);
  assert.equal(await hasPermission(chain, device, gateway, 'read-telemetry', chain.time), true);
  assert.equal((await grantsOf(chain, device))[0]?.kind, 'device');

  // The grant list is bounded: fill it with devices as grantees.
  const txs = [];
  for (let i = 1; i < DEVICE_LIMITS.grantsPerDeviceMax; i++) {
    txs.push(chain.tx(owner.key, 'device', 'register', { publicKey: toHex(deviceKey(`g${i}`).publicKey), model: 'G', serial: `g${i}` }));
  }
  await chain.block(txs);
  const grantTxs = [];
  for (let i = 1; i < DEVICE_LIMITS.grantsPerDeviceMax; i++) {
    grantTxs.push(chain.tx(owner.key, 'device', 'setPolicy', { device, grantee: deviceIdOf(deviceKey(`g${i}`).publicKey), permissions: ['read-telemetry'] }));
  }
  const { receipts } = await chain.block(grantTxs);
  assert.ok(receipts.every((r) => r.ok));
  assert.equal((await grantsOf(chain, device)).length, DEVICE_LIMITS.grantsPerDeviceMax);
  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: fleet.id, permissions: ['operate'] })).code, 'GRANTS_FULL');
  // Replacing an existing grant still works when the list is full.
  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: gateway, permissions: ['operate'] })).ok, true);
});

test('lifecycle events: the owner or a maintain grantee in its window; decommissioned devices take none; reading remains', async () => {
  const { owner, fleet, service, chain, device } = await setup();
  assert.equal((await chain.run(service.key, 'device', 'recordEvent', { device, kind: 'maintenancePerformed' })).code, 'EVENT_FORBIDDEN');
  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: service.id, permissions: ['maintain'], validUntil: chain.time + 5_000 })).ok, true);
  const done = await chain.run(service.key, 'device', 'recordEvent', { device, kind: 'maintenancePerformed', note: 'compressor replaced' });
  assert.equal(done.ok, true, done.message);
  assert.deepEqual(done.subjects.sort(), [deviceSubject(device), service.id, owner.id].sort());
  assert.deepEqual((await readDevice(chain, device))?.lastEvent, { kind: 'maintenancePerformed', height: done.height, time: chain.time, org: service.id });
  assert.equal((await chain.run(service.key, 'device', 'recordEvent', { device, kind: 'inspected' }, 10_000)).code, 'EVENT_FORBIDDEN', 'after the window');
  assert.equal((await chain.run(fleet.key, 'device', 'recordEvent', { device, kind: 'inspected' })).code, 'EVENT_FORBIDDEN');
  assert.equal((await chain.run(owner.key, 'device', 'recordEvent', { device, kind: 'firmwareUpdated' })).code, 'EVENT_INVALID');
  assert.equal((await chain.run(owner.key, 'device', 'recordEvent', { device, kind: 'inspected', firmwareHash: 'ab'.repeat(32) })).code, 'EVENT_INVALID');
  assert.equal((await chain.run(owner.key, 'device', 'recordEvent', { device, kind: 'firmwareUpdated', firmwareHash: 'ab'.repeat(32) })).ok, true);
  assert.equal(toHex((await readDevice(chain, device))?.firmwareHash ?? new Uint8Array()), 'ab'.repeat(32));

  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: fleet.id, permissions: ['read-history', 'operate'] })).ok, true);
  assert.equal((await chain.run(owner.key, 'device', 'recordEvent', { device, kind: 'decommissioned' })).ok, true);
  assert.equal((await readDevice(chain, device))?.status, 'decommissioned');
  assert.equal((await chain.run(owner.key, 'device', 'recordEvent', { device, kind: 'inspected' })).code, 'DEVICE_DECOMMISSIONED');
  assert.equal(await hasPermission(chain, device, fleet.id, 'read-history', chain.time), true, 'history stays readable');
  assert.equal(await hasPermission(chain, device, fleet.id, 'operate', chain.time), false, 'nobody operates a decommissioned device');
  assert.equal(await hasPermission(chain, device, owner.id, 'operate', chain.time), false);
  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: service.id, permissions: ['read-history'] })).code, 'DEVICE_DECOMMISSIONED', 'no new grant');
  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: fleet.id, permissions: ['read-history'] })).code, 'DEVICE_DECOMMISSIONED', 'no changed grant');
  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: fleet.id, permissions: [] })).ok, true, 'revoking stays possible');
});

test('recordToken: by the owner, for a grantee holding the permission at block time, expiring within five minutes, each id once', async () => {
  const { owner, fleet, chain, device } = await setup();
  const token = (over: Record<string, unknown> = {}) => ({ device, grantee: fleet.id, permission: 'operate', tokenId: '01'.repeat(16), expiresAt: chain.time + 2 * MINUTE, ...over });
  assert.equal((await chain.run(owner.key, 'device', 'recordToken', token())).code, 'PERMISSION_DENIED');
  assert.equal((await chain.run(owner.key, 'device', 'setPolicy', { device, grantee: fleet.id, permissions: ['operate'] })).ok, true);
  assert.equal((await chain.run(fleet.key, 'device', 'recordToken', token())).code, 'DEVICE_NOT_OWNER');
  assert.equal((await chain.run(owner.key, 'device', 'recordToken', token({ expiresAt: chain.time + 10 * MINUTE }))).code, 'TOKEN_EXPIRY_INVALID');
  assert.equal((await chain.run(owner.key, 'device', 'recordToken', token({ expiresAt: chain.time }))).code, 'TOKEN_EXPIRY_INVALID');
  assert.equal((await chain.run(owner.key, 'device', 'recordToken', token({ permission: 'maintain' }))).code, 'PERMISSION_DENIED');
  const recorded = await chain.run(owner.key, 'device', 'recordToken', token());
  assert.equal(recorded.ok, true, recorded.message);
  assert.deepEqual(recorded.subjects.sort(), [deviceSubject(device), owner.id, fleet.id].sort());
  assert.equal((await chain.run(owner.key, 'device', 'recordToken', token())).code, 'TOKEN_KNOWN');
});

test('an auditor is refused every device method', async () => {
  const { auditor, chain, device } = await setup();
  const before = chain.snapshot();
  const calls: [string, Record<string, unknown>][] = [
    ['register', { publicKey: toHex(deviceKey('a').publicKey), model: 'M', serial: 'S' }],
    ['recordEvent', { device, kind: 'inspected' }],
    ['offerTransfer', { device, to: auditor.id, expiresAt: chain.time + MINUTE }],
    ['withdrawTransfer', { device }],
    ['acceptTransfer', { device }],
    ['setPolicy', { device, grantee: auditor.id, permissions: ['read-history'] }],
    ['recordToken', { device, grantee: auditor.id, permission: 'operate', tokenId: '02'.repeat(16), expiresAt: chain.time + MINUTE }],
  ];
  for (const [method, payload] of calls) assert.equal((await chain.run(auditor.key, 'device', method, payload)).code, 'ROLE_FORBIDDEN', method);
  assert.deepEqual(chain.snapshot(), before);
});
