import { z } from 'zod';
import { limits } from '../codec/limits.ts';
import { CONTRACT_NAME, METHOD_NAME, ORG_ID, SUBJECT } from '../codec/names.ts';
import { jsonObject, type JsonValue } from './json.ts';
import { deviceParamsSchemas, type DeviceResults } from './device-methods.ts';
import { telemetryParamsSchemas, type TelemetryResults } from './telemetry-methods.ts';

/**
 * The node's RPC contract, defined once: each method's params schema and result type. The server
 * validates every call against these schemas; clients (CLI, renderer) use the same types.
 */

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as 64 lower-case hex characters');
const hexBytes = z.string().regex(/^(?:[0-9a-f]{2})+$/, 'expected lower-case hex');
const height = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const cursor = z.object({ height, index: z.number().int().nonnegative().max(2 ** 32 - 1) }).strict();
const pageLimit = z.number().int().min(1).max(1000).default(100);
/** Invites and proposals by page: `after` is the previous page's `next` (an invite key or proposal id). */
const governancePageLimit = z.number().int().min(1).max(500).default(100);
const contractName = z.string().regex(CONTRACT_NAME, 'expected a contract name such as "identity"');
const methodName = z.string().regex(METHOD_NAME, 'expected a method name such as "updateProfile"');
const orgId = z.string().regex(ORG_ID, 'expected an organisation id (40 lower-case hex characters)');
const subject = z.string().regex(SUBJECT, 'expected an id of 1 to 128 printable characters without spaces');

const name = z.string().trim().min(1, 'must not be empty').max(limits.nameCharsMax);
export const PASSPHRASE_CHARS_MIN = 8;
const passphrase = z.string().max(1024);

/** What an organisation may hold (docs/membership.md#roles); the membership contract checks the same list. */
export const ROLE_NAMES = ['admin', 'validator', 'member', 'auditor'] as const;
export type RoleName = (typeof ROLE_NAMES)[number];
const roles = z
  .array(z.enum(ROLE_NAMES))
  .min(1, 'give at least one role')
  .max(ROLE_NAMES.length)
  .refine((list) => new Set(list).size === list.length, 'each role at most once');

/** Invites (and proposals) last from one hour to 30 days; a week unless asked otherwise. */
export const INVITE_HOURS_MIN = 1;
export const INVITE_HOURS_MAX = 720;
export const INVITE_HOURS_DEFAULT = 168;

/** Who decides: `inviter` (admission only), `majority` of the admins, or M admins' yes votes. */
const threshold = z.union([z.literal('majority'), z.object({ yes: z.number().int().min(1).max(1024) }).strict()]);
export const policySchema = z.object({ admission: z.union([z.literal('inviter'), threshold]), changes: threshold }).strict();
export type PolicyJson = z.output<typeof policySchema>;

/**
 * What a proposal may change (docs/membership.md#proposals-and-votes); `admit` is opened by a join
 * request only. `expiresInHours` (1–720) defaults to the contract's week.
 */
const proposalHours = z.number().int().min(INVITE_HOURS_MIN).max(INVITE_HOURS_MAX).optional();
const proposalParams = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('setRoles'), org: orgId, roles, expiresInHours: proposalHours }).strict(),
  z.object({ kind: z.literal('addValidator'), org: orgId, key: hex32, power: z.number().int().min(1).max(1000).default(1), expiresInHours: proposalHours }).strict(),
  z.object({ kind: z.literal('removeValidator'), key: hex32, expiresInHours: proposalHours }).strict(),
  z.object({ kind: z.literal('suspend'), org: orgId, expiresInHours: proposalHours }).strict(),
  z.object({ kind: z.literal('reinstate'), org: orgId, expiresInHours: proposalHours }).strict(),
  z.object({ kind: z.literal('remove'), org: orgId, expiresInHours: proposalHours }).strict(),
  z.object({ kind: z.literal('setPolicy'), policy: policySchema, expiresInHours: proposalHours }).strict(),
]);
export const PROPOSAL_KINDS = ['admit', 'setRoles', 'addValidator', 'removeValidator', 'suspend', 'reinstate', 'remove', 'setPolicy'] as const;
export type ProposalKind = (typeof PROPOSAL_KINDS)[number];

