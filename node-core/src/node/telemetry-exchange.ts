import type { TelemetryFetchBatchJson, TelemetryFetchJson, TelemetryPointJson } from '../api/telemetry-methods.ts';
import { bytesEqual } from '../codec/cbor.ts';
import { IngotError } from '../codec/errors.ts';
import { decodeTelemetryBatch, telemetryLimits, type TelemetryPoint } from '../codec/telemetry.ts';
import { deviceIdOf, hasPermission, readDevice } from '../contracts/device-state.ts';
import { nodeOwner, readOrg } from '../contracts/membership-state.ts';
import { verifyTelemetryBatch } from '../contracts/telemetry-batch.ts';
import { readAnchor } from '../contracts/telemetry-state.ts';
import { fromHex, toHex } from '../crypto/hex.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { PeerNetwork } from '../p2p/network.ts';
import {
  decodeTelemetryFetchRequest, decodeTelemetryFetchResponse, encodeTelemetryFetchRequest, encodeTelemetryFetchResponse,
  TELEMETRY_FETCH_BATCHES_MAX, TELEMETRY_FETCH_BYTES_MAX, type TelemetryFetchRequest, type TelemetryFetchResponse,
} from '../p2p/telemetry-protocol.ts';
import { batchRoot } from './telemetry-root.ts';
import type { TelemetryStore } from './telemetry-store.ts';

/**
 * Raw telemetry between organisations over `/ingot/telemetry/1.0.0` (docs/telemetry.md). The
 * owner's node answers a device's signed batches, exactly as stored, to a member whose organisation
 * (the one whose `nodes` list the requesting peer id) holds `read-telemetry` on the device at its
 * head block's time. The requesting node checks each batch itself: the device signature, and the
 * batch's recomputed Merkle root against the anchor on its own ledger.
 */

export interface TelemetryExchangeHost {
  readonly ledger: Ledger;
  readonly network: PeerNetwork;
  /** The organisation this node runs for (it changes once a joined node is admitted). */
  orgId(): string;
  /** The local telemetry store (opened after the node starts). */
  store(): TelemetryStore;
}

export interface TelemetryFetchParams {
  readonly deviceId: string;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly metric?: string | undefined;
  readonly limit: number;
  readonly after?: { readonly seq: number; readonly index: number } | undefined;
  /** Refuse the whole answer with TELEMETRY_MISMATCH when a batch fails its checks, instead of reporting it. */
  readonly strict?: boolean | undefined;
}

/** How long the requester waits for one owner node's answer. */
export const TELEMETRY_FETCH_TIMEOUT_MS = 20_000;

const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

type Filter = Pick<TelemetryFetchRequest, 'from' | 'to' | 'metric' | 'after'>;

/** Whether point `i` of batch `seq` is one the request asks for. */
function wanted(filter: Filter, seq: number, i: number, point: TelemetryPoint): boolean {
  const { from, to, metric, after } = filter;
  if (after !== null && seq === after.seq && i < after.index) return false;
  return (from === null || point.t >= from) && (to === null || point.t <= to) && (metric === null || point.metric === metric);
}

export class TelemetryExchange {
  readonly #host: TelemetryExchangeHost;

  constructor(host: TelemetryExchangeHost) {
    this.#host = host;
  }

  start(): void {
    this.#host.network.handleTelemetryRequests((from, request) => this.serve(from, request));
  }

  // --- The owner's side --------------------------------------------------------------------

  /** One telemetry-protocol exchange; refusals are answered as `error` responses with their code. */
  async serve(from: string, requestBytes: Uint8Array): Promise<Uint8Array> {
    let response: TelemetryFetchResponse;
    try {
      response = await this.#answer(from, requestBytes);
    } catch (error) {
      if (error instanceof IngotError) {
        response = { t: 'error', code: ERROR_CODE.test(error.code) ? error.code : 'TELEMETRY_FETCH_FAILED', message: error.message.slice(0, 512) };
      } else {
        // An unexpected failure (store, ledger): the peer gets a coded answer, the cause stays in this node's log.
        console.error(`telemetry: the fetch from ${from} failed:`, error);
        response = { t: 'error', code: 'TELEMETRY_FETCH_FAILED', message: 'the owner\'s node could not answer the fetch' };
      }
    }
    return encodeTelemetryFetchResponse(response);
  }

