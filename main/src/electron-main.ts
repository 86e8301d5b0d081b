import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ElectronMain } from './electron-api.ts';
import { runShell } from './shell.ts';

// The one place that loads Electron: everything else takes these objects, so it runs under plain Node in tests.
const electron = createRequire(import.meta.url)('electron') as ElectronMain;
runShell(electron, {
  preload: join(import.meta.dirname, 'preload.cjs'),
  nodeProcess: join(import.meta.dirname, 'node-process.mjs'),
  rendererRoot: join(electron.app.getAppPath(), 'renderer', 'dist'),
});
