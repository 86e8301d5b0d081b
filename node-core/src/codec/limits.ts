/** Every bound of the protocol in one place; `docs/protocol.md` lists the same numbers. */
export const limits = {
  /** Encoded transaction body. */
  txBytesMax: 16 * 1024,
  /** A signed transaction: the body plus the envelope around it (map, two keys, the signature). */
  signedTxBytesMax: 16 * 1024 + 96,
  /** Transactions in one block. */
  blockTxsMax: 10_000,
  /** Encoded transactions in one block, added up. */
  blockBytesMax: 16 * 1024 * 1024,
  /** How far ahead of the current height a transaction may set its expiry. */
  txTtlBlocksMax: 1_000,
  subjectCharsMax: 128,
  subjectsPerTxMax: 8,
  nameCharsMax: 200,
  contactCharsMax: 500,
  validatorsMax: 128,
  nodesPerOrgMax: 16,
} as const;
