import { z } from 'zod';
import { encode } from '../codec/cbor.ts';
import { limits } from '../codec/limits.ts';
import { verifySignature } from '../crypto/ed25519.ts';
import { domainTag, sha256 } from '../crypto/hash.ts';
import { fromHex } from '../crypto/hex.ts';
import { ContractError, defineMethod, type Contract } from './contract.ts';
import { hex32, hex64 } from './schemas.ts';
import { bindSigner, orgIdOfAnySigner, recordFormerSigner, unbindSigner, writeOrg } from './membership-state.ts';


const updateProfile = defineMethod({
  payload: z
    .object({
      name: z.string().trim().min(1).max(limits.nameCharsMax).optional(),
      registryId: z.string().trim().max(limits.nameCharsMax).optional(),
      contact: z.string().trim().max(limits.contactCharsMax).optional(),
    })
    .strict()
    .refine((p) => p.name !== undefined || p.registryId !== undefined || p.contact !== undefined, {
      message: 'give at least one of name, registryId, contact',
    }),
  async execute({ signer, state, about }, payload) {
    about(signer.id);
    writeOrg(state, {
      ...signer,
      name: payload.name ?? signer.name,
      registryId: payload.registryId ?? signer.registryId,
      contact: payload.contact ?? signer.contact,
    });
  },
});

const ROTATE_TAG = domainTag('rotate-key');

/**
 * What the new key signs to prove it is held by the organisation rotating to it; without this
 * proof a typo would lock an organisation out of its own record.
 */
export function rotateKeyProofMessage(chain: Uint8Array, orgId: string, from: Uint8Array, to: Uint8Array): Uint8Array {
  return sha256(ROTATE_TAG, encode({ chain, org: orgId, from, to }));
}

const rotateKey = defineMethod({
  payload: z.object({ signingKey: hex32, proof: hex64 }).strict(),
  async execute({ block, signer, state, about }, payload) {
    about(signer.id);
    const next = fromHex(payload.signingKey, 32, 'signingKey');
    if ((await orgIdOfAnySigner(state, next)) !== undefined) {
      throw new ContractError('KEY_IN_USE', 'that signing key belongs, or belonged, to an organisation');
    }
    const message = rotateKeyProofMessage(block.chain, signer.id, signer.signingKey, next);
    if (!verifySignature(next, message, fromHex(payload.proof, 64, 'proof'))) {
      throw new ContractError('KEY_PROOF_INVALID', 'proof is not a signature by the new key over the rotation');
    }
    unbindSigner(state, signer.signingKey);
    recordFormerSigner(state, signer.signingKey, signer.id);
    bindSigner(state, next, signer.id);
    writeOrg(state, { ...signer, signingKey: next });
  },
});

export const identity: Contract = { name: 'identity', methods: { updateProfile, rotateKey } };
