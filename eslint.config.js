// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The deterministic core: what it computes must depend on its inputs alone. */
const deterministicLayers = ['codec', 'crypto', 'ledger', 'contracts', 'consensus'].map((layer) => `node-core/src/${layer}/**/*.ts`);

const nondeterministicGlobals = [
  { name: 'Date', message: 'The deterministic core never reads the clock: take the time from the block context.' },
  { name: 'setTimeout', message: 'Timers belong to the node layer; the core is driven by events.' },
  { name: 'setInterval', message: 'Timers belong to the node layer; the core is driven by events.' },
  { name: 'setImmediate', message: 'Timers belong to the node layer; the core is driven by events.' },
  { name: 'performance', message: 'The deterministic core never reads the clock.' },
  { name: 'fetch', message: 'The deterministic core does no I/O.' },
  { name: 'process', message: 'The deterministic core does not read its environment.' },
];

const electronAndUi = [
  { group: ['electron', 'electron/*'], message: 'node-core runs without Electron.' },
  { group: ['**/main/**', '**/renderer/**'], message: 'node-core must not import the desktop shell or the UI.' },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**'] },
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
  {
    files: deterministicLayers,
    ignores: ['node-core/src/crypto/**'],
    rules: {
      'no-restricted-globals': ['error', ...nondeterministicGlobals],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'No randomness in the deterministic core.' }],
      'no-restricted-imports': ['error', {
        patterns: [...electronAndUi, { group: ['node:*', 'fs', 'net', 'http', 'os', 'child_process'], message: 'The deterministic core does no I/O.' }, { group: ['**/node/**', '**/cli/**', '**/p2p/**'], message: 'Lower layers never import the layers above them.' }],
      }],
    },
  },
  {
    // Hashing and signatures need node:crypto, but nothing in it that draws random numbers.
    files: ['node-core/src/crypto/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...nondeterministicGlobals],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'No randomness in the deterministic core.' }],
      'no-restricted-imports': ['error', {
        paths: [{ name: 'node:crypto', importNames: ['randomBytes', 'randomInt', 'randomUUID', 'randomFillSync', 'generateKeyPair', 'generateKeyPairSync', 'getRandomValues'], message: 'Keys are made from seeds passed in; randomness belongs to the node layer.' }],
        patterns: [...electronAndUi, { group: ['node:*', '!node:crypto'], message: 'The deterministic core does no I/O.' }, { group: ['**/node/**', '**/cli/**', '**/p2p/**', '**/ledger/**', '**/contracts/**'], message: 'Lower layers never import the layers above them.' }],
      }],
    },
  },
  {
    files: ['renderer/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/node-core/src/*', '!**/node-core/src/api', '**/node-core/src/*/**', '!**/node-core/src/api/**'], message: 'The renderer may import only the API contract from node-core/src/api.' }, { group: ['electron', 'node:*'], message: 'The renderer runs sandboxed in the window.' }] }],
    },
  },
);
