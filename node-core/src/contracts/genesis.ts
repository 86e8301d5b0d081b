import { IngotError } from '../codec/errors.ts';
import { encodeGenesis, type BlockHeader, type Genesis } from '../codec/messages.ts';
import { merkleRoot } from '../crypto/merkle.ts';
import { toHex } from '../crypto/hex.ts';
import { chainIdOf, type BlockToCommit } from '../ledger/ledger.ts';
import { nextStateRoot, StateOverlay } from '../ledger/state.ts';
import { bindSigner, orgIdOf, writeOrg, writeOrgIds, writeValidators } from './membership-state.ts';

const ZERO_HASH = new Uint8Array(32);

const emptyState = { get: () => Promise.resolve(undefined) };

/** Block 0: no transactions, and the state that the genesis document describes. */
export function genesisBlock(genesis: Genesis): { genesisBytes: Uint8Array; block: BlockToCommit } {
  const genesisBytes = encodeGenesis(genesis);
  const chain = chainIdOf(genesisBytes);
  const state = new StateOverlay(emptyState);
  const orgIds = genesis.orgs.map((org) => orgIdOf(org.signingKey));
  if (new Set(orgIds).size !== orgIds.length) throw new IngotError('GENESIS_INVALID', 'two organisations share a signing key');
  genesis.orgs.forEach((org, index) => {
    const id = orgIds[index] as string;
    writeOrg(state, { id, name: org.name, registryId: org.registryId, contact: '', roles: org.roles, signingKey: org.signingKey, encryptionKey: org.encryptionKey, nodes: org.nodes, status: 'active', joinedAt: 0 });
    bindSigner(state, org.signingKey, id);
  });
  writeOrgIds(state, orgIds);
  const validatorKeys = new Set(genesis.validators.map((v) => toHex(v.key)));
  if (validatorKeys.size !== genesis.validators.length) throw new IngotError('GENESIS_INVALID', 'a validator key appears twice');
  writeValidators(
    state,
    genesis.validators.map((v) => {
      const org = orgIds[v.org];
      if (org === undefined) throw new IngotError('GENESIS_INVALID', `validator names organisation ${v.org}, which does not exist`);
      return { key: v.key, org, power: v.power };
    }),
  );
  const header: BlockHeader = {
    v: 1,
    chain,
    height: 0,
    prev: ZERO_HASH,
    time: genesis.time,
    proposer: ZERO_HASH,
    txRoot: merkleRoot([]),
    resultsRoot: merkleRoot([]),
    stateRoot: nextStateRoot(ZERO_HASH, state.writes),
  };
  return { genesisBytes, block: { header, txs: [], receipts: [], commit: undefined, writes: state.writes } };
}
