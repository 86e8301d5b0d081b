import { EventEmitter } from 'node:events';
import type { MessagePort as WorkerMessagePort } from 'node:worker_threads';
import type {
  App,
  BrowserWindow,
  BrowserWindowOptions,
  ElectronMain,
  IpcMain,
  IpcMainInvokeEvent,
  MessageChannelMain,
  MessagePortMain,
  NodePort,
  PermissionCheckHandler,
  PermissionRequestHandler,
  PowerMonitor,
  Protocol,
  SafeStorage,
  UtilityProcess,
  UtilityProcessModule,
  WebContents,
} from '../../src/electron-api.ts';

/** Test doubles of the Electron objects the shell uses; each records what was done to it. */

export class FakePort implements MessagePortMain {
  closed = false;
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  close(): void {
    this.closed = true;
  }
}

export function fakeMessageChannel(): { MessageChannelMain: new () => MessageChannelMain; channels: MessageChannelMain[] } {
  const channels: MessageChannelMain[] = [];
  let n = 0;
  class Channel implements MessageChannelMain {
    readonly port1 = new FakePort(`port1#${++n}`);
    readonly port2 = new FakePort(`port2#${n}`);
    constructor() {
      channels.push(this);
    }
  }
  return { MessageChannelMain: Channel, channels };
}

export class FakeUtilityProcess extends EventEmitter implements UtilityProcess {
  readonly posted: { message: unknown; transfer: MessagePortMain[] }[] = [];
  killed = false;
  readonly modulePath: string;
  readonly execArgv: readonly string[];
  constructor(modulePath: string, execArgv: readonly string[] = []) {
    super();
    this.modulePath = modulePath;
    this.execArgv = execArgv;
  }
  postMessage(message: unknown, transfer: MessagePortMain[] = []): void {
    this.posted.push({ message, transfer });
  }
  kill(): boolean {
    this.killed = true;
    this.emit('exit', 15);
    return true;
  }
  /** The node process says something to the main process. */
  say(message: unknown): void {
    this.emit('message', message);
  }
}

export function fakeUtilityProcessModule(): UtilityProcessModule & { forks: FakeUtilityProcess[] } {
  const forks: FakeUtilityProcess[] = [];
  return {
    forks,
    fork(modulePath, _args, options) {
      const child = new FakeUtilityProcess(modulePath, options?.execArgv);
      forks.push(child);
      return child;
    },
  };
}

let nextWebContentsId = 1;

export class FakeWebContents extends EventEmitter implements WebContents {
  readonly id = nextWebContentsId++;
  readonly sent: { channel: string; args: unknown[] }[] = [];
  readonly postedPorts: { channel: string; message: unknown; transfer: MessagePortMain[] }[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: 'deny' }) | undefined;
  destroyed = false;
  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args });
  }
  postMessage(channel: string, message: unknown, transfer: MessagePortMain[] = []): void {
    this.postedPorts.push({ channel, message, transfer });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void {
    this.windowOpenHandler = handler;
  }
  /** Fires a navigation-like event and tells whether a handler prevented it. */
  attempt(event: 'will-navigate' | 'will-redirect', url: string): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => { prevented = true; } }, url);
    return prevented;
  }
}

