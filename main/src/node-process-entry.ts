import type { ParentPort } from './electron-api.ts';
import { serveNodeProcess } from './node-process.ts';

// Electron gives a utility process its link to the main process as `process.parentPort`.
const { parentPort } = process as unknown as { parentPort?: ParentPort };
if (parentPort === undefined) throw new Error('the Ingot node process runs only as an Electron utility process');
serveNodeProcess({ parentPort, exit: (code) => process.exit(code) });
