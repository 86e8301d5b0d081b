import type { Contract } from './contract.ts';

/**
 * Organisations, their signing keys and the validator set (see membership-state.ts). Genesis
 * writes the founding organisation; invites, admission and votes add methods here with governance.
 */
export const membership: Contract = { name: 'membership', methods: {} };
