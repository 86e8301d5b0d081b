import { parseArgs, type ParseArgsConfig } from 'node:util';
import { IngotError } from '../codec/errors.ts';
import { systemClock } from '../node/clock.ts';
import { mkdir } from 'node:fs/promises';
import { dataPaths, DEFAULT_CONFIG, DEFAULT_P2P_CONFIG, readConfig } from '../node/data-dir.ts';
import { openLedgerDatabase } from '../node/database.ts';
import { initConsortium } from '../node/init.ts';
import { joinConsortium } from '../node/joining.ts';
import { createTestnet, TESTNET_BASE_PORT, TESTNET_OBSERVERS_MAX, TESTNET_VALIDATORS_MAX } from '../node/testnet.ts';
import { NodeHost } from '../host/node-host.ts';
import { startRpcServer, type RpcServer } from '../rpc/server.ts';
import { TOKEN_FRAGMENT_KEY } from '../api/web-mode.ts';
import { builtUi, UI_BUILD_DIR } from './ui-build.ts';
import { verifyLedger } from '../node/verify-ledger.ts';
import { Ledger } from '../ledger/ledger.ts';
import { readInviteCode } from './invite-input.ts';
import { readPassphrase } from './passphrase.ts';
import { RpcCallError } from '../api/client.ts';
import { nodeClient, runningNode } from './rpc-client.ts';
import type { RoleName } from '../api/methods.ts';
import { register as deviceRegister, type DeviceSubcommand } from './device.ts';
import { simulate as deviceSimulate } from './device-simulate.ts';
import { DEFAULT_TOPIC_PREFIX } from '../node/mqtt-ingest.ts';

const USAGE = `Usage: ingot <command> [options]

Commands:
  init --data DIR --org NAME [--registry-id ID] [--consortium NAME] [--api PORT] [--block-interval MS]
       [--listen MULTIADDR]... [--peer MULTIADDR]... [--no-mdns] [--relay]
                         create a new one-organisation consortium in an empty directory
  join --data DIR --org NAME (--invite CODE | --invite - | --invite-file PATH) [--registry-id ID] [--api PORT]
       [--listen MULTIADDR]... [--no-mdns]
                         join an existing consortium with an invite code, in an empty directory; then
                         "ingot start" runs the node, which waits for admission and then syncs.
                         --invite - reads the code from standard input (asked for at a terminal) and
                         --invite-file from a file, so it does not show in the process list
  start --data DIR [--api 127.0.0.1:PORT] [--peer MULTIADDR]... [--mqtt URL]
                         run the node until SIGINT or SIGTERM; --mqtt subscribes it to device
                         telemetry on that broker (topics ingot/telemetry/<device id>)
  ui --data DIR [--port PORT] [--listen MULTIADDR]... [--no-mdns] [--mqtt URL]
                         run the node with its UI in the browser (first run included), or
                         print the UI address of the node already running on DIR; --mqtt as for start
  testnet --validators N [--observers M] --dir DIR [--base-port PORT] [--block-interval MS]
                         write N validators' and M observers' data directories (DIR/org-1…,
                         DIR/observer-1…) of one consortium on 127.0.0.1, and print how to start them
  status --data DIR      show the running node's status
  call --data DIR METHOD [JSON]
                         call an RPC method of the running node and print its result
  verify-ledger --data DIR
                         re-check the whole chain from genesis (the node must be stopped)
  invite --data DIR --org NAME --role ROLE [--role ROLE]... [--expires 7d|48h] [--json]
                         invite an organisation (roles: admin, validator, member, auditor;
                         default expiry 7d, at most 30d) and print the invite code
  proposals --data DIR [--all]
                         list open proposals and join requests with their tallies (--all: closed too)
  vote --data DIR ID yes|no
                         vote on a proposal for this node's organisation
  members --data DIR     list the organisations with their roles, status and nodes
  device register --data DIR --model M --serial S [--manufacturer X] (--generate-key FILE | --public-key HEX)
                         register a device for this node's organisation and print its id; --generate-key
                         has the node make the device's key pair and writes it to FILE (mode 0600)
  device simulate --key FILE --mqtt URL --rate N [--metric temperature] [--batch 500] [--count BATCHES]
                         publish signed batches of made-up readings (N points per second) as the
                         device of the key file, until SIGINT or --count batches

The passphrase of the organisation keys comes from INGOT_PASSPHRASE, or is asked for.`;

