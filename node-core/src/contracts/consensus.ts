import { z } from 'zod';
import { encode } from '../codec/cbor.ts';
import { verifySignature } from '../crypto/ed25519.ts';
import { fromHex, toHex } from '../crypto/hex.ts';
import { voteSignBytes } from '../ledger/block.ts';
import { ContractError, defineMethod, type Contract } from './contract.ts';
import { hex32, hex64 } from './schemas.ts';
import { readValidators } from './membership-state.ts';

/**
 * Evidence of equivocation: two votes signed by one validator for the same height, round and step
 * but different blocks. Anyone holding both can prove it; the ledger keeps it once, under the
 * validator's subject, for the consortium to act on (the membership rules decide what follows).
 */

const signedVote = z.object({ block: hex32.nullable(), signature: hex64 }).strict();

export const evidenceSubject = (validatorKeyHex: string) => `validator/${validatorKeyHex}`;
const evidenceKey = (validator: string, height: number, round: number, type: string) => `evidence/${validator}/${height}/${round}/${type}`;

const recordEvidence = defineMethod({
  payload: z
    .object({
      validator: hex32,
      type: z.enum(['prevote', 'precommit']),
      height: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
      round: z.number().int().nonnegative().max(1_000_000),
      first: signedVote,
      second: signedVote,
    })
    .strict(),
  async execute({ block, state, about }, payload) {
    const validator = fromHex(payload.validator, 32, 'validator');
    about(evidenceSubject(payload.validator));
    if (payload.first.block === payload.second.block) throw new ContractError('EVIDENCE_INVALID', 'the two votes are for the same block');
    if (payload.height > block.height) throw new ContractError('EVIDENCE_INVALID', 'the votes are for a height not reached yet');
    // The set of the block being built: equivocation is recorded while the validator is still one.
    if (!(await readValidators(state)).some((v) => toHex(v.key) === payload.validator)) {
      throw new ContractError('EVIDENCE_INVALID', 'the signer is not a validator');
    }
    for (const vote of [payload.first, payload.second]) {
      const signBytes = voteSignBytes({ type: payload.type, chain: block.chain, height: payload.height, round: payload.round, block: vote.block === null ? null : fromHex(vote.block, 32, 'block') });
      if (!verifySignature(validator, signBytes, fromHex(vote.signature, 64, 'signature'))) throw new ContractError('EVIDENCE_INVALID', 'a vote signature does not verify');
    }
    const key = evidenceKey(payload.validator, payload.height, payload.round, payload.type);
    if ((await state.get(key)) !== undefined) throw new ContractError('EVIDENCE_KNOWN', 'this equivocation is already on the ledger');
    state.set(key, encode({ first: payload.first, second: payload.second, recordedAt: block.height }));
  },
});

export const consensus: Contract = { name: 'consensus', methods: { recordEvidence } };
