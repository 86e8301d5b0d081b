import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { z } from 'zod';
import type { JoinProgress } from '../api/methods.ts';
import { bytesEqual, type CanonicalValue } from '../codec/cbor.ts';
import { IngotError } from '../codec/errors.ts';
import { verifyInviteCode, type Invite } from '../codec/invite-code.ts';
import { decodeGenesis } from '../codec/messages.ts';
import { joinProofMessage } from '../contracts/join-proof.ts';
import { orgIdOf } from '../contracts/membership-state.ts';
import { signingKeyFromSeed, verifySignature } from '../crypto/ed25519.ts';
import { toHex } from '../crypto/hex.ts';
import { inviteKeyFromSecret, inviteKeySeed } from '../crypto/invite-key.ts';
import { x25519PublicKey } from '../crypto/x25519.ts';
import { chainIdOf } from '../ledger/ledger.ts';
import { signTransaction, type Transaction } from '../ledger/transaction.ts';
import { decodeJoinResponse, encodeJoinRequest, type JoinRequest, type JoinResponse, type JoinState } from '../p2p/join-protocol.ts';
import { startLibp2pNetwork } from '../p2p/libp2p-network.ts';
import type { PeerNetwork } from '../p2p/network.ts';
import type { Clock } from './clock.ts';
import { assertEmptyDataDir, createNodeKey, dataPaths, DEFAULT_CONFIG, writeConfig, type DataPaths, type NodeConfig } from './data-dir.ts';
import { writeFileAtomic } from './files.ts';
import { generateOrgSecrets, writeKeyStore, type KdfParams } from './keystore.ts';
import { SUBMIT_TTL_BLOCKS, writeGenesis } from './node.ts';
import { checkNewOrganisation } from './init.ts';

/**
 * Joining a consortium with an invite code (docs/membership.md#joining): the joiner's side of
 * `/ingot/join/1.0.0`, the record a joining data directory keeps until its organisation is
 * admitted, and the progress a node shows while it waits and then catches up.
 */

/** How long one join-protocol exchange with a bootstrap peer may take, dial included. */
export const JOIN_REQUEST_TIMEOUT_MS = 15_000;

/** The temporary network a joiner dials its bootstrap peers with, as the invite key's peer id. */
export type JoinNetworkFactory = (init: { readonly seed: Uint8Array; readonly peers: readonly string[] }) => Promise<PeerNetwork>;

const peerIdOfAddress = (address: string): string | undefined => /\/p2p\/([^/]+)$/.exec(address)?.[1];

/** libp2p, listening nowhere, dialling the invite's bootstrap addresses. */
export const libp2pJoinNetwork: JoinNetworkFactory = ({ seed, peers }) =>
  startLibp2pNetwork({
    seed,
    config: { listen: [], peers, mdns: false, relay: false },
    members: [...new Set(peers.map(peerIdOfAddress).filter((id): id is string => id !== undefined))],
    dialOnly: true,
  });

// --- the join record (join.json) ---

const joinRecordSchema = z
  .object({
    version: z.literal(1),
    consortiumId: z.string().regex(/^[0-9a-f]{64}$/),
    consortiumName: z.string(),
    orgId: z.string(),
    orgName: z.string(),
    /** The requestJoin transaction's hash, and the transaction itself as hex. */
    request: z.string().regex(/^[0-9a-f]{64}$/),
    tx: z.string().regex(/^(?:[0-9a-f]{2})+$/),
    inviter: z.string(),
    /** The invite's bootstrap addresses: the peers a node awaiting admission keeps dialling. */
    peers: z.array(z.string()).max(64),
    requestedAt: z.number().int().nonnegative(),
    /** The height of the first block this node saw its organisation in; null while awaiting admission. */
    admittedAt: z.number().int().nonnegative().nullable(),
  })
  .strict();
export type JoinRecord = z.infer<typeof joinRecordSchema>;

