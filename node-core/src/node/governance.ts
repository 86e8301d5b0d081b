import { randomBytes } from 'node:crypto';
import type { JsonValue } from '../api/json.ts';
import type { InviteJson, MemberNodeJson, MemberOrgJson, ParsedParams, ProposalJson, Results } from '../api/methods.ts';
import type { CanonicalValue } from '../codec/cbor.ts';
import { IngotError } from '../codec/errors.ts';
import { encodeInviteCode, INVITE_PEERS_MAX, signInvite } from '../codec/invite-code.ts';
import { openProposalIds, peerIdOfKey, proposalViews, readInvite, readOrgs, readProposal, readProposalRecord, type Invite, type ProposalView } from '../contracts/governance.ts';
import { EXPIRY_MAX_MS } from '../contracts/schemas.ts';
import { inviteKeyFromSecret } from '../crypto/invite-key.ts';
import { toHex } from '../crypto/hex.ts';
import type { Transaction } from '../ledger/transaction.ts';
import type { CommitOutcome, IngotNode } from './node.ts';

/**
 * Governance as this node's organisation takes part in it (docs/membership.md): invites it hands
 * out, proposals it makes and votes on, and the members it sees. Every change is a membership
 * transaction signed with the organisation key and awaited until its block commits.
 */

export async function listMembers(node: IngotNode): Promise<Results['members.list']> {
  const connected = new Map(node.peers.map((peer) => [peer.peerId, peer.connection]));
  const power = new Map((await node.validators()).map((v) => [peerIdOfKey(v.key), v.power]));
  const orgs: MemberOrgJson[] = [];
  for (const org of await readOrgs(node.ledger)) {
    const nodes = org.nodes.map((peerId): MemberNodeJson => {
      const self = peerId === node.nodeKey.peerId;
      const connection = connected.get(peerId) ?? null;
      const votingPower = power.get(peerId);
      return { peerId, online: self || connection !== null, connection: self ? null : connection, validator: votingPower === undefined ? null : { power: votingPower } };
    });
    orgs.push({
      id: org.id,
      name: org.name,
      registryId: org.registryId,
      roles: [...org.roles],
      status: org.status,
      joinedAt: org.joinedAt,
      signingKey: toHex(org.signingKey),
      nodes,
      self: org.id === node.orgId,
    });
  }
  return { orgs };
}

/** Submits a membership call signed by this node's organisation and waits for its block; a refusal becomes the call's error. */
async function commitMembership(node: IngotNode, method: string, payload: Record<string, JsonValue>): Promise<{ tx: Transaction; outcome: CommitOutcome }> {
  const tx = await node.submit('membership', method, payload);
  const outcome = await node.waitForCommit(tx);
  if (!outcome.receipt.ok) throw new IngotError(outcome.receipt.code, outcome.receipt.message);
  return { tx, outcome };
}

const PROPOSAL_PREFIX = 'proposal/';
const INVITE_PREFIX = 'invite/';

/**
 * A page of the ids of the state records under `prefix`, in key order: a bounded range read. Closed
 * invites and proposals stay in state but leave the contract's open indexes; this is how they are
 * found again. `next` is the last id when more may follow.
 */
async function idsUnder(node: IngotNode, prefix: string, limit: number, after: string | undefined): Promise<{ ids: string[]; next: string | null }> {
  const entries = await node.ledger.stateEntriesUnder(prefix, limit, after);
  const ids = entries.map(([key]) => key.slice(prefix.length));
  return { ids, next: ids.length === limit ? (ids.at(-1) as string) : null };
}

const HOUR_MS = 3_600_000;

/**
 * `hours` from now by this node's clock, but no later than the contracts accept: EXPIRY_MAX_MS past
 * the latest block's time. The next block's time is not earlier, so an expiry at the maximum holds
 * even while block time lags this node's clock.
 */
function expiryIn(node: IngotNode, hours: number): number {
  return Math.min(node.clock.now() + hours * HOUR_MS, node.ledger.head.time + EXPIRY_MAX_MS);
}

/**
 * Bootstrap addresses for an invite: this node's dialable addresses — direct ones first, then those
 * through a relay, then loopback ones (useful only on this machine), so that trimming to the code's
 * limits drops the least useful.
 */