class UsageError extends Error {}

interface Parsed {
  readonly values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  readonly positionals: string[];
}

function parse(args: string[], options: ParseArgsConfig['options'], positionals = 0): Parsed {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument ${parsed.positionals[positionals]}`);
  return parsed;
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`--${name} is required`);
  return value;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function integer(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  return number;
}

function apiPort(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(?:127\.0\.0\.1:)?(\d{1,5})$/.exec(String(value));
  if (match === null) throw new UsageError('--api must be PORT or 127.0.0.1:PORT (the API only listens on 127.0.0.1)');
  return integer(match[1], 'api', 0, 65535);
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

async function init(args: string[]): Promise<void> {
  const { values } = parse(args, {
    data: { type: 'string' }, org: { type: 'string' }, 'registry-id': { type: 'string' },
    consortium: { type: 'string' }, api: { type: 'string' }, 'block-interval': { type: 'string' },
    listen: { type: 'string', multiple: true }, peer: { type: 'string', multiple: true }, 'no-mdns': { type: 'boolean' }, relay: { type: 'boolean' },
  });
  const dataDir = required(values, 'data');
  const orgName = required(values, 'org');
  const port = apiPort(values.api);
  const blockIntervalMs = integer(values['block-interval'], 'block-interval', 10, 60_000);
  const passphrase = await readPassphrase('Passphrase for the organisation keys: ', true);
  const result = await initConsortium({
    dataDir, orgName, passphrase, clock: systemClock,
    ...(values['registry-id'] === undefined ? {} : { registryId: String(values['registry-id']) }),
    ...(values.consortium === undefined ? {} : { consortiumName: String(values.consortium) }),
    config: {
      ...(port === undefined ? {} : { api: { host: '127.0.0.1', port } }),
      ...(blockIntervalMs === undefined ? {} : { blockIntervalMs }),
      p2p: {
        listen: multiaddrs(values.listen, 'listen') ?? DEFAULT_P2P_CONFIG.listen,
        peers: multiaddrs(values.peer, 'peer') ?? [],
        mdns: values['no-mdns'] !== true,
        relay: values.relay === true,
      },
    },
  });
  print({ ...result, dataDir });
}

async function join(args: string[]): Promise<void> {
  const { values } = parse(args, {
    data: { type: 'string' }, org: { type: 'string' }, 'registry-id': { type: 'string' }, invite: { type: 'string' },
    'invite-file': { type: 'string' }, api: { type: 'string' }, listen: { type: 'string', multiple: true }, 'no-mdns': { type: 'boolean' },
  });
  const dataDir = required(values, 'data');
  const orgName = required(values, 'org');
  const port = apiPort(values.api);
  const invite = await readInviteCode({ invite: optionalString(values.invite), inviteFile: optionalString(values['invite-file']) });
  if (invite === undefined || invite.length === 0) throw new UsageError('--invite CODE, --invite - (standard input) or --invite-file PATH is required');
  const passphrase = await readPassphrase('Passphrase for the organisation keys: ', true);
  const result = await joinConsortium({
    dataDir, orgName, invite, passphrase, clock: systemClock,
    ...(values['registry-id'] === undefined ? {} : { registryId: String(values['registry-id']) }),
    config: {
      ...(port === undefined ? {} : { api: { host: '127.0.0.1', port } }),
      // The invite's bootstrap addresses become the static peers.
      p2p: { listen: multiaddrs(values.listen, 'listen') ?? DEFAULT_P2P_CONFIG.listen, peers: [], mdns: values['no-mdns'] !== true, relay: false },
    },
  });
  print({ ...result, dataDir });
  process.stderr.write(`Join request ${result.request} sent; start the node with "ingot start --data ${dataDir}": it waits for admission, then syncs.\n`);
}

async function testnet(args: string[]): Promise<void> {
  const { values } = parse(args, {
    validators: { type: 'string' }, observers: { type: 'string' }, dir: { type: 'string' },
    'base-port': { type: 'string' }, 'block-interval': { type: 'string' },
  });
  const validators = integer(required(values, 'validators'), 'validators', 1, TESTNET_VALIDATORS_MAX) as number;
  const observers = integer(values.observers, 'observers', 0, TESTNET_OBSERVERS_MAX) ?? 0;
  const dir = required(values, 'dir');
  const basePort = integer(values['base-port'], 'base-port', 1024, 65535) ?? TESTNET_BASE_PORT;
  const blockIntervalMs = integer(values['block-interval'], 'block-interval', 10, 60_000);
  const passphrase = await readPassphrase('Passphrase for the organisations\' keys (the same for all): ', true);
  const result = await createTestnet({
    dir, validators, observers, basePort, passphrase, clock: systemClock,
    ...(blockIntervalMs === undefined ? {} : { blockIntervalMs }),
  });
  // The commands go to the terminal; stdout carries the JSON summary for scripts.
  const width = Math.max(...result.nodes.map((node) => node.command.length));
  process.stderr.write(`Testnet "${result.consortiumName}" written to ${dir}. Start each node in its own terminal, with INGOT_PASSPHRASE set or typing the passphrase:\n`);
  for (const node of result.nodes) {
    process.stderr.write(`  ${node.command.padEnd(width)}   # ${node.role}, API http://127.0.0.1:${node.apiPort}/rpc${node.p2pPort === undefined ? ', dials out only' : `, p2p ${node.p2pPort}`}\n`);
  }
  print(result);
}

