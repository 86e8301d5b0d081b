import type { Contract } from './contract.ts';
import { createInvite, requestJoin, revokeInvite } from './invites.ts';
import { addNode, removeNode } from './nodes.ts';
import { propose, settle, vote } from './proposals.ts';
import { applyValidatorSchedule } from './validator-changes.ts';

/**
 * Organisations, their roles, nodes and status, and the validator set (see docs/membership.md).
 * Genesis writes the founding organisations; invites, join requests and votes change them after.
 * At the end of every block the validator set scheduled for the next height takes effect.
 */
export const membership: Contract = {
  name: 'membership',
  methods: { createInvite, revokeInvite, requestJoin, propose, vote, settle, addNode, removeNode },
  endBlock: applyValidatorSchedule,
};
