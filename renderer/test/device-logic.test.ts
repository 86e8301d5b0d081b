import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEVICE_EVENT_KINDS as API_EVENT_KINDS, DEVICE_PERMISSIONS as API_PERMISSIONS, type DeviceHistoryEntryJson, type DeviceJson } from '../../node-core/src/api/device-methods.ts';
import { parseRoute, routeHref, sectionOf } from '../src/app/routes.ts';
import { FETCH_WINDOW_MS, HistoryReader, readDeviceTelemetry } from '../src/controllers/device-queries.ts';
import { DEVICE_EVENT_KINDS, DEVICE_PERMISSIONS, alertsOf, currentGrants, eventReady, grantTarget, mayRecordEvents, transferActions } from '../src/lib/device-history.ts';
import type { NodeConnection } from '../src/rpc/connection.ts';
import { rulePayload } from '../src/lib/telemetry-rules.ts';
import { telemetrySeries } from '../src/lib/telemetry-series.ts';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const C = 'c'.repeat(40);
const DEVICE = 'd'.repeat(40);

test('device routes round-trip; anything that is no device id shows the list', () => {
  assert.deepEqual(parseRoute(routeHref({ name: 'devices' })), { name: 'devices' });
  assert.deepEqual(parseRoute(routeHref({ name: 'device', id: DEVICE })), { name: 'device', id: DEVICE });
  assert.deepEqual(parseRoute('#/devices/not-an-id'), { name: 'devices' });
  assert.deepEqual(parseRoute(`#/devices/${DEVICE.toUpperCase()}`), { name: 'devices' });
  assert.equal(sectionOf({ name: 'device', id: DEVICE }), 'devices');
});

test('telemetry points become one time-ordered series per metric, in units, with the newest reading', () => {
  const points = [
    { t: 3000, metric: 'temperature', value: -18250, unit: 'Cel', seq: 2 },
    { t: 3000, metric: 'cell.voltage', value: 3712, unit: 'V', seq: 2 },
    { t: 1000, metric: 'temperature', value: 21500, unit: 'Cel', seq: 1 },
    { t: 2000, metric: 'temperature', value: 0, unit: 'Cel', seq: 1 },
  ];
  const series = telemetrySeries(points);
  assert.equal(series.count, 4);
  assert.deepEqual(series.metrics.map((m) => m.metric), ['cell.voltage', 'temperature']);
  assert.deepEqual(series.metrics[1]?.points, [
    { t: 1000, value: 21.5 },
    { t: 2000, value: 0 },
    { t: 3000, value: -18.25 },
  ]);
  assert.deepEqual(series.last, { metric: 'temperature', unit: 'Cel', t: 3000, value: -18.25 });
  assert.deepEqual(telemetrySeries([]), { metrics: [], count: 0, last: undefined });
});

const entry = (contract: string, method: string, payload: DeviceHistoryEntryJson['payload'], height: number, ok = true): DeviceHistoryEntryJson => ({
  hash: String(height).padStart(64, '0'),
  height,
  index: 0,
  time: height * 1000,
  contract,
  method,
  ok,
  code: ok ? 'OK' : 'RULE_UNKNOWN',
  org: A,
  payload,
});

test('alerts are the committed recordAlert transactions of the history, newest first', () => {
  const alerts = alertsOf([
    entry('device', 'register', { model: 'X' }, 1),
    entry('telemetry', 'recordAlert', { device: DEVICE, rule: 'cold-chain', from: 10, to: 20, value: 2500, seq: 1 }, 2),
    entry('telemetry', 'recordAlert', { device: DEVICE, rule: 'refused', from: 10, to: 20, value: 1, seq: 1 }, 3, false),
    entry('telemetry', 'recordAlert', { device: DEVICE, rule: 'hot', from: 30, to: 40, value: 90000, seq: 2 }, 4),
  ]);
  assert.deepEqual(
    alerts.map((alert) => [alert.rule, alert.height, alert.value]),
    [
      ['hot', 4, 90000],
      ['cold-chain', 2, 2500],
    ],
  );
});

function device(overrides: Partial<DeviceJson> = {}): DeviceJson {
  return {
    id: DEVICE,
    owner: A,
    status: 'active',
    model: 'Reefer',
    manufacturer: '',
    serial: 'S1',
    registeredAt: 1,
    registeredTime: 1000,
    lastEvent: null,
    publicKey: 'e'.repeat(64),
    codes: [],
    metadata: {},
    ownerSince: 1,
    firmwareHash: null,
    grants: [],
    offer: null,
    ...overrides,
  };
}

