import { z } from 'zod';
import { ORG_ID } from '../codec/names.ts';
import { ContractError, defineMethod } from './contract.ts';
import { deviceId, permission, permissions, timestamp, tokenId } from './device-schemas.ts';
import { ownedDevice } from './device-registry.ts';
import { DEVICE_LIMITS, deviceSubject, grantsOf, hasPermission, readDevice, readToken, writeGrants, writeToken, type Grant } from './device-state.ts';
import { readOrg } from './membership-state.ts';

/** Access policies per (device, grantee) and the audit record of every access token issued. */

/** Tokens are made by the owner's node by its clock; block time may trail it by this much. */
export const TOKEN_CLOCK_SLACK_MS = 60_000;

/**
 * The owner sets what a grantee (an organisation or another device) may do, and when. A new policy
 * replaces the grantee's earlier one; an empty permission set revokes it.
 */
export const setPolicy = defineMethod({
  roles: ['member', 'admin'],
  payload: z
    .object({ device: deviceId, grantee: z.string().regex(ORG_ID, 'expected an organisation or device id'), permissions, validFrom: timestamp.optional(), validUntil: timestamp.optional() })
    .strict(),
  async execute({ block, signer, state, about }, payload) {
    const device = await ownedDevice(state, payload.device, signer.id);
    if (payload.grantee === device.owner) throw new ContractError('GRANTEE_IS_OWNER', 'the owner holds every permission on its device');
    if (payload.validFrom !== undefined && payload.validUntil !== undefined && payload.validUntil <= payload.validFrom) {
      throw new ContractError('GRANT_WINDOW_INVALID', 'validUntil must lie after validFrom');
    }
    const grants = await grantsOf(state, device.id);
    const earlier = grants.find((g) => g.grantee === payload.grantee);
    const revoking = payload.permissions.length === 0;
    // A decommissioned device takes no new grant; revoking one stays possible.
    if (!revoking && device.status !== 'active') throw new ContractError('DEVICE_DECOMMISSIONED', `device ${device.id} is decommissioned`);
    let kind: Grant['kind'];
    if ((await readOrg(state, payload.grantee)) !== undefined) kind = 'org';
    else if ((await readDevice(state, payload.grantee)) !== undefined) kind = 'device';
    else throw new ContractError('GRANTEE_UNKNOWN', `${payload.grantee} is neither an organisation nor a device`);
    if (revoking && earlier === undefined) throw new ContractError('GRANT_UNKNOWN', `${payload.grantee} holds no grant on device ${device.id}`);
    const others = grants.filter((g) => g.grantee !== payload.grantee);
    if (!revoking && earlier === undefined && grants.length >= DEVICE_LIMITS.grantsPerDeviceMax) {
      throw new ContractError('GRANTS_FULL', `a device holds at most ${DEVICE_LIMITS.grantsPerDeviceMax} grants; revoke one first`);
    }
    about(deviceSubject(device.id));
    about(signer.id);
    about(kind === 'org' ? payload.grantee : deviceSubject(payload.grantee));
    const grant: Grant = {
      grantee: payload.grantee, kind, permissions: [...payload.permissions], validFrom: payload.validFrom ?? null, validUntil: payload.validUntil ?? null,
      grantedBy: signer.id, height: block.height, time: block.time,
    };
    // A replaced grant keeps its place in the list; a new one goes last.
    writeGrants(state, device.id, revoking ? others : earlier === undefined ? [...grants, grant] : grants.map((g) => (g === earlier ? grant : g)));
  },
});

/**
 * The owner's node records each access token it issues, before handing it out: the token id (used
 * once), the grantee, the permission and the expiry. Refused unless the grantee holds the
 * permission at block time.
 */
export const recordToken = defineMethod({
  roles: ['member', 'admin'],
  payload: z.object({ device: deviceId, grantee: z.string().regex(ORG_ID, 'expected an organisation or device id'), permission, tokenId, expiresAt: timestamp }).strict(),
  async execute({ block, signer, state, about }, payload) {
    const device = await ownedDevice(state, payload.device, signer.id);
    if (!(await hasPermission(state, device.id, payload.grantee, payload.permission, block.time))) {
      throw new ContractError('PERMISSION_DENIED', `${payload.grantee} does not hold ${payload.permission} on device ${device.id}`);
    }
    if (payload.expiresAt <= block.time || payload.expiresAt > block.time + DEVICE_LIMITS.tokenTtlMaxMs + TOKEN_CLOCK_SLACK_MS) {
      throw new ContractError('TOKEN_EXPIRY_INVALID', `a token expires after the block time and at most ${DEVICE_LIMITS.tokenTtlMaxMs / 1000} s ahead`);
    }
    if ((await readToken(state, payload.tokenId)) !== undefined) throw new ContractError('TOKEN_KNOWN', 'a token with that id was issued already');
    about(deviceSubject(device.id));
    about(signer.id);
    if (payload.grantee !== signer.id) about(payload.grantee);
    writeToken(state, payload.tokenId, {
      device: device.id, grantee: payload.grantee, permission: payload.permission, issuer: signer.id, expiresAt: payload.expiresAt, height: block.height, time: block.time,
    });
  },
});
