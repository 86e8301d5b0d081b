import type { DeviceResults } from '../api/device-methods.ts';
import { accessTokenIdHex, verifyAccessToken, type AccessPermission } from '../codec/access-token.ts';
import { IngotError } from '../codec/errors.ts';
import { hasPermission, readDevice, readToken } from '../contracts/device-state.ts';
import { nodeOwner, readOrg } from '../contracts/membership-state.ts';
import { verifySignature } from '../crypto/ed25519.ts';
import { fromHex, toHex } from '../crypto/hex.ts';
import type { Ledger } from '../ledger/ledger.ts';
import {
  decodeAccessRequest, decodeAccessResponse, encodeAccessRequest, encodeAccessResponse, type AccessResponse,
} from '../p2p/access-protocol.ts';
import type { PeerNetwork } from '../p2p/network.ts';

/**
 * Access tokens between organisations over `/ingot/access/1.0.0` (docs/devices.md#access-tokens).
 * A grantee organisation's node asks a connected node of the device's owner; the owner's node takes
 * the grantee from the requesting peer id (the organisation whose `nodes` list it), checks the grant
 * at its head block's time, records the token (`device.recordToken`, awaited until its block) and
 * answers it signed. The requesting node checks the token offline against the owner's signing key on
 * its own ledger before handing it out.
 */

export type AccessTokenResult = DeviceResults['device.requestAccess'];

export interface IssueParams {
  readonly device: string;
  readonly grantee: string;
  readonly permission: AccessPermission;
  readonly ttlSeconds: number;
}

export interface AccessExchangeHost {
  readonly ledger: Ledger;
  readonly network: PeerNetwork;
  /** The organisation this node runs for (it changes once a joined node is admitted). */
  orgId(): string;
  /** This node's clock, ms since 1970. */
  now(): number;
  /** Records and signs a token for a device this node's organisation owns (node/devices.ts `issueAccessToken`). */
  issue(params: IssueParams): Promise<AccessTokenResult>;
  /** Calls `listener` after every block this node commits; returns the unsubscribe. */
  onBlock(listener: () => void): () => void;
  /** How long to wait for an owner node's answer (ACCESS_REQUEST_TIMEOUT_MS unless given). */
  readonly requestTimeoutMs?: number;
}

export interface AccessRequestParams {
  readonly device: string;
  readonly permission: AccessPermission;
  readonly ttlSeconds: number;
}

/** How long the requester waits for one owner node's answer: the owner records the token in a block first. */
export const ACCESS_REQUEST_TIMEOUT_MS = 25_000;
/** How long the requester waits for its own ledger to reach the block that recorded the token. */
export const ACCESS_LEDGER_WAIT_MS = 5_000;

const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

export class AccessExchange {
  readonly #host: AccessExchangeHost;

  constructor(host: AccessExchangeHost) {
    this.#host = host;
  }

  start(): void {
    this.#host.network.handleAccessRequests((from, request) => this.serve(from, request));
  }

  // --- The owner's side --------------------------------------------------------------------

  /** One access-protocol exchange; refusals are answered as `error` responses with their code. */
  async serve(from: string, requestBytes: Uint8Array): Promise<Uint8Array> {
    let response: AccessResponse;
    try {
      response = await this.#answer(from, requestBytes);
    } catch (error) {
      if (error instanceof IngotError) {
        response = { t: 'error', code: ERROR_CODE.test(error.code) ? error.code : 'ACCESS_REQUEST_FAILED', message: error.message.slice(0, 512) };
      } else {
        // An unexpected failure (store, ledger, issuing): the peer gets a coded answer, the cause stays in this node's log.
        console.error(`access: the request from ${from} failed:`, error);
        response = { t: 'error', code: 'ACCESS_REQUEST_FAILED', message: 'the owner\'s node could not answer the request' };
      }
    }
    return encodeAccessResponse(response);
  }

  async #answer(from: string, requestBytes: Uint8Array): Promise<AccessResponse> {
    const request = decodeAccessRequest(requestBytes);
    const { ledger } = this.#host;
    const device = toHex(request.device);
    const record = await readDevice(ledger, device);
    if (record === undefined) throw new IngotError('DEVICE_UNKNOWN', `device ${device} is not registered`);
    if (record.owner !== this.#host.orgId()) throw new IngotError('DEVICE_NOT_OWNER', `device ${device} belongs to organisation ${record.owner}, not to this node's`);
    const grantee = await nodeOwner(ledger, from);
    if (grantee === undefined) throw new IngotError('PERMISSION_DENIED', `peer ${from} is not the node of an organisation`);
    if (!(await hasPermission(ledger, device, grantee, request.permission, ledger.head.time))) {
      throw new IngotError('PERMISSION_DENIED', `organisation ${grantee} does not hold ${request.permission} on device ${device}`);
    }
    const issued = await this.#host.issue({ device, grantee, permission: request.permission, ttlSeconds: request.ttlSeconds });
    return { t: 'token', token: issued.token, tx: fromHex(issued.hash, 32, 'hash'), height: issued.height };
  }

  // --- The requester's side ----------------------------------------------------------------

