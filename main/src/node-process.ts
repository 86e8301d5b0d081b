import { NodeHost, noPassphraseVault, type NodeHostOptions, type PassphraseVault } from '../../node-core/src/host/node-host.ts';
import { openRpcConnection, type RpcConnection } from '../../node-core/src/rpc/connection.ts';
import type { NodePort, ParentPort } from './electron-api.ts';
import type { FromNodeMessage, StartMessage, ToNodeMessage } from './node-messages.ts';

export interface NodeProcessOptions {
  readonly parentPort: ParentPort;
  /** Ends the process once the node has stopped; tests record the call instead. */
  exit(code: number): void;
  /** Extra host options: tests make keys cheap and blocks fast. */
  readonly host?: Omit<NodeHostOptions, 'dataDir' | 'vault'>;
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

  const start = (message: StartMessage) => {
    const vault: PassphraseVault = message.canRemember
      ? {
          canRemember: true,
          async remember(passphrase) { post({ type: 'remember-passphrase', passphrase }); },
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
    }
  });
}
