import { z } from 'zod';
import { encode } from '../codec/cbor.ts';
import { METRIC_NAME, telemetryLimits } from '../codec/telemetry.ts';
import { fromHex } from '../crypto/hex.ts';
import type { StateReader } from '../ledger/state.ts';
import { ContractError, defineMethod, type Contract } from './contract.ts';
import { deviceId } from './device-schemas.ts';
import { deviceSubject, readDevice, type DeviceRecord } from './device-state.ts';
import { readOrg } from './membership-state.ts';
import { hex32, orgId, timestamp } from './schemas.ts';
import {
  alertKey, anchorKey, maintenanceKey, readRules, RULE_NAME, TELEMETRY_LIMITS, telemetrySubject, writeAnchor, writeRules, type AlertRecord,
  type MaintenanceRequest, type Rule,
} from './telemetry-state.ts';

/**
 * Telemetry on the ledger (docs/telemetry.md): the owner's node anchors the Merkle roots of the
 * signed batches its devices sent, sets threshold rules per device, and records the alerts those
 * rules raise, optionally opening a maintenance request for another organisation.
 */

const uint = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const milli = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

/** The device, which the signer must own. */
async function ownedDevice(state: StateReader, id: string, signerId: string): Promise<DeviceRecord> {
  const device = await readDevice(state, id);
  if (device === undefined) throw new ContractError('DEVICE_UNKNOWN', `there is no device ${id}`);
  if (device.owner !== signerId) throw new ContractError('DEVICE_NOT_OWNER', `device ${id} belongs to organisation ${device.owner}`);
  return device;
}

const anchorEntry = z
  .object({
    device: deviceId,
    seq: uint,
    root: hex32,
    count: z.number().int().min(1).max(telemetryLimits.pointsMax),
    from: timestamp,
    to: timestamp,
  })
  .strict()
  .refine((entry) => entry.from <= entry.to, { message: 'from is after to', path: ['to'] });

const anchor = defineMethod({
  payload: z
    .object({ batches: z.array(anchorEntry).min(1).max(TELEMETRY_LIMITS.anchorBatchesMax) })
    .strict()
    .refine((p) => new Set(p.batches.map((b) => `${b.device}/${b.seq}`)).size === p.batches.length, { message: 'a batch appears twice', path: ['batches'] })
    .refine((p) => new Set(p.batches.map((b) => b.device)).size <= TELEMETRY_LIMITS.anchorDevicesMax, {
      message: `at most ${TELEMETRY_LIMITS.anchorDevicesMax} devices per transaction`, path: ['batches'],
    }),
  async execute({ block, tx, signer, state, about }, payload) {
    const checked = new Set<string>();
    for (const entry of payload.batches) {
      if (!checked.has(entry.device)) {
        await ownedDevice(state, entry.device, signer.id);
        checked.add(entry.device);
        about(telemetrySubject(entry.device));
      }
      if ((await state.get(anchorKey(entry.device, entry.seq))) !== undefined) {
        throw new ContractError('TELEMETRY_ANCHOR_KNOWN', `batch ${entry.seq} of device ${entry.device} is anchored already`);
      }
      writeAnchor(state, entry.device, entry.seq, {
        root: fromHex(entry.root, 32, 'root'), count: entry.count, from: entry.from, to: entry.to, org: signer.id, tx: tx.id, height: block.height, time: block.time,
      });
    }
  },
});

