import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JsonValue } from '../api/json.ts';
import { IngotError } from '../codec/errors.ts';
import { bytesEqual, type CanonicalValue } from '../codec/cbor.ts';
import { writeFileAtomic } from './files.ts';
import { decodeGenesis, type Genesis, type Receipt } from '../codec/messages.ts';
import { signingKeyFromSeed, type SigningKey } from '../crypto/ed25519.ts';
import { toHex } from '../crypto/hex.ts';
import { merkleProof, type MerkleProof } from '../crypto/merkle.ts';
import { rotateKeyProofMessage } from '../contracts/identity.ts';
import { genesisBlock } from '../contracts/genesis.ts';
import { gatedPeerIds } from '../contracts/governance.ts';
import { orgIdOf, orgIdOfSigner, readOrg, readValidators, type OrgRecord } from '../contracts/membership-state.ts';
import { peerIdOfKey } from '../contracts/peer-id.ts';
import type { JoinProgress } from '../api/methods.ts';
import type { Validator } from '../ledger/block.ts';
import { Ledger } from '../ledger/ledger.ts';
import { parseTransaction, signTransaction, type Transaction } from '../ledger/transaction.ts';
import type { CommittedBlock, ReceivedTransactions } from './block-builder.ts';
import { BlockSync, type SyncProgress } from './block-sync.ts';
import { ConsensusEngine, type Equivocation } from './consensus-engine.ts';
import { SigningStore } from './signing-store.ts';
import { TxRelay } from './tx-relay.ts';
import type { PeerInfo, PeerNetwork } from '../p2p/network.ts';
import { startLibp2pNetwork } from '../p2p/libp2p-network.ts';
import { systemClock, type Clock } from './clock.ts';
import { dataPaths, readConfig, readNodeKey, type DataPaths, type NodeConfig, type NodeKey } from './data-dir.ts';
import { openLedgerDatabase } from './database.ts';
import { readKeyStore, writeKeyStore, type OrgSecrets } from './keystore.ts';
import { Mempool } from './mempool.ts';
import { KnownTransactions } from './known-transactions.ts';
import { Admission } from './admission.ts';
import { JoinService } from './join-service.ts';
import { bootstrapPeerIds, JoinTracker, readJoinRecord, writeJoinRecord, type JoinRecord } from './joining.ts';
import { WorkerVerifier, type SignatureVerifier } from './signature-verifier.ts';
import { TransactionSignatures } from './transaction-signatures.ts';
import { TelemetryExchange, type TelemetryFetchParams } from './telemetry-exchange.ts';
import { AccessExchange, type AccessRequestParams, type AccessTokenResult } from './access-exchange.ts';
import { issueAccessToken } from './devices.ts';
import { TelemetryService } from './telemetry-service.ts';
import { mqttClientIdFor } from './mqtt-ingest.ts';
import type { TelemetryFetchJson } from '../api/telemetry-methods.ts';

/** Blocks a transaction the node signs itself may wait before it expires. */
export const SUBMIT_TTL_BLOCKS = 100;
/** How long `waitForCommit` waits before answering COMMIT_TIMEOUT (the transaction may still commit). */
export const COMMIT_WAIT_MS = 60_000;

export interface CommitOutcome {
  readonly height: number;
  readonly receipt: Receipt;
}

export interface StoredTxView {
  readonly tx: Transaction;
  readonly height: number;
  readonly index: number;
  readonly receipt: Receipt;
  readonly proof: MerkleProof;
}

interface Waiter {
  resolve(outcome: CommitOutcome): void;
  reject(error: IngotError): void;
}

export interface NodeOptions {
  readonly dataDir: string;
  readonly passphrase: string;
  readonly clock?: Clock;
  /** Overrides of config.json for this run (the CLI's --api, tests' port 0). */
  readonly config?: Partial<NodeConfig>;
  /** Defaults to worker threads; tests may pass the inline verifier. */
  readonly verifier?: SignatureVerifier;
  /** Makes the network to the other members; by default libp2p as config.json's p2p section says. */
  readonly network?: NetworkFactory;
}

