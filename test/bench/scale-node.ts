import { dataPaths } from '../../node-core/src/node/data-dir.ts';
import { NodeHost } from '../../node-core/src/host/node-host.ts';
import { startRpcServer } from '../../node-core/src/rpc/server.ts';
import { percentile, round } from './support.ts';
import { SUBJECTS } from './scale.ts';

/** Child process of the scale benchmark: start-up time, `state.history` latency over HTTP, RSS. */
const [dataDir, queryArg] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: scale-node.ts DATA_DIR QUERIES');
const queries = Number(queryArg ?? 200);
const passphrase = process.env.INGOT_PASSPHRASE ?? '';

const startedAt = performance.now();
const host = await NodeHost.start({ dataDir, config: { api: { host: '127.0.0.1', port: 0 } } }, passphrase);
const node = host.node;
const server = await startRpcServer(host, { port: 0, apiFile: dataPaths(dataDir).api });
const startupMs = performance.now() - startedAt;
/** From the launch of the process (performance's time origin), module loading included. */
const processReadyMs = performance.now();
const rssAfterStart = process.memoryUsage().rss;

const url = `http://127.0.0.1:${server.port}/rpc`;
const subjectAt = (i: number) => `machine-${String((i * 7919) % SUBJECTS).padStart(4, '0')}`;
const rpcHistory = async (subject: string, limit?: number) => {
  const response = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'state.history', params: { subject, ...(limit === undefined ? {} : { limit }) } }),
  });
  return ((await response.json()) as { result: { entries: unknown[] } }).result.entries.length;
};
// Warm-up: the first calls compile code paths and pull index blocks into the caches. Each kind of
// call is measured before the next one starts, so that the garbage of the large replies does not
// land in the small ones' figures.
const WARMUP_QUERIES = 50;
for (let i = 0; i < WARMUP_QUERIES; i++) await rpcHistory(subjectAt(queries + i));

/** The call as a client makes it by default: the first page (100 entries) of the subject's history. */
const firstPageLatencies: number[] = [];
for (let i = 0; i < queries; i++) {
  const begin = performance.now();
  await rpcHistory(subjectAt(i));
  firstPageLatencies.push(performance.now() - begin);
}
firstPageLatencies.sort((a, b) => a - b);

/** All 1,000 entries in one page, full round trip over HTTP; the client runs on this same thread, so its JSON parsing is included. */
for (let i = 0; i < WARMUP_QUERIES; i++) await rpcHistory(subjectAt(queries + i), 1000);
const latencies: number[] = [];
let entries = 0;
for (let i = 0; i < queries; i++) {
  const begin = performance.now();
  entries = await rpcHistory(subjectAt(i), 1000);
  latencies.push(performance.now() - begin);
}
/** The ledger's own query, without RPC and JSON. */
const ledgerLatencies: number[] = [];
for (let i = 0; i < queries; i++) {
  const begin = performance.now();
  await node.ledger.historyOfSubject(subjectAt(i), undefined, 1000);
  ledgerLatencies.push(performance.now() - begin);
}
ledgerLatencies.sort((a, b) => a - b);
latencies.sort((a, b) => a - b);
const result = {
  transactionsInLedger: node.ledger.head.txCount,
  startupMs: round(startupMs, 0),
  processReadyMs: round(processReadyMs, 0),
  historyQuery: {
    entriesPerQuery: entries,
    queries,
    warmupQueries: WARMUP_QUERIES,
    rpcFirstPage: { entries: 100, p50Ms: round(percentile(firstPageLatencies, 50)), p99Ms: round(percentile(firstPageLatencies, 99)) },
    rpcRoundTrip: { p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)) },
    ledger: { p50Ms: round(percentile(ledgerLatencies, 50)), p99Ms: round(percentile(ledgerLatencies, 99)) },
  },
  rssAfterStartMB: round(rssAfterStart / 2 ** 20, 0),
  rssAfterQueriesMB: round(process.memoryUsage().rss / 2 ** 20, 0),
  heapAfterQueriesMB: round(process.memoryUsage().heapTotal / 2 ** 20, 0),
  externalAfterQueriesMB: round(process.memoryUsage().external / 2 ** 20, 0),
};
await server.close();
await host.close();
process.stdout.write(JSON.stringify(result));