  async #answer(from: string, requestBytes: Uint8Array): Promise<TelemetryFetchResponse> {
    const request = decodeTelemetryFetchRequest(requestBytes);
    const { ledger } = this.#host;
    const device = toHex(request.device);
    const record = await readDevice(ledger, device);
    if (record === undefined) throw new IngotError('DEVICE_UNKNOWN', `device ${device} is not registered`);
    if (record.owner !== this.#host.orgId()) throw new IngotError('TELEMETRY_NOT_OWNER', `device ${device} belongs to organisation ${record.owner}, not to this node's`);
    const head = ledger.head;
    const org = await nodeOwner(ledger, from);
    if (org === undefined) throw new IngotError('PERMISSION_DENIED', `peer ${from} is not the node of an organisation`);
    if (!(await hasPermission(ledger, device, org, 'read-telemetry', head.time))) {
      throw new IngotError('PERMISSION_DENIED', `organisation ${org} does not hold read-telemetry on device ${device}`);
    }

    const store = this.#host.store();
    const batches: { batch: Uint8Array; anchor: { tx: Uint8Array; height: number; time: number } | null }[] = [];
    let bytes = 0;
    let points = 0;
    let more = false;
    for await (const index of store.indexes(device, request.after === null ? {} : { startSeq: request.after.seq })) {
      if ((request.from !== null && index.to < request.from) || (request.to !== null && index.from > request.to)) continue;
      if (points >= request.limit) {
        more = true;
        break;
      }
      const stored = await store.batch(device, index.seq);
      // What was stored was checked on arrival; a batch grown beyond any valid size since cannot be sent.
      if (stored === undefined || stored.byteLength > telemetryLimits.batchBytesMax) continue;
      let matching = index.count;
      try {
        const list = decodeTelemetryBatch(stored).body.points;
        matching = list.filter((point, i) => wanted(request, index.seq, i, point)).length;
      } catch {
        // Sent as it is: the receiver's checks report it.
      }
      if (matching === 0) continue;
      if (batches.length >= TELEMETRY_FETCH_BATCHES_MAX || bytes + stored.byteLength > TELEMETRY_FETCH_BYTES_MAX) {
        more = true;
        break;
      }
      const anchor = index.anchor === null ? null : { tx: fromHex(index.anchor.tx, 32, 'tx'), height: index.anchor.height, time: index.anchor.time };
      batches.push({ batch: stored, anchor });
      bytes += stored.byteLength;
      points += matching;
    }
    return { t: 'batches', batches, more, height: head.height, time: head.time };
  }

  // --- The requester's side ----------------------------------------------------------------

  /**
   * Fetches a device's points from a node of its owner (this node's own store for its own devices)
   * and checks every batch against this node's ledger: `verified` (signed by the device, root equal
   * to the anchored one), `unanchored` (signed, but no anchor on this ledger yet) or `mismatch`
   * (bad signature, another device, or a root that is not the anchored one). Points of mismatched
   * batches are left out.
   */
  async fetch(params: TelemetryFetchParams): Promise<TelemetryFetchJson> {
    const { ledger, network } = this.#host;
    const device = params.deviceId;
    const record = await readDevice(ledger, device);
    if (record === undefined) throw new IngotError('DEVICE_UNKNOWN', `device ${device} is not registered`);
    const owner = await readOrg(ledger, record.owner);
    if (owner === undefined) throw new IngotError('ORG_UNKNOWN', `the owner of device ${device}, ${record.owner}, is not on this ledger`);
    const request: TelemetryFetchRequest = {
      v: 1,
      device: fromHex(device, 20, 'deviceId'),
      from: params.from ?? null,
      to: params.to ?? null,
      metric: params.metric ?? null,
      limit: params.limit,
      after: params.after === undefined ? null : { seq: params.after.seq, index: params.after.index },
    };
    const requestBytes = encodeTelemetryFetchRequest(request);

    let answer: { peer: string; bytes: Uint8Array };
    if (owner.nodes.includes(network.peerId)) {
      answer = { peer: network.peerId, bytes: await this.serve(network.peerId, requestBytes) };
    } else {
      const connected = new Set(network.peers().map((peer) => peer.peerId));
      const candidates = owner.nodes.filter((peerId) => connected.has(peerId));
      if (candidates.length === 0) {
        throw new IngotError('PEER_UNREACHABLE', `no node of organisation ${owner.name} (${owner.id}), the owner of device ${device}, is connected`, { owner: owner.id });
      }
      answer = await this.#ask(candidates, requestBytes, owner.id);
    }
    const response = decodeTelemetryFetchResponse(answer.bytes);
    if (response.t === 'error') throw new IngotError(response.code, `the owner's node ${answer.peer} refused: ${response.message}`, { peer: answer.peer });
    return this.#check(params, request, response, owner.id, answer.peer);
  }