export type NetworkFactory = (init: {
  readonly nodeKey: NodeKey;
  readonly config: NodeConfig;
  readonly members: readonly string[];
  /** A joined node whose organisation is not admitted yet: it keeps redialling its bootstrap peers, at least every few seconds. */
  readonly awaitingAdmission?: boolean;
}) => Promise<PeerNetwork>;

/** How long a node awaiting admission waits at most between two dials of a bootstrap peer that refuses it. */
export const AWAITING_ADMISSION_REDIAL_MAX_MS = 5_000;

/** libp2p, listening and dialling as config.json's p2p section says. */
export const libp2pNetwork: NetworkFactory = ({ nodeKey, config, members, awaitingAdmission }) =>
  startLibp2pNetwork({ seed: nodeKey.seed, config: config.p2p, members, ...(awaitingAdmission === true ? { redialMaxMs: AWAITING_ADMISSION_REDIAL_MAX_MS } : {}) });

/**
 * The composition root of a running node: ledger, organisation key, mempool and block producer.
 * The RPC server and the CLI talk to it only through these methods.
 */
export class IngotNode {
  readonly paths: DataPaths;
  readonly config: NodeConfig;
  readonly nodeKey: NodeKey;
  readonly genesis: Genesis;
  readonly #ledger: Ledger;
  readonly #mempool: Mempool;
  readonly #known = new KnownTransactions();
  /** The validators' node peer ids, for the relay: updated after each block. */
  #validatorPeers: ReadonlySet<string> = new Set();
  readonly #engine: ConsensusEngine;
  readonly #sync: BlockSync;
  readonly #relay: TxRelay;
  readonly #network: PeerNetwork;
  readonly #verifier: SignatureVerifier;
  readonly #signatures: TransactionSignatures;
  readonly #admission: Admission;
  readonly #clock: Clock;
  readonly #passphrase: string;
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #blockListeners = new Set<(block: CommittedBlock) => void>();
  readonly #evidenceListeners = new Set<(evidence: Equivocation) => void>();
  #secrets: OrgSecrets;
  #orgKey: SigningKey;
  #orgId: string;
  /** Serves /ingot/join/1.0.0 to holders of open invites. */
  readonly #joinService: JoinService;
  /** For a node made by `ingot join`: its request, whether its organisation is admitted yet, sync rate. */
  readonly #join: JoinTracker | undefined;
  #failure: unknown;
  #rotation: Promise<unknown> = Promise.resolve();
  /** The rotation transaction in flight, whose key takes over in the very block that commits it. */
  #pendingRotation: { readonly idHex: string; readonly key: SigningKey; readonly seed: Uint8Array; readonly settled: () => void } | undefined;
  /** New submissions wait for a rotation in flight, so that none is signed with a key about to stop working. */
  #rotationGate: Promise<void> | undefined;
  /** Device telemetry: ingestion (RPC, MQTT), local store, anchoring, rules (docs/telemetry.md). */
  #telemetry: TelemetryService | undefined;
  /** Serves and fetches raw telemetry between organisations over /ingot/telemetry/1.0.0. */
  readonly #telemetryExchange: TelemetryExchange;
  /** Serves and requests device access tokens between organisations over /ingot/access/1.0.0. */
  readonly #accessExchange: AccessExchange;

