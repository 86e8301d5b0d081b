import { access } from 'node:fs/promises';
import type { AppState, ParsedParams } from '../api/methods.ts';
import { IngotError } from '../codec/errors.ts';
import type { CommittedBlock } from '../node/block-builder.ts';
import { systemClock, type Clock } from '../node/clock.ts';
import { dataPaths, notInitialised, type NodeConfig } from '../node/data-dir.ts';
import { initConsortium } from '../node/init.ts';
import { joinConsortium, type JoinNetworkFactory } from '../node/joining.ts';
import type { KdfParams } from '../node/keystore.ts';
import { IngotNode } from '../node/node.ts';
import type { SignatureVerifier } from '../node/signature-verifier.ts';

/**
 * Keeps the organisation's passphrase between runs where the platform offers a safe place for it:
 * the desktop app's OS keychain. The web mode has none.
 */
export interface PassphraseVault {
  readonly canRemember: boolean;
  remember(passphrase: string): Promise<void>;
  forget(): Promise<void>;
}

export const noPassphraseVault: PassphraseVault = {
  canRemember: false,
  async remember() {
    throw new IngotError('CANNOT_REMEMBER_PASSPHRASE', 'this way of running Ingot has no keychain to keep the passphrase in');
  },
  async forget() {},
};

export interface NodeHostOptions {
  readonly dataDir: string;
  readonly clock?: Clock;
  readonly vault?: PassphraseVault;
  /** Overrides of config.json for each start (the CLI's --api, tests' port 0). */
  readonly config?: Partial<NodeConfig>;
  /** Key derivation cost of a consortium created here; tests make it cheap. */
  readonly kdf?: KdfParams;
  readonly verifier?: () => SignatureVerifier;
  /** The temporary network a join dials the invite's bootstrap peers with; libp2p by default. */
  readonly joinNetwork?: JoinNetworkFactory;
}

type Phase = AppState['phase'];

/**
 * Owns one data directory's node for the process that serves it (web mode, the desktop app's node
 * process): creates the consortium on first run, unlocks the key store, starts and stops the node.
 * Callers see where it is through `state`; only a running host has a node.
 */
export class NodeHost {
  readonly #options: NodeHostOptions;
  readonly #vault: PassphraseVault;
  readonly #blockListeners = new Set<(block: CommittedBlock) => void>();
  readonly #stateListeners = new Set<(state: AppState) => void>();
  #phase: Phase = 'uninitialised';
  #error: AppState['error'];
  #node: IngotNode | undefined;
  #unsubscribeNode: (() => void) | undefined;
  /** One lifecycle change at a time: two windows pressing "unlock" must not start two nodes. */
  #busy: Promise<unknown> = Promise.resolve();

  private constructor(options: NodeHostOptions) {
    this.#options = options;
    this.#vault = options.vault ?? noPassphraseVault;
  }