export async function readJoinRecord(paths: DataPaths): Promise<JoinRecord | undefined> {
  let text: string;
  try {
    text = await readFile(paths.join, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return joinRecordSchema.parse(JSON.parse(text));
  } catch {
    throw new IngotError('JOIN_RECORD_CORRUPT', `${paths.join} is not a valid join record`);
  }
}

export async function writeJoinRecord(paths: DataPaths, record: JoinRecord): Promise<void> {
  await writeFileAtomic(paths.join, `${JSON.stringify(joinRecordSchema.parse(record), null, 2)}\n`);
}

/** The peer ids among a join record's bootstrap addresses. */
export function bootstrapPeerIds(record: JoinRecord): string[] {
  return [...new Set(record.peers.map(peerIdOfAddress).filter((id): id is string => id !== undefined))];
}

// --- joining ---

export interface JoinOptions {
  readonly dataDir: string;
  readonly orgName: string;
  readonly registryId?: string;
  readonly invite: string;
  readonly passphrase: string;
  readonly clock: Clock;
  /** Parts of config.json (listen addresses, mDNS, API port); `p2p.peers` become the invite's bootstrap addresses. */
  readonly config?: Partial<NodeConfig>;
  readonly kdf?: KdfParams;
  readonly network?: JoinNetworkFactory;
  readonly requestTimeoutMs?: number;
}

export interface JoinResult {
  readonly consortiumId: string;
  readonly consortiumName: string;
  readonly orgId: string;
  readonly peerId: string;
  /** The requestJoin transaction's hash. */
  readonly request: string;
  readonly status: JoinState;
}

interface Contact {
  readonly network: PeerNetwork;
  readonly peerIds: readonly string[];
  readonly timeoutMs: number;
}

/** Tries for the first answer this often: a member's gate admits a new invite a moment after the block that records it. */
const FIRST_CONTACT_ATTEMPTS = 3;
const FIRST_CONTACT_PAUSE_MS = 1_000;

async function firstContact(contact: Contact, clock: Clock): ReturnType<typeof ask> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await ask(contact, { t: 'genesis' });
    } catch (error) {
      if (!(error instanceof IngotError) || error.code !== 'JOIN_UNREACHABLE' || attempt >= FIRST_CONTACT_ATTEMPTS) throw error;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, FIRST_CONTACT_PAUSE_MS));
    }
  }
}

/**
 * Asks each bootstrap peer in turn until one answers; an `error` answer from a peer is the
 * consortium's refusal and ends the search. Failing everywhere: JOIN_UNREACHABLE with each reason.
 */
async function ask(contact: Contact, request: JoinRequest, peerIds: readonly string[] = contact.peerIds): Promise<{ peerId: string; response: Exclude<JoinResponse, { t: 'error' }> }> {
  const reasons: string[] = [];
  for (const peerId of peerIds) {
    let response: JoinResponse;
    try {
      response = decodeJoinResponse(await contact.network.joinRequest(peerId, encodeJoinRequest(request), contact.timeoutMs));
    } catch (error) {
      reasons.push(`${peerId}: ${error instanceof IngotError ? error.code : String(error)}`);
      continue;
    }
    if (response.t === 'error') throw new IngotError(response.code, response.message);
    return { peerId, response };
  }
  throw new IngotError(
    'JOIN_UNREACHABLE',
    `no bootstrap peer of the invite answered (${reasons.join('; ')}); they may be offline, or the invite is no longer open there (used, revoked or expired)`,
    { reasons },
  );
}

/**
 * `ingot join` and the first-run screen's "join": checks the code, fetches and checks the genesis
 * document, creates the organisation's keys, node key, ledger and config, and sends the
 * requestJoin transaction. The directory then holds a node that `ingot start` runs while it
 * awaits admission (see IngotNode). Nothing is left behind when it fails before the request leaves.
 */