async function serve(host: NodeHost, dataDir: string, port: number): Promise<RpcServer> {
  try {
    return await startRpcServer(host, { port, apiFile: dataPaths(dataDir).api, ...(await builtUi()) });
  } catch (error) {
    await host.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new IngotError('API_PORT_IN_USE', `port ${port} is in use; choose another with --api / --port`);
    throw error;
  }
}

async function runUntilSignalled(host: NodeHost, server: RpcServer): Promise<void> {
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  process.stderr.write('stopping…\n');
  await server.close();
  await host.close();
  process.stderr.write('stopped cleanly\n');
}

/** Repeatable multiaddr options; undefined when none was given. */
function multiaddrs(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  const list = (Array.isArray(value) ? value : [value]).map(String);
  for (const address of list) {
    if (!address.startsWith('/') || address.length > 512) throw new UsageError(`--${name} must be a multiaddr such as /ip4/127.0.0.1/tcp/7546${name === 'peer' ? '/p2p/<peer id>' : ''}`);
  }
  return list;
}

/** `--mqtt`: a broker URL, or undefined when not given. */
function brokerUrl(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const url = String(value);
  if (!/^(?:mqtts?|wss?|tcp|tls):\/\/./.test(url)) throw new UsageError('--mqtt must be a broker URL such as mqtt://127.0.0.1:1883');
  return url;
}

async function start(args: string[]): Promise<void> {
  const { values } = parse(args, { data: { type: 'string' }, api: { type: 'string' }, peer: { type: 'string', multiple: true }, mqtt: { type: 'string' } });
  const dataDir = required(values, 'data');
  const port = apiPort(values.api);
  const peers = multiaddrs(values.peer, 'peer');
  const mqttUrl = brokerUrl(values.mqtt);
  const passphrase = await readPassphrase('Passphrase for the organisation keys: ');
  const config = { ...(await readConfig(dataPaths(dataDir)).catch(() => DEFAULT_CONFIG)) };
  const host = await NodeHost.start({
    dataDir,
    config: {
      ...(port === undefined ? {} : { api: { host: '127.0.0.1' as const, port } }),
      ...(peers === undefined ? {} : { p2p: { ...config.p2p, peers: [...new Set([...config.p2p.peers, ...peers])] } }),
      ...(mqttUrl === undefined ? {} : { mqtt: { url: mqttUrl, topicPrefix: config.mqtt?.topicPrefix ?? DEFAULT_TOPIC_PREFIX } }),
    },
  }, passphrase);
  const node = host.node;
  const server = await serve(host, dataDir, node.config.api.port);
  process.stderr.write(`Ingot node running: consortium ${node.genesis.name}, height ${node.ledger.head.height}, API http://127.0.0.1:${server.port}/rpc\n`);
  await runUntilSignalled(host, server);
}

