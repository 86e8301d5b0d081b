import { z } from 'zod';
import { encode } from '../codec/cbor.ts';
import { limits } from '../codec/limits.ts';
import { fromHex } from '../crypto/hex.ts';
import { ContractError, defineMethod, type Contract } from './contract.ts';
import { hex32, subject } from './schemas.ts';

/**
 * Document anchors: an organisation puts a document's hash (a certificate, an inspection report)
 * on the ledger under a subject, so anyone can later show the document existed then and who
 * vouched for it. The history of the subject lists every anchor.
 */

const recordKey = (subjectId: string, hashHex: string) => `record/${subjectId}/${hashHex}`;

const anchor = defineMethod({
  roles: ['member', 'admin'],
  payload: z.object({ subject, hash: hex32, label: z.string().trim().max(limits.nameCharsMax) }).strict(),
  async execute({ block, tx, signer, state, about }, payload) {
    about(payload.subject);
    const key = recordKey(payload.subject, payload.hash);
    if ((await state.get(key)) !== undefined) throw new ContractError('RECORD_KNOWN', 'that hash is anchored under this subject already');
    state.set(key, encode({ hash: fromHex(payload.hash, 32, 'hash'), label: payload.label, org: signer.id, tx: tx.id, height: block.height, time: block.time }));
  },
});

export const records: Contract = { name: 'records', methods: { anchor } };
