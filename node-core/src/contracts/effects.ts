import { limits } from '../codec/limits.ts';
import { bytesEqual } from '../codec/cbor.ts';
import type { Role } from '../codec/messages.ts';
import type { Validator } from '../ledger/block.ts';
import type { StateOverlay, StateReader } from '../ledger/state.ts';
import { ContractError, type BlockContext } from './contract.ts';
import {
  activeAdmins, bindSigner, nodeOwner, ORGS_MAX, orgIdOf, orgIdOfAnySigner, readOrg, readOrgIds, readOrgs, writeOrg, writeOrgIds, type OrgRecord,
} from './membership-state.ts';
import { keyOfPeerId, peerIdOfKey } from './peer-id.ts';
import { writePolicy } from './policy.ts';
import type { Effect } from './proposal-state.ts';
import { hasKey, projectedValidators, scheduleValidators } from './validator-changes.ts';

/**
 * What a passed proposal does, and the checks that it still makes sense: run when the proposal is
 * made and again in the transaction that passes it (state may have moved in between; a vote whose
 * effect no longer holds is refused with the check's code and the proposal stays open).
 */

async function existingOrg(state: StateReader, id: string): Promise<OrgRecord> {
  const org = await readOrg(state, id);
  if (org === undefined) throw new ContractError('ORG_UNKNOWN', `there is no organisation ${id}`);
  return org;
}

async function activeOrg(state: StateReader, id: string): Promise<OrgRecord> {
  const org = await existingOrg(state, id);
  if (org.status !== 'active') throw new ContractError('ORG_NOT_ACTIVE', `organisation ${id} is ${org.status}`);
  return org;
}

/** Refuses a change that would leave no active organisation holding admin: nobody could vote again. */
async function keepAnAdmin(state: StateReader, losing: string): Promise<void> {
  const admins = await activeAdmins(state);
  if (admins.length === 1 && admins[0] === losing) throw new ContractError('ADMIN_SET_EMPTY', 'the change would leave no active organisation holding admin');
}

/** The projected set without `org`'s keys; refused if that would leave no validator. */
async function setWithout(state: StateReader, keep: (v: Validator) => boolean): Promise<{ before: Validator[]; after: Validator[] }> {
  const before = await projectedValidators(state);
  const after = before.filter(keep);
  if (after.length === 0) throw new ContractError('VALIDATOR_SET_EMPTY', 'the change would leave no validator');
  return { before, after };
}

/** The keys of an organisation's nodes, each named by an Ed25519 peer id; a node named otherwise cannot validate. */
function validatorKeysOf(nodes: readonly string[]): Uint8Array[] {
  return nodes.map((node) => {
    const key = keyOfPeerId(node);
    if (key === undefined) throw new ContractError('VALIDATOR_NOT_NODE', `node ${node} is not an Ed25519 peer id, so it cannot validate`);
    return key;
  });
}

/** Refuses a candidate whose signing key or org id is taken or whose nodes belong to another organisation. */
export async function checkCandidate(state: StateReader, signingKey: Uint8Array, nodes: readonly string[]): Promise<void> {
  if ((await orgIdOfAnySigner(state, signingKey)) !== undefined || (await readOrg(state, orgIdOf(signingKey))) !== undefined) {
    throw new ContractError('KEY_IN_USE', 'that signing key belongs, or belonged, to an organisation');
  }
  for (const node of nodes) {
    const owner = await nodeOwner(state, node);
    if (owner !== undefined) throw new ContractError('NODE_IN_USE', `node ${node} belongs to organisation ${owner}`);
  }
}

