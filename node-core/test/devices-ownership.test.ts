import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deviceIdOf, deviceSubject, grantsOf, readDevice } from '../src/contracts/device-state.ts';
import { readRules } from '../src/contracts/telemetry-state.ts';
import { signingKeyFromSeed } from '../src/crypto/ed25519.ts';
import { domainTag, sha256 } from '../src/crypto/hash.ts';
import { toHex } from '../src/crypto/hex.ts';
import { DAY, MemoryChain, party, type Party } from './support/governance-chain.ts';

/** Device registry and two-sided ownership transfer, on an in-memory chain. */

const deviceKey = (label: string) => signingKeyFromSeed(sha256(new TextEncoder().encode(`device:${label}`)));

function setup() {
  const [maker, buyer, third, auditor] = ['maker', 'buyer', 'third', 'auditor'].map(party) as [Party, Party, Party, Party];
  const chain = new MemoryChain([{ party: maker }, { party: buyer, roles: ['member'] }, { party: third, roles: ['member'] }, { party: auditor, roles: ['auditor'] }]);
  return { maker, buyer, third, auditor, chain };
}

async function registered(chain: MemoryChain, owner: Party, label = 'pack-1') {
  const publicKey = toHex(deviceKey(label).publicKey);
  const receipt = await chain.run(owner.key, 'device', 'register', {
    publicKey, model: 'LFP-280', manufacturer: 'Cells Ltd', serial: `SN-${label}`, codes: [{ scheme: 'GB/T 34014', code: '03HPE0A0000001' }], metadata: { site: 'Hall 3' },
  });
  assert.equal(receipt.ok, true, receipt.message);
  return deviceIdOf(deviceKey(label).publicKey);
}

test('deviceIdOf is the first 20 bytes of SHA-256 over the device-id tag and the key', () => {
  const key = deviceKey('x').publicKey;
  assert.equal(deviceIdOf(key), toHex(sha256(domainTag('device-id'), key).subarray(0, 20)));
  assert.match(deviceIdOf(key), /^[0-9a-f]{40}$/);
  assert.equal(deviceSubject('ab'), 'device/ab');
});

test('register: the signer owns the device; a known key is refused; an auditor is refused; bounds hold', async () => {
  const { maker, buyer, auditor, chain } = setup();
  const id = await registered(chain, maker);
  const device = await readDevice(chain, id);
  assert.equal(device?.owner, maker.id);
  assert.equal(device?.status, 'active');
  assert.deepEqual(device?.codes, [{ scheme: 'GB/T 34014', code: '03HPE0A0000001' }]);
  assert.deepEqual(device?.metadata, { site: 'Hall 3' });
  assert.equal(device?.registeredAt, chain.height);

  const publicKey = toHex(deviceKey('pack-1').publicKey);
  const before = chain.snapshot();
  const again = await chain.run(buyer.key, 'device', 'register', { publicKey, model: 'M', serial: 'S' });
  assert.deepEqual([again.ok, again.code], [false, 'DEVICE_KNOWN']);
  const byAuditor = await chain.run(auditor.key, 'device', 'register', { publicKey: toHex(deviceKey('other').publicKey), model: 'M', serial: 'S' });
  assert.deepEqual([byAuditor.ok, byAuditor.code], [false, 'ROLE_FORBIDDEN']);
  const tooMuch = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v']));
  const bounded = await chain.run(maker.key, 'device', 'register', { publicKey: toHex(deviceKey('other').publicKey), model: 'M', serial: 'S', metadata: tooMuch });
  assert.deepEqual([bounded.ok, bounded.code], [false, 'PAYLOAD_INVALID']);
  assert.deepEqual(chain.snapshot(), before, 'refusals write nothing');
});

