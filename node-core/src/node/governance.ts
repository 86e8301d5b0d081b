import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import type { MemberNodeJson, MemberOrgJson, ParsedParams, Results } from '../api/methods.ts';
import { IngotError } from '../codec/errors.ts';
import { readOrg, readOrgIds } from '../contracts/membership-state.ts';
import { toHex } from '../crypto/hex.ts';
import type { IngotNode } from './node.ts';

/**
 * Governance as this node's organisation takes part in it (docs/membership.md): invites it hands
 * out, proposals it makes and votes on, and the members it sees. Every change is a membership
 * transaction signed with the organisation key and awaited until its block commits.
 */

/** The libp2p peer id of a node whose Ed25519 public key is `key` (a validator's key is its node key). */
export function peerIdOfNodeKey(key: Uint8Array): string {
  return peerIdFromPublicKey(publicKeyFromRaw(key)).toString();
}

export async function listMembers(node: IngotNode): Promise<Results['members.list']> {
  const connected = new Map(node.peers.map((peer) => [peer.peerId, peer.connection]));
  const power = new Map((await node.validators()).map((v) => [peerIdOfNodeKey(v.key), v.power]));
  const orgs: MemberOrgJson[] = [];
  for (const id of await readOrgIds(node.ledger)) {
    const org = await readOrg(node.ledger, id);
    if (org === undefined) continue;
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

function notYet(method: string): never {
  throw new IngotError('GOVERNANCE_UNAVAILABLE', `${method} needs the membership contract's governance methods, which this node does not have yet`);
}

export async function createInvite(_node: IngotNode, _params: ParsedParams<'invites.create'>): Promise<Results['invites.create']> {
  return notYet('invites.create');
}

export async function listInvites(_node: IngotNode): Promise<Results['invites.list']> {
  return notYet('invites.list');
}

export async function revokeInvite(_node: IngotNode, _params: ParsedParams<'invites.revoke'>): Promise<Results['invites.revoke']> {
  return notYet('invites.revoke');
}

export async function listProposals(_node: IngotNode, _params: ParsedParams<'proposals.list'>): Promise<Results['proposals.list']> {
  return notYet('proposals.list');
}

export async function createProposal(_node: IngotNode, _params: ParsedParams<'proposals.create'>): Promise<Results['proposals.create']> {
  return notYet('proposals.create');
}

export async function vote(_node: IngotNode, _params: ParsedParams<'proposals.vote'>): Promise<Results['proposals.vote']> {
  return notYet('proposals.vote');
}