export const paramsSchemas = {
  'app.state': z.object({}).strict(),
  'app.createConsortium': z
    .object({
      consortiumName: name.optional(),
      organisation: name,
      registryId: z.string().trim().max(limits.nameCharsMax).default(''),
      passphrase: passphrase.min(PASSPHRASE_CHARS_MIN, `must be at least ${PASSPHRASE_CHARS_MIN} characters`),
      remember: z.boolean().default(false),
    })
    .strict(),
  'app.unlock': z.object({ passphrase: passphrase.min(1, 'must not be empty'), remember: z.boolean().default(false) }).strict(),
  /** Joins an existing consortium with an invite code (docs/membership.md#joining): createConsortium's fields, less the name, plus the code. */
  'app.join': z
    .object({
      organisation: name,
      registryId: z.string().trim().max(limits.nameCharsMax).default(''),
      passphrase: passphrase.min(PASSPHRASE_CHARS_MIN, `must be at least ${PASSPHRASE_CHARS_MIN} characters`),
      remember: z.boolean().default(false),
      invite: z.string().trim().min(1, 'must not be empty').max(4096),
    })
    .strict(),
  'node.status': z.object({}).strict(),
  'tx.submit': z
    .object({ contract: contractName, method: methodName, payload: jsonObject, waitForCommit: z.boolean().default(false) })
    .strict(),
  'tx.submitSigned': z.object({ tx: hexBytes, waitForCommit: z.boolean().default(false) }).strict(),
  'tx.get': z.object({ hash: hex32 }).strict(),
  'tx.bySigner': z.object({ signer: hex32, after: cursor.optional(), limit: pageLimit }).strict(),
  'block.get': z
    .object({ height: height.optional(), hash: hex32.optional() })
    .strict()
    .refine((p) => (p.height === undefined) !== (p.hash === undefined), { message: 'give either height or hash', path: ['height'] }),
  'blocks.list': z.object({ before: height.optional(), limit: z.number().int().min(1).max(100).default(20) }).strict(),
  'blocks.subscribe': z.object({}).strict(),
  'blocks.unsubscribe': z.object({ subscription: z.string().min(1).max(64) }).strict(),
  'org.get': z.object({ id: orgId }).strict(),
  'identity.rotateKey': z.object({}).strict(),
  'identity.exportKeyBackup': z.object({}).strict(),
  'state.history': z.object({ subject, after: cursor.optional(), limit: pageLimit }).strict(),
  'members.list': z.object({}).strict(),
  'invites.create': z
    .object({
      organisation: name,
      roles,
      expiresInHours: z.number().int().min(INVITE_HOURS_MIN).max(INVITE_HOURS_MAX).default(INVITE_HOURS_DEFAULT),
    })
    .strict(),
  'invites.list': z.object({ limit: governancePageLimit, after: hex32.optional() }).strict(),
  'invites.revoke': z.object({ inviteKey: hex32 }).strict(),
  'proposals.list': z.object({ includeClosed: z.boolean().default(false), limit: governancePageLimit, after: hex32.optional() }).strict(),
  'proposals.create': proposalParams,
  'proposals.vote': z.object({ id: hex32, choice: z.enum(['yes', 'no']) }).strict(),
  ...deviceParamsSchemas,
  ...telemetryParamsSchemas,
} as const;

export type MethodName = keyof typeof paramsSchemas;
export type Params<M extends MethodName> = z.input<(typeof paramsSchemas)[M]>;
export type ParsedParams<M extends MethodName> = z.output<(typeof paramsSchemas)[M]>;

export interface HeaderJson {
  hash: string;
  chain: string;
  height: number;
  prev: string;
  time: number;
  proposer: string;
  txRoot: string;
  resultsRoot: string;
  stateRoot: string;
}

export interface TxJson {
  hash: string;
  chain: string;
  contract: string;
  method: string;
  payload: JsonValue;
  signer: string;
  nonce: string;
  expires: number;
  signature: string;
  /** The signed transaction in its canonical encoding, as hex: what the Merkle proof covers. */
  raw: string;
}

