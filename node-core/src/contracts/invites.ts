import { z } from 'zod';
import { verifySignature } from '../crypto/ed25519.ts';
import { fromHex } from '../crypto/hex.ts';
import { ContractError, defineMethod } from './contract.ts';
import { closeInvite, addOpenInvite, readInvite } from './invite-state.ts';
import { joinProofMessage } from './join-proof.ts';
import { orgIdOf, readOrg } from './membership-state.ts';
import { checkCandidate } from './effects.ts';
import { openProposal, PROPOSAL_TTL_DEFAULT_MS } from './proposal-state.ts';
import { EXPIRY_MAX_MS, hex32, hex64, name, nodeList, registryId, roles, timestamp } from './schemas.ts';

/** Invites: an admin creates one for a named organisation; the organisation's new key uses it to ask to join. */

export const createInvite = defineMethod({
  roles: ['admin'],
  payload: z.object({ inviteKey: hex32, organisation: name, roles, expiresAt: timestamp }).strict(),
  async execute({ block, signer, state, about }, payload) {
    about(signer.id);
    if (payload.expiresAt <= block.time || payload.expiresAt > block.time + EXPIRY_MAX_MS) {
      throw new ContractError('INVITE_EXPIRY_INVALID', `expiresAt must lie after the block time ${block.time} and at most 30 days ahead`);
    }
    if ((await readInvite(state, payload.inviteKey)) !== undefined) throw new ContractError('INVITE_KNOWN', 'an invite with that key exists already');
    await addOpenInvite(
      state,
      {
        key: fromHex(payload.inviteKey, 32, 'inviteKey'), inviter: signer.id, organisation: payload.organisation, roles: payload.roles,
        expiresAt: payload.expiresAt, status: 'open', createdAt: block.height, usedBy: null,
      },
      block.time,
    );
  },
});

/** The inviter, or any admin, withdraws an open invite. */
export const revokeInvite = defineMethod({
  payload: z.object({ inviteKey: hex32 }).strict(),
  async execute({ block, signer, state, about }, payload) {
    const invite = await readInvite(state, payload.inviteKey);
    if (invite === undefined) throw new ContractError('INVITE_UNKNOWN', 'there is no invite with that key');
    if (invite.inviter !== signer.id && !signer.roles.includes('admin')) throw new ContractError('ROLE_FORBIDDEN', 'only the inviter or an admin may revoke an invite');
    if (invite.status === 'used') throw new ContractError('INVITE_USED', 'the invite has been used');
    if (invite.status === 'revoked') throw new ContractError('INVITE_REVOKED', 'the invite is revoked already');
    if (invite.status === 'expired' || invite.expiresAt < block.time) throw new ContractError('INVITE_EXPIRED', 'the invite has expired');
    about(signer.id);
    if (invite.inviter !== signer.id) about(invite.inviter);
    await closeInvite(state, { ...invite, status: 'revoked' });
  },
});

/**
 * Signed by the joining organisation's new signing key, which belongs to no organisation yet. The
 * proof is the invite key's signature over the request (join-proof.ts), so only the holder of the
 * invite's secret can use it, and only for these keys and nodes. Opens the `admit` proposal.
 */
/** The payload of membership.requestJoin; the join protocol checks a request against it before its block. */
export const requestJoinPayload = z.object({ inviteKey: hex32, encryptionKey: hex32, name, registryId, nodes: nodeList, proof: hex64 }).strict();

export const requestJoin = defineMethod({
  signer: 'non-member',
  payload: requestJoinPayload,
  async execute({ block, tx, signerKey, state, about }, payload) {
    const invite = await readInvite(state, payload.inviteKey);
    if (invite === undefined) throw new ContractError('INVITE_UNKNOWN', 'there is no invite with that key');
    if (invite.status === 'used') throw new ContractError('INVITE_USED', 'the invite has been used');
    if (invite.status === 'revoked') throw new ContractError('INVITE_REVOKED', 'the invite is revoked');
    if (invite.status === 'expired' || invite.expiresAt < block.time) throw new ContractError('INVITE_EXPIRED', 'the invite has expired');
    if ((await readOrg(state, invite.inviter))?.status !== 'active') throw new ContractError('INVITE_INVITER_INACTIVE', `the inviter ${invite.inviter} is no longer an active organisation`);
    const encryptionKey = fromHex(payload.encryptionKey, 32, 'encryptionKey');
    const message = joinProofMessage(block.chain, {
      inviteKey: invite.key, signingKey: signerKey, encryptionKey, name: payload.name, registryId: payload.registryId, nodes: payload.nodes,
    });
    if (!verifySignature(invite.key, message, fromHex(payload.proof, 64, 'proof'))) {
      throw new ContractError('JOIN_PROOF_INVALID', 'proof is not the invite key’s signature over this request');
    }
    await checkCandidate(state, signerKey, payload.nodes);
    const id = orgIdOf(signerKey);
    about(id);
    about(invite.inviter);
    await closeInvite(state, { ...invite, status: 'used', usedBy: id });
    await openProposal(
      state,
      {
        id: tx.idHex,
        effect: {
          kind: 'admit', signingKey: signerKey, encryptionKey, name: payload.name, registryId: payload.registryId, nodes: payload.nodes,
          roles: invite.roles, inviter: invite.inviter, inviteKey: invite.key,
        },
        subject: id, proposer: null, createdAt: block.height, expiresAt: block.time + PROPOSAL_TTL_DEFAULT_MS,
        status: 'open', votes: {}, closedAt: null, finalTally: null,
      },
      block.time,
    );
    about(`proposal/${tx.idHex}`);
  },
});
