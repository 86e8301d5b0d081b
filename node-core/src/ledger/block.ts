import { bytesEqual, encode } from '../codec/cbor.ts';
import { encodeBlockHeader, encodeVote, type BlockHeader, type Commit, type Vote } from '../codec/messages.ts';
import { verifySignature, type SigningKey } from '../crypto/ed25519.ts';
import { domainTag, sha256 } from '../crypto/hash.ts';
import { toHex } from '../crypto/hex.ts';

const HEADER_TAG = domainTag('header');
const VOTE_TAG = domainTag('vote');
const PROPOSAL_TAG = domainTag('proposal');

export function blockHash(header: BlockHeader): Uint8Array {
  return sha256(HEADER_TAG, encodeBlockHeader(header));
}

export function voteSignBytes(vote: Vote): Uint8Array {
  return sha256(VOTE_TAG, encodeVote(vote));
}

/** What a proposer signs: the block it proposes for (height, round), and the round it was seen valid in. */
export function proposalSignBytes(chain: Uint8Array, height: number, round: number, validRoundPlusOne: number, block: Uint8Array): Uint8Array {
  return sha256(PROPOSAL_TAG, encode({ chain, height, round, validRoundPlusOne, block }));
}

export interface Validator {
  readonly key: Uint8Array;
  readonly org: string;
  readonly power: number;
}

export function signPrecommit(key: SigningKey, chain: Uint8Array, header: BlockHeader, round: number): Commit['sigs'][number] {
  const vote: Vote = { type: 'precommit', chain, height: header.height, round, block: blockHash(header) };
  return { validator: key.publicKey, sig: key.sign(voteSignBytes(vote)) };
}

/**
 * A commit is valid for a header when precommits for that block, from distinct validators of the
 * height's validator set, carry more than two thirds of the set's voting power.
 */
export function commitProblem(commit: Commit, header: BlockHeader, validators: readonly Validator[]): string | undefined {
  const hash = blockHash(header);
  if (commit.height !== header.height) return `commit is for height ${commit.height}`;
  if (!bytesEqual(commit.block, hash)) return 'commit is for another block';
  const total = validators.reduce((sum, v) => sum + v.power, 0);
  const byKey = new Map(validators.map((v) => [toHex(v.key), v]));
  const seen = new Set<string>();
  let signed = 0;
  const message = voteSignBytes({ type: 'precommit', chain: header.chain, height: header.height, round: commit.round, block: hash });
  for (const { validator, sig } of commit.sigs) {
    const id = toHex(validator);
    const member = byKey.get(id);
    if (member === undefined) return `signature from ${id}, which is not a validator at height ${header.height}`;
    if (seen.has(id)) return `two signatures from validator ${id}`;
    seen.add(id);
    if (!verifySignature(validator, message, sig)) return `bad signature from validator ${id}`;
    signed += member.power;
  }
  if (signed * 3 <= total * 2) return `commit carries ${signed} of ${total} voting power, more than two thirds is needed`;
  return undefined;
}
