import type { ElectronPreload } from './electron-api.ts';
import { exposeBridge } from './preload.ts';

// The sandboxed preload has no module loader, only this `require` for 'electron' (bundled as CommonJS).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { contextBridge, ipcRenderer } = require('electron') as ElectronPreload;
exposeBridge(contextBridge, ipcRenderer);