export async function checkEffect(state: StateReader, effect: Effect): Promise<void> {
  switch (effect.kind) {
    case 'admit': {
      await checkCandidate(state, effect.signingKey, effect.nodes);
      // A removed organisation stays listed for its history but holds no slot.
      const holding = (await readOrgs(state)).filter((org) => org.status !== 'removed').length;
      if (holding >= ORGS_MAX) throw new ContractError('ORGS_FULL', `a consortium holds at most ${ORGS_MAX} organisations that are not removed`);
      if (effect.roles.includes('validator')) {
        const keys = validatorKeysOf(effect.nodes);
        if ((await projectedValidators(state)).length + keys.length > limits.validatorsMax) throw new ContractError('VALIDATOR_SET_FULL', `the validator set holds at most ${limits.validatorsMax} keys`);
      }
      return;
    }
    case 'setRoles': {
      const org = await existingOrg(state, effect.org);
      if (org.status === 'removed') throw new ContractError('ORG_REMOVED', `organisation ${org.id} is removed`);
      if (!effect.roles.includes('admin') && org.status === 'active') await keepAnAdmin(state, org.id);
      if (!effect.roles.includes('validator') && (await projectedValidators(state)).some((v) => v.org === org.id)) {
        throw new ContractError('VALIDATOR_ROLE_IN_USE', `organisation ${org.id} has validator keys; remove them before the validator role`);
      }
      return;
    }
    case 'addValidator': {
      const org = await activeOrg(state, effect.org);
      const set = await projectedValidators(state);
      if (hasKey(set, effect.key)) throw new ContractError('VALIDATOR_KNOWN', 'that key is already in the validator set');
      if (!org.nodes.includes(peerIdOfKey(effect.key))) throw new ContractError('VALIDATOR_NOT_NODE', `the key is not the key of one of organisation ${org.id}'s nodes`);
      if (set.length >= limits.validatorsMax) throw new ContractError('VALIDATOR_SET_FULL', `the validator set holds at most ${limits.validatorsMax} keys`);
      return;
    }
    case 'removeValidator': {
      const set = await projectedValidators(state);
      if (!set.some((v) => bytesEqual(v.key, effect.key) && v.org === effect.org)) throw new ContractError('VALIDATOR_UNKNOWN', 'that key is not in the validator set');
      await setWithout(state, (v) => !bytesEqual(v.key, effect.key));
      return;
    }
    case 'suspend':
    case 'remove': {
      const org = await existingOrg(state, effect.org);
      if (effect.kind === 'suspend' && org.status !== 'active') throw new ContractError('ORG_NOT_ACTIVE', `organisation ${org.id} is ${org.status}`);
      if (org.status === 'removed') throw new ContractError('ORG_REMOVED', `organisation ${org.id} is removed`);
      if (org.status === 'active' && org.roles.includes('admin')) await keepAnAdmin(state, org.id);
      await setWithout(state, (v) => v.org !== org.id);
      return;
    }
    case 'reinstate': {
      const org = await existingOrg(state, effect.org);
      if (org.status !== 'suspended') throw new ContractError('ORG_NOT_SUSPENDED', `organisation ${org.id} is ${org.status}`);
      return;
    }
    case 'setPolicy':
      return;
  }
}

const withRole = (roles: readonly Role[], role: Role, present: boolean): Role[] =>
  present ? (roles.includes(role) ? [...roles] : [...roles, role]) : roles.filter((r) => r !== role);

/** Checks the effect again and applies it in the block at `block.height`. */
export async function applyEffect(state: StateOverlay, block: BlockContext, effect: Effect): Promise<void> {
  await checkEffect(state, effect);
  switch (effect.kind) {
    case 'admit': {
      const id = orgIdOf(effect.signingKey);
      writeOrg(state, {
        id, name: effect.name, registryId: effect.registryId, contact: '', roles: [...effect.roles], signingKey: effect.signingKey,
        encryptionKey: effect.encryptionKey, nodes: [...effect.nodes], status: 'active', joinedAt: block.height,
      });
      bindSigner(state, effect.signingKey, id);
      writeOrgIds(state, [...(await readOrgIds(state)), id]);
      // Invited as a validator: its nodes validate from the fixed height on, like an added validator.
      if (effect.roles.includes('validator')) {
        const added = validatorKeysOf(effect.nodes).map((key) => ({ key, org: id, power: 1 }));
        await scheduleValidators(state, block.height, [...(await projectedValidators(state)), ...added]);
      }
      return;
    }
    case 'setRoles': {
      const org = await existingOrg(state, effect.org);
      writeOrg(state, { ...org, roles: [...effect.roles] });
      return;
    }
    case 'addValidator': {
      const org = await existingOrg(state, effect.org);
      await scheduleValidators(state, block.height, [...(await projectedValidators(state)), { key: effect.key, org: org.id, power: effect.power }]);
      writeOrg(state, { ...org, roles: withRole(org.roles, 'validator', true) });
      return;
    }
    case 'removeValidator': {
      const { after } = await setWithout(state, (v) => !bytesEqual(v.key, effect.key));
      await scheduleValidators(state, block.height, after);
      const org = await readOrg(state, effect.org);
      if (org !== undefined && !after.some((v) => v.org === org.id)) writeOrg(state, { ...org, roles: withRole(org.roles, 'validator', false) });
      return;
    }
    case 'suspend':
    case 'remove': {
      const org = await existingOrg(state, effect.org);
      const { before, after } = await setWithout(state, (v) => v.org !== org.id);
      if (after.length !== before.length) await scheduleValidators(state, block.height, after);
      // As for removeValidator: with its last key gone from the set, the validator role goes too.
      writeOrg(state, { ...org, roles: withRole(org.roles, 'validator', false), status: effect.kind === 'suspend' ? 'suspended' : 'removed' });
      return;
    }
    case 'reinstate': {
      const org = await existingOrg(state, effect.org);
      writeOrg(state, { ...org, status: 'active' });
      return;
    }
    case 'setPolicy':
      writePolicy(state, effect.policy);
      return;
  }
}