  /**
   * Asks a connected node of the device's owner for a token issued to this node's organisation,
   * and checks it offline (the owner's signing key on this ledger, device, permission, grantee,
   * consortium, time) before returning it. Refusals keep the owner's code; PEER_UNREACHABLE when no
   * node of the owner is connected or none answers; ACCESS_REQUEST_TIMEOUT when one took the
   * request but did not answer in time (it may have recorded a token all the same);
   * ACCESS_TOKEN_UNRECORDED when the token's recording is not on this ledger, also when this ledger
   * does not reach the recording block within ACCESS_LEDGER_WAIT_MS.
   */
  async request(params: AccessRequestParams): Promise<AccessTokenResult> {
    const { ledger, network } = this.#host;
    const record = await readDevice(ledger, params.device);
    if (record === undefined) throw new IngotError('DEVICE_UNKNOWN', `device ${params.device} is not registered`);
    const owner = await readOrg(ledger, record.owner);
    if (owner === undefined) throw new IngotError('ORG_UNKNOWN', `the owner of device ${params.device}, ${record.owner}, is not on this ledger`);
    const connected = new Set(network.peers().map((peer) => peer.peerId));
    const candidates = owner.nodes.filter((peerId) => connected.has(peerId));
    if (candidates.length === 0) {
      throw new IngotError('PEER_UNREACHABLE', `no node of organisation ${owner.name} (${owner.id}), the owner of device ${params.device}, is connected`, { owner: owner.id });
    }
    const requestBytes = encodeAccessRequest({ v: 1, device: fromHex(params.device, 20, 'device'), permission: params.permission, ttlSeconds: params.ttlSeconds });
    const { peer, bytes } = await this.#ask(candidates, requestBytes, owner.id);
    const response = decodeAccessResponse(bytes);
    if (response.t === 'error') throw new IngotError(response.code, `the owner's node ${peer} refused: ${response.message}`, { peer });

    // The block that recorded the token, on this ledger too, before the checks: the owner's key is then the one it signed with.
    const reached = await this.#waitForHeight(response.height, ACCESS_LEDGER_WAIT_MS);
    const grantee = this.#host.orgId();
    const signer = (await readOrg(ledger, owner.id)) ?? owner;
    const token = verifyAccessToken(response.token, {
      ownerKey: signer.signingKey, device: params.device, permission: params.permission, grantee, chain: ledger.chainId,
      now: this.#host.now(), seen: new Set(), verify: verifySignature,
    });
    if (token.issuer !== owner.id) throw new IngotError('ACCESS_TOKEN_OUT_OF_SCOPE', `the token names ${token.issuer} as its issuer, not the owner ${owner.id}`);
    const tokenId = accessTokenIdHex(token);
    // A token this ledger cannot check yet is not taken on the owner node's word.
    if (!reached) {
      throw new IngotError(
        'ACCESS_TOKEN_UNRECORDED',
        `token ${tokenId} from ${peer} names block ${response.height}, which this ledger did not reach within ${ACCESS_LEDGER_WAIT_MS / 1000} s; ask again shortly`,
        { peer, tokenId, height: response.height },
      );
    }
    const recorded = await readToken(ledger, tokenId);
    if (recorded === undefined || recorded.device !== params.device || recorded.grantee !== grantee || recorded.permission !== params.permission || recorded.expiresAt !== token.expiresAt) {
      throw new IngotError('ACCESS_TOKEN_UNRECORDED', `token ${tokenId} from ${peer} is not recorded on this ledger as issued`, { peer, tokenId });
    }
    return {
      hash: toHex(response.tx), height: response.height, token: response.token, tokenId, grantee, notBefore: token.notBefore, expiresAt: token.expiresAt,
      issuerKey: toHex(token.issuerKey),
    };
  }

  /**
   * Asks the owner's connected nodes in turn. A node that could not take the request (not
   * connected, busy, stream failed) makes way for the next; a timeout ends the attempt, since that
   * node may have recorded a token already. PEER_UNREACHABLE when none answers.
   */
  async #ask(candidates: readonly string[], requestBytes: Uint8Array, owner: string): Promise<{ peer: string; bytes: Uint8Array }> {
    const failures: string[] = [];
    for (const peer of candidates) {
      try {
        return { peer, bytes: await this.#host.network.accessRequest(peer, requestBytes, this.#host.requestTimeoutMs ?? ACCESS_REQUEST_TIMEOUT_MS) };
      } catch (error) {
        if (!(error instanceof IngotError)) throw error;
        if (error.code === 'ACCESS_REQUEST_TIMEOUT') throw new IngotError(error.code, `${error.message}; it may have recorded a token all the same (see device.history)`, { peer, owner });
        failures.push(`${peer}: ${error.code}`);
      }
    }
    throw new IngotError('PEER_UNREACHABLE', `no node of organisation ${owner} answered (${failures.join(', ')})`, { owner, failures });
  }

  async #waitForHeight(height: number, timeoutMs: number): Promise<boolean> {
    const { ledger } = this.#host;
    if (ledger.head.height >= height) return true;
    const { promise, resolve } = Promise.withResolvers<boolean>();
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const stop = this.#host.onBlock(() => {
      if (ledger.head.height >= height) resolve(true);
    });
    try {
      return await promise;
    } finally {
      clearTimeout(timer);
      stop();
    }
  }
}
