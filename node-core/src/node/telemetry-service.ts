import type { JsonValue } from '../api/json.ts';
import type { TelemetryBatchJson, TelemetryPointJson, TelemetryQueryJson } from '../api/telemetry-methods.ts';
import { bytesEqual } from '../codec/cbor.ts';
import { IngotError } from '../codec/errors.ts';
import type { Receipt } from '../codec/messages.ts';
import type { TelemetryPoint } from '../codec/telemetry.ts';
import { deviceIdOf, readDevice } from '../contracts/device-state.ts';
import { verifyTelemetryBatch } from '../contracts/telemetry-batch.ts';
import { readAnchor, readRules, TELEMETRY_LIMITS, type Rule } from '../contracts/telemetry-state.ts';
import { toHex } from '../crypto/hex.ts';
import type { StateReader } from '../ledger/state.ts';
import type { Transaction } from '../ledger/transaction.ts';
import type { CommittedBlock } from './block-builder.ts';
import type { Clock } from './clock.ts';
import { MqttIngest, type MqttConfig, type MqttStats } from './mqtt-ingest.ts';
import { batchRoot } from './telemetry-root.ts';
import { TelemetryStore, type BatchAnchor, type BatchIndex, type Settlement } from './telemetry-store.ts';

/**
 * Telemetry on the owner's node (docs/telemetry.md): ingestion of signed batches from the RPC API
 * and MQTT, durable local storage before the acknowledgement, anchoring of the batches' Merkle
 * roots on the ledger (several batches per transaction), threshold rules that record alerts, and
 * queries that check stored points against the anchored roots.
 */

/** What the service needs from the running node. */
export interface TelemetryHost {
  readonly ledger: StateReader & { header(height: number): Promise<{ readonly time: number } | undefined> };
  readonly orgId: string;
  readonly clock: Clock;
  submit(contract: string, method: string, payload: Record<string, JsonValue>): Promise<Transaction>;
  waitForCommit(tx: Transaction): Promise<{ readonly height: number; readonly receipt: Receipt }>;
  onBlock(listener: (block: CommittedBlock) => void): () => void;
}

export interface TelemetryOptions {
  /** How long a partly filled anchor transaction waits for more batches. */
  readonly anchorDelayMs?: number;
  /** Anchor transactions in flight at once. */
  readonly anchorsInFlightMax?: number;
  /** Submissions being checked and stored at once; more are refused with TELEMETRY_BUSY. */
  readonly submissionsMax?: number;
  /** Subscribe to this broker for device batches (config.json's `mqtt`, `ingot start --mqtt`). */
  readonly mqtt?: MqttConfig;
}

export interface Accepted {
  readonly device: string;
  readonly seq: number;
  readonly count: number;
  readonly root: string;
  /** The same batch was accepted before (a device retrying after a lost acknowledgement). */
  readonly duplicate: boolean;
}

export type TelemetrySource = 'rpc' | 'mqtt' | 'direct';

interface AnchorEntry {
  readonly device: string;
  readonly seq: number;
  readonly root: Uint8Array;
  readonly count: number;
  readonly from: number;
  readonly to: number;
  attempts: number;
}

/** The state of one rule on one device: since when its condition holds, and whether it fired in this episode. */
interface RuleState {
  since: number | undefined;
  worst: number;
  fired: boolean;
}

export interface TelemetryStats {
  accepted: { batches: number; points: number };
  duplicates: number;
  /** Refused submissions by code (TELEMETRY_BAD_SIGNATURE, TELEMETRY_DEVICE_UNKNOWN, …). */
  rejected: Record<string, number>;
  anchored: { batches: number; transactions: number };
  /** Batches accepted and not yet anchored. */
  pendingAnchors: number;
  /** Batches whose anchor the ledger refused for good (DEVICE_NOT_OWNER after a transfer, …). */
  anchorFailures: number;
  alerts: { raised: number; failed: number };
}

