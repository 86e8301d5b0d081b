import { z } from 'zod';
import { ContractError, defineMethod } from './contract.ts';
import { deviceId, timestamp } from './device-schemas.ts';
import { existingDevice, ownedDevice, refuseDecommissioned } from './device-registry.ts';
import { DEVICE_LIMITS, deviceSubject, ownedKey, readOffer, writeDevice, writeGrants, writeOffer } from './device-state.ts';
import { readOrg } from './membership-state.ts';
import { writeRules } from './telemetry-state.ts';
import { orgId } from './schemas.ts';

/**
 * Two-sided ownership transfer: the owner offers, the recipient accepts. Nothing about the device
 * changes until the acceptance commits; the owner may withdraw an open offer, and an offer past its
 * expiry (by block time) cannot be accepted. Acceptance ends every grant and telemetry rule the
 * previous owner made.
 */

export const offerTransfer = defineMethod({
  roles: ['member', 'admin'],
  payload: z.object({ device: deviceId, to: orgId, expiresAt: timestamp, replace: z.boolean().optional() }).strict(),
  async execute({ block, signer, state, about }, payload) {
    const device = await ownedDevice(state, payload.device, signer.id);
    refuseDecommissioned(device);
    if (payload.to === signer.id) throw new ContractError('TRANSFER_TO_SELF', 'the device belongs to the signer already');
    const recipient = await readOrg(state, payload.to);
    if (recipient === undefined) throw new ContractError('ORG_UNKNOWN', `there is no organisation ${payload.to}`);
    if (recipient.status !== 'active') throw new ContractError('ORG_NOT_ACTIVE', `organisation ${payload.to} is ${recipient.status}`);
    if (payload.expiresAt <= block.time || payload.expiresAt > block.time + DEVICE_LIMITS.offerTtlMaxMs) {
      throw new ContractError('TRANSFER_EXPIRY_INVALID', `expiresAt must lie after the block time ${block.time} and at most 30 days ahead`);
    }
    const open = await readOffer(state, device.id);
    if (open !== undefined && open.status === 'open' && open.expiresAt > block.time && payload.replace !== true) {
      throw new ContractError('TRANSFER_OPEN', `device ${device.id} has an open offer to ${open.to}; withdraw it or pass replace: true`);
    }
    about(deviceSubject(device.id));
    about(signer.id);
    about(payload.to);
    if (open !== undefined && open.to !== payload.to) about(open.to);
    writeOffer(state, device.id, { from: signer.id, to: payload.to, expiresAt: payload.expiresAt, status: 'open', height: block.height, time: block.time });
  },
});

export const withdrawTransfer = defineMethod({
  roles: ['member', 'admin'],
  payload: z.object({ device: deviceId }).strict(),
  async execute({ signer, state, about }, payload) {
    const device = await ownedDevice(state, payload.device, signer.id);
    const offer = await readOffer(state, device.id);
    if (offer === undefined) throw new ContractError('TRANSFER_NONE', `device ${device.id} has no transfer offer`);
    if (offer.status === 'withdrawn') throw new ContractError('TRANSFER_WITHDRAWN', 'the offer is withdrawn already');
    about(deviceSubject(device.id));
    about(signer.id);
    about(offer.to);
    writeOffer(state, device.id, { ...offer, status: 'withdrawn' });
  },
});

export const acceptTransfer = defineMethod({
  roles: ['member', 'admin'],
  payload: z.object({ device: deviceId }).strict(),
  async execute({ block, signer, state, about }, payload) {
    const device = await existingDevice(state, payload.device);
    const offer = await readOffer(state, device.id);
    if (offer === undefined) throw new ContractError('TRANSFER_NONE', `device ${device.id} has no transfer offer`);
    if (offer.to !== signer.id) throw new ContractError('TRANSFER_NOT_RECIPIENT', `the offer is made to organisation ${offer.to}`);
    if (offer.status === 'withdrawn') throw new ContractError('TRANSFER_WITHDRAWN', 'the offer was withdrawn');
    if (offer.expiresAt <= block.time) throw new ContractError('TRANSFER_EXPIRED', `the offer expired at ${offer.expiresAt}`);
    // An offer made by an earlier owner (the device changed hands since) is stale as well.
    if (offer.from !== device.owner) throw new ContractError('TRANSFER_EXPIRED', 'the offer was made by an earlier owner');
    refuseDecommissioned(device);
    about(deviceSubject(device.id));
    about(device.owner);
    about(signer.id);
    writeDevice(state, { ...device, owner: signer.id, ownerSince: block.height });
    state.delete(ownedKey(device.owner, device.id));
    state.set(ownedKey(signer.id, device.id), new Uint8Array([1]));
    writeGrants(state, device.id, []);
    // Threshold rules (and whom their alerts assign maintenance to) are the previous owner's too.
    writeRules(state, device.id, []);
    writeOffer(state, device.id, undefined);
  },
});