  private constructor(init: {
    paths: DataPaths; config: NodeConfig; nodeKey: NodeKey; ledger: Ledger; clock: Clock; passphrase: string;
    secrets: OrgSecrets; orgKey: SigningKey; orgId: string; verifier: SignatureVerifier; network: PeerNetwork; join: JoinTracker | undefined;
  }) {
    this.#join = init.join;
    this.#joinService = new JoinService({ ledger: init.ledger, network: init.network, clock: init.clock, admit: (tx) => this.admit(tx) });
    this.#telemetryExchange = new TelemetryExchange({ ledger: init.ledger, network: init.network, orgId: () => this.#orgId, store: () => this.telemetry.store });
    this.#accessExchange = new AccessExchange({
      ledger: init.ledger, network: init.network, orgId: () => this.#orgId, now: () => init.clock.now(), issue: (params) => issueAccessToken(this, params), onBlock: (listener) => this.onBlock(listener),
    });
    this.paths = init.paths;
    this.config = init.config;
    this.nodeKey = init.nodeKey;
    this.#ledger = init.ledger;
    this.genesis = decodeGenesis(init.ledger.genesisBytes);
    this.#clock = init.clock;
    this.#passphrase = init.passphrase;
    this.#secrets = init.secrets;
    this.#orgKey = init.orgKey;
    this.#orgId = init.orgId;
    this.#mempool = new Mempool(init.config.mempool);
    this.#network = init.network;
    this.#verifier = init.verifier;
    this.#signatures = new TransactionSignatures(init.verifier);
    const received: ReceivedTransactions = { parse: (bytes) => this.#known.parse(bytes), verifyUnknown: (txs) => this.#verifyUnknown(txs) };
    this.#engine = new ConsensusEngine({
      ledger: init.ledger,
      mempool: this.#mempool,
      nodeKey: init.nodeKey.signing,
      clock: init.clock,
      network: init.network,
      signingStore: new SigningStore(init.paths.signingState),
      blockIntervalMs: init.config.blockIntervalMs,
      received,
      onCommitted: (block) => this.#onCommitted(block),
      onDropped: (tx, reason) => this.#onDropped(tx, reason),
      onEvidence: (evidence) => this.#onEvidence(evidence),
      onFailure: (error) => this.#fail(error),
    });
    this.#sync = new BlockSync({ ledger: init.ledger, network: init.network, engine: this.#engine, received, onCommitted: (block) => this.#onCommitted(block) });
    this.#relay = new TxRelay(init.network, init.clock, (peerId) => this.#validatorPeers.has(peerId));
    this.#admission = new Admission({ ledger: init.ledger, mempool: this.#mempool, signatures: this.#signatures, onAdmitted: () => this.#engine.wake() });
  }

  async #run(): Promise<void> {
    await this.#updateValidatorPeers();
    this.#relay.start((bytes, from) => {
      // A transaction from a peer: admitted (and passed on) like a local one; a copy already held fails quietly.
      let tx: Transaction | undefined;
      try {
        tx = this.#known.parseNew(bytes);
      } catch {
        return;
      }
      // A copy of a transaction this node already parsed was admitted, or refused, the first time.
      if (tx !== undefined) this.admit(tx, from).catch(() => undefined);
    });
    this.#sync.start();
    await this.#engine.start();
    this.#joinService.start();
    this.#telemetryExchange.start();
    this.#accessExchange.start();
  }

  /**
   * Checks the signatures of transactions this node has not checked yet; throws TX_BAD_SIGNATURE on
   * the first bad one. What was checked is known by the parsed transaction, which stands for its
   * exact bytes: a copy of a waiting transaction with the same body and another signature (same id)
   * is a different transaction here and is checked on its own.
   */
  async #verifyUnknown(txs: readonly Transaction[]): Promise<void> {
    const valid = await this.#signatures.check(txs);
    const bad = valid.indexOf(false);
    if (bad !== -1) throw new IngotError('TX_BAD_SIGNATURE', `transaction ${txs[bad]?.idHex} has a bad signature`);
  }

  get peers(): PeerInfo[] {
    return this.#network.peers();
  }

  get syncProgress(): SyncProgress {
    return this.#sync.progress;
  }

  /** For a node made by joining: awaiting admission, syncing (blocks left, rate, estimated time) or member. */
  get joinProgress(): JoinProgress | undefined {
    return this.#join?.progress(this.#sync.progress, this.#network.peers().length > 0);
  }

  /** Refuses what only a member may do while this node's organisation awaits admission. */
  #assertMember(): void {
    if (this.#join !== undefined && !this.#join.member) {
      throw new IngotError('ORG_NOT_ADMITTED', `${this.#join.record.orgName} has asked to join and awaits admission; it cannot sign transactions yet`);
    }
  }

  /** Addresses other members can dial this node at, with /p2p/<peer id>; relayed ones included. */
  addresses(): string[] {
    return this.#network.addresses();
  }

  get clock(): Clock {
    return this.#clock;
  }

  /** The organisation's current key, for what it signs outside transactions (an invite code); waits for a rotation in flight. */
  async orgSigningKey(): Promise<SigningKey> {
    this.#assertRunning();
    this.#assertMember();
    await this.#rotationGate;
    return this.#orgKey;
  }

  /** Listens to equivocations this node's validator saw, for the record on the ledger. */
  onEvidence(listener: (evidence: Equivocation) => void): () => void {
    this.#evidenceListeners.add(listener);
    return () => this.#evidenceListeners.delete(listener);
  }

  /** Puts the equivocation on the ledger (the transaction travels to every node like any other), once. */
  #onEvidence(evidence: Equivocation): void {
    for (const listener of this.#evidenceListeners) listener(evidence);
    const { first, second } = evidence;
    const signed = (vote: typeof first) => ({ block: vote.vote.block === null ? null : toHex(vote.vote.block), signature: toHex(vote.sig) });
    this.submit('consensus', 'recordEvidence', {
      validator: toHex(first.validator),
      type: first.vote.type,
      height: first.vote.height,
      round: first.vote.round,
      first: signed(first),
      second: signed(second),
    }).catch((error: unknown) => {
      // Another node's report of the same equivocation may have come first; nothing is lost.
      if (!(error instanceof IngotError)) console.error('could not report an equivocation:', error);
    });
  }

  static async start(options: NodeOptions): Promise<IngotNode> {
    const paths = dataPaths(options.dataDir);
    const stored = await readConfig(paths);
    const config = { ...stored, ...options.config };
    // A run's p2p settings (ingot ui's --listen, --no-mdns) add to the static peers config.json keeps, such as a joined node's bootstrap peers.
    if (options.config?.p2p !== undefined) config.p2p = { ...options.config.p2p, peers: [...new Set([...stored.p2p.peers, ...options.config.p2p.peers])] };
    const secrets = await readKeyStore(paths.keyStore, options.passphrase);
    const nodeKey = await readNodeKey(paths);
    const ledger = await Ledger.open(await openLedgerDatabase(paths.ledger));
    let network: PeerNetwork | undefined;
    let telemetry: TelemetryService | undefined;
    try {
      await restoreOrKeepGenesis(paths, ledger);
      const record = await readJoinRecord(paths);
      const { orgId, orgKey, secrets: current, member } = await selectOrgKey(ledger, secrets, record);
      if (current !== secrets) await writeKeyStore(paths.keyStore, current, options.passphrase);
      // Awaiting admission, the node keeps dialling the invite's bootstrap peers, which let it in once its organisation is admitted.
      const members = [...new Set([...(await gatedPeerIds(ledger)), ...(member || record === undefined ? [] : bootstrapPeerIds(record))])];
      network = await (options.network ?? libp2pNetwork)({ nodeKey, config, members, awaitingAdmission: !member });
      const verifier = options.verifier ?? new WorkerVerifier();
      const clock = options.clock ?? systemClock;
      const join = record === undefined ? undefined : new JoinTracker(record, clock, member);
      // The MQTT session is persistent under a client id stable for this node (docs/telemetry.md).
      telemetry = await TelemetryService.open(paths.dir, { ...(config.mqtt === undefined ? {} : { mqtt: { ...config.mqtt, clientId: mqttClientIdFor(nodeKey.peerId) } }) });
      const node = new IngotNode({ paths, config, nodeKey, ledger, clock, passphrase: options.passphrase, secrets: current, orgKey, orgId, verifier, network, join });
      await node.#run();
      node.#telemetry = telemetry;
      telemetry.attach(node);
      return node;
    } catch (error) {
      await telemetry?.close();
      await network?.stop();
      await ledger.close();
      throw error;
    }
  }

  get ledger(): Ledger {
    return this.#ledger;
  }

  get orgId(): string {
    return this.#orgId;
  }

  get mempoolSize(): { size: number; bytes: number } {
    return { size: this.#mempool.size, bytes: this.#mempool.bytes };
  }

  onBlock(listener: (block: CommittedBlock) => void): () => void {
    this.#blockListeners.add(listener);
    return () => this.#blockListeners.delete(listener);
  }

  /** Signs a call with the organisation's current key and admits it. */
  async submit(contract: string, method: string, payload: Record<string, JsonValue>): Promise<Transaction> {
    this.#assertRunning();
    this.#assertMember();
    await this.#rotationGate;
    return this.#signAndAdmit(contract, method, payload);
  }

  async #signAndAdmit(contract: string, method: string, payload: Record<string, JsonValue>): Promise<Transaction> {
    const tx = signTransaction(
      {
        v: 1,
        chain: this.#ledger.chainId,
        contract,
        method,
        payload: payload as Record<string, CanonicalValue>,
        signer: this.#orgKey.publicKey,
        nonce: new Uint8Array(randomBytes(16)),
        expires: this.#ledger.head.height + 1 + SUBMIT_TTL_BLOCKS,
      },
      this.#orgKey,
    );
    this.#known.remember(tx);
    await this.admit(tx);
    return tx;
  }

  /** Parses and admits a transaction signed elsewhere. */
  async submitSigned(bytes: Uint8Array): Promise<Transaction> {
    const tx = this.#known.parse(bytes);
    this.#known.remember(tx);
    await this.admit(tx);
    return tx;
  }

  /** Runs the validation pipeline after decoding and puts the transaction in the mempool; `from` is the peer that relayed it. */
  async admit(tx: Transaction, from?: string): Promise<void> {
    this.#assertRunning();
    await this.#admission.admit(tx);
    this.#relay.relay(tx, this.#relay.audienceFor(from));
  }

  async #updateValidatorPeers(): Promise<void> {
    this.#validatorPeers = new Set((await readValidators(this.#ledger)).map((v) => peerIdOfKey(v.key)));
  }

  /** Resolves when the transaction is in a committed block; the caller must have admitted it. */
  waitForCommit(tx: Transaction): Promise<CommitOutcome> {
    return new Promise((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#removeWaiter(tx.idHex, waiter);
        reject(new IngotError('COMMIT_TIMEOUT', `transaction ${tx.idHex} was not committed within ${COMMIT_WAIT_MS / 1000} s; it may still be`));
      }, COMMIT_WAIT_MS);
      const waiter: Waiter = {
        resolve: (outcome) => { timer.cancel(); resolve(outcome); },
        reject: (error) => { timer.cancel(); reject(error); },
      };
      const list = this.#waiters.get(tx.idHex) ?? [];
      list.push(waiter);
      this.#waiters.set(tx.idHex, list);
    });
  }

  async transaction(id: Uint8Array): Promise<StoredTxView | undefined> {
    const stored = await this.#ledger.transactionById(id);
    if (stored === undefined) return undefined;
    const blockTxs = await this.#ledger.blockTransactions(stored.height);
    return { tx: parseTransaction(stored.bytes), height: stored.height, index: stored.index, receipt: stored.receipt, proof: merkleProof(blockTxs, stored.index) };
  }

  async org(id: string): Promise<OrgRecord | undefined> {
    return readOrg(this.#ledger, id);
  }

  async validators(): Promise<Validator[]> {
    return readValidators(this.#ledger);
  }

  /**
   * Moves the organisation to a fresh signing key; the old one stops working with the block that commits this.
   * Rotations run one at a time: each rewrites the key store from the current key, so two at once would
   * overwrite each other's pending seed (and race on the key store's temporary file).
   */
  rotateOrgKey(): Promise<{ tx: Transaction; outcome: CommitOutcome; signingKey: Uint8Array }> {
    this.#assertMember();
    const rotation = this.#rotation.then(() => this.#rotateOrgKey());
    this.#rotation = rotation.catch(() => undefined);
    return rotation;
  }

  async #rotateOrgKey(): Promise<{ tx: Transaction; outcome: CommitOutcome; signingKey: Uint8Array }> {
    const nextSeed = new Uint8Array(randomBytes(32));
    const next = signingKeyFromSeed(nextSeed);
    const current = this.#secrets.signingSeeds[0] as Uint8Array;
    // Both keys are stored before the transaction leaves, so a crash at any point leaves a usable key store.
    await writeKeyStore(this.paths.keyStore, { ...this.#secrets, signingSeeds: [current, nextSeed] }, this.#passphrase);
    const proof = next.sign(rotateKeyProofMessage(this.#ledger.chainId, this.#orgId, this.#orgKey.publicKey, next.publicKey));
    const { promise: gate, resolve: settled } = Promise.withResolvers<void>();
    this.#rotationGate = gate;
    let tx: Transaction;
    try {
      tx = await this.#signAndAdmit('identity', 'rotateKey', { signingKey: Buffer.from(next.publicKey).toString('hex'), proof: Buffer.from(proof).toString('hex') });
    } catch (error) {
      this.#rotationGate = undefined;
      settled();
      throw error;
    }
    this.#pendingRotation = { idHex: tx.idHex, key: next, seed: nextSeed, settled };
    const outcome = await this.waitForCommit(tx);
    // The key store keeps only the key the ledger now knows.
    await writeKeyStore(this.paths.keyStore, this.#secrets, this.#passphrase);
    return { tx, outcome, signingKey: next.publicKey };
  }

  #settleRotation(tx: Transaction, ok: boolean): void {
    const pending = this.#pendingRotation;
    if (pending === undefined || pending.idHex !== tx.idHex) return;
    if (ok) {
      this.#orgKey = pending.key;
      this.#secrets = { ...this.#secrets, signingSeeds: [pending.seed] };
    }
    this.#pendingRotation = undefined;
    this.#rotationGate = undefined;
    pending.settled();
  }

  get telemetry(): TelemetryService {
    if (this.#telemetry === undefined) throw new IngotError('NODE_STARTING', 'the node is starting; try again in a moment');
    return this.#telemetry;
  }

  /** A device's points from its owner's node, checked against this node's ledger (telemetry.fetch). */
  fetchTelemetry(params: TelemetryFetchParams): Promise<TelemetryFetchJson> {
    this.#assertMember();
    return this.#telemetryExchange.fetch(params);
  }

  /** An access token for this node's organisation, from a node of the device's owner (device.requestAccess on another organisation's device). */
  requestAccessFromOwner(params: AccessRequestParams): Promise<AccessTokenResult> {
    this.#assertMember();
    return this.#accessExchange.request(params);
  }

  async close(): Promise<void> {
    await this.#telemetry?.close();
    this.#joinService.stop();
    await this.#admission.stop();
    this.#relay.stop();
    await this.#sync.stop();
    await this.#engine.stop();
    await this.#network.stop();
    await this.#verifier.close();
    this.#pendingRotation?.settled();
    for (const id of [...this.#waiters.keys()]) this.#settle(id, (w) => w.reject(new IngotError('NODE_STOPPING', 'the node is shutting down')));
    await this.#ledger.close();
  }

  #onCommitted(block: CommittedBlock): void {
    // Membership and invites may have changed with this block: the network admits exactly the members' nodes, and joiners for open invites.
    this.#join?.committed(block.header.height);
    this.#updateGate(block.header.height).catch((error: unknown) => this.#fail(error));
    block.txs.forEach((tx, index) => {
      this.#mempool.remove(tx.idHex);
      const receipt = block.receipts[index] as Receipt;
      this.#settleRotation(tx, receipt.ok);
      this.#settle(tx.idHex, (w) => w.resolve({ height: block.header.height, receipt }));
    });
    for (const listener of this.#blockListeners) listener(block);
  }

  async #updateGate(height: number): Promise<void> {
    await this.#updateValidatorPeers();
    const members = await gatedPeerIds(this.#ledger);
    const join = this.#join;
    if (join !== undefined && !join.member) {
      const orgId = await orgIdOfSigner(this.#ledger, this.#orgKey.publicKey);
      if (orgId === undefined) {
        this.#network.setMembers([...new Set([...members, ...bootstrapPeerIds(join.record)])]);
        return;
      }
      // Admitted: this block wrote the organisation record. From now on the node is a member like any other.
      await writeJoinRecord(this.paths, { ...join.record, admittedAt: height });
      this.#orgId = orgId;
      join.admitted();
    }
    this.#network.setMembers(members);
    this.#joinService.refresh();
  }

  #onDropped(tx: Transaction, reason: IngotError): void {
    this.#settleRotation(tx, false);
    if (reason.code !== 'TX_ALREADY_COMMITTED') {
      this.#settle(tx.idHex, (w) => w.reject(reason));
      return;
    }
    // A copy of a committed transaction: its submitter waits for the outcome the ledger already holds.
    this.#ledger.transactionById(tx.id).then(
      (stored) => this.#settle(tx.idHex, (w) => (stored === undefined ? w.reject(reason) : w.resolve({ height: stored.height, receipt: stored.receipt }))),
      (error: unknown) => this.#settle(tx.idHex, (w) => w.reject(error instanceof IngotError ? error : reason)),
    );
  }

  #settle(idHex: string, action: (waiter: Waiter) => void): void {
    const list = this.#waiters.get(idHex);
    if (list === undefined) return;
    this.#waiters.delete(idHex);
    for (const waiter of list) action(waiter);
  }

  #removeWaiter(idHex: string, waiter: Waiter): void {
    const list = this.#waiters.get(idHex)?.filter((w) => w !== waiter);
    if (list === undefined || list.length === 0) this.#waiters.delete(idHex);
    else this.#waiters.set(idHex, list);
  }

  /** A failed block commit is a broken invariant or a failing disk: stop taking work rather than diverge. */
  #fail(error: unknown): void {
    this.#failure = error;
    console.error('block production failed; the node stops accepting transactions:', error);
  }

  #assertRunning(): void {
    if (this.#failure !== undefined) throw new IngotError('NODE_FAILED', `the node stopped producing blocks: ${String(this.#failure)}`);
  }
}

/**
 * Picks the stored seed that is the organisation's current key on the ledger, and forgets any other.
 * A directory made by `ingot join` whose organisation is not on its ledger yet runs as a non-member
 * awaiting admission, with the key its request named.
 */
async function selectOrgKey(ledger: Ledger, secrets: OrgSecrets, join: JoinRecord | undefined): Promise<{ orgId: string; orgKey: SigningKey; secrets: OrgSecrets; member: boolean }> {
  for (const seed of secrets.signingSeeds) {
    const key = signingKeyFromSeed(seed);
    const orgId = await orgIdOfSigner(ledger, key.publicKey);
    if (orgId !== undefined) {
      const current = secrets.signingSeeds.length === 1 ? secrets : { ...secrets, signingSeeds: [seed] };
      return { orgId, orgKey: key, secrets: current, member: true };
    }
  }
  if (join !== undefined && join.admittedAt === null) {
    const key = signingKeyFromSeed(secrets.signingSeeds[0] as Uint8Array);
    return { orgId: orgIdOf(key.publicKey), orgKey: key, secrets, member: false };
  }
  throw new IngotError('ORG_KEY_NOT_MEMBER', 'no key in the key store is the current signing key of an organisation on this ledger');
}

/**
 * Keeps genesis.cbor beside the ledger, and starts an empty ledger (wiped, lost) from it at block 0:
 * block sync brings the rest from the other members.
 */
async function restoreOrKeepGenesis(paths: DataPaths, ledger: Ledger): Promise<void> {
  const kept = await readFile(paths.genesis).then((bytes) => new Uint8Array(bytes), (error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (ledger.isEmpty) {
    if (kept === undefined) throw new IngotError('LEDGER_EMPTY', `${paths.ledger} has no genesis block and there is no ${paths.genesis} to start it from`);
    const { genesisBytes, block } = genesisBlock(decodeGenesis(kept));
    await ledger.commitGenesis(genesisBytes, block);
    return;
  }
  if (kept === undefined) await writeFileAtomic(paths.genesis, ledger.genesisBytes, 0o644);
  else if (!bytesEqual(kept, ledger.genesisBytes)) throw new IngotError('GENESIS_MISMATCH', `${paths.genesis} is not the genesis of the ledger in ${paths.ledger}`);
}

/** Writes block 0 of a new consortium into an empty ledger directory. */
export async function writeGenesis(ledgerPath: string, genesis: Genesis): Promise<Uint8Array> {
  const ledger = await Ledger.open(await openLedgerDatabase(ledgerPath));
  try {
    const { genesisBytes, block } = genesisBlock(genesis);
    await ledger.commitGenesis(genesisBytes, block);
    return ledger.chainId;
  } finally {
    await ledger.close();
  }
}