  /**
   * Looks at the data directory and, when a passphrase is at hand (environment, keychain), tries
   * it: a wrong one leaves the host `locked` with the reason, for the user to type the right one.
   */
  static async open(options: NodeHostOptions, passphrase?: string): Promise<NodeHost> {
    const host = new NodeHost(options);
    host.#phase = (await isInitialised(options.dataDir)) ? 'locked' : 'uninitialised';
    if (host.#phase === 'locked' && passphrase !== undefined) await host.unlock(passphrase, false);
    return host;
  }

  /** Opens and starts the node, or throws why it could not: for callers with nobody to ask for another passphrase. */
  static async start(options: NodeHostOptions, passphrase: string): Promise<NodeHost> {
    const host = new NodeHost(options);
    if (!(await isInitialised(options.dataDir))) throw notInitialised(dataPaths(options.dataDir));
    host.#phase = 'locked';
    const failure = await host.#serially(() => host.#start(passphrase, false));
    if (failure !== undefined) throw failure;
    return host;
  }

  get state(): AppState {
    return {
      phase: this.#phase,
      dataDir: this.#options.dataDir,
      canRememberPassphrase: this.#vault.canRemember,
      ...(this.#error === undefined ? {} : { error: this.#error }),
      ...(this.#node?.joinProgress === undefined ? {} : { join: this.#node.joinProgress }),
    };
  }

  /** The running node; NODE_LOCKED or NODE_NOT_INITIALISED tell the caller what the user must do first. */
  get node(): IngotNode {
    if (this.#node !== undefined && this.#phase === 'running') return this.#node;
    throw this.#notRunning();
  }

  #notRunning(): IngotError {
    switch (this.#phase) {
      case 'uninitialised':
        return new IngotError('NODE_NOT_INITIALISED', 'this data directory holds no node yet; create a consortium first');
      case 'locked':
        return new IngotError('NODE_LOCKED', 'the node is waiting for the passphrase of the organisation keys');
      case 'starting':
        return new IngotError('NODE_STARTING', 'the node is starting; try again in a moment');
      case 'stopping':
      case 'running':
        return new IngotError('NODE_STOPPING', 'the node is shutting down');
      case 'failed':
        return new IngotError('NODE_FAILED', `the node failed to start: ${this.#error?.message ?? 'unknown reason'}`);
    }
  }

  onStateChange(listener: (state: AppState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  /** Blocks of whichever node runs, across restarts. */
  onBlock(listener: (block: CommittedBlock) => void): () => void {
    this.#blockListeners.add(listener);
    return () => this.#blockListeners.delete(listener);
  }

  createConsortium(params: ParsedParams<'app.createConsortium'>): Promise<AppState> {
    return this.#serially(async () => {
      if (this.#phase !== 'uninitialised') throw new IngotError('ALREADY_INITIALISED', 'this data directory already holds a node');
      this.#assertCanRemember(params.remember);
      await initConsortium({
        dataDir: this.#options.dataDir,
        orgName: params.organisation,
        registryId: params.registryId,
        ...(params.consortiumName === undefined ? {} : { consortiumName: params.consortiumName }),
        passphrase: params.passphrase,
        clock: this.#options.clock ?? systemClock,
        ...(this.#options.config === undefined ? {} : { config: this.#options.config }),
        ...(this.#options.kdf === undefined ? {} : { kdf: this.#options.kdf }),
      });
      this.#setPhase('locked');
      await this.#start(params.passphrase, params.remember);
      return this.state;
    });
  }

  /** Joins an existing consortium with an invite code (docs/membership.md#joining), then starts the node awaiting admission. */
  join(params: ParsedParams<'app.join'>): Promise<AppState> {
    return this.#serially(async () => {
      if (this.#phase !== 'uninitialised') throw new IngotError('ALREADY_INITIALISED', 'this data directory already holds a node');
      this.#assertCanRemember(params.remember);
      await joinConsortium({
        dataDir: this.#options.dataDir,
        orgName: params.organisation,
        registryId: params.registryId,
        invite: params.invite,
        passphrase: params.passphrase,
        clock: this.#options.clock ?? systemClock,
        ...(this.#options.config === undefined ? {} : { config: this.#options.config }),
        ...(this.#options.kdf === undefined ? {} : { kdf: this.#options.kdf }),
        ...(this.#options.joinNetwork === undefined ? {} : { network: this.#options.joinNetwork }),
      });
      this.#setPhase('locked');
      await this.#start(params.passphrase, params.remember);
      return this.state;
    });
  }

  unlock(passphrase: string, remember: boolean): Promise<AppState> {
    return this.#serially(async () => {
      if (this.#phase === 'running') return this.state;
      if (this.#phase !== 'locked' && this.#phase !== 'failed') throw this.#notRunning();
      this.#assertCanRemember(remember);
      await this.#start(passphrase, remember);
      return this.state;
    });
  }

  /** Stops the node and closes its database; the host can be unlocked again afterwards. */
  close(): Promise<void> {
    return this.#serially(async () => {
      const node = this.#node;
      if (node === undefined) return;
      this.#setPhase('stopping');
      this.#unsubscribeNode?.();
      this.#node = undefined;
      try {
        await node.close();
      } finally {
        this.#setPhase('locked');
      }
    });
  }

  /** Answers the error that kept the node from starting, which `state` also shows. */
  async #start(passphrase: string, remember: boolean): Promise<unknown> {
    this.#error = undefined;
    this.#setPhase('starting');
    try {
      const node = await IngotNode.start({
        dataDir: this.#options.dataDir,
        passphrase,
        ...(this.#options.clock === undefined ? {} : { clock: this.#options.clock }),
        ...(this.#options.config === undefined ? {} : { config: this.#options.config }),
        ...(this.#options.verifier === undefined ? {} : { verifier: this.#options.verifier() }),
      });
      this.#node = node;
      this.#unsubscribeNode = node.onBlock((block) => {
        for (const listener of this.#blockListeners) listener(block);
      });
    } catch (error) {
      const wrongPassphrase = error instanceof IngotError && error.code === 'KEYSTORE_WRONG_PASSPHRASE';
      this.#error = error instanceof IngotError ? { code: error.code, message: error.message } : { code: 'INTERNAL_ERROR', message: String(error) };
      if (wrongPassphrase) await this.#vault.forget();
      this.#setPhase(wrongPassphrase ? 'locked' : 'failed');
      return error;
    }
    // The node runs whatever the keychain says; a passphrase it could not keep shows as the state's error.
    if (remember) {
      try {
        await this.#vault.remember(passphrase);
      } catch (error) {
        this.#error = error instanceof IngotError ? { code: error.code, message: error.message } : { code: 'CANNOT_REMEMBER_PASSPHRASE', message: String(error) };
      }
    }
    this.#setPhase('running');
    return undefined;
  }

  #assertCanRemember(remember: boolean): void {
    if (remember && !this.#vault.canRemember) throw new IngotError('CANNOT_REMEMBER_PASSPHRASE', 'this way of running Ingot has no keychain to keep the passphrase in', { field: 'remember' });
  }

  #setPhase(phase: Phase): void {
    this.#phase = phase;
    const state = this.state;
    for (const listener of this.#stateListeners) listener(state);
  }

  #serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#busy.then(work);
    this.#busy = next.catch(() => undefined);
    return next;
  }
}

async function isInitialised(dataDir: string): Promise<boolean> {
  try {
    await access(dataPaths(dataDir).config);
    return true;
  } catch {
    return false;
  }
}
