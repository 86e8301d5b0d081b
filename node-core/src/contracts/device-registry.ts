import { z } from 'zod';
import { fromHex } from '../crypto/hex.ts';
import type { StateReader } from '../ledger/state.ts';
import { ContractError, defineMethod } from './contract.ts';
import { codes, deviceId, eventKind, manufacturer, metadata, model, note, serial } from './device-schemas.ts';
import { deviceIdOf, deviceSubject, hasPermission, ownedKey, readDevice, writeDevice, writeOffer, type DeviceRecord } from './device-state.ts';
import { hex32 } from './schemas.ts';

/** Registering a device and recording its lifecycle. */

/** The device, or DEVICE_UNKNOWN. */
export async function existingDevice(state: StateReader, id: string): Promise<DeviceRecord> {
  const device = await readDevice(state, id);
  if (device === undefined) throw new ContractError('DEVICE_UNKNOWN', `there is no device ${id}`);
  return device;
}

/** The device if `org` owns it: DEVICE_UNKNOWN, DEVICE_NOT_OWNER otherwise. */
export async function ownedDevice(state: StateReader, id: string, org: string): Promise<DeviceRecord> {
  const device = await existingDevice(state, id);
  if (device.owner !== org) throw new ContractError('DEVICE_NOT_OWNER', `device ${id} belongs to organisation ${device.owner}`);
  return device;
}

export function refuseDecommissioned(device: DeviceRecord): void {
  if (device.status === 'decommissioned') throw new ContractError('DEVICE_DECOMMISSIONED', `device ${device.id} is decommissioned`);
}

/** The signer's organisation registers a device by its public key and becomes its owner. */
export const register = defineMethod({
  roles: ['member', 'admin'],
  payload: z.object({ publicKey: hex32, model, manufacturer: manufacturer.optional(), serial, codes: codes.optional(), metadata: metadata.optional() }).strict(),
  async execute({ block, signer, state, about }, payload) {
    const publicKey = fromHex(payload.publicKey, 32, 'publicKey');
    const id = deviceIdOf(publicKey);
    if ((await readDevice(state, id)) !== undefined) throw new ContractError('DEVICE_KNOWN', `device ${id} is registered already`);
    about(deviceSubject(id));
    about(signer.id);
    writeDevice(state, {
      id, publicKey, owner: signer.id, status: 'active', model: payload.model, manufacturer: payload.manufacturer ?? '', serial: payload.serial,
      codes: payload.codes ?? [], metadata: payload.metadata ?? {}, registeredAt: block.height, registeredTime: block.time, ownerSince: block.height,
      lastEvent: null, firmwareHash: null,
    });
    state.set(ownedKey(signer.id, id), new Uint8Array([1]));
  },
});

/**
 * A lifecycle event, by the owner or an organisation holding `maintain` at block time. A
 * `decommissioned` event ends the device's life: it refuses every later event and transfer.
 */
export const recordEvent = defineMethod({
  roles: ['member', 'admin'],
  payload: z.object({ device: deviceId, kind: eventKind, firmwareHash: hex32.optional(), note: note.optional() }).strict(),
  async execute({ block, signer, state, about }, payload) {
    const device = await existingDevice(state, payload.device);
    refuseDecommissioned(device);
    if (device.owner !== signer.id && !(await hasPermission(state, device.id, signer.id, 'maintain', block.time))) {
      throw new ContractError('EVENT_FORBIDDEN', `organisation ${signer.id} neither owns device ${device.id} nor holds maintain on it`);
    }
    if ((payload.kind === 'firmwareUpdated') !== (payload.firmwareHash !== undefined)) {
      throw new ContractError('EVENT_INVALID', 'firmwareHash is required for firmwareUpdated and only for it');
    }
    about(deviceSubject(device.id));
    about(signer.id);
    if (device.owner !== signer.id) about(device.owner);
    const decommissioned = payload.kind === 'decommissioned';
    writeDevice(state, {
      ...device,
      status: decommissioned ? 'decommissioned' : device.status,
      lastEvent: { kind: payload.kind, height: block.height, time: block.time, org: signer.id },
      firmwareHash: payload.firmwareHash === undefined ? device.firmwareHash : fromHex(payload.firmwareHash, 32, 'firmwareHash'),
    });
    // A decommissioned device changes hands no more: an open offer ends with it.
    if (decommissioned) writeOffer(state, device.id, undefined);
  },
});
