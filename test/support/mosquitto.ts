import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A real MQTT broker for tests: Debian's mosquitto on 127.0.0.1 and a free port, anonymous, no
 * persistence, started and stopped by the test (`.ci/run` installs it).
 */

export const MOSQUITTO_BIN = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'].find((path) => existsSync(path));

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface Broker {
  readonly port: number;
  readonly url: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Starts mosquitto on `port` (a free one by default) and waits until it accepts connections (10 s at most). */
export async function startMosquitto(dir: string, port?: number): Promise<Broker> {
  if (MOSQUITTO_BIN === undefined) throw new Error('mosquitto is not installed (apt-get install mosquitto)');
  const chosen = port ?? (await freePort());
  const config = join(dir, `mosquitto-${chosen}.conf`);
  await writeFile(config, `listener ${chosen} 127.0.0.1\nallow_anonymous true\npersistence false\nmessage_size_limit 1048576\n`);
  const child = spawn(MOSQUITTO_BIN, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(chosen))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`mosquitto did not start on port ${chosen}: ${stderr}`);
    }
    await sleep(20);
  }
  return {
    port: chosen,
    url: `mqtt://127.0.0.1:${chosen}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timeout = sleep(5_000).then(() => child.kill('SIGKILL'));
      await Promise.race([exited, timeout]);
      await exited;
    },
  };
}
