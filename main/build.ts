import { build, type Plugin } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Bundles the desktop shell into dist/main: the main process and the node's utility process as
 * ESM for Electron's Node, the preload script as CommonJS because a sandboxed preload has no ESM
 * loader. Electron and the native database addon stay outside the bundles and load at run time.
 */

const root = join(import.meta.dirname, '..');
const outdir = join(root, 'dist', 'main');
// Electron 40 onwards ships Node 24; Electron 45's renderer is far newer than ES2024.
const NODE_TARGET = 'node24';

/**
 * The signature verifier starts its worker threads from `./signature-worker.ts` next to its own
 * module. In the bundle that module is node-process.mjs, so the worker is bundled beside it and the
 * reference renamed to the bundled file.
 */
const signatureWorkerInBundle: Plugin = {
  name: 'signature-worker-in-bundle',
  setup(context) {
    context.onLoad({ filter: /node-core[\\/]src[\\/]node[\\/]signature-verifier\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const renamed = source.replace("new URL('./signature-worker.ts', import.meta.url)", "new URL('./signature-worker.mjs', import.meta.url)");
      if (renamed === source) throw new Error('signature-verifier.ts no longer names ./signature-worker.ts; update main/build.ts');
      return { contents: renamed, loader: 'ts' };
    });
  },
};

// Bundled CommonJS packages (ws, …) call require() for Node built-ins, which ESM output lacks.
const requireInEsm = "import { createRequire as __ingotCreateRequire } from 'node:module'; const require = __ingotCreateRequire(import.meta.url);";

await Promise.all([
  build({
    entryPoints: {
      'electron-main': join(root, 'main/src/electron-main.ts'),
      'node-process': join(root, 'main/src/node-process-entry.ts'),
      'signature-worker': join(root, 'node-core/src/node/signature-worker.ts'),
    },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: NODE_TARGET,
    external: ['electron', 'classic-level', 'sodium-native'],
    banner: { js: requireInEsm },
    plugins: [signatureWorkerInBundle],
    sourcemap: 'linked',
    logLevel: 'warning',
  }),
  build({
    entryPoints: { preload: join(root, 'main/src/preload-entry.ts') },
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: [NODE_TARGET, 'chrome140'],
    external: ['electron'],
    sourcemap: 'linked',
    logLevel: 'warning',
  }),
]);
