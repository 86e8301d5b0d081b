import { IngotError } from '../../node-core/src/codec/errors.ts';
import { NodeHost, noPassphraseVault, type NodeHostOptions, type PassphraseVault } from '../../node-core/src/host/node-host.ts';
import { openRpcConnection, type RpcConnection } from '../../node-core/src/rpc/connection.ts';
import type { NodePort, ParentPort } from './electron-api.ts';
import { isPassphraseRememberedMessage, type FromNodeMessage, type PassphraseRememberedMessage, type StartMessage, type ToNodeMessage } from './node-messages.ts';

/** How long the node waits for the main process to say the keychain kept the passphrase. */
export const REMEMBER_TIMEOUT_MS = 10_000;

export interface NodeProcessOptions {
  readonly parentPort: ParentPort;
  /** Ends the process once the node has stopped; tests record the call instead. */
  exit(code: number): void;
  /** Extra host options: tests make keys cheap and blocks fast. */
  readonly host?: Omit<NodeHostOptions, 'dataDir' | 'vault'>;
  readonly rememberTimeoutMs?: number;
}

/**
 * The body of the node's utility process: one NodeHost for the app's data directory, serving
 * JSON-RPC text over one MessagePort per window load. It keeps no passphrase itself; the main
 * process, which owns the OS keychain, hears when one should be kept or dropped.
 */
export function serveNodeProcess(options: NodeProcessOptions): void {
  const { parentPort } = options;
  const post = (message: FromNodeMessage) => parentPort.postMessage(message);
  const connections = new Set<RpcConnection>();
  let host: Promise<NodeHost> | undefined;
  let stopping: Promise<void> | undefined;
  const remembering = new Map<number, (answer: PassphraseRememberedMessage | undefined) => void>();
  let nextRequestId = 1;

  // Resolves once the main process has kept the passphrase; rejects when it could not, or said nothing in time.
  const remember = async (passphrase: string) => {
    const requestId = nextRequestId++;
    const answered = Promise.withResolvers<PassphraseRememberedMessage | undefined>();
    remembering.set(requestId, answered.resolve);
    const timer = setTimeout(() => answered.resolve(undefined), options.rememberTimeoutMs ?? REMEMBER_TIMEOUT_MS);
    let answer: PassphraseRememberedMessage | undefined;
    try {
      post({ type: 'remember-passphrase', passphrase, requestId });
      answer = await answered.promise;
    } finally {
      clearTimeout(timer);
      remembering.delete(requestId);
    }
    if (answer === undefined) throw new IngotError('CANNOT_REMEMBER_PASSPHRASE', 'the keychain did not answer in time; the passphrase was not remembered');
    if (!answer.ok) throw new IngotError('CANNOT_REMEMBER_PASSPHRASE', `the keychain could not keep the passphrase: ${answer.error ?? 'no reason given'}`);
  };

  const start = (message: StartMessage) => {
    const vault: PassphraseVault = message.canRemember
      ? {
          canRemember: true,
          remember,
          async forget() { post({ type: 'forget-passphrase' }); },
        }
      : noPassphraseVault;
    host = NodeHost.open({ ...options.host, dataDir: message.dataDir, vault }, message.passphrase);
    // A data directory the node cannot even open ends the process; the main process reports the exit.
    host.catch((error: unknown) => {
      console.error('ingot node process: cannot open the data directory:', error);
      options.exit(1);
    });
  };

  const connect = async (port: NodePort) => {
    if (host === undefined || stopping !== undefined) return port.close();
    const ready = await host;
    const connection = openRpcConnection(ready, { send: (reply) => port.postMessage(JSON.stringify(reply)) });
    connections.add(connection);
    port.on('message', ({ data }) => {
      if (typeof data === 'string') connection.receive(data);
    });
    port.on('close', () => {
      connection.close();
      connections.delete(connection);
    });
    port.start();
  };

  const stop = async () => {
    for (const connection of connections) connection.close();
    connections.clear();
    try {
      if (host !== undefined) await (await host).close();
    } catch (error) {
      console.error('ingot node process: the node did not close cleanly:', error);
      return options.exit(1);
    }
    post({ type: 'stopped' });
    options.exit(0);
  };

  parentPort.on('message', ({ data, ports }) => {
    const message = data as ToNodeMessage;
    switch (message.type) {
      case 'start':
        if (host === undefined) start(message);
        return;
      case 'connect': {
        const port = ports[0];
        // A host that failed to open has already ended the process; the port just closes.
        if (port !== undefined) connect(port).catch(() => port.close());
        return;
      }
      case 'stop':
        stopping ??= stop();
        return;
      case 'passphrase-remembered':
        if (isPassphraseRememberedMessage(message)) remembering.get(message.requestId)?.(message);
        return;
    }
  });
}