export class FakeBrowserWindow extends EventEmitter implements BrowserWindow {
  readonly webContents = new FakeWebContents();
  readonly loaded: string[] = [];
  minimized = false;
  focused = 0;
  restored = 0;
  shown = false;
  destroyed = false;
  readonly options: BrowserWindowOptions;
  constructor(options: BrowserWindowOptions) {
    super();
    this.options = options;
  }
  async loadURL(url: string): Promise<void> {
    this.loaded.push(url);
    this.webContents.emit('did-finish-load');
  }
  show(): void {
    this.shown = true;
  }
  focus(): void {
    this.focused++;
  }
  restore(): void {
    this.restored++;
    this.minimized = false;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
}

export class FakeSession {
  requestHandler: PermissionRequestHandler | undefined;
  checkHandler: PermissionCheckHandler | undefined;
  setPermissionRequestHandler(handler: PermissionRequestHandler): void {
    this.requestHandler = handler;
  }
  setPermissionCheckHandler(handler: PermissionCheckHandler): void {
    this.checkHandler = handler;
  }
}

/** Reversible but not plain: what went in must not be readable in the file. */
export class FakeSafeStorage implements SafeStorage {
  available: boolean;
  /** What Linux would report; a real keychain unless a test says otherwise. */
  backend = 'gnome_libsecret';
  constructor(available = true) {
    this.available = available;
  }
  isEncryptionAvailable(): boolean {
    return this.available;
  }
  getSelectedStorageBackend(): string {
    return this.backend;
  }
  encryptString(plainText: string): Buffer {
    return Buffer.concat([Buffer.from('ENC:'), Buffer.from(plainText, 'utf8').map((byte) => byte ^ 0x5a)]);
  }
  decryptString(encrypted: Buffer): string {
    if (!encrypted.subarray(0, 4).equals(Buffer.from('ENC:'))) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return Buffer.from(encrypted.subarray(4).map((byte) => byte ^ 0x5a)).toString('utf8');
  }
}

type ShellHandler = (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>;

export class FakeIpcMain implements IpcMain {
  readonly handlers = new Map<string, ShellHandler>();
  handle(channel: string, handler: ShellHandler): void {
    this.handlers.set(channel, handler);
  }
  invoke(channel: string, senderId: number, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel);
    if (handler === undefined) throw new Error(`nothing handles ${channel}`);
    return handler({ sender: { id: senderId } }, ...args);
  }
}

export class FakeApp extends EventEmitter implements App {
  quits = 0;
  readonly ready = Promise.withResolvers<void>();
  readonly hasLock: boolean;
  readonly userData: string;
  constructor(hasLock: boolean, userData: string) {
    super();
    this.hasLock = hasLock;
    this.userData = userData;
  }
  requestSingleInstanceLock(): boolean {
    return this.hasLock;
  }
  whenReady(): Promise<void> {
    return this.ready.promise;
  }
  getPath(): string {
    return this.userData;
  }
  getAppPath(): string {
    return '/app';
  }
  /** Like Electron: quitting asks 'before-quit' listeners first, and any of them may cancel it. */
  quit(): void {
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => { prevented = true; } });
    if (!prevented) this.quits++;
  }
}

export class FakeProtocol implements Protocol {
  readonly privileged: string[] = [];
  readonly handlers = new Map<string, (request: Request) => Promise<Response>>();
  registerSchemesAsPrivileged(schemes: { scheme: string }[]): void {
    this.privileged.push(...schemes.map((s) => s.scheme));
  }
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void {
    this.handlers.set(scheme, handler);
  }
}

export class FakePowerMonitor extends EventEmitter implements PowerMonitor {
  /** The system announces a shutdown; tells whether a listener asked it to wait. */
  shutdown(): boolean {
    let prevented = false;
    this.emit('shutdown', { preventDefault: () => { prevented = true; } });
    return prevented;
  }
}

export interface FakeElectron extends ElectronMain {
  app: FakeApp;
  ipcMain: FakeIpcMain;
  utilityProcess: ReturnType<typeof fakeUtilityProcessModule>;
  protocol: FakeProtocol;
  powerMonitor: FakePowerMonitor;
  session: { defaultSession: FakeSession };
  windows: FakeBrowserWindow[];
}

export function fakeElectron(options: { hasLock: boolean; userData: string; encryption?: boolean }): FakeElectron {
  const windows: FakeBrowserWindow[] = [];
  class Window extends FakeBrowserWindow {
    constructor(windowOptions: BrowserWindowOptions) {
      super(windowOptions);
      windows.push(this);
    }
  }
  return {
    app: new FakeApp(options.hasLock, options.userData),
    BrowserWindow: Window,
    ipcMain: new FakeIpcMain(),
    utilityProcess: fakeUtilityProcessModule(),
    MessageChannelMain: fakeMessageChannel().MessageChannelMain,
    safeStorage: new FakeSafeStorage(options.encryption ?? true),
    powerMonitor: new FakePowerMonitor(),
    session: { defaultSession: new FakeSession() },
    protocol: new FakeProtocol(),
    windows,
  };
}

/** A Node MessagePort as the utility process sees an Electron MessagePortMain. */
export function asNodePort(port: WorkerMessagePort): NodePort {
  const adapter = {
    on(event: 'message' | 'close', listener: (event: { data: unknown }) => void) {
      if (event === 'message') port.on('message', (data: unknown) => listener({ data }));
      else port.on('close', () => listener({ data: undefined }));
      return adapter;
    },
    postMessage: (message: unknown) => port.postMessage(message),
    start: () => port.start(),
    close: () => port.close(),
  };
  return adapter as NodePort;
}

/** Waits until `check` holds, polling; fails after `ms`. */
export async function eventually(check: () => boolean, ms = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
