import type { AbstractLevel } from 'abstract-level';

/**
 * The ledger's storage: any abstract-level database with binary keys and values. Nodes use
 * classic-level on disk; simulations and verification use memory-level.
 */
export type LedgerDatabase = AbstractLevel<Uint8Array, Uint8Array, Uint8Array>;