export interface ReceiptJson {
  ok: boolean;
  code: string;
  message: string;
  subjects: string[];
}

export interface ProofJson {
  index: number;
  count: number;
  path: string[];
}

export interface CommitJson {
  height: number;
  round: number;
  block: string;
  signatures: { validator: string; signature: string }[];
}

export interface HistoryEntryJson {
  hash: string;
  height: number;
  index: number;
  contract: string;
  method: string;
  ok: boolean;
  code: string;
}

export interface HistoryPage {
  entries: HistoryEntryJson[];
  /** Pass as `after` to read the next page; absent when nothing follows. */
  next?: { height: number; index: number };
}

export interface OrgJson {
  id: string;
  name: string;
  registryId: string;
  contact: string;
  roles: string[];
  signingKey: string;
  encryptionKey: string;
  nodes: string[];
  status: string;
  joinedAt: number;
}

/** One node of an organisation, as this node sees it now. */
export interface MemberNodeJson {
  peerId: string;
  /** Connected to this node (always true for this node itself). */
  online: boolean;
  /** How this node reaches it; null for this node itself and for nodes not connected. */
  connection: 'direct' | 'relayed' | null;
  /** Its voting power when its key is in the current validator set. */
  validator: { power: number } | null;
}

export interface MemberOrgJson {
  id: string;
  name: string;
  registryId: string;
  roles: RoleName[];
  status: 'active' | 'suspended' | 'removed';
  /** Block time (ms since 1970) of the block that admitted it. */
  joinedAt: number;
  signingKey: string;
  nodes: MemberNodeJson[];
  /** The organisation this node runs for. */
  self: boolean;
}

export type InviteStatus = 'open' | 'used' | 'revoked' | 'expired';

export interface InviteJson {
  /** The invite key's public half: the invite's id on the ledger. */
  inviteKey: string;
  organisation: string;
  roles: RoleName[];
  /** Milliseconds since 1970, compared with block time. */
  expiresAt: number;
  /** The inviting organisation's id. */
  inviter: string;
  /** `expired` is computed from the latest block's time; `used` and `revoked` are on the ledger. */
  status: InviteStatus;
  /** Block time of the block that recorded it. */
  createdAt: number;
  /** The organisation id of the request that used it, once used. */
  usedBy: string | null;
}

export type ProposalStatus = 'open' | 'passed' | 'rejected' | 'expired';
export type VoteChoice = 'yes' | 'no';

export interface TallyJson {
  yes: number;
  no: number;
  /** Yes votes the policy requires. */
  needed: number;
  /** Organisations that may vote (the active admins). */
  voters: number;
  votes: { org: string; choice: VoteChoice }[];
}

export interface ProposalJson {
  /** The hash of the transaction that opened it. */
  id: string;
  kind: ProposalKind;
  /** What it is about: an organisation id, a validator key, or `policy`. */
  subject: string;
  /** The kind's fields as proposed (for `admit`, the joining organisation's name, keys and nodes). */
  details: Record<string, JsonValue>;
  /** The proposing (for `admit`, the inviting) organisation's id. */
  proposer: string;
  /** Block times, ms since 1970. */
  createdAt: number;
  expiresAt: number;
  status: ProposalStatus;
  tally: TallyJson;
  /** This node's organisation's vote, null when it has not voted. */
  ownVote: VoteChoice | null;
}

export interface SubmitResult {
  hash: string;
  /** Present when `waitForCommit` was set. */
  height?: number;
  receipt?: ReceiptJson;
}

/**
 * Where the node behind the API is in its life: a fresh data directory waits for a consortium to
 * be created, an existing one for its passphrase; only `running` serves the other methods.
 */
export type AppPhase = 'uninitialised' | 'locked' | 'starting' | 'running' | 'stopping' | 'failed';

