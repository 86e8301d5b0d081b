import type { HistoryPage, MethodName, ParsedParams, Results } from '../api/methods.ts';
import { IngotError } from '../codec/errors.ts';
import { fromHex, toHex } from '../crypto/hex.ts';
import type { HistoryEntry } from '../ledger/ledger.ts';
import { parseTransaction, type Transaction } from '../ledger/transaction.ts';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { NodeHost } from '../host/node-host.ts';
import type { IngotNode } from '../node/node.ts';
import { createInvite, createProposal, listInvites, listMembers, listProposals, revokeInvite, vote } from '../node/governance.ts';
import {
  acceptTransfer, deviceHistory, getDevice, listDevices, offerTransfer, recordDeviceEvent, registerDevice, requestAccess, setDevicePolicy, withdrawTransfer,
} from '../node/devices.ts';
import { fetchTelemetry, queryTelemetry, submitTelemetry, telemetryRules, telemetryStats } from '../node/telemetry-api.ts';
import { commitJson, headerJson, historyEntryJson, orgJson, receiptJson, txJson } from './to-json.ts';

/** Per-connection state a method may need: only WebSocket connections can hold subscriptions. */
export interface RpcSession {
  subscribeBlocks(): string;
  unsubscribeBlocks(subscription: string): boolean;
}

type Handler<M extends MethodName> = (host: NodeHost, params: ParsedParams<M>, session: RpcSession | undefined) => Promise<Results[M]>;
type NodeHandler<M extends MethodName> = (node: IngotNode, params: ParsedParams<M>, session: RpcSession | undefined) => Promise<Results[M]>;
type AppMethodName = Extract<MethodName, `app.${string}`>;
type NodeMethodName = Exclude<MethodName, AppMethodName>;

/** `read` is asked for one entry more than the page holds, to know whether a next page exists. */
async function page(limit: number, read: (count: number) => Promise<HistoryEntry[]>): Promise<HistoryPage> {
  const entries = await read(limit + 1);
  const shown = entries.slice(0, limit);
  const last = shown.at(-1);
  return {
    entries: shown.map(historyEntryJson),
    ...(entries.length > limit && last !== undefined ? { next: { height: last.height, index: last.index } } : {}),
  };
}

async function submitted(node: IngotNode, tx: Transaction, wait: boolean): Promise<Results['tx.submit']> {
  if (!wait) return { hash: tx.idHex };
  const { height, receipt } = await node.waitForCommit(tx);
  return { hash: tx.idHex, height, receipt: receiptJson(receipt) };
}

function needSession(session: RpcSession | undefined): RpcSession {
  if (session === undefined) throw new IngotError('SUBSCRIPTION_NEEDS_WEBSOCKET', 'subscriptions are only available over the WebSocket endpoint');
  return session;
}

const appHandlers: { [M in AppMethodName]: Handler<M> } = {
  async 'app.state'(host) {
    return host.state;
  },
  async 'app.createConsortium'(host, params) {
    return host.createConsortium(params);
  },
  async 'app.unlock'(host, { passphrase, remember }) {
    return host.unlock(passphrase, remember);
  },
  async 'app.join'(host, params) {
    return host.join(params);
  },
};

/** Blocks per `blocks.list` answer are few (at most 100), so reading their headers one by one is fine. */
async function recentBlocks(node: IngotNode, before: number | undefined, limit: number): Promise<Results['blocks.list']> {
  const top = Math.min(before === undefined ? node.ledger.head.height : before - 1, node.ledger.head.height);
  const heights = Array.from({ length: Math.max(0, Math.min(limit, top + 1)) }, (_, i) => top - i);
  const blocks = await Promise.all(heights.map(async (height) => {
    const [header, txs] = await Promise.all([node.ledger.header(height), node.ledger.blockTransactions(height)]);
    if (header === undefined) throw new IngotError('BLOCK_NOT_FOUND', `block ${height} is missing`);
    return { header: headerJson(header), txCount: txs.length };
  }));
  return { blocks };
}

