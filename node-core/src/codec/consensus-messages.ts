import { z } from 'zod';
import { encode } from './cbor.ts';
import { limits } from './limits.ts';
import { blockSchema, boundedBytes, bytes, commitSchema, decodeWith, uint, voteSchema } from './messages.ts';

/**
 * What nodes send each other. Consensus messages are signed by validator (node) keys over their
 * sign bytes (`ledger/block.ts`); the transport adds no signature of its own.
 */

const ROUND_MAX = 1_000_000;

export const proposalMessageSchema = z
  .object({
    t: z.literal('proposal'),
    height: uint,
    round: uint.max(ROUND_MAX),
    /** The round in which the block got a prevote quorum before, plus one (0 for none): CBOR has no -1 here. */
    validRoundPlusOne: uint.max(ROUND_MAX),
    block: blockSchema,
    proposer: bytes(32),
    sig: bytes(64),
  })
  .strict();
export type ProposalMessage = z.infer<typeof proposalMessageSchema>;

export const voteMessageSchema = z
  .object({
    t: z.literal('vote'),
    vote: voteSchema,
    validator: bytes(32),
    sig: bytes(64),
  })
  .strict();
export type VoteMessage = z.infer<typeof voteMessageSchema>;

export const consensusMessageSchema = z.discriminatedUnion('t', [proposalMessageSchema, voteMessageSchema]);
export type ConsensusMessage = z.infer<typeof consensusMessageSchema>;

/**
 * Sent on connect, after each commit and when a validator starts the next height: a peer behind
 * knows to sync, and validators at the same head start the next height together.
 */
export const statusMessageSchema = z.object({ chain: bytes(32), height: uint, hash: bytes(32), started: z.boolean() }).strict();
export type StatusMessage = z.infer<typeof statusMessageSchema>;

/** Signed transactions passed on to peers' mempools, several per message. */
export const TX_BATCH_MAX = 1024;
export const txBatchSchema = z.array(boundedBytes(limits.signedTxBytesMax)).min(1).max(TX_BATCH_MAX);

/** Blocks per sync answer; the answer is also cut at a byte bound (p2p/network.ts). */
export const SYNC_BLOCKS_MAX = 64;
export const syncRequestSchema = z.object({ chain: bytes(32), from: uint, count: z.number().int().min(1).max(SYNC_BLOCKS_MAX) }).strict();
export type SyncRequest = z.infer<typeof syncRequestSchema>;
export const syncResponseSchema = z.object({ blocks: z.array(z.object({ block: blockSchema, commit: commitSchema }).strict()).max(SYNC_BLOCKS_MAX) }).strict();
export type SyncResponse = z.infer<typeof syncResponseSchema>;

export const encodeConsensusMessage = (message: ConsensusMessage): Uint8Array => encode(message);
export const decodeConsensusMessage = (bytes: Uint8Array) => decodeWith(consensusMessageSchema, bytes, 'consensus message');
export const encodeStatus = (message: StatusMessage): Uint8Array => encode(message);
export const decodeStatus = (bytes: Uint8Array) => decodeWith(statusMessageSchema, bytes, 'status');
export const encodeTxBatch = (txs: readonly Uint8Array[]): Uint8Array => encode(txs as Uint8Array[]);
export const decodeTxBatch = (bytes: Uint8Array) => decodeWith(txBatchSchema, bytes, 'transaction batch');
export const encodeSyncRequest = (request: SyncRequest): Uint8Array => encode(request);
export const decodeSyncRequest = (bytes: Uint8Array) => decodeWith(syncRequestSchema, bytes, 'sync request');
export const encodeSyncResponse = (response: SyncResponse): Uint8Array => encode(response);
export const decodeSyncResponse = (bytes: Uint8Array) => decodeWith(syncResponseSchema, bytes, 'sync response');