const setRule = defineMethod({
  payload: z
    .object({
      device: deviceId,
      name: z.string().regex(RULE_NAME, 'expected a rule name such as "cold-chain"'),
      metric: z.string().regex(METRIC_NAME, 'expected a metric name such as "temperature"'),
      above: milli.optional(),
      below: milli.optional(),
      forSeconds: z.number().int().nonnegative().max(TELEMETRY_LIMITS.ruleForSecondsMax).default(0),
      assignTo: orgId.optional(),
    })
    .strict()
    .refine((p) => p.above !== undefined || p.below !== undefined, { message: 'give above, below or both', path: ['above'] }),
  async execute({ block, signer, state, about }, payload) {
    const device = await ownedDevice(state, payload.device, signer.id);
    if (device.status !== 'active') throw new ContractError('DEVICE_DECOMMISSIONED', `device ${device.id} is decommissioned`);
    about(deviceSubject(device.id));
    if (payload.assignTo !== undefined) {
      const org = await readOrg(state, payload.assignTo);
      if (org === undefined || org.status !== 'active') throw new ContractError('ORG_NOT_ACTIVE', `organisation ${payload.assignTo} is not an active member`);
    }
    const rules = await readRules(state, device.id);
    const rule: Rule = {
      name: payload.name, metric: payload.metric, above: payload.above ?? null, below: payload.below ?? null, forSeconds: payload.forSeconds,
      assignTo: payload.assignTo ?? null, setBy: signer.id, height: block.height,
    };
    const index = rules.findIndex((r) => r.name === rule.name);
    if (index === -1 && rules.length >= TELEMETRY_LIMITS.rulesPerDeviceMax) {
      throw new ContractError('RULES_FULL', `a device has at most ${TELEMETRY_LIMITS.rulesPerDeviceMax} rules`);
    }
    writeRules(state, device.id, index === -1 ? [...rules, rule] : rules.map((r, i) => (i === index ? rule : r)));
  },
});

const removeRule = defineMethod({
  payload: z.object({ device: deviceId, name: z.string().regex(RULE_NAME) }).strict(),
  async execute({ signer, state, about }, payload) {
    const device = await ownedDevice(state, payload.device, signer.id);
    about(deviceSubject(device.id));
    const rules = await readRules(state, device.id);
    if (!rules.some((r) => r.name === payload.name)) throw new ContractError('RULE_UNKNOWN', `device ${device.id} has no rule ${payload.name}`);
    writeRules(state, device.id, rules.filter((r) => r.name !== payload.name));
  },
});

const recordAlert = defineMethod({
  payload: z
    .object({ device: deviceId, rule: z.string().regex(RULE_NAME), from: timestamp, to: timestamp, value: milli, seq: uint })
    .strict()
    .refine((p) => p.from <= p.to, { message: 'from is after to', path: ['to'] }),
  async execute({ block, tx, signer, state, about }, payload) {
    const device = await ownedDevice(state, payload.device, signer.id);
    if (device.status !== 'active') throw new ContractError('DEVICE_DECOMMISSIONED', `device ${device.id} is decommissioned`);
    const rule = (await readRules(state, device.id)).find((r) => r.name === payload.rule);
    if (rule === undefined) throw new ContractError('RULE_UNKNOWN', `device ${device.id} has no rule ${payload.rule}`);
    const key = alertKey(device.id, rule.name, payload.from);
    if ((await state.get(key)) !== undefined) throw new ContractError('ALERT_KNOWN', `rule ${rule.name} of device ${device.id} raised this alert already`);
    about(deviceSubject(device.id));
    // A maintenance request goes to an organisation that is still an active member; otherwise the alert stands alone.
    const assignee = rule.assignTo === null ? undefined : await readOrg(state, rule.assignTo);
    const maintenance = assignee !== undefined && assignee.status === 'active' ? assignee.id : null;
    const alert: AlertRecord = {
      device: device.id, rule: rule.name, metric: rule.metric, above: rule.above, below: rule.below, forSeconds: rule.forSeconds,
      from: payload.from, to: payload.to, value: payload.value, seq: payload.seq, org: signer.id, tx: tx.id, height: block.height, time: block.time, maintenance,
    };
    state.set(key, encode(alert));
    if (maintenance !== null) {
      about(maintenance);
      const request: MaintenanceRequest = {
        device: device.id, alert: `${rule.name}/${payload.from}`, assignee: maintenance, openedBy: signer.id, status: 'open', height: block.height, time: block.time,
      };
      state.set(maintenanceKey(device.id, rule.name, payload.from), encode(request));
    }
  },
});

export const telemetry: Contract = { name: 'telemetry', methods: { anchor, setRule, removeRule, recordAlert } };