const nodeHandlers: { [M in NodeMethodName]: NodeHandler<M> } = {
  async 'node.status'(node) {
    const head = node.ledger.head;
    const org = await node.org(node.orgId);
    return {
      consortiumId: toHex(node.ledger.chainId),
      consortiumName: node.genesis.name,
      organisation: { id: node.orgId, name: org?.name ?? '' },
      peerId: node.nodeKey.peerId,
      addresses: node.addresses(),
      height: head.height,
      lastBlockTime: head.time,
      lastBlockHash: toHex(head.hash),
      txCount: head.txCount,
      validators: (await node.validators()).map((v) => ({ key: toHex(v.key), org: v.org, power: v.power })),
      peers: node.peers,
      sync: node.syncProgress,
      mempool: node.mempoolSize,
      ...(node.joinProgress === undefined ? {} : { join: node.joinProgress }),
    };
  },
  async 'tx.submit'(node, { contract, method, payload, waitForCommit }) {
    const tx = await node.submit(contract, method, payload);
    return submitted(node, tx, waitForCommit);
  },
  async 'tx.submitSigned'(node, { tx: hex, waitForCommit }) {
    const tx = await node.submitSigned(fromHex(hex, hex.length / 2, 'tx'));
    return submitted(node, tx, waitForCommit);
  },
  async 'tx.get'(node, { hash }) {
    const found = await node.transaction(fromHex(hash, 32, 'hash'));
    if (found === undefined) throw new IngotError('TX_NOT_FOUND', `no committed transaction ${hash}`);
    const header = await node.ledger.header(found.height);
    if (header === undefined) throw new IngotError('BLOCK_NOT_FOUND', `block ${found.height} is missing`);
    return {
      height: found.height,
      index: found.index,
      tx: txJson(found.tx),
      receipt: receiptJson(found.receipt),
      proof: { index: found.proof.index, count: found.proof.count, path: found.proof.path.map(toHex) },
      header: headerJson(header),
    };
  },
  async 'tx.bySigner'(node, { signer, after, limit }) {
    return page(limit, (count) => node.ledger.historyOfSigner(fromHex(signer, 32, 'signer'), after, count));
  },
  async 'block.get'(node, { height: byHeight, hash }) {
    const height = hash === undefined ? (byHeight as number) : await node.ledger.heightOfHash(fromHex(hash, 32, 'hash'));
    if (height === undefined) throw new IngotError('BLOCK_NOT_FOUND', `no block with hash ${hash}`);
    const header = await node.ledger.header(height);
    if (header === undefined) throw new IngotError('BLOCK_NOT_FOUND', `no block at height ${height}; the head is ${node.ledger.head.height}`);
    const [txs, commit] = await Promise.all([node.ledger.blockTransactions(height), node.ledger.commitOf(height)]);
    const ids = txs.map((bytes) => parseTransaction(bytes).idHex);
    return { header: headerJson(header), txs: ids, commit: commit === undefined ? null : commitJson(commit) };
  },
  async 'blocks.list'(node, { before, limit }) {
    return recentBlocks(node, before, limit);
  },
  async 'blocks.subscribe'(_node, _params, session) {
    return { subscription: needSession(session).subscribeBlocks() };
  },
  async 'blocks.unsubscribe'(_node, { subscription }, session) {
    return { unsubscribed: needSession(session).unsubscribeBlocks(subscription) };
  },
  async 'org.get'(node, { id }) {
    const org = await node.org(id);
    if (org === undefined) throw new IngotError('ORG_NOT_FOUND', `no organisation ${id}`);
    return orgJson(org);
  },
  async 'identity.rotateKey'(node) {
    const { tx, outcome, signingKey } = await node.rotateOrgKey();
    if (!outcome.receipt.ok) throw new IngotError(outcome.receipt.code, outcome.receipt.message);
    return { hash: tx.idHex, height: outcome.height, signingKey: toHex(signingKey) };
  },
  async 'identity.exportKeyBackup'(node) {
    const keyStore = await readFile(node.paths.keyStore, 'utf8');
    return { fileName: `ingot-keys-${node.orgId.slice(0, 8)}-${basename(node.paths.dir)}.json`, keyStore };
  },
  async 'state.history'(node, { subject, after, limit }) {
    return page(limit, (count) => node.ledger.historyOfSubject(subject, after, count));
  },
  async 'members.list'(node) {
    return listMembers(node);
  },
  async 'invites.create'(node, params) {
    return createInvite(node, params);
  },
  async 'invites.list'(node, params) {
    return listInvites(node, params);
  },
  async 'invites.revoke'(node, params) {
    return revokeInvite(node, params);
  },
  async 'proposals.list'(node, params) {
    return listProposals(node, params);
  },
  async 'proposals.create'(node, params) {
    return createProposal(node, params);
  },
  async 'proposals.vote'(node, params) {
    return vote(node, params);
  },
  'device.register': registerDevice,
  'device.get': getDevice,
  'device.list': listDevices,
  'device.history': deviceHistory,
  'device.recordEvent': recordDeviceEvent,
  'device.offerTransfer': offerTransfer,
  'device.withdrawTransfer': withdrawTransfer,
  'device.acceptTransfer': acceptTransfer,
  'device.setPolicy': setDevicePolicy,
  'device.requestAccess': requestAccess,
  'telemetry.submit': submitTelemetry,
  'telemetry.query': queryTelemetry,
  'telemetry.fetch': fetchTelemetry,
  'telemetry.stats': telemetryStats,
  'telemetry.rules': telemetryRules,
};

function isAppMethod(method: MethodName): method is AppMethodName {
  return Object.hasOwn(appHandlers, method);
}

/** Runs one validated call: `app.*` methods work in every phase, the others need a running node. */
export function handle(host: NodeHost, method: MethodName, params: unknown, session: RpcSession | undefined): Promise<unknown> {
  if (isAppMethod(method)) return (appHandlers[method] as Handler<typeof method>)(host, params as never, session);
  const handler = nodeHandlers[method] as NodeHandler<typeof method>;
  return handler(host.node, params as never, session);
}
