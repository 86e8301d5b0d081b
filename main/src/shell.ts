import { join } from 'node:path';
import { rpcErrorNumbers } from '../../node-core/src/api/errors.ts';
import { SHELL_CHANNEL } from './channels.ts';
import type { BrowserWindow, ElectronMain } from './electron-api.ts';
import { NodeSupervisor } from './node-supervisor.ts';
import { safeStoragePassphraseStore } from './passphrase-store.ts';
import { RENDERER_SCHEME, RENDERER_SCHEME_PRIVILEGES, RENDERER_URL, rendererFiles } from './renderer-protocol.ts';
import { answerShellCall } from './shell-ipc.ts';
import { createAppWindow, denyAllPermissions } from './window.ts';

export interface ShellPaths {
  readonly preload: string;
  readonly nodeProcess: string;
  /** The renderer build: index.html and its assets. */
  readonly rendererRoot: string;
}

export interface Shell {
  /** Settles once the window is up and loading, or the app gave up starting. */
  readonly ready: Promise<void>;
}

/**
 * The desktop app's lifecycle: one instance, one window, one node process, and a quit that waits
 * for the node to close its database (a killed node would leave the ledger to recover on restart).
 */
export function runShell(electron: ElectronMain, paths: ShellPaths): Shell {
  const { app } = electron;
  // A second instance would open the same data directory, which the first one holds locked.
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return { ready: Promise.resolve() };
  }
  electron.protocol.registerSchemesAsPrivileged([RENDERER_SCHEME_PRIVILEGES]);

  let window: BrowserWindow | undefined;
  const userData = app.getPath('userData');
  const supervisor = new NodeSupervisor({
    utilityProcess: electron.utilityProcess,
    MessageChannelMain: electron.MessageChannelMain,
    modulePath: paths.nodeProcess,
    dataDir: join(userData, 'node'),
    passphrases: safeStoragePassphraseStore(electron.safeStorage, join(userData, 'passphrase.bin')),
  });

  app.on('second-instance', () => {
    if (window === undefined || window.isDestroyed()) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app.on('window-all-closed', () => app.quit());

  // Quit is asked again and again (menu, window closing, OS logout or shutdown); the node is stopped
  // once, then the app quits for real.
  let nodeStopped = false;
  let quitAfterStop: Promise<void> | undefined;
  const stopNodeThenQuit = () => {
    quitAfterStop ??= supervisor.stop().finally(() => {
      nodeStopped = true;
      app.quit();
    });
  };
  app.on('before-quit', (event) => {
    if (nodeStopped) return;
    event.preventDefault();
    stopNodeThenQuit();
  });

  electron.ipcMain.handle(SHELL_CHANNEL, async (event, method, params) => {
    // Only the app's own page may restart the node.
    if (window === undefined || window.isDestroyed() || event.sender.id !== window.webContents.id) {
      return { ok: false, error: { code: rpcErrorNumbers.INVALID_REQUEST, message: 'shell calls are accepted from the Ingot window only', data: { code: 'FORBIDDEN' } } };
    }
    return answerShellCall({ restartNode: () => supervisor.restart() }, method, params);
  });

  const ready = app.whenReady().then(async () => {
    electron.protocol.handle(RENDERER_SCHEME, rendererFiles(paths.rendererRoot));
    denyAllPermissions(electron.session.defaultSession);
    // A system shutdown or logout skips before-quit on Windows, and may not wait for it elsewhere.
    electron.powerMonitor.on('shutdown', (event) => {
      if (nodeStopped) return;
      event.preventDefault();
      stopNodeThenQuit();
    });
    const created = createAppWindow({ BrowserWindow: electron.BrowserWindow, preloadPath: paths.preload });
    window = created;
    created.on('session-end', stopNodeThenQuit);
    supervisor.attach(created.webContents);
    await supervisor.start();
    await created.loadURL(RENDERER_URL);
  }).catch((error: unknown) => {
    console.error('ingot: cannot start the desktop app:', error);
    app.quit();
  });
  return { ready };
}