/** Codes of anchor refusals that retrying will not change. */
const FINAL_ANCHOR_CODES = new Set(['DEVICE_UNKNOWN', 'DEVICE_NOT_OWNER', 'PAYLOAD_INVALID']);
const ANCHOR_ATTEMPTS_MAX = 8;
/** Failed seqs kept open for a retry, per device. */
const RETRYABLE_SEQS_MAX = 256;
/** Batches waiting for their rule evaluation, per device; beyond it a batch's points are not evaluated (and logged). */
const RULE_EVALUATIONS_QUEUED_MAX = 1024;

const excess = (rule: Rule, value: number): number =>
  Math.max(rule.above !== null ? value - rule.above : -Infinity, rule.below !== null ? rule.below - value : -Infinity);

export class TelemetryService {
  readonly store: TelemetryStore;
  #host: TelemetryHost | undefined;
  readonly #options: TelemetryOptions;
  readonly #anchorDelayMs: number;
  readonly #anchorsInFlightMax: number;
  readonly #submissionsMax: number;
  readonly #lastSeq = new Map<string, number>();
  /** Per device, seqs below the high-water mark whose store failed: they may be sent again. */
  readonly #retryable = new Map<string, Set<number>>();
  readonly #queue: AnchorEntry[] = [];
  #inFlight = 0;
  #timer: { cancel(): void } | undefined;
  #submissions = 0;
  #closed = false;
  readonly #idle = new Set<() => void>();
  readonly #rulesCache = new Map<string, Rule[]>();
  /** Per device, the state of each rule, keyed `<name>/<height it was set at>`. */
  readonly #ruleStates = new Map<string, Map<string, RuleState>>();
  /** Per device, the chain of rule evaluations, run one batch after the other in the order they were stored. */
  readonly #evaluations = new Map<string, { tail: Promise<void>; queued: number }>();
  #unsubscribe: (() => void) | undefined;
  #mqtt: MqttIngest | undefined;
  #recovered: Promise<void> = Promise.resolve();
  readonly #stats: TelemetryStats = {
    accepted: { batches: 0, points: 0 }, duplicates: 0, rejected: {}, anchored: { batches: 0, transactions: 0 }, pendingAnchors: 0, anchorFailures: 0,
    alerts: { raised: 0, failed: 0 },
  };

  private constructor(store: TelemetryStore, options: TelemetryOptions) {
    this.store = store;
    this.#options = options;
    this.#anchorDelayMs = options.anchorDelayMs ?? 50;
    this.#anchorsInFlightMax = options.anchorsInFlightMax ?? 16;
    this.#submissionsMax = options.submissionsMax ?? 512;
  }

  /** Opens the store (`<data>/telemetry`); nothing runs until `attach`. */
  static async open(dataDir: string, options: TelemetryOptions = {}): Promise<TelemetryService> {
    return new TelemetryService(await TelemetryStore.open(dataDir), options);
  }

  /**
   * Starts on the running node: queues every batch whose anchor was not settled when the node last
   * stopped, and subscribes to the MQTT broker when configured.
   */
  attach(host: TelemetryHost): void {
    this.#host = host;
    // Rules may change with any block; they are read again after it.
    this.#unsubscribe = host.onBlock((block) => {
      this.#rulesCache.clear();
      this.#forgetRuleStates(block);
    });
    this.#recovered = this.#recover().catch((error: unknown) => {
      if (!this.#closed) console.error('telemetry: could not resume the pending anchors:', error);
    });
    const mqtt = this.#options.mqtt;
    if (mqtt !== undefined) this.#mqtt = new MqttIngest(mqtt, (bytes, device) => this.submit(bytes, { expectDevice: device }), host.clock);
  }

  get #node(): TelemetryHost {
    if (this.#host === undefined) throw new IngotError('NODE_STARTING', 'the node is starting; try again in a moment');
    return this.#host;
  }

  async #recover(): Promise<void> {
    const pending = await this.store.pending();
    const settled: Settlement[] = [];
    for (const index of pending) {
      const anchored = await this.#anchoredOnLedger(index.device, index.seq, index.root);
      if (anchored !== undefined) settled.push({ device: index.device, seq: index.seq, ...anchored });
      else this.#queue.push({ device: index.device, seq: index.seq, root: index.root, count: index.count, from: index.from, to: index.to, attempts: 0 });
    }
    this.#stats.pendingAnchors += pending.length;
    await this.#settle(settled);
    this.#pump();
  }

  /** MQTT subscription state and counts; undefined when the node is not subscribed to a broker. */
  get mqtt(): MqttStats | undefined {
    return this.#mqtt?.stats;
  }

  /** How many rule states (one per device and rule being evaluated) the node holds; for tests and diagnostics. */
  get ruleStatesHeld(): number {
    let held = 0;
    for (const states of this.#ruleStates.values()) held += states.size;
    return held;
  }

  get stats(): TelemetryStats {
    return structuredClone(this.#stats);
  }

  #reject(code: string, message: string): never {
    this.#stats.rejected[code] = (this.#stats.rejected[code] ?? 0) + 1;
    throw new IngotError(code, message);
  }

  /**
   * Checks a signed batch (form, device signature, device registered, active and owned by this
   * node's organisation, seq not seen), stores it durably and queues its anchor. Resolves only once
   * the batch is on disk: an acknowledged batch survives a crash. `expectDevice` (the MQTT topic's
   * device id) must match the batch's device.
   */
  async submit(bytes: Uint8Array, options: { expectDevice?: string } = {}): Promise<Accepted> {
    if (this.#closed) throw new IngotError('NODE_STOPPING', 'the node is shutting down');
    if (this.#submissions >= this.#submissionsMax) this.#reject('TELEMETRY_BUSY', `the node is checking ${this.#submissionsMax} batches already; try again shortly`);
    this.#submissions++;
    try {
      return await this.#submit(bytes, options.expectDevice);
    } finally {
      this.#submissions--;
    }
  }

  async #submit(bytes: Uint8Array, expectDevice: string | undefined): Promise<Accepted> {
    let batch;
    try {
      batch = verifyTelemetryBatch(bytes);
    } catch (error) {
      if (error instanceof IngotError) this.#reject(error.code, error.message);
      throw error;
    }
    const { body } = batch;
    const device = deviceIdOf(body.device);
    if (expectDevice !== undefined && expectDevice !== device) this.#reject('TELEMETRY_WRONG_DEVICE', `the batch is device ${device}'s, sent for ${expectDevice}`);
    const record = await readDevice(this.#node.ledger, device);
    if (record === undefined) this.#reject('TELEMETRY_DEVICE_UNKNOWN', `device ${device} is not registered`);
    if (record.status !== 'active') this.#reject('TELEMETRY_DEVICE_INACTIVE', `device ${device} is ${record.status}`);
    if (record.owner !== this.#node.orgId) this.#reject('TELEMETRY_NOT_OWNER', `device ${device} belongs to organisation ${record.owner}; send its telemetry to that organisation's node`);
    const points = body.points;
    const root = batchRoot(batch.bodyBytes);
    const accepted = { device, seq: body.seq, count: points.length, root: toHex(root) };

    const last = await this.#lastSeqOf(device);
    // A seq whose store failed after a later one was reserved may be sent again; taking it out of
    // the set reserves it (a second copy arriving meanwhile is refused as replayed).
    const retrying = this.#retryable.get(device)?.delete(body.seq) === true;
    if (this.#retryable.get(device)?.size === 0) this.#retryable.delete(device);
    if (!retrying && last !== undefined && body.seq <= last) {
      const stored = await this.store.batch(device, body.seq);
      if (stored !== undefined && bytesEqual(stored, bytes)) {
        this.#stats.duplicates++;
        return { ...accepted, duplicate: true };
      }
      this.#reject('TELEMETRY_SEQ_REPLAYED', `device ${device} has sent batch ${last} already; seq must increase (got ${body.seq})`);
    }
    if (!retrying) this.#lastSeq.set(device, body.seq);
    const from = (points[0] as TelemetryPoint).t;
    const to = (points.at(-1) as TelemetryPoint).t;
    try {
      await this.store.put({ device, seq: body.seq, bytes, from, to, count: points.length, root, received: this.#node.clock.now() });
    } catch (error) {
      // Nothing was stored: the seq must stay open for a retry. When no later seq was reserved
      // meanwhile the high-water mark goes back; else the seq is remembered as retryable.
      if (!retrying && this.#lastSeq.get(device) === body.seq) this.#lastSeq.set(device, last ?? -1);
      else this.#markRetryable(device, body.seq);
      throw error;
    }
    this.#stats.accepted.batches++;
    this.#stats.accepted.points += points.length;
    this.#enqueue({ device, seq: body.seq, root, count: points.length, from, to, attempts: 0 });
    this.#queueEvaluation(device, body.seq, points);
    return { ...accepted, duplicate: false };
  }

  #markRetryable(device: string, seq: number): void {
    let seqs = this.#retryable.get(device);
    if (seqs === undefined) this.#retryable.set(device, (seqs = new Set()));
    seqs.add(seq);
    // Bounded: the oldest failed seqs are given up first.
    for (const oldest of seqs) {
      if (seqs.size <= RETRYABLE_SEQS_MAX) break;
      seqs.delete(oldest);
    }
  }

  async #lastSeqOf(device: string): Promise<number | undefined> {
    const known = this.#lastSeq.get(device);
    if (known !== undefined) return known === -1 ? undefined : known;
    const stored = await this.store.lastSeq(device);
    // Another submission may have reserved a seq while the store was read.
    const now = this.#lastSeq.get(device);
    if (now !== undefined) return now === -1 ? undefined : now;
    this.#lastSeq.set(device, stored ?? -1);
    return stored;
  }

  // --- Anchoring ---------------------------------------------------------------------------

  #enqueue(entry: AnchorEntry): void {
    this.#queue.push(entry);
    this.#stats.pendingAnchors++;
    this.#pump();
  }

  /** Sends full anchor transactions at once and a partial one after `anchorDelayMs`. */
  #pump(): void {
    while (!this.#closed && this.#inFlight < this.#anchorsInFlightMax && this.#queue.length >= TELEMETRY_LIMITS.anchorBatchesMax) this.#send();
    if (this.#closed || this.#queue.length === 0 || this.#timer !== undefined) {
      if (this.#queue.length === 0 && this.#inFlight === 0) for (const resolve of this.#idle) resolve();
      return;
    }
    this.#timer = this.#node.clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#inFlight < this.#anchorsInFlightMax && this.#queue.length > 0) this.#send();
      this.#pump();
    }, this.#anchorDelayMs);
  }

  /** Takes up to 64 queued batches of at most 8 devices, in queue order, into one anchor transaction. */
  #send(): void {
    const group: AnchorEntry[] = [];
    const devices = new Set<string>();
    const rest: AnchorEntry[] = [];
    for (const entry of this.#queue) {
      const fits = group.length < TELEMETRY_LIMITS.anchorBatchesMax && (devices.has(entry.device) || devices.size < TELEMETRY_LIMITS.anchorDevicesMax);
      if (fits) {
        group.push(entry);
        devices.add(entry.device);
      } else {
        rest.push(entry);
      }
    }
    this.#queue.splice(0, this.#queue.length, ...rest);
    this.#inFlight++;
    this.#anchor(group)
      .catch((error: unknown) => {
        console.error('telemetry: anchoring failed; the batches stay pending:', error);
        this.#retryLater(group);
      })
      .finally(() => {
        this.#inFlight--;
        this.#pump();
      });
  }

  async #anchor(group: AnchorEntry[]): Promise<void> {
    const batches = group.map((e) => ({ device: e.device, seq: e.seq, root: toHex(e.root), count: e.count, from: e.from, to: e.to }));
    let outcome;
    let tx;
    try {
      tx = await this.#node.submit('telemetry', 'anchor', { batches });
      outcome = await this.#node.waitForCommit(tx);
    } catch (error) {
      if (this.#closed || (error instanceof IngotError && error.code === 'NODE_STOPPING')) return;
      // Busy mempool, a commit not seen in time, a failing node: the batches are tried again (a
      // second anchor of what did commit is refused and read back from the ledger).
      if (!(error instanceof IngotError)) throw error;
      this.#retryLater(group);
      return;
    }
    if (outcome.receipt.ok) {
      const time = (await this.#node.ledger.header(outcome.height))?.time ?? 0;
      await this.#settle(group.map((e) => ({ device: e.device, seq: e.seq, anchor: { tx: tx.idHex, height: outcome.height, time }, error: null })));
      this.#stats.anchored.transactions++;
      return;
    }
    await this.#resolveOneByOne(group, outcome.receipt.code);
  }

  /** After a refused anchor transaction: what each batch's anchor is on the ledger now, and what to try again. */
  async #resolveOneByOne(group: AnchorEntry[], code: string): Promise<void> {
    const settled: Settlement[] = [];
    const retry: AnchorEntry[] = [];
    for (const entry of group) {
      const onLedger = await readAnchor(this.#node.ledger, entry.device, entry.seq);
      if (onLedger !== undefined) {
        const same = bytesEqual(onLedger.root, entry.root);
        settled.push({ device: entry.device, seq: entry.seq, anchor: same ? { tx: toHex(onLedger.tx), height: onLedger.height, time: onLedger.time } : null, error: same ? null : 'TELEMETRY_ANCHOR_CONFLICT' });
        continue;
      }
      const device = await readDevice(this.#node.ledger, entry.device);
      const final = device === undefined ? 'DEVICE_UNKNOWN' : device.owner !== this.#node.orgId ? 'DEVICE_NOT_OWNER' : undefined;
      if (final !== undefined || (FINAL_ANCHOR_CODES.has(code) && group.length === 1) || entry.attempts + 1 >= ANCHOR_ATTEMPTS_MAX) {
        settled.push({ device: entry.device, seq: entry.seq, anchor: null, error: final ?? code });
      } else {
        retry.push(entry);
      }
    }
    await this.#settle(settled);
    if (retry.length > 0) {
      // A batch refused with others is tried alone next, so one bad entry cannot hold the rest back.
      for (const entry of retry) entry.attempts++;
      if (retry.length === 1 || !FINAL_ANCHOR_CODES.has(code)) this.#retryLater(retry);
      else for (const entry of retry) this.#retryLater([entry], true);
    }
  }

  #retryLater(entries: AnchorEntry[], alone = false): void {
    if (this.#closed) return;
    this.#node.clock.setTimeout(() => {
      if (this.#closed) return;
      if (alone) {
        this.#inFlight++;
        this.#anchor(entries)
          .catch(() => this.#retryLater(entries, true))
          .finally(() => {
            this.#inFlight--;
            this.#pump();
          });
        return;
      }
      this.#queue.unshift(...entries);
      this.#pump();
    }, 500);
  }

  async #settle(entries: readonly Settlement[]): Promise<void> {
    if (entries.length === 0) return;
    await this.store.settle(entries);
    this.#stats.pendingAnchors -= entries.length;
    for (const entry of entries) {
      if (entry.anchor !== null) this.#stats.anchored.batches++;
      else this.#stats.anchorFailures++;
    }
  }

  async #anchoredOnLedger(device: string, seq: number, root: Uint8Array): Promise<{ anchor: BatchAnchor | null; error: string | null } | undefined> {
    const onLedger = await readAnchor(this.#node.ledger, device, seq);
    if (onLedger === undefined) return undefined;
    if (!bytesEqual(onLedger.root, root)) return { anchor: null, error: 'TELEMETRY_ANCHOR_CONFLICT' };
    return { anchor: { tx: toHex(onLedger.tx), height: onLedger.height, time: onLedger.time }, error: null };
  }

  /** Resolves once every accepted batch is anchored (or refused for good); for tests and benchmarks. */
  async waitAnchored(timeoutMs: number): Promise<void> {
    if (this.#stats.pendingAnchors === 0) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (this.#stats.pendingAnchors === 0) {
          this.#idle.delete(check);
          timer.cancel();
          resolve();
        }
      };
      const timer = this.#node.clock.setTimeout(() => {
        this.#idle.delete(check);
        reject(new IngotError('TELEMETRY_ANCHOR_TIMEOUT', `${this.#stats.pendingAnchors} batches still pending after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#idle.add(check);
    });
  }

  // --- Rules -------------------------------------------------------------------------------

  async #rules(device: string): Promise<Rule[]> {
    let rules = this.#rulesCache.get(device);
    if (rules === undefined) {
      rules = await readRules(this.#node.ledger, device);
      this.#rulesCache.set(device, rules);
      // The state of a rule no longer on the ledger (removed, replaced, ended by a transfer) goes.
      const states = this.#ruleStates.get(device);
      if (states !== undefined) {
        const live = new Set(rules.map((r) => `${r.name}/${r.height}`));
        for (const key of states.keys()) if (!live.has(key)) states.delete(key);
        if (states.size === 0) this.#ruleStates.delete(device);
      }
    }
    return rules;
  }

  /** Drops the rule states of the devices whose rules a committed block removed or ended. */
  #forgetRuleStates(block: CommittedBlock): void {
    block.txs.forEach((tx, i) => {
      if (block.receipts[i]?.ok !== true) return;
      const { contract, method } = tx.body;
      const payload = tx.body.payload as Record<string, unknown>;
      if (typeof payload.device !== 'string') return;
      if (contract === 'device' && method === 'acceptTransfer') this.#ruleStates.delete(payload.device);
      else if (contract === 'telemetry' && method === 'removeRule' && typeof payload.name === 'string') {
        const states = this.#ruleStates.get(payload.device);
        if (states === undefined) return;
        for (const key of states.keys()) if (key.startsWith(`${payload.name}/`)) states.delete(key);
        if (states.size === 0) this.#ruleStates.delete(payload.device);
      }
    });
  }

  /** Evaluates the batch's points after the device's earlier batches, so an episode spanning batches is seen in order. */
  #queueEvaluation(device: string, seq: number, points: readonly TelemetryPoint[]): void {
    let chain = this.#evaluations.get(device);
    if (chain === undefined) this.#evaluations.set(device, (chain = { tail: Promise.resolve(), queued: 0 }));
    if (chain.queued >= RULE_EVALUATIONS_QUEUED_MAX) {
      console.warn(`telemetry: rules of device ${device} not evaluated for batch ${seq}: ${RULE_EVALUATIONS_QUEUED_MAX} batches wait already`);
      return;
    }
    chain.queued++;
    const own = chain;
    own.tail = own.tail
      .then(() => this.#evaluateRules(device, seq, points))
      .catch((error: unknown) => console.error(`telemetry: rules of device ${device} failed:`, error))
      .finally(() => {
        own.queued--;
        if (own.queued === 0 && this.#evaluations.get(device) === own) this.#evaluations.delete(device);
      });
  }

  /**
   * Runs the device's rules over the batch's points in time order: a rule fires when its condition
   * has held without a break for `forSeconds` (device time), once per episode; a point that no longer
   * breaks the threshold ends the episode.
   */
  async #evaluateRules(device: string, seq: number, points: readonly TelemetryPoint[]): Promise<void> {
    const rules = await this.#rules(device);
    for (const rule of rules) {
      const key = `${rule.name}/${rule.height}`;
      let states = this.#ruleStates.get(device);
      if (states === undefined) this.#ruleStates.set(device, (states = new Map()));
      let state = states.get(key);
      if (state === undefined) {
        state = { since: undefined, worst: 0, fired: false };
        states.set(key, state);
      }
      for (const point of points) {
        if (point.metric !== rule.metric) continue;
        const by = excess(rule, point.value);
        if (by <= 0) {
          state.since = undefined;
          state.fired = false;
          continue;
        }
        if (state.since === undefined) {
          state.since = point.t;
          state.worst = point.value;
        } else if (by > excess(rule, state.worst)) {
          state.worst = point.value;
        }
        if (!state.fired && point.t - state.since >= rule.forSeconds * 1000) {
          state.fired = true;
          this.#raise(device, rule, { from: state.since, to: point.t, value: state.worst, seq });
        }
      }
    }
  }

  #raise(device: string, rule: Rule, alert: { from: number; to: number; value: number; seq: number }): void {
    const payload = { device, rule: rule.name, ...alert };
    this.#node
      .submit('telemetry', 'recordAlert', payload)
      .then((tx) => this.#node.waitForCommit(tx))
      .then((outcome) => {
        if (outcome.receipt.ok) this.#stats.alerts.raised++;
        else {
          this.#stats.alerts.failed++;
          console.error(`telemetry: the alert of rule ${rule.name} on device ${device} was refused: ${outcome.receipt.code}`);
        }
      })
      .catch((error: unknown) => {
        this.#stats.alerts.failed++;
        if (!this.#closed) console.error(`telemetry: could not record the alert of rule ${rule.name} on device ${device}:`, error);
      });
  }

  // --- Queries -----------------------------------------------------------------------------

  /**
   * Points of one device, in seq and point order (newest first with `order: 'desc'`), filtered by
   * time and metric, with the batches they come from. Each batch read is checked again: its device
   * signature, and its recomputed root against the root anchored on this node's ledger (`mismatch`
   * when they differ: the stored points were altered after anchoring).
   */
  async query(params: TelemetryQuery): Promise<TelemetryQueryJson> {
    const { device, from, to, metric, limit, order, after } = params;
    const reverse = order === 'desc';
    const points: TelemetryPointJson[] = [];
    const batches: TelemetryBatchJson[] = [];
    let next: { seq: number; index: number } | undefined;
    outer: for await (const index of this.store.indexes(device, { reverse, ...(after === undefined ? {} : { startSeq: after.seq }) })) {
      if ((from !== undefined && index.to < from) || (to !== undefined && index.from > to)) continue;
      const bytes = await this.store.batch(device, index.seq);
      const checked = await this.#check(index, bytes);
      let included = false;
      const list = checked.points;
      for (let n = 0; n < list.length; n++) {
        const i = reverse ? list.length - 1 - n : n;
        if (after !== undefined && index.seq === after.seq && (reverse ? i > after.index : i < after.index)) continue;
        const point = list[i] as TelemetryPoint;
        if ((from !== undefined && point.t < from) || (to !== undefined && point.t > to) || (metric !== undefined && point.metric !== metric)) continue;
        if (points.length === limit) {
          next = { seq: index.seq, index: i };
          break outer;
        }
        if (!included) batches.push(checked.batch);
        included = true;
        points.push({ t: point.t, metric: point.metric, value: point.value, unit: point.unit, seq: index.seq });
      }
    }
    return { device, points, batches, ...(next === undefined ? {} : { next }) };
  }

  async #check(index: BatchIndex, bytes: Uint8Array | undefined): Promise<{ batch: TelemetryBatchJson; points: readonly TelemetryPoint[] }> {
    const base = { seq: index.seq, count: index.count, from: index.from, to: index.to, root: toHex(index.root) };
    let points: readonly TelemetryPoint[] = [];
    let root: Uint8Array | undefined;
    if (bytes !== undefined) {
      try {
        const batch = verifyTelemetryBatch(bytes);
        points = batch.body.points;
        root = batchRoot(batch.bodyBytes);
      } catch {
        root = undefined;
      }
    }
    const onLedger = await readAnchor(this.#node.ledger, index.device, index.seq);
    const anchor = onLedger === undefined ? null : { tx: toHex(onLedger.tx), height: onLedger.height, time: onLedger.time, root: toHex(onLedger.root) };
    let status: TelemetryBatchJson['status'];
    if (root === undefined || !bytesEqual(root, onLedger?.root ?? index.root)) status = 'mismatch';
    else if (onLedger !== undefined) status = 'anchored';
    else status = index.anchorError === null ? 'pending' : 'unanchored';
    return { batch: { ...base, status, anchor, ...(index.anchorError === null ? {} : { anchorError: index.anchorError }) }, points };
  }

  /** The stored batch and its index, for the query and the peer protocol. */
  async batchWithIndex(device: string, seq: number): Promise<{ bytes: Uint8Array; index: BatchIndex } | undefined> {
    const [bytes, index] = await Promise.all([this.store.batch(device, seq), this.store.index(device, seq)]);
    return bytes === undefined || index === undefined ? undefined : { bytes, index };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.cancel();
    this.#unsubscribe?.();
    await this.#mqtt?.close();
    await this.#recovered;
    await this.store.close();
  }
}

export interface TelemetryQuery {
  readonly device: string;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  readonly metric?: string | undefined;
  readonly limit: number;
  readonly order?: 'asc' | 'desc' | undefined;
  /** Start at this point (the `next` of the previous page). */
  readonly after?: { readonly seq: number; readonly index: number } | undefined;
}

export type { BatchIndex };