export async function joinConsortium(options: JoinOptions): Promise<JoinResult> {
  const invite: Invite = verifyInviteCode(options.invite, options.clock.now(), verifySignature);
  const { orgName, registryId } = checkNewOrganisation(options);
  const paths = dataPaths(options.dataDir);
  await assertEmptyDataDir(paths.dir);

  const peerIds = [...new Set(invite.peers.map(peerIdOfAddress).filter((id): id is string => id !== undefined))];
  const network = await (options.network ?? libp2pJoinNetwork)({ seed: inviteKeySeed(invite.secret), peers: invite.peers });
  const contact: Contact = { network, peerIds, timeoutMs: options.requestTimeoutMs ?? JOIN_REQUEST_TIMEOUT_MS };
  let written = false;
  try {
    const { peerId: source, response: genesisAnswer } = await firstContact(contact, options.clock);
    if (genesisAnswer.t !== 'genesis') throw new IngotError('JOIN_RESPONSE_MALFORMED', `${source} answered the genesis request with ${genesisAnswer.t}`);
    if (!bytesEqual(chainIdOf(genesisAnswer.genesis), invite.chain)) {
      throw new IngotError('INVITE_WRONG_CONSORTIUM', `${source} serves another consortium than the invite names (${toHex(invite.chain)})`);
    }
    const genesis = decodeGenesis(genesisAnswer.genesis);

    await mkdir(paths.dir, { recursive: true, mode: 0o700 });
    written = true;
    const secrets = generateOrgSecrets();
    await writeKeyStore(paths.keyStore, secrets, options.passphrase, options.kdf);
    const nodeKey = await createNodeKey(paths);
    const chain = await writeGenesis(paths.ledger, genesis);
    if (!bytesEqual(chain, invite.chain)) throw new IngotError('INVITE_WRONG_CONSORTIUM', 'the genesis document does not hash to the invite\'s consortium id');

    const orgKey = signingKeyFromSeed(secrets.signingSeeds[0] as Uint8Array);
    const inviteKey = inviteKeyFromSecret(invite.secret);
    const encryptionKey = x25519PublicKey(secrets.encryptionKey);
    const nodes = [nodeKey.peerId];
    const proof = inviteKey.sign(joinProofMessage(invite.chain, { inviteKey: inviteKey.publicKey, signingKey: orgKey.publicKey, encryptionKey, name: orgName, registryId, nodes }));
    const tx: Transaction = signTransaction(
      {
        v: 1,
        chain: invite.chain,
        contract: 'membership',
        method: 'requestJoin',
        payload: { inviteKey: toHex(inviteKey.publicKey), encryptionKey: toHex(encryptionKey), name: orgName, registryId, nodes, proof: toHex(proof) } as Record<string, CanonicalValue>,
        signer: orgKey.publicKey,
        nonce: new Uint8Array(randomBytes(16)),
        expires: genesisAnswer.height + 1 + SUBMIT_TTL_BLOCKS,
      },
      orgKey,
    );
    const orgId = orgIdOf(orgKey.publicKey);
    // Recorded before it leaves: once sent, the invite may be used up, and a restart must know why this node waits.
    const record: JoinRecord = {
      version: 1,
      consortiumId: toHex(invite.chain),
      consortiumName: genesis.name,
      orgId,
      orgName,
      request: tx.idHex,
      tx: toHex(tx.bytes),
      inviter: invite.inviter,
      peers: [...invite.peers],
      requestedAt: options.clock.now(),
      admittedAt: null,
    };
    await writeJoinRecord(paths, record);
    // The peer that served genesis first: it has just shown it admits this invite.
    const { response: accepted } = await ask(contact, { t: 'join', tx: tx.bytes }, [source, ...peerIds.filter((id) => id !== source)]);
    if (accepted.t !== 'accepted' || !bytesEqual(accepted.hash, tx.id)) throw new IngotError('JOIN_RESPONSE_MALFORMED', 'the join request was answered with something else than its hash');

    const p2p = { ...DEFAULT_CONFIG.p2p, ...options.config?.p2p, peers: [...invite.peers], relay: false };
    await writeConfig(paths, { ...DEFAULT_CONFIG, ...options.config, p2p });
    written = false; // complete: from here on the directory is a node's
    let status: JoinState = 'pending';
    try {
      const { response } = await ask(contact, { t: 'status', org: orgId, request: tx.id }, [source]);
      if (response.t === 'status') status = response.state;
    } catch {
      // The request is on its way; where it stands shows once the node runs.
    }
    return { consortiumId: toHex(invite.chain), consortiumName: genesis.name, orgId, peerId: nodeKey.peerId, request: tx.idHex, status };
  } catch (error) {
    if (written) await removeJoinFiles(paths);
    throw error;
  } finally {
    await network.stop();
  }
}

/** What joinConsortium wrote, so that the directory is empty again for another attempt. */
async function removeJoinFiles(paths: DataPaths): Promise<void> {
  for (const path of [paths.config, paths.join, paths.keyStore, paths.nodeKey, paths.ledger]) {
    await rm(path, { recursive: true, force: true });
  }
}

// --- progress of a node that joined ---

/** Samples kept for the sync rate: the last RATE_WINDOW_MS of commits. */
const RATE_WINDOW_MS = 10_000;

/**
 * Where a joining node stands: awaiting admission (its organisation is not on its ledger and no
 * member lets it connect), syncing (connected and catching up: blocks left, rate, estimated time),
 * or a member.
 */
export class JoinTracker {
  readonly #record: JoinRecord;
  readonly #clock: Clock;
  readonly #samples: { at: number; height: number }[] = [];
  #member: boolean;

  constructor(record: JoinRecord, clock: Clock, member: boolean) {
    this.#record = record;
    this.#clock = clock;
    this.#member = member;
  }

  get record(): JoinRecord {
    return this.#record;
  }

  get member(): boolean {
    return this.#member;
  }

  admitted(): void {
    this.#member = true;
  }

  /** Called for every committed block. */
  committed(height: number): void {
    const now = this.#clock.now();
    this.#samples.push({ at: now, height });
    while (this.#samples.length > 2 && (this.#samples[0] as { at: number }).at < now - RATE_WINDOW_MS) this.#samples.shift();
  }

  progress(sync: { height: number; target: number; syncing: boolean }, connected: boolean): JoinProgress {
    const blocksLeft = Math.max(0, sync.target - sync.height);
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    const now = this.#clock.now();
    const fresh = first !== undefined && last !== undefined && last.at > first.at && now - last.at < RATE_WINDOW_MS;
    const rate = fresh ? ((last.height - first.height) * 1000) / (last.at - first.at) : null;
    const state: JoinProgress['state'] = this.#member && blocksLeft === 0 ? 'member' : this.#member || connected ? 'syncing' : 'awaiting-admission';
    return {
      state,
      consortium: this.#record.consortiumName,
      organisation: this.#record.orgName,
      inviter: this.#record.inviter,
      request: this.#record.request,
      height: sync.height,
      target: sync.target,
      blocksLeft,
      rate: rate === null ? null : Math.round(rate * 10) / 10,
      etaSeconds: rate === null || rate <= 0 || blocksLeft === 0 ? (blocksLeft === 0 ? 0 : null) : Math.ceil(blocksLeft / rate),
    };
  }
}