function uiAddress(port: number, token: string): string {
  return `http://127.0.0.1:${port}/#${TOKEN_FRAGMENT_KEY}=${token}`;
}

async function ui(args: string[]): Promise<void> {
  const { values } = parse(args, { data: { type: 'string' }, port: { type: 'string' }, listen: { type: 'string', multiple: true }, 'no-mdns': { type: 'boolean' }, mqtt: { type: 'string' } });
  const dataDir = required(values, 'data');
  const port = apiPort(values.port);
  const listen = multiaddrs(values.listen, 'listen');
  const mqttUrl = brokerUrl(values.mqtt);
  const running = await runningNode(dataDir);
  if (running !== undefined) {
    process.stdout.write(`A node is already running on ${dataDir}; open its UI at:\n${uiAddress(running.port, running.token)}\n`);
    return;
  }
  if ((await builtUi()).uiRoot === undefined) throw new IngotError('UI_NOT_BUILT', `the UI is not built (${UI_BUILD_DIR} is missing); run "npm run build:renderer"`);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  // Without INGOT_PASSPHRASE the UI asks for it: a browser page can, a detached terminal cannot.
  // Network flags are written into a consortium created from the page, and override config.json otherwise.
  const stored = await readConfig(dataPaths(dataDir)).catch(() => DEFAULT_CONFIG);
  const p2p = listen === undefined && values['no-mdns'] !== true ? undefined : { ...stored.p2p, ...(listen === undefined ? {} : { listen }), ...(values['no-mdns'] === true ? { mdns: false } : {}) };
  const host = await NodeHost.open({
    dataDir,
    config: {
      ...(port === undefined ? {} : { api: { host: '127.0.0.1' as const, port } }),
      ...(p2p === undefined ? {} : { p2p }),
      ...(mqttUrl === undefined ? {} : { mqtt: { url: mqttUrl, topicPrefix: stored.mqtt?.topicPrefix ?? DEFAULT_TOPIC_PREFIX } }),
    },
  }, process.env.INGOT_PASSPHRASE);
  const configured = host.state.phase === 'uninitialised' ? DEFAULT_CONFIG : await readConfig(dataPaths(dataDir));
  const server = await serve(host, dataDir, port ?? configured.api.port);
  // The address carries the API token: it goes to this terminal only, never to a log.
  process.stdout.write(`Ingot UI: ${uiAddress(server.port, server.token)}\n`);
  await runUntilSignalled(host, server);
}

async function call(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { data: { type: 'string' } }, 2);
  const dataDir = required(values, 'data');
  const [method, json] = positionals;
  if (method === undefined) throw new UsageError('call needs a METHOD');
  let params: unknown = {};
  if (json !== undefined) {
    try {
      params = JSON.parse(json);
    } catch {
      throw new UsageError('the params must be JSON, e.g. \'{"height": 1}\'');
    }
  }
  print(await (await nodeClient(dataDir)).request(method, params));
}

async function status(args: string[]): Promise<void> {
  const { values } = parse(args, { data: { type: 'string' } });
  print(await (await nodeClient(required(values, 'data'))).call('node.status', {}));
}

