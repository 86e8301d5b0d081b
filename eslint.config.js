// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The deterministic core, bottom up: what it computes must depend on its inputs alone, and a layer imports only those below it. */
const coreLayers = ['codec', 'crypto', 'ledger', 'contracts', 'consensus'];
const layersAbove = (layer) => [...coreLayers.slice(coreLayers.indexOf(layer) + 1), 'node', 'cli', 'p2p', 'api'];

const nondeterministicGlobals = [
  { name: 'Date', message: 'The deterministic core never reads the clock: take the time from the block context.' },
  { name: 'setTimeout', message: 'Timers belong to the node layer; the core is driven by events.' },
  { name: 'setInterval', message: 'Timers belong to the node layer; the core is driven by events.' },
  { name: 'setImmediate', message: 'Timers belong to the node layer; the core is driven by events.' },
  { name: 'performance', message: 'The deterministic core never reads the clock.' },
  { name: 'fetch', message: 'The deterministic core does no I/O.' },
  { name: 'process', message: 'The deterministic core does not read its environment.' },
  { name: 'crypto', message: 'Web Crypto draws random numbers; use the crypto layer, which takes seeds.' },
  { name: 'globalThis', message: 'Reach no globals from the deterministic core.' },
  { name: 'queueMicrotask', message: 'Scheduling belongs to the node layer.' },
  { name: 'structuredClone', message: 'Keep the deterministic core to plain functions over its inputs.' },
];

const electronAndUi = [
  { group: ['electron', 'electron/*'], message: 'node-core runs without Electron.' },
  { group: ['**/main/**', '**/renderer/**'], message: 'node-core must not import the desktop shell or the UI.' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'renderer/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: { projectService: { allowDefaultProject: ['eslint.config.js', 'node-core/bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test collects these promises itself.
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['node-core/**/*.ts', 'node-core/**/*.js'],
    rules: { 'no-restricted-imports': ['error', { patterns: electronAndUi }] },
  },
  ...coreLayers.map((layer) => ({
    files: [`node-core/src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-globals': ['error', ...nondeterministicGlobals],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'No randomness in the deterministic core.' }],
      'no-restricted-imports': ['error', {
        // Hashing and signatures need node:crypto, but nothing in it that draws random numbers.
        paths: layer === 'crypto'
          ? [{ name: 'node:crypto', importNames: ['randomBytes', 'randomInt', 'randomUUID', 'randomFillSync', 'randomFill', 'generateKeyPair', 'generateKeyPairSync', 'getRandomValues', 'webcrypto'], message: 'Keys are made from seeds passed in; randomness belongs to the node layer.' }]
          : [],
        patterns: [
          ...electronAndUi,
          { group: layer === 'crypto' ? ['node:*', '!node:crypto', 'fs', 'net', 'http', 'os', 'child_process'] : ['node:*', 'fs', 'net', 'http', 'os', 'child_process'], message: 'The deterministic core does no I/O.' },
          { group: layersAbove(layer).map((above) => `**/${above}/**`), message: `The ${layer} layer imports only the layers below it.` },
        ],
      }],
    },
  })),
  {
    // The network moves bytes between members: it may use the codec and crypto, never the node, host, RPC or CLI above it.
    files: ['node-core/src/p2p/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ...electronAndUi,
        { group: ['**/node/**', '**/host/**', '**/rpc/**', '**/cli/**'], message: 'The p2p layer may import only codec and crypto from node-core.' },
      ] }],
    },
  },
  {
    // The API contract is bundled into the browser UI: nothing from Node, nothing of the node's internals.
    files: ['node-core/src/api/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        ...electronAndUi,
        { group: ['node:*', 'fs', 'net', 'http', 'os', 'child_process'], message: 'The API contract runs in the browser too.' },
        { group: ['**/node/**', '**/ledger/**', '**/contracts/**', '**/consensus/**', '**/host/**', '**/rpc/**', '**/cli/**', '**/p2p/**', '**/crypto/*', '!**/crypto/domain.ts', '!**/crypto/merkle-path.ts', '**/codec/messages.ts'], message: 'The API contract may use only the pure codec and crypto helpers (and no schema library the UI would have to bundle).' },
      ] }],
    },
  },
  {
    // The window's code; the renderer's build script and tests run under Node.
    files: ['renderer/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/node-core/src/*', '!**/node-core/src/api', '**/node-core/src/*/**', '!**/node-core/src/api/**'], message: 'The renderer may import only the API contract from node-core/src/api.' }, { group: ['electron', 'node:*'], message: 'The renderer runs sandboxed in the window.' }] }],
    },
  },
);
