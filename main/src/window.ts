import type { BrowserWindow, BrowserWindowConstructor, BrowserWindowOptions, Session } from './electron-api.ts';

export interface AppWindowOptions {
  readonly BrowserWindow: BrowserWindowConstructor;
  readonly preloadPath: string;
}

/** Every option that keeps the page in its sandbox; the preload bridge is its only way out. */
export function appWindowOptions(preloadPath: string): BrowserWindowOptions {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: 'Ingot',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  };
}

/**
 * The app's single window, not yet loaded (the caller loads RENDERER_URL once the node's process
 * is there to give the page its port). It never navigates: the renderer is a single page, so any navigation,
 * redirect or new window can only come from content that should not be there.
 */
export function createAppWindow(options: AppWindowOptions): BrowserWindow {
  const window = new options.BrowserWindow(appWindowOptions(options.preloadPath));
  const { webContents } = window;
  webContents.on('will-navigate', (event) => event.preventDefault());
  webContents.on('will-redirect', (event) => event.preventDefault());
  webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  window.once('ready-to-show', () => window.show());
  return window;
}

/** The page needs no camera, notifications, clipboard or anything else a permission guards. */
export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