function bootstrapPeers(node: IngotNode): string[] {
  const addresses = node.addresses().filter((address) => /\/p2p\/[1-9A-HJ-NP-Za-km-z]+$/.test(address));
  const rank = (address: string) => (address.includes('/p2p-circuit') ? 1 : /^\/(?:ip4\/127\.|ip6\/::1\/)/.test(address) ? 2 : 0);
  return addresses.map((address, index) => ({ address, index })).sort((a, b) => rank(a.address) - rank(b.address) || a.index - b.index).map((entry) => entry.address).slice(0, INVITE_PEERS_MAX);
}

export async function createInvite(node: IngotNode, params: ParsedParams<'invites.create'>): Promise<Results['invites.create']> {
  const peers = bootstrapPeers(node);
  if (peers.length === 0) {
    throw new IngotError('NO_BOOTSTRAP_ADDRESS', 'this node has no address another node could dial (it listens nowhere and holds no relay reservation), so an invite from it could not be used; listen with --listen or connect to a member offering relay');
  }
  const secret = new Uint8Array(randomBytes(32));
  const inviteKey = inviteKeyFromSecret(secret);
  const expiresAt = expiryIn(node, params.expiresInHours);
  const orgKey = await node.orgSigningKey();
  // The code is signed before the invite goes on the ledger: an invite nobody could use is never recorded.
  let code: string | undefined;
  for (let count = peers.length; code === undefined; count--) {
    const invite = signInvite(
      {
        v: 1,
        chain: node.ledger.chainId,
        consortium: node.genesis.name,
        peers: peers.slice(0, count),
        org: params.organisation,
        roles: params.roles,
        expires: expiresAt,
        secret,
        inviter: node.orgId,
        inviterKey: orgKey.publicKey,
      },
      (message) => orgKey.sign(message),
    );
    try {
      code = encodeInviteCode(invite);
    } catch (error) {
      // Too many long (relayed) addresses: drop the last until the code fits.
      if (!(error instanceof IngotError && error.code === 'INVITE_TOO_LARGE' && count > 1)) throw error;
    }
  }
  const { tx, outcome } = await commitMembership(node, 'createInvite', {
    inviteKey: toHex(inviteKey.publicKey),
    organisation: params.organisation,
    roles: [...params.roles],
    expiresAt,
  });
  return { code, inviteKey: toHex(inviteKey.publicKey), expiresAt, hash: tx.idHex, height: outcome.height };
}

function inviteJson(invite: Invite, createdAt: number, now: number): InviteJson {
  const expired = invite.status === 'expired' || (invite.status === 'open' && invite.expiresAt < now);
  return {
    inviteKey: toHex(invite.key),
    organisation: invite.organisation,
    roles: [...invite.roles],
    expiresAt: invite.expiresAt,
    inviter: invite.inviter,
    status: expired ? 'expired' : invite.status,
    createdAt,
    usedBy: invite.usedBy,
  };
}

/** A page of the invites on the ledger in key order, newest first within it; `expired` is judged by the latest block's time. */
export async function listInvites(node: IngotNode, params: ParsedParams<'invites.list'>): Promise<Results['invites.list']> {
  const state = node.ledger;
  const { ids, next } = await idsUnder(node, INVITE_PREFIX, params.limit, params.after);
  const invites = (await Promise.all(ids.map((key) => readInvite(state, key)))).filter((invite) => invite !== undefined);
  invites.sort((a, b) => b.createdAt - a.createdAt);
  const times = await blockTimes(node, invites.map((invite) => invite.createdAt));
  const now = state.head.time;
  return { invites: invites.map((invite) => inviteJson(invite, times.get(invite.createdAt) ?? 0, now)), next };
}

export async function revokeInvite(node: IngotNode, params: ParsedParams<'invites.revoke'>): Promise<Results['invites.revoke']> {
  const { tx, outcome } = await commitMembership(node, 'revokeInvite', { inviteKey: params.inviteKey });
  return { hash: tx.idHex, height: outcome.height };
}

function jsonOf(value: CanonicalValue): JsonValue {
  if (value instanceof Uint8Array) return toHex(value);
  if (Array.isArray(value)) return value.map(jsonOf);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonOf(v as CanonicalValue)]));
  return value as JsonValue;
}

/** Block times by height, for records that keep the height they were made at. */
async function blockTimes(node: IngotNode, heights: Iterable<number>): Promise<Map<number, number>> {
  const unique = [...new Set(heights)];
  const headers = await Promise.all(unique.map((height) => node.ledger.header(height)));
  return new Map(unique.map((height, i) => [height, headers[i]?.time ?? 0]));
}

