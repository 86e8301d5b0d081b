import { IngotError } from '../codec/errors.ts';
import { openInvites, peerIdOfKey, readInvite, readProposal } from '../contracts/governance.ts';
import { requestJoinPayload } from '../contracts/invites.ts';
import { joinProofMessage } from '../contracts/join-proof.ts';
import { readOrg } from '../contracts/membership-state.ts';
import { verifySignature } from '../crypto/ed25519.ts';
import { fromHex, toHex } from '../crypto/hex.ts';
import type { Ledger } from '../ledger/ledger.ts';
import { parseTransaction, type Transaction } from '../ledger/transaction.ts';
import { decodeJoinRequest, encodeJoinResponse, type JoinResponse } from '../p2p/join-protocol.ts';
import type { PeerNetwork } from '../p2p/network.ts';
import type { Clock } from './clock.ts';

/** How often the joiners the gate admits are recomputed between blocks, so that expired invites drop out. */
export const JOINERS_REFRESH_MS = 30_000;

/** The libp2p peer ids of the open, unexpired invites at `now`: the joiners a node's gate admits. */
export async function joinerPeerIds(ledger: Ledger, now: number): Promise<string[]> {
  return (await openInvites(ledger, now)).map((invite) => peerIdOfKey(invite.key));
}

export interface JoinServiceOptions {
  readonly ledger: Ledger;
  readonly network: PeerNetwork;
  readonly clock: Clock;
  /** The node's admission: validation pipeline, mempool and relay to the other members. */
  readonly admit: (tx: Transaction) => Promise<void>;
}

/**
 * The serving side of `/ingot/join/1.0.0` (docs/protocol.md): hands a joiner the genesis document,
 * takes its requestJoin transaction into the mempool through the node's admission, and tells it
 * where its request stands. Keeps the network's joiners in step with the open invites.
 */
export class JoinService {
  readonly #options: JoinServiceOptions;
  #timer: { cancel(): void } | undefined;
  #stopped = false;

  constructor(options: JoinServiceOptions) {
    this.#options = options;
  }

  start(): void {
    this.#options.network.handleJoinRequests((from, request) => this.handle(from, request));
    this.refresh();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
  }

  /** Recomputes the joiners now (after each block) and again after JOINERS_REFRESH_MS. */
  refresh(): void {
    if (this.#stopped) return;
    const { ledger, network, clock } = this.#options;
    this.#timer?.cancel();
    this.#timer = clock.setTimeout(() => this.refresh(), JOINERS_REFRESH_MS);
    joinerPeerIds(ledger, clock.now()).then(
      (ids) => {
        if (!this.#stopped) network.setJoiners(ids);
      },
      (error: unknown) => console.error('join: could not read the open invites:', error),
    );
  }

  /** One join-protocol exchange; refusals are answered as `error` responses with their code. */
  async handle(from: string, requestBytes: Uint8Array): Promise<Uint8Array> {
    let response: JoinResponse;
    try {
      response = await this.#answer(from, requestBytes);
    } catch (error) {
      if (!(error instanceof IngotError)) throw error;
      response = { t: 'error', code: /^[A-Z][A-Z0-9_]{0,63}$/.test(error.code) ? error.code : 'JOIN_FAILED', message: error.message.slice(0, 512) };
    }
    return encodeJoinResponse(response);
  }

  async #answer(from: string, requestBytes: Uint8Array): Promise<JoinResponse> {
    const { ledger } = this.#options;
    const request = decodeJoinRequest(requestBytes);
    const height = ledger.head.height;
    switch (request.t) {
      case 'genesis':
        return { t: 'genesis', genesis: ledger.genesisBytes, height };
      case 'join': {
        const tx = await this.#checkJoin(from, request.tx);
        await this.#options.admit(tx);
        return { t: 'accepted', hash: tx.id, height };
      }
      case 'status':
        return { t: 'status', ...(await this.#status(request.org, toHex(request.request))), height };
    }
  }

  /**
   * What the contract will check, checked before the transaction takes a place in the mempool, so
   * that the joiner hears at once: the invite is open and its key is the peer asking, and the proof
   * binds it to the key that signed the transaction.
   */
  async #checkJoin(from: string, bytes: Uint8Array): Promise<Transaction> {
    const { ledger, clock } = this.#options;
    const tx = parseTransaction(bytes);
    if (tx.body.contract !== 'membership' || tx.body.method !== 'requestJoin') {
      throw new IngotError('JOIN_TX_INVALID', 'the join protocol takes only membership.requestJoin transactions');
    }
    const parsed = requestJoinPayload.safeParse(tx.body.payload);
    if (!parsed.success) throw new IngotError('PAYLOAD_INVALID', `requestJoin payload: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    const payload = parsed.data;
    const inviteKey = fromHex(payload.inviteKey, 32, 'inviteKey');
    const invite = await readInvite(ledger, payload.inviteKey);
    if (invite === undefined) throw new IngotError('INVITE_UNKNOWN', 'there is no invite with that key on this consortium\'s ledger');
    if (invite.status === 'used') throw new IngotError('INVITE_USED', 'the invite has been used');
    if (invite.status === 'revoked') throw new IngotError('INVITE_REVOKED', 'the invite is revoked');
    if (invite.status === 'expired' || invite.expiresAt < clock.now()) throw new IngotError('INVITE_EXPIRED', 'the invite has expired');
    // A joiner speaks for its own invite only; a member may pass on anyone's request.
    const joiner = peerIdOfKey(inviteKey);
    if (from !== joiner && !this.#isMember(from)) throw new IngotError('JOIN_WRONG_INVITE', 'the request uses another invite than the one this connection was admitted for');
    const message = joinProofMessage(ledger.chainId, {
      inviteKey,
      signingKey: tx.body.signer,
      encryptionKey: fromHex(payload.encryptionKey, 32, 'encryptionKey'),
      name: payload.name,
      registryId: payload.registryId,
      nodes: payload.nodes,
    });
    if (!verifySignature(inviteKey, message, fromHex(payload.proof, 64, 'proof'))) {
      throw new IngotError('JOIN_PROOF_INVALID', 'the proof is not the invite key\'s signature over this request and the key that signed it');
    }
    return tx;
  }

  #isMember(peerId: string): boolean {
    return this.#options.network.peers().some((peer) => peer.peerId === peerId);
  }

  async #status(org: string, requestHex: string): Promise<{ state: 'pending' | 'admitted' | 'refused'; code: string }> {
    const { ledger } = this.#options;
    const record = await readOrg(ledger, org);
    if (record !== undefined) return record.status === 'active' ? { state: 'admitted', code: '' } : { state: 'refused', code: `ORG_${record.status.toUpperCase()}` };
    const stored = await ledger.transactionById(fromHex(requestHex, 32, 'request'));
    if (stored === undefined) return { state: 'pending', code: '' };
    if (!stored.receipt.ok) return { state: 'refused', code: stored.receipt.code };
    const proposal = await readProposal(ledger, requestHex);
    switch (proposal?.status) {
      case undefined:
      case 'open':
        return { state: 'pending', code: '' };
      case 'passed':
        return { state: 'admitted', code: '' };
      case 'rejected':
        return { state: 'refused', code: 'PROPOSAL_REJECTED' };
      case 'expired':
        return { state: 'refused', code: 'PROPOSAL_EXPIRED' };
    }
  }
}