async function verify(args: string[]): Promise<void> {
  const { values } = parse(args, { data: { type: 'string' } });
  const paths = dataPaths(required(values, 'data'));
  // Opening the database would create one: a mistyped --data must not leave an empty ledger behind.
  await readConfig(paths);
  const ledger = await Ledger.open(await openLedgerDatabase(paths.ledger));
  try {
    if (ledger.isEmpty) throw new IngotError('LEDGER_EMPTY', `${paths.ledger} holds no chain`);
    let reported = Date.now();
    const result = await verifyLedger(ledger, (height, head) => {
      if (Date.now() - reported > 2000) {
        reported = Date.now();
        process.stderr.write(`verified ${height} of ${head} blocks\n`);
      }
    });
    print(result);
    if (!result.ok) process.exitCode = 1;
  } finally {
    await ledger.close();
  }
}

/** `7d` or `48h` as hours; the node checks the range. */
function expiryHours(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,4})([dh])$/.exec(String(value));
  if (match === null) throw new UsageError('--expires must be a number of days or hours such as 7d or 48h');
  return Number(match[1]) * (match[2] === 'd' ? 24 : 1);
}

async function invite(args: string[]): Promise<void> {
  const { values } = parse(args, { data: { type: 'string' }, org: { type: 'string' }, role: { type: 'string', multiple: true }, expires: { type: 'string' }, json: { type: 'boolean' } });
  const dataDir = required(values, 'data');
  const organisation = required(values, 'org');
  const roles = (values.role as string[] | undefined) ?? [];
  if (roles.length === 0) throw new UsageError('give the invited organisation at least one --role (admin, validator, member, auditor)');
  const hours = expiryHours(values.expires);
  const result = await (await nodeClient(dataDir)).call('invites.create', {
    organisation,
    roles: roles as RoleName[],
    ...(hours === undefined ? {} : { expiresInHours: hours }),
  });
  if (values.json === true) print(result);
  else process.stdout.write(`${result.code}\n`);
}

async function proposals(args: string[]): Promise<void> {
  const { values } = parse(args, { data: { type: 'string' }, all: { type: 'boolean' } });
  const result = await (await nodeClient(required(values, 'data'))).call('proposals.list', { includeClosed: values.all === true });
  print(result.proposals);
}

async function voteOn(args: string[]): Promise<void> {
  const { values, positionals } = parse(args, { data: { type: 'string' } }, 2);
  const dataDir = required(values, 'data');
  const [id, choice] = positionals;
  if (id === undefined || choice === undefined) throw new UsageError('vote needs a proposal ID and yes or no');
  if (choice !== 'yes' && choice !== 'no') throw new UsageError(`vote yes or no, not ${choice}`);
  print(await (await nodeClient(dataDir)).call('proposals.vote', { id, choice }));
}

async function members(args: string[]): Promise<void> {
  const { values } = parse(args, { data: { type: 'string' } });
  const result = await (await nodeClient(required(values, 'data'))).call('members.list', {});
  print(result.orgs);
}

/** `ingot device <subcommand>`: one entry per subcommand. */
const deviceSubcommands: Record<string, DeviceSubcommand> = {
  register: deviceRegister,
  simulate: deviceSimulate,
};

async function device(args: string[]): Promise<void> {
  const [subcommand, ...rest] = args;
  const run = subcommand === undefined || !Object.hasOwn(deviceSubcommands, subcommand) ? undefined : deviceSubcommands[subcommand];
  if (run === undefined) throw new UsageError(`device needs a subcommand: ${Object.keys(deviceSubcommands).join(', ')}`);
  await run(rest, { parse, required, usage: (message) => new UsageError(message), print });
}

const commands: Record<string, (args: string[]) => Promise<void>> = {
  init, join, start, ui, testnet, status, call, 'verify-ledger': verify, invite, proposals, vote: voteOn, members, device,
};

export async function main(argv: string[]): Promise<void> {
  const [command, ...args] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const run = commands[command];
  try {
    if (run === undefined) throw new UsageError(`unknown command ${command}`);
    await run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`ingot: ${error.message}\n\n${USAGE}\n`);
      process.exitCode = 2;
    } else if (error instanceof RpcCallError) {
      // The node answered with an error: print it as the result, for scripts to read.
      print({ error: error.error });
      process.exitCode = 1;
    } else if (error instanceof IngotError) {
      process.stderr.write(`ingot: ${error.code}: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      throw error;
    }
  }
}
