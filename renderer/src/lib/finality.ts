import type { CommitJson, HeaderJson } from '../../../node-core/src/api/methods.ts';
import { verifyCommitCertificate } from '../../../node-core/src/api/proof.ts';

export interface FinalityCheck {
  ok: boolean;
  reason?: string;
  /** Voting power behind the certificate's signatures (0 unless they all verified). */
  signed: number;
  /** Voting power of the whole validator set the certificate was checked against. */
  total: number;
}

/**
 * Whether the block with this header is final: its commit certificate carries valid precommits from
 * more than two thirds of the validators' voting power, checked here against the header that the
 * transaction's proof leads to.
 */
export function checkFinality(header: HeaderJson, commit: CommitJson | null, validators: readonly { key: string; power: number }[]): FinalityCheck {
  const total = validators.reduce((sum, validator) => sum + validator.power, 0);
  if (commit === null) return { ok: false, reason: 'the node has no commit certificate for this block', signed: 0, total };
  const result = verifyCommitCertificate(header, commit, validators);
  if (!result.ok) return { ...result, signed: 0, total };
  const power = new Map(validators.map((validator) => [validator.key, validator.power]));
  const signed = commit.signatures.reduce((sum, { validator }) => sum + (power.get(validator) ?? 0), 0);
  return { ok: true, signed, total };
}