test('grants in force come first and empty ones are left out', () => {
  const grant = (grantee: string, active: boolean, permissions: DeviceJson['grants'][number]['permissions']) => ({
    grantee,
    kind: 'org' as const,
    permissions,
    validFrom: null,
    validUntil: null,
    grantedBy: A,
    height: 2,
    time: 2000,
    active,
  });
  const shown = currentGrants(device({ grants: [grant(B, false, ['operate']), grant(C, true, ['read-telemetry']), grant(DEVICE, true, [])] }));
  assert.deepEqual(shown.map((g) => g.grantee), [C, B]);
});

test('transfer actions: the owner offers and withdraws, only the recipient accepts an open offer', () => {
  const open = { from: A, to: B, expiresAt: 9e12, status: 'open' as const, height: 3, time: 3000 };
  assert.deepEqual(transferActions(device(), A), { offer: true, withdraw: false, accept: false });
  assert.deepEqual(transferActions(device({ offer: open }), A), { offer: true, withdraw: true, accept: false });
  assert.deepEqual(transferActions(device({ offer: open }), B), { offer: false, withdraw: false, accept: true });
  assert.deepEqual(transferActions(device({ offer: open }), C), { offer: false, withdraw: false, accept: false });
  assert.deepEqual(transferActions(device({ offer: { ...open, status: 'withdrawn' } }), B), { offer: false, withdraw: false, accept: false });
  assert.deepEqual(transferActions(device({ status: 'decommissioned' }), A), { offer: false, withdraw: false, accept: false });
  assert.deepEqual(transferActions(device(), undefined), { offer: false, withdraw: false, accept: false });
});

test('the forms offer exactly the permissions and event kinds the API knows', () => {
  assert.deepEqual([...DEVICE_PERMISSIONS], [...API_PERMISSIONS]);
  assert.deepEqual([...DEVICE_EVENT_KINDS], [...API_EVENT_KINDS]);
});

test('a firmware update needs the firmware hash; the owner and active maintain holders record events on an active device', () => {
  assert.equal(eventReady('installed', ''), true);
  assert.equal(eventReady('firmwareUpdated', ''), false);
  assert.equal(eventReady('firmwareUpdated', 'ab'.repeat(32)), true);
  assert.equal(eventReady('firmwareUpdated', 'xy'.repeat(32)), false);
  const grant = (grantee: string, active: boolean, permissions: DeviceJson['grants'][number]['permissions']) => ({
    grantee, kind: 'org' as const, permissions, validFrom: null, validUntil: null, grantedBy: A, height: 2, time: 2000, active,
  });
  assert.equal(mayRecordEvents(device(), A), true);
  assert.equal(mayRecordEvents(device(), B), false);
  assert.equal(mayRecordEvents(device({ grants: [grant(B, true, ['maintain'])] }), B), true);
  assert.equal(mayRecordEvents(device({ grants: [grant(B, false, ['maintain'])] }), B), false, 'a grant not in force');
  assert.equal(mayRecordEvents(device({ grants: [grant(B, true, ['operate'])] }), B), false);
  assert.equal(mayRecordEvents(device({ status: 'decommissioned' }), A), false);
  assert.equal(mayRecordEvents(device(), undefined), false);
});

test('own devices read the newest points here; another organisation\'s are fetched from the owner\'s node for the last minutes', async () => {
  const calls: [string, unknown][] = [];
  const point = { t: 5, metric: 'temperature', value: 1000, unit: 'Cel', seq: 1 };
  const connection = {
    call: async (method: string, params: unknown) => {
      calls.push([method, params]);
      if (method === 'telemetry.query') return { device: DEVICE, points: [point], batches: [{ status: 'anchored' }, { status: 'pending' }, { status: 'anchored' }] };
      return { device: DEVICE, owner: B, peer: 'p', height: 3, points: [point], batches: [{ status: 'verified' }, { status: 'mismatch' }] };
    },
  } as unknown as NodeConnection;
  const local = await readDeviceTelemetry(connection, DEVICE, false, 1_000_000);
  assert.equal(local.source, 'local');
  assert.deepEqual([...local.statuses], [['anchored', 2], ['pending', 1]]);
  const fetched = await readDeviceTelemetry(connection, DEVICE, true, 1_000_000);
  assert.equal(fetched.source, 'owner');
  assert.deepEqual([...fetched.statuses], [['verified', 1], ['mismatch', 1]]);
  assert.deepEqual(calls.map(([method]) => method), ['telemetry.query', 'telemetry.fetch']);
  assert.deepEqual(calls[1]?.[1], { deviceId: DEVICE, from: 1_000_000 - FETCH_WINDOW_MS, limit: 600 });
});

