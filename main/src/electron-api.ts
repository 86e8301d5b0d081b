/**
 * The exact parts of Electron that the desktop shell uses, as structural types. The `electron`
 * package is an optional dependency (its binary cannot be downloaded everywhere), so nothing here
 * may depend on its types; the entry files cast the real module to these, and tests pass fakes.
 */

export interface PreventableEvent {
  preventDefault(): void;
}

// ---- main process -------------------------------------------------------------------------

/** One end of a MessageChannelMain, seen from the process that hands it on. */
export interface MessagePortMain {
  close(): void;
}

export interface MessageChannelMain {
  readonly port1: MessagePortMain;
  readonly port2: MessagePortMain;
}

export interface UtilityProcess {
  postMessage(message: unknown, transfer?: MessagePortMain[]): void;
  kill(): boolean;
  on(event: 'exit', listener: (code: number) => void): this;
  on(event: 'message', listener: (message: unknown) => void): this;
}

export interface UtilityProcessModule {
  fork(modulePath: string, args?: string[], options?: { serviceName?: string; execArgv?: string[] }): UtilityProcess;
}

export interface WebContents {
  readonly id: number;
  send(channel: string, ...args: unknown[]): void;
  postMessage(channel: string, message: unknown, transfer?: MessagePortMain[]): void;
  isDestroyed(): boolean;
  on(event: 'will-navigate' | 'will-redirect', listener: (event: PreventableEvent, url: string) => void): this;
  on(event: 'did-finish-load', listener: () => void): this;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

export interface WebPreferences {
  preload: string;
  contextIsolation: boolean;
  sandbox: boolean;
  nodeIntegration: boolean;
  nodeIntegrationInWorker: boolean;
  webSecurity: boolean;
  allowRunningInsecureContent: boolean;
  webviewTag: boolean;
  spellcheck: boolean;
}

export interface BrowserWindowOptions {
  width: number;
  height: number;
  minWidth: number;
  minHeight: number;
  title: string;
  show: boolean;
  webPreferences: WebPreferences;
}

export interface BrowserWindow {
  readonly webContents: WebContents;
  loadURL(url: string): Promise<void>;
  show(): void;
  focus(): void;
  restore(): void;
  isMinimized(): boolean;
  isDestroyed(): boolean;
  once(event: 'ready-to-show', listener: () => void): this;
  /** `session-end` (Windows): the user logs off or the system shuts down; it cannot be delayed. */
  on(event: 'closed' | 'session-end', listener: () => void): this;
}

export type BrowserWindowConstructor = new (options: BrowserWindowOptions) => BrowserWindow;

export type PermissionRequestHandler = (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void;
export type PermissionCheckHandler = (webContents: unknown, permission: string) => boolean;

export interface Session {
  setPermissionRequestHandler(handler: PermissionRequestHandler): void;
  setPermissionCheckHandler(handler: PermissionCheckHandler): void;
}

export interface CustomScheme {
  scheme: string;
  privileges: { standard: boolean; secure: boolean; supportFetchAPI: boolean };
}

export interface Protocol {
  registerSchemesAsPrivileged(schemes: CustomScheme[]): void;
  handle(scheme: string, handler: (request: Request) => Promise<Response>): void;
}

export interface IpcMainInvokeEvent {
  readonly sender: { readonly id: number };
}

export interface IpcMain {
  handle(channel: string, handler: (event: IpcMainInvokeEvent, ...args: unknown[]) => Promise<unknown>): void;
}

export interface SafeStorage {
  isEncryptionAvailable(): boolean;
  /** Linux only: which secret store encrypts; `basic_text` is a key hard-coded in Chromium. */
  getSelectedStorageBackend?(): string;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

export interface App {
  requestSingleInstanceLock(): boolean;
  whenReady(): Promise<void>;
  getPath(name: 'userData'): string;
  getAppPath(): string;
  quit(): void;
  on(event: 'second-instance' | 'window-all-closed', listener: () => void): this;
  on(event: 'before-quit', listener: (event: PreventableEvent) => void): this;
}

/** Usable only once the app is ready. */
export interface PowerMonitor {
  /** Linux and macOS: the system is about to shut down; preventDefault asks it to wait for the app to quit. */
  on(event: 'shutdown', listener: (event: PreventableEvent) => void): this;
}

/** What the main process takes from `require('electron')`. */
export interface ElectronMain {
  app: App;
  BrowserWindow: BrowserWindowConstructor;
  ipcMain: IpcMain;
  utilityProcess: UtilityProcessModule;
  MessageChannelMain: new () => MessageChannelMain;
  safeStorage: SafeStorage;
  powerMonitor: PowerMonitor;
  session: { defaultSession: Session };
  protocol: Protocol;
}

// ---- utility process (the node) -----------------------------------------------------------

/** A MessagePortMain as the utility process receives it: the node's end of one window load. */
export interface NodePort {
  on(event: 'message', listener: (event: { data: unknown }) => void): this;
  on(event: 'close', listener: () => void): this;
  postMessage(message: unknown): void;
  start(): void;
  close(): void;
}

/** `process.parentPort` inside a utility process. */
export interface ParentPort {
  on(event: 'message', listener: (event: { data: unknown; ports: NodePort[] }) => void): this;
  postMessage(message: unknown): void;
}

// ---- preload (sandboxed renderer) ---------------------------------------------------------

/** The window's end of the channel to the node: a DOM MessagePort. */
export interface RendererPort {
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

export interface IpcRendererEvent {
  readonly ports: readonly RendererPort[];
}

export interface IpcRenderer {
  on(channel: string, listener: (event: IpcRendererEvent, ...args: unknown[]) => void): this;
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
}

export interface ContextBridge {
  exposeInMainWorld(key: string, api: unknown): void;
}

/** What the preload script takes from `require('electron')`: only these exist in the sandbox. */
export interface ElectronPreload {
  contextBridge: ContextBridge;
  ipcRenderer: IpcRenderer;
}