export interface AppState {
  phase: AppPhase;
  dataDir: string;
  /** The desktop app can keep the passphrase in the OS keychain; the web mode cannot. */
  canRememberPassphrase: boolean;
  /** Why the last unlock or start failed. */
  error?: { code: string; message: string };
  /** For a node made by joining with an invite: where it stands, until and after its organisation is a member. */
  join?: JoinProgress;
}

/**
 * A joining node: `awaiting-admission` while no member lets it connect (its request waits for the
 * admins' votes), `syncing` once connected and catching up, `member` when its organisation is on
 * its ledger and it has caught up.
 */
export interface JoinProgress {
  state: 'awaiting-admission' | 'syncing' | 'member';
  consortium: string;
  organisation: string;
  /** The inviting organisation's id. */
  inviter: string;
  /** The requestJoin transaction's hash. */
  request: string;
  height: number;
  /** The highest height a peer reported. */
  target: number;
  blocksLeft: number;
  /** Blocks per second over the last few seconds; null until measured. */
  rate: number | null;
  /** Seconds until caught up at that rate; null while unknown. */
  etaSeconds: number | null;
}

export interface BlockSummary {
  header: HeaderJson;
  txCount: number;
}

export interface Results extends DeviceResults, TelemetryResults {
  'app.state': AppState;
  'app.createConsortium': AppState;
  'app.unlock': AppState;
  'app.join': AppState;
  'node.status': {
    consortiumId: string;
    consortiumName: string;
    organisation: { id: string; name: string };
    peerId: string;
    /** Where others can dial this node, with /p2p/<peer id>; relayed ones once a relay holds a reservation for it. */
    addresses: string[];
    height: number;
    lastBlockTime: number;
    lastBlockHash: string;
    txCount: number;
    validators: { key: string; org: string; power: number }[];
    peers: { peerId: string; connection: 'direct' | 'relayed' }[];
    /** Catching up with peers that are ahead: `target` is the highest height a peer reported. */
    sync: { height: number; target: number; syncing: boolean };
    mempool: { size: number; bytes: number };
    /** Present on a node made by joining: awaiting admission, syncing, or member. */
    join?: JoinProgress;
  };
  'tx.submit': SubmitResult;
  'tx.submitSigned': SubmitResult;
  'tx.get': { height: number; index: number; tx: TxJson; receipt: ReceiptJson; proof: ProofJson; header: HeaderJson };
  'tx.bySigner': HistoryPage;
  'block.get': { header: HeaderJson; txs: string[]; commit: CommitJson | null };
  /** Newest first, from `before - 1` (or the head) down. */
  'blocks.list': { blocks: BlockSummary[] };
  'blocks.subscribe': { subscription: string };
  'blocks.unsubscribe': { unsubscribed: boolean };
  'org.get': OrgJson;
  'identity.rotateKey': { hash: string; height: number; signingKey: string };
  /** The key store file as it is on disk: encrypted under the organisation's passphrase. */
  'identity.exportKeyBackup': { fileName: string; keyStore: string };
  'state.history': HistoryPage;
  /** Every organisation on the ledger, in joining order, with its nodes' connections as this node sees them. */
  'members.list': { orgs: MemberOrgJson[] };
  /** Returns once the invite is committed; `code` is the signed invite code to hand over (it holds the secret). */
  'invites.create': { code: string; inviteKey: string; expiresAt: number; hash: string; height: number };
  /** A page of invites in key order, newest first within the page; `next` continues after it, null after the last. */
  'invites.list': { invites: InviteJson[]; next: string | null };
  'invites.revoke': { hash: string; height: number };
  /**
   * A page of proposals in id order — the open ones, or with `includeClosed` every one — open first
   * and newest first within the page; `next` continues after it, null after the last.
   */
  'proposals.list': { proposals: ProposalJson[]; next: string | null };
  'proposals.create': { id: string; hash: string; height: number };
  /** `status` is the proposal's status after the block that holds the vote. */
  'proposals.vote': { hash: string; height: number; status: ProposalStatus };
}

/** Params of the `blocks.header` notification on a `blocks.subscribe` subscription. */
export interface BlockNotification {
  subscription: string;
  header: HeaderJson;
  txCount: number;
}
