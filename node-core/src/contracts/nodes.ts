import { z } from 'zod';
import { limits } from '../codec/limits.ts';
import { ContractError, defineMethod } from './contract.ts';
import { nodeOwner, readValidators, writeOrg } from './membership-state.ts';
import { peerIdOfKey } from './peer-id.ts';
import { peerId } from './schemas.ts';
import { readValidatorSchedule } from './validator-changes.ts';

/** An organisation's own node list: the peer ids the network's gate admits for it. */

export const addNode = defineMethod({
  payload: z.object({ peerId }).strict(),
  async execute({ signer, state, about }, payload) {
    about(signer.id);
    if (signer.nodes.includes(payload.peerId)) throw new ContractError('NODE_KNOWN', 'the node is in the organisation’s list already');
    const owner = await nodeOwner(state, payload.peerId);
    if (owner !== undefined) throw new ContractError('NODE_IN_USE', `node ${payload.peerId} belongs to organisation ${owner}`);
    if (signer.nodes.length >= limits.nodesPerOrgMax) throw new ContractError('NODES_FULL', `an organisation lists at most ${limits.nodesPerOrgMax} nodes`);
    writeOrg(state, { ...signer, nodes: [...signer.nodes, payload.peerId] });
  },
});

export const removeNode = defineMethod({
  payload: z.object({ peerId }).strict(),
  async execute({ signer, state, about }, payload) {
    about(signer.id);
    if (!signer.nodes.includes(payload.peerId)) throw new ContractError('NODE_UNKNOWN', 'the node is not in the organisation’s list');
    if (signer.nodes.length === 1) throw new ContractError('NODE_LAST', 'an organisation keeps at least one node');
    // Every set still to validate: the current one and each scheduled one, not only the last.
    const validating = [...(await readValidators(state)), ...(await readValidatorSchedule(state)).flatMap((entry) => entry.validators)];
    if (validating.some((v) => v.org === signer.id && peerIdOfKey(v.key) === payload.peerId)) {
      throw new ContractError('NODE_IS_VALIDATOR', 'the node’s key is in the validator set; remove it from the set first');
    }
    writeOrg(state, { ...signer, nodes: signer.nodes.filter((node) => node !== payload.peerId) });
  },
});
