import { NODE_EXITED_METHOD, NODE_STARTED_METHOD, type NodeEvent } from '../../node-core/src/api/bridge.ts';
import { NODE_PROCESS_FLAGS } from '../../node-core/src/host/node-process-flags.ts';
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
  /** Set before the first await of a start, so a second start (or restart) cannot fork again. */
  #starting: Promise<void> | undefined;
  #restarting: Promise<boolean> | undefined;
  /** The exit the window was told about, told again to each page loaded while the node is down. */
  #exitEvent: NodeEvent | undefined;
  #window: WebContents | undefined;
  #stopping: Promise<void> | undefined;

  constructor(options: NodeSupervisorOptions) {
    this.#options = options;
  }

  start(): Promise<void> {
    if (this.#child !== undefined || this.#stopping !== undefined) return Promise.resolve();
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    const { passphrases } = this.#options;
    const passphrase = await passphrases.load();
    // Quitting began while the passphrase was read: a node forked now would never be stopped.
    if (this.#stopping !== undefined) return;
    const child = this.#fork();
    this.#child = child;
    this.#exitEvent = undefined;
    this.#post(child, { type: 'start', dataDir: this.#options.dataDir, canRemember: passphrases.canRemember, ...(passphrase === undefined ? {} : { passphrase }) });
  }

  /**
   * The window whose every load gets a port; a reloaded page has lost the previous one. A page
   * loaded while the node is down gets no port, so it hears again that the node exited.
   */
  attach(webContents: WebContents): void {
    this.#window = webContents;
    webContents.on('did-finish-load', () => {
      if (this.#window !== webContents) return;
      if (this.#child !== undefined) this.#connectWindow();
      else if (this.#starting === undefined && this.#exitEvent !== undefined) this.#sendEvent(this.#exitEvent);
    });
  }

  /**
   * Starts the node again after it exited; false when it is running (or the app is quitting). A
   * restart asked for while one is under way gets that one's answer.
   */
  restart(): Promise<boolean> {
    if (this.#stopping !== undefined) return Promise.resolve(false);
    if (this.#restarting !== undefined) return this.#restarting;
    if (this.#child !== undefined || this.#starting !== undefined) return Promise.resolve(false);
    this.#restarting = (async () => {
      await this.start();
      if (this.#child === undefined) return false;
      this.#connectWindow();
      this.#sendEvent({ method: NODE_STARTED_METHOD, params: {} });
      return true;
    })().finally(() => {
      this.#restarting = undefined;
    });
    return this.#restarting;
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
    const process = this.#options.utilityProcess.fork(this.#options.modulePath, [], { serviceName: 'Ingot node', execArgv: [...NODE_PROCESS_FLAGS] });
    const exited = Promise.withResolvers<void>();
    const stopped = Promise.withResolvers<void>();
    const child: Child = { process, exited: exited.promise, stopped: stopped.promise };
    process.on('message', (message) => {
      if (!isFromNodeMessage(message)) return;
      this.#fromNode(child, message, passphrases).then(() => {
        if (message.type === 'stopped') stopped.resolve();
      }, (error: unknown) => console.error('ingot: cannot drop the passphrase:', error));
    });
    process.on('exit', (code) => {
      exited.resolve();
      if (this.#child !== child || this.#stopping !== undefined) return;
      this.#child = undefined;
      this.#exitEvent = { method: NODE_EXITED_METHOD, params: { code, reason: `the node's process ended unexpectedly (exit code ${code})` } };
      this.#sendEvent(this.#exitEvent);
    });
    return child;
  }

  async #fromNode(child: Child, message: FromNodeMessage, passphrases: PassphraseStore): Promise<void> {
    switch (message.type) {
      case 'remember-passphrase': {
        // The node waits for this answer: a passphrase that could not be kept shows in its state.
        const { requestId } = message;
        let answer: ToNodeMessage;
        try {
          await passphrases.save(message.passphrase);
          answer = { type: 'passphrase-remembered', requestId, ok: true };
        } catch (error) {
          console.error('ingot: cannot keep the passphrase:', error);
          answer = { type: 'passphrase-remembered', requestId, ok: false, error: error instanceof Error ? error.message : String(error) };
        }
        try {
          this.#post(child, answer);
        } catch {
          // The node's process has ended meanwhile: nobody is waiting for the answer.
        }
        return;
      }
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
