import type { ReactiveControllerHost } from 'lit';
import type { DeviceHistoryEntryJson, DeviceSummaryJson } from '../../../node-core/src/api/device-methods.ts';
import type { Results } from '../../../node-core/src/api/methods.ts';
import type { TelemetryPointJson } from '../../../node-core/src/api/telemetry-methods.ts';
import type { NodeConnection } from '../rpc/connection.ts';
import { LedgerQueryController } from './ledger-query-controller.ts';

/** Telemetry arrives without blocks (MQTT, RPC): the chart and "last data" look again this often. */
export const TELEMETRY_POLL_MS = 2000;
/** The chart shows at most this many of the newest points. */
export const CHART_POINTS = 600;
/** "Last data" is looked up for at most this many of the listed devices (one small query each). */
const LAST_DATA_LOOKUPS = 50;

export interface DeviceRow extends DeviceSummaryJson {
  /** Time of the newest stored reading on this node; null when it holds none. */
  lastData: number | null;
}

/**
 * The devices list: `device.list` with the search text, and for the devices this node's
 * organisation owns (only the owner's node stores their telemetry) the time of the newest reading.
 */
export function deviceListQuery(
  host: ReactiveControllerHost,
  connection: () => NodeConnection | undefined,
  filter: () => { search: string; ownOnly: boolean },
  self: () => string | undefined,
): LedgerQueryController<DeviceRow[]> {
  return new LedgerQueryController(
    host,
    connection,
    async (c) => {
      const { search, ownOnly } = filter();
      const query = search.trim();
      const owner = self();
      const { devices } = await c.call('device.list', { limit: 200, ...(query === '' ? {} : { query }), ...(ownOnly && owner !== undefined ? { owner } : {}) });
      const own = new Set(devices.filter((device) => device.owner === owner).slice(0, LAST_DATA_LOOKUPS).map((device) => device.id));
      return Promise.all(
        devices.map(async (device): Promise<DeviceRow> => {
          if (!own.has(device.id)) return { ...device, lastData: null };
          const newest = await c.call('telemetry.query', { deviceId: device.id, order: 'desc', limit: 1 });
          return { ...device, lastData: newest.points[0]?.t ?? null };
        }),
      );
    },
    { pollMs: TELEMETRY_POLL_MS * 3 },
  );
}

/** Another organisation's device: the chart shows what its owner's node sent for this long back. */
export const FETCH_WINDOW_MS = 2 * 60_000;

export type BatchStatus = Results['telemetry.query']['batches'][number]['status'] | Results['telemetry.fetch']['batches'][number]['status'];

/** A device's recent readings, from this node's store (own devices) or fetched from the owner's node. */
export interface DeviceReadings {
  readonly source: 'local' | 'owner';
  readonly points: readonly TelemetryPointJson[];
  /** How many of the batches read have each status. */
  readonly statuses: ReadonlyMap<BatchStatus, number>;
}

function countStatuses(batches: readonly { status: BatchStatus }[]): Map<BatchStatus, number> {
  const counts = new Map<BatchStatus, number>();
  for (const batch of batches) counts.set(batch.status, (counts.get(batch.status) ?? 0) + 1);
  return counts;
}

/**
 * Own devices: the newest points in this node's store. Other organisations' devices: the last
 * minutes fetched from the owner's node (`telemetry.fetch`, which needs read-telemetry), each batch
 * checked against this node's ledger.
 */
export async function readDeviceTelemetry(connection: NodeConnection, id: string, otherOwner: boolean, now: number): Promise<DeviceReadings> {
  if (otherOwner) {
    const fetched = await connection.call('telemetry.fetch', { deviceId: id, from: Math.max(0, now - FETCH_WINDOW_MS), limit: CHART_POINTS });
    return { source: 'owner', points: fetched.points, statuses: countStatuses(fetched.batches) };
  }
  const local = await connection.call('telemetry.query', { deviceId: id, order: 'desc', limit: CHART_POINTS });
  return { source: 'local', points: local.points, statuses: countStatuses(local.batches) };
}

/** One history page holds at most this many entries (the API's bound). */
const HISTORY_PAGE = 1000;
/** A single read pages through at most this many pages; the next read goes on from there. */
const HISTORY_PAGES_PER_READ = 10;

export interface DeviceHistory {
  /** Oldest first, everything read so far. */
  readonly entries: readonly DeviceHistoryEntryJson[];
  /** False while older pages are still to be read. */
  readonly complete: boolean;
}

/**
 * A device's history, read once from the start and then only what came after the last entry: a
 * device that issues many access tokens has a long history, and each new block asks again.
 */
export class HistoryReader {
  readonly #entries: DeviceHistoryEntryJson[] = [];

  async read(connection: NodeConnection, id: string): Promise<DeviceHistory> {
    for (let page = 0; page < HISTORY_PAGES_PER_READ; page++) {
      const last = this.#entries.at(-1);
      const result = await connection.call('device.history', { id, limit: HISTORY_PAGE, ...(last === undefined ? {} : { after: { height: last.height, index: last.index } }) });
      this.#entries.push(...result.entries);
      if (result.next === undefined) return { entries: [...this.#entries], complete: true };
    }
    return { entries: [...this.#entries], complete: false };
  }
}

/** Everything a device's page reads, each kept current after every block; telemetry also polled. */
export class DeviceQueries {
  readonly device: LedgerQueryController<Results['device.get']>;
  readonly history: LedgerQueryController<DeviceHistory>;
  readonly telemetry: LedgerQueryController<DeviceReadings>;
  readonly rules: LedgerQueryController<Results['telemetry.rules']>;

  /** `self` answers this node's organisation (waiting for its first read). */
  constructor(host: ReactiveControllerHost, connection: () => NodeConnection | undefined, id: () => string, self: () => Promise<string | undefined>) {
    this.device = new LedgerQueryController(host, connection, (c) => c.call('device.get', { id: id() }));
    const history = new HistoryReader();
    this.history = new LedgerQueryController(host, connection, (c) => history.read(c, id()));
    // Where the readings come from depends on who owns the device: know both before the first read.
    const otherOwner = async () => {
      if (this.device.value === undefined) await this.device.refresh();
      const owner = this.device.value?.owner;
      const us = await self();
      return owner !== undefined && us !== undefined && owner !== us;
    };
    this.telemetry = new LedgerQueryController(host, connection, async (c) => readDeviceTelemetry(c, id(), await otherOwner(), Date.now()), { pollMs: TELEMETRY_POLL_MS });
    this.rules = new LedgerQueryController(host, connection, (c) => c.call('telemetry.rules', { deviceId: id() }));
  }

  /** After a change this page made: read the device and its history again. */
  refreshLedger(): void {
    void this.device.refresh();
    void this.history.refresh();
  }
}