test('the history is read page by page once, then only what follows the last entry', async () => {
  const all = Array.from({ length: 2500 }, (_, i) => entry('device', 'recordToken', { grantee: B }, i + 1));
  let known = 1500;
  const asked: unknown[] = [];
  const connection = {
    call: async (_method: string, params: { limit: number; after?: { height: number; index: number } }) => {
      asked.push(params.after ?? null);
      const start = params.after === undefined ? 0 : all.findIndex((e) => e.height === params.after!.height) + 1;
      const page = all.slice(0, known).slice(start, start + params.limit);
      const last = page.at(-1);
      return { entries: page, ...(start + params.limit < known && last !== undefined ? { next: { height: last.height, index: last.index } } : {}) };
    },
  } as unknown as NodeConnection;
  const reader = new HistoryReader();
  const first = await reader.read(connection, DEVICE);
  assert.equal(first.entries.length, 1500);
  assert.equal(first.complete, true);
  assert.deepEqual(asked, [null, { height: 1000, index: 0 }]);
  known = 2500;
  const second = await reader.read(connection, DEVICE);
  assert.equal(second.entries.length, 2500);
  assert.deepEqual(second.entries.map((e) => e.height), all.map((e) => e.height), 'each entry once, in order');
  assert.deepEqual(asked.slice(2), [{ height: 1500, index: 0 }]);
  const third = await reader.read(connection, DEVICE);
  assert.equal(third.entries.length, 2500, 'nothing new');
});

test('a grant goes to an organisation or a device id, with an optional end in the future', () => {
  const now = new Date('2026-06-01T12:00').getTime();
  const form = { kind: 'org' as const, org: B, device: '', validUntil: '' };
  assert.deepEqual(grantTarget(form, now), { grantee: B });
  assert.deepEqual(grantTarget({ ...form, org: '' }, now), { problem: 'grantee' });
  assert.deepEqual(grantTarget({ ...form, kind: 'device', device: ` ${DEVICE.toUpperCase()} ` }, now), { grantee: DEVICE });
  assert.deepEqual(grantTarget({ ...form, kind: 'device', device: 'gateway-7' }, now), { problem: 'grantee' });
  assert.deepEqual(grantTarget({ ...form, validUntil: '2026-06-02T12:00' }, now), { grantee: B, validUntil: new Date('2026-06-02T12:00').getTime() });
  assert.deepEqual(grantTarget({ ...form, validUntil: '2026-05-31T12:00' }, now), { problem: 'window' });
  assert.deepEqual(grantTarget({ ...form, validUntil: 'not a time' }, now), { problem: 'window' });
});

test('a rule form becomes the setRule payload in milli-units, or names the first wrong field', () => {
  const form = { name: 'cold-chain', metric: 'temperature', above: '-18.25', below: '', forSeconds: '120', assignTo: '' };
  assert.deepEqual(rulePayload(DEVICE, form), { device: DEVICE, name: 'cold-chain', metric: 'temperature', above: -18250, forSeconds: 120 });
  assert.deepEqual(rulePayload(DEVICE, { ...form, below: '3.7125', assignTo: B }), { device: DEVICE, name: 'cold-chain', metric: 'temperature', above: -18250, below: 3713, forSeconds: 120, assignTo: B });
  assert.deepEqual(rulePayload(DEVICE, { ...form, forSeconds: '' }), { device: DEVICE, name: 'cold-chain', metric: 'temperature', above: -18250, forSeconds: 0 });
  assert.deepEqual(rulePayload(DEVICE, { ...form, name: 'Cold Chain' }), { problem: 'name' });
  assert.deepEqual(rulePayload(DEVICE, { ...form, metric: '' }), { problem: 'metric' });
  assert.deepEqual(rulePayload(DEVICE, { ...form, above: '' }), { problem: 'threshold' });
  assert.deepEqual(rulePayload(DEVICE, { ...form, above: '1e3' }), { problem: 'threshold' });
  assert.deepEqual(rulePayload(DEVICE, { ...form, forSeconds: '604801' }), { problem: 'forSeconds' });
  assert.deepEqual(rulePayload(DEVICE, { ...form, forSeconds: '1.5' }), { problem: 'forSeconds' });
});
