import { NODE_EXITED_METHOD, NODE_STARTED_METHOD, type NodeEvent } from '../../node-core/src/api/bridge.ts';
import { EVENT_CHANNEL, PORT_CHANNEL } from './channels.ts';
import type { MessageChannelMain, MessagePortMain, UtilityProcess, UtilityProcessModule, WebContents } from './electron-api.ts';
import { isFromNodeMessage, type FromNodeMessage, type ToNodeMessage } from './node-messages.ts';
import type { PassphraseStore } from './passphrase-store.ts';

/** Closing the ledger database may have to finish writing a block; beyond this the node is killed. */
export const STOP_TIMEOUT_MS = 15_000;

export interface NodeSupervisorOptions {
  readonly utilityProcess: UtilityProcessModule;
  readonly MessageChannelMain: new () => MessageChannelMain;
  /** The bundled node-process entry. */
  readonly modulePath: string;
  readonly dataDir: string;
  readonly passphrases: PassphraseStore;
  readonly stopTimeoutMs?: number;
}

interface Child {
  readonly process: UtilityProcess;
  readonly exited: Promise<void>;
  readonly stopped: Promise<void>;
}

/**
 * Keeps the node's utility process for the main process: starts it, gives each load of the window
 * its own MessagePort to it, tells the window when it dies (the window stays: the UI offers a
 * restart), and stops it cleanly when the app quits.
 */
export class NodeSupervisor {
  readonly #options: NodeSupervisorOptions;
  #child: Child | undefined;
  #window: WebContents | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: NodeSupervisorOptions) {
    this.#options = options;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  async start(): Promise<void> {
    if (this.#child !== undefined || this.#stopping !== undefined) return;
    const { passphrases } = this.#options;
    const passphrase = await passphrases.load();
    const child = this.#fork();
    this.#child = child;
    this.#post(child, { type: 'start', dataDir: this.#options.dataDir, canRemember: passphrases.canRemember, ...(passphrase === undefined ? {} : { passphrase }) });
  }

  /** The window whose every load gets a port; a reloaded page has lost the previous one. */
  attach(webContents: WebContents): void {
    this.#window = webContents;
    webContents.on('did-finish-load', () => {
      if (this.#window === webContents) this.#connectWindow();
    });
  }

  /** Starts the node again after it exited; false when it is running (or the app is quitting). */
  async restart(): Promise<boolean> {
    if (this.#child !== undefined || this.#stopping !== undefined) return false;
    await this.start();
    this.#connectWindow();
    this.#sendEvent({ method: NODE_STARTED_METHOD, params: {} });
    return true;
  }

  /** For quitting: asks the node to close its database, and kills it only if it does not in time. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#post(child, { type: 'stop' });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#options.stopTimeoutMs ?? STOP_TIMEOUT_MS);
    });
    const outcome = await Promise.race([child.stopped, child.exited, timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      console.error('ingot: the node did not stop in time; ending its process');
      child.process.kill();
    }
    this.#child = undefined;
  }

  #fork(): Child {
    const { passphrases } = this.#options;
    const process = this.#options.utilityProcess.fork(this.#options.modulePath, [], { serviceName: 'Ingot node' });
    const exited = Promise.withResolvers<void>();
    const stopped = Promise.withResolvers<void>();
    const child: Child = { process, exited: exited.promise, stopped: stopped.promise };
    process.on('message', (message) => {
      if (!isFromNodeMessage(message)) return;
      this.#fromNode(message, passphrases).then(() => {
        if (message.type === 'stopped') stopped.resolve();
      }, (error: unknown) => console.error('ingot: cannot keep or drop the passphrase:', error));
    });
    process.on('exit', (code) => {
      exited.resolve();
      if (this.#child !== child || this.#stopping !== undefined) return;
      this.#child = undefined;
      this.#sendEvent({ method: NODE_EXITED_METHOD, params: { code, reason: `the node's process ended unexpectedly (exit code ${code})` } });
    });
    return child;
  }

  async #fromNode(message: FromNodeMessage, passphrases: PassphraseStore): Promise<void> {
    switch (message.type) {
      case 'remember-passphrase':
        return passphrases.save(message.passphrase);
      case 'forget-passphrase':
        return passphrases.forget();
      case 'stopped':
        return;
    }
  }

  #connectWindow(): void {
    const child = this.#child;
    const window = this.#window;
    if (child === undefined || window === undefined || window.isDestroyed()) return;
    const { port1, port2 } = new this.#options.MessageChannelMain();
    this.#post(child, { type: 'connect' }, port1);
    window.postMessage(PORT_CHANNEL, null, [port2]);
  }

  #sendEvent(event: NodeEvent): void {
    const window = this.#window;
    if (window !== undefined && !window.isDestroyed()) window.send(EVENT_CHANNEL, event);
  }

  #post(child: Child, message: ToNodeMessage, port?: MessagePortMain): void {
    child.process.postMessage(message, port === undefined ? [] : [port]);
  }
}