  /** Asks the owner's connected nodes in turn until one answers; PEER_UNREACHABLE when none does. */
  async #ask(candidates: readonly string[], requestBytes: Uint8Array, owner: string): Promise<{ peer: string; bytes: Uint8Array }> {
    const failures: string[] = [];
    for (const peer of candidates) {
      try {
        return { peer, bytes: await this.#host.network.telemetryRequest(peer, requestBytes, TELEMETRY_FETCH_TIMEOUT_MS) };
      } catch (error) {
        if (!(error instanceof IngotError)) throw error;
        failures.push(`${peer}: ${error.code}`);
      }
    }
    throw new IngotError('PEER_UNREACHABLE', `no node of organisation ${owner} answered (${failures.join(', ')})`, { owner, failures });
  }

  async #check(params: TelemetryFetchParams, request: TelemetryFetchRequest, response: Extract<TelemetryFetchResponse, { t: 'batches' }>, owner: string, peer: string): Promise<TelemetryFetchJson> {
    const device = params.deviceId;
    const points: TelemetryPointJson[] = [];
    const batches: TelemetryFetchBatchJson[] = [];
    const seen = new Set<number>();
    let next: { seq: number; index: number } | undefined;
    let lastSeq: number | undefined;
    /** The highest seq any batch of the answer names, checked or not: where the next page starts. */
    let highest = -1;
    outer: for (const entry of response.batches) {
      const ownerAnchor = entry.anchor === null ? null : { tx: toHex(entry.anchor.tx), height: entry.anchor.height, time: entry.anchor.time };
      let verified;
      try {
        verified = verifyTelemetryBatch(entry.batch);
      } catch (error) {
        const code = error instanceof IngotError ? error.code : 'TELEMETRY_MALFORMED';
        let seq: number | null = null;
        try {
          seq = decodeTelemetryBatch(entry.batch).body.seq;
          highest = Math.max(highest, seq);
        } catch {
          // not even its form: no seq to name
        }
        batches.push({ seq, count: 0, from: null, to: null, root: null, status: 'mismatch', code, anchor: null, ownerAnchor });
        continue;
      }
      const { body } = verified;
      const list = body.points;
      const root = batchRoot(verified.bodyBytes);
      highest = Math.max(highest, body.seq);
      const summary = { seq: body.seq, count: list.length, from: (list[0] as TelemetryPoint).t, to: (list.at(-1) as TelemetryPoint).t, root: toHex(root), ownerAnchor };
      if (deviceIdOf(body.device) !== device) {
        batches.push({ ...summary, status: 'mismatch', code: 'TELEMETRY_WRONG_DEVICE', anchor: null });
        continue;
      }
      if (seen.has(body.seq) || (lastSeq !== undefined && body.seq < lastSeq)) {
        batches.push({ ...summary, status: 'mismatch', code: 'TELEMETRY_SEQ_REPLAYED', anchor: null });
        continue;
      }
      seen.add(body.seq);
      lastSeq = body.seq;
      const onLedger = await readAnchor(this.#host.ledger, device, body.seq);
      const anchor = onLedger === undefined ? null : { tx: toHex(onLedger.tx), height: onLedger.height, time: onLedger.time, root: toHex(onLedger.root) };
      if (onLedger !== undefined && !bytesEqual(onLedger.root, root)) {
        batches.push({ ...summary, status: 'mismatch', code: 'TELEMETRY_MISMATCH', anchor });
        continue;
      }
      let included = false;
      for (let i = 0; i < list.length; i++) {
        const point = list[i] as TelemetryPoint;
        if (!wanted(request, body.seq, i, point)) continue;
        if (points.length === params.limit) {
          next = { seq: body.seq, index: i };
          break outer;
        }
        if (!included) batches.push({ ...summary, status: onLedger === undefined ? 'unanchored' : 'verified', anchor });
        included = true;
        points.push({ t: point.t, metric: point.metric, value: point.value, unit: point.unit, seq: body.seq });
      }
    }
    if (next === undefined && response.more && highest >= 0) next = { seq: highest + 1, index: 0 };
    const refused = batches.filter((batch) => batch.status === 'mismatch');
    if (params.strict === true && refused.length > 0) {
      throw new IngotError('TELEMETRY_MISMATCH', `${refused.length} batches from ${peer} fail their checks against this node's ledger (${refused.map((b) => `${b.seq ?? '?'}: ${b.code ?? ''}`).join(', ')})`, {
        batches: refused.map((b) => ({ seq: b.seq, code: b.code ?? null })),
      });
    }
    return { device, owner, peer, height: response.height, points, batches, ...(next === undefined ? {} : { next }) };
  }
}