test('ownership changes only with both signatures: an offer alone changes nothing, a third organisation cannot accept, the recipient can', async () => {
  const { maker, buyer, third, chain } = setup();
  const id = await registered(chain, maker);
  assert.equal((await chain.run(maker.key, 'device', 'setPolicy', { device: id, grantee: third.id, permissions: ['read-telemetry'] })).ok, true);

  const offer = await chain.run(maker.key, 'device', 'offerTransfer', { device: id, to: buyer.id, expiresAt: chain.time + DAY });
  assert.equal(offer.ok, true, offer.message);
  assert.deepEqual(offer.subjects.sort(), [deviceSubject(id), maker.id, buyer.id].sort());
  assert.equal((await readDevice(chain, id))?.owner, maker.id, 'an offer alone changes nothing');

  const byThird = await chain.run(third.key, 'device', 'acceptTransfer', { device: id });
  assert.deepEqual([byThird.ok, byThird.code], [false, 'TRANSFER_NOT_RECIPIENT']);
  const byBuyerOffer = await chain.run(buyer.key, 'device', 'offerTransfer', { device: id, to: third.id, expiresAt: chain.time + DAY });
  assert.deepEqual([byBuyerOffer.ok, byBuyerOffer.code], [false, 'DEVICE_NOT_OWNER']);
  const second = await chain.run(maker.key, 'device', 'offerTransfer', { device: id, to: third.id, expiresAt: chain.time + DAY });
  assert.deepEqual([second.ok, second.code], [false, 'TRANSFER_OPEN'], 'replacing an open offer is explicit');
  assert.equal((await readDevice(chain, id))?.owner, maker.id);

  const accepted = await chain.run(buyer.key, 'device', 'acceptTransfer', { device: id });
  assert.equal(accepted.ok, true, accepted.message);
  const device = await readDevice(chain, id);
  assert.equal(device?.owner, buyer.id);
  assert.equal(device?.ownerSince, accepted.height);
  assert.deepEqual(await grantsOf(chain, id), [], 'grants made by the previous owner end with the transfer');
  const replay = await chain.run(buyer.key, 'device', 'acceptTransfer', { device: id });
  assert.deepEqual([replay.ok, replay.code], [false, 'TRANSFER_NONE']);
  const oldOwner = await chain.run(maker.key, 'device', 'recordEvent', { device: id, kind: 'inspected' });
  assert.deepEqual([oldOwner.ok, oldOwner.code], [false, 'EVENT_FORBIDDEN']);
});

test('a withdrawn or expired offer cannot be accepted; a replaced offer goes to the new recipient only', async () => {
  const { maker, buyer, third, chain } = setup();
  const id = await registered(chain, maker);
  assert.equal((await chain.run(maker.key, 'device', 'offerTransfer', { device: id, to: buyer.id, expiresAt: chain.time + 10_000 })).ok, true);
  assert.equal((await chain.run(maker.key, 'device', 'withdrawTransfer', { device: id })).ok, true);
  const withdrawn = await chain.run(buyer.key, 'device', 'acceptTransfer', { device: id });
  assert.deepEqual([withdrawn.ok, withdrawn.code], [false, 'TRANSFER_WITHDRAWN']);
  assert.equal((await chain.run(maker.key, 'device', 'withdrawTransfer', { device: id })).code, 'TRANSFER_WITHDRAWN');

  assert.equal((await chain.run(maker.key, 'device', 'offerTransfer', { device: id, to: buyer.id, expiresAt: chain.time + 5_000 })).ok, true);
  const stale = await chain.run(buyer.key, 'device', 'acceptTransfer', { device: id }, 10_000);
  assert.deepEqual([stale.ok, stale.code], [false, 'TRANSFER_EXPIRED']);
  assert.equal((await readDevice(chain, id))?.owner, maker.id);

  const invalid = await chain.run(maker.key, 'device', 'offerTransfer', { device: id, to: buyer.id, expiresAt: chain.time });
  assert.equal(invalid.code, 'TRANSFER_EXPIRY_INVALID');
  assert.equal((await chain.run(maker.key, 'device', 'offerTransfer', { device: id, to: maker.id, expiresAt: chain.time + DAY })).code, 'TRANSFER_TO_SELF');
  // An expired offer may be replaced without ceremony; an open one only with replace: true.
  assert.equal((await chain.run(maker.key, 'device', 'offerTransfer', { device: id, to: buyer.id, expiresAt: chain.time + DAY })).ok, true);
  assert.equal((await chain.run(maker.key, 'device', 'offerTransfer', { device: id, to: third.id, expiresAt: chain.time + DAY, replace: true })).ok, true);
  assert.equal((await chain.run(buyer.key, 'device', 'acceptTransfer', { device: id })).code, 'TRANSFER_NOT_RECIPIENT');
  assert.equal((await chain.run(third.key, 'device', 'acceptTransfer', { device: id })).ok, true);
  assert.equal((await readDevice(chain, id))?.owner, third.id);
});

test('acceptance ends the previous owner\'s telemetry rules along with its grants', async () => {
  const { maker, buyer, chain } = setup();
  const id = await registered(chain, maker);
  const rule = await chain.run(maker.key, 'telemetry', 'setRule', { device: id, name: 'hot', metric: 'temperature', above: 8_000 });
  assert.equal(rule.ok, true, rule.message);
  assert.equal((await readRules(chain, id)).length, 1);
  assert.equal((await chain.run(maker.key, 'device', 'offerTransfer', { device: id, to: buyer.id, expiresAt: chain.time + DAY })).ok, true);
  const accepted = await chain.run(buyer.key, 'device', 'acceptTransfer', { device: id });
  assert.equal(accepted.ok, true, accepted.message);
  assert.deepEqual(await readRules(chain, id), [], 'the rules made by the previous owner end with the transfer');
  const again = await chain.run(buyer.key, 'telemetry', 'setRule', { device: id, name: 'cold', metric: 'temperature', below: -25_000 });
  assert.equal(again.ok, true, again.message);
});