function proposalJson(proposal: ProposalView, createdAt: number, now: number, self: string): ProposalJson {
  const { kind, ...fields } = proposal.effect;
  const expired = proposal.status === 'open' && proposal.expiresAt < now;
  return {
    id: proposal.id,
    kind,
    subject: proposal.subject,
    details: jsonOf(fields as Record<string, CanonicalValue>) as Record<string, JsonValue>,
    // A join request is no organisation's proposal: the inviter stands for it.
    proposer: proposal.proposer ?? (proposal.effect.kind === 'admit' ? proposal.effect.inviter : ''),
    createdAt,
    expiresAt: proposal.expiresAt,
    status: expired ? 'expired' : proposal.status,
    tally: {
      yes: proposal.tally.yes,
      no: proposal.tally.no,
      needed: proposal.tally.needed,
      voters: proposal.tally.voters.length,
      votes: Object.entries(proposal.votes).map(([org, choice]) => ({ org, choice })),
    },
    ownVote: proposal.votes[self] ?? null,
  };
}

/**
 * A page of proposals in id order — the open ones, or with includeClosed every one on the ledger —
 * open first and newest first within the page.
 */
export async function listProposals(node: IngotNode, params: ParsedParams<'proposals.list'>): Promise<Results['proposals.list']> {
  const state = node.ledger;
  let page: { ids: string[]; next: string | null };
  if (params.includeClosed) {
    page = await idsUnder(node, PROPOSAL_PREFIX, params.limit, params.after);
  } else {
    // The open index holds at most 256 ids.
    const after = params.after;
    const open = (await openProposalIds(state)).filter((id) => after === undefined || id > after).sort();
    const ids = open.slice(0, params.limit);
    page = { ids, next: open.length > params.limit ? (ids.at(-1) as string) : null };
  }
  const records = (await Promise.all(page.ids.map((id) => readProposalRecord(state, id)))).filter((record) => record !== undefined);
  const views = await proposalViews(state, records);
  const times = await blockTimes(node, views.map((view) => view.createdAt));
  const now = state.head.time;
  const all = views.map((view) => proposalJson(view, times.get(view.createdAt) ?? 0, now, node.orgId));
  all.sort((a, b) => Number(b.status === 'open') - Number(a.status === 'open') || b.createdAt - a.createdAt);
  return { proposals: params.includeClosed ? all : all.filter((proposal) => proposal.status === 'open'), next: page.next };
}

const hoursFromNow = (node: IngotNode, hours: number | undefined): Record<string, JsonValue> => (hours === undefined ? {} : { expiresAt: expiryIn(node, hours) });

/** The payload of membership.propose. */
function proposePayload(node: IngotNode, params: ParsedParams<'proposals.create'>): Record<string, JsonValue> {
  const expiry = hoursFromNow(node, params.expiresInHours);
  switch (params.kind) {
    case 'setRoles':
      return { kind: params.kind, org: params.org, roles: [...params.roles], ...expiry };
    case 'addValidator':
      return { kind: params.kind, org: params.org, key: params.key, power: params.power, ...expiry };
    case 'removeValidator':
      return { kind: params.kind, key: params.key, ...expiry };
    case 'suspend':
    case 'reinstate':
    case 'remove':
      return { kind: params.kind, org: params.org, ...expiry };
    case 'setPolicy':
      return { kind: params.kind, policy: params.policy, ...expiry };
  }
}

export async function createProposal(node: IngotNode, params: ParsedParams<'proposals.create'>): Promise<Results['proposals.create']> {
  const { tx, outcome } = await commitMembership(node, 'propose', proposePayload(node, params));
  return { id: tx.idHex, hash: tx.idHex, height: outcome.height };
}

export async function vote(node: IngotNode, params: ParsedParams<'proposals.vote'>): Promise<Results['proposals.vote']> {
  const { tx, outcome } = await commitMembership(node, 'vote', { proposal: params.id, choice: params.choice });
  const proposal = await readProposal(node.ledger, params.id);
  const expired = proposal !== undefined && proposal.status === 'open' && proposal.expiresAt < node.ledger.head.time;
  return { hash: tx.idHex, height: outcome.height, status: proposal === undefined ? 'open' : expired ? 'expired' : proposal.status };
}
