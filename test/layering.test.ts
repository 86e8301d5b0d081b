import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ESLint } from 'eslint';

/** The layering rules live in eslint.config.js; these cases prove they fire where they should. */
// The cases are virtual files outside the TypeScript project, so type-aware rules are switched off for them.
const eslint = new ESLint({
  cwd: new URL('..', import.meta.url).pathname,
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-misused-promises': 'off',
      '@typescript-eslint/switch-exhaustiveness-check': 'off',
    },
  },
});

async function rulesHit(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

test('node-core may not import electron, the desktop shell or the UI', async () => {
  assert.ok((await rulesHit('node-core/src/node/x.ts', "import 'electron';\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('node-core/src/node/x.ts', "import '../../../main/window.ts';\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('node-core/src/node/x.ts', "import '../../../renderer/app.ts';\n")).includes('no-restricted-imports'));
});

test('the deterministic core may not read the clock, draw random numbers or do I/O', async () => {
  assert.ok((await rulesHit('node-core/src/contracts/x.ts', 'export const t = Date.now();\n')).includes('no-restricted-globals'));
  assert.ok((await rulesHit('node-core/src/ledger/x.ts', 'export const r = Math.random();\n')).includes('no-restricted-properties'));
  assert.ok((await rulesHit('node-core/src/codec/x.ts', "import 'node:fs';\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('node-core/src/crypto/x.ts', "import { randomBytes } from 'node:crypto';\nexport { randomBytes };\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('node-core/src/contracts/x.ts', "import '../node/node.ts';\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('node-core/src/contracts/x.ts', 'export const id = crypto.randomUUID();\n')).includes('no-restricted-globals'));
  assert.ok((await rulesHit('node-core/src/contracts/x.ts', 'export const t = globalThis.Date.now();\n')).includes('no-restricted-globals'));
});

test('a core layer imports only the layers below it', async () => {
  assert.ok((await rulesHit('node-core/src/ledger/x.ts', "import '../contracts/identity.ts';\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('node-core/src/codec/x.ts', "import '../ledger/ledger.ts';\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('node-core/src/crypto/x.ts', "import '../ledger/state.ts';\n")).includes('no-restricted-imports'));
  assert.deepEqual(await rulesHit('node-core/src/contracts/x.ts', "import '../ledger/state.ts';\nimport '../codec/cbor.ts';\n"), []);
});

test('the renderer imports only the API contract, and the API contract nothing the browser lacks', async () => {
  assert.ok((await rulesHit('renderer/src/x.ts', "import 'node:fs';\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('renderer/src/x.ts', "import 'electron';\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('renderer/src/x.ts', "import '../../node-core/src/ledger/ledger.ts';\n")).includes('no-restricted-imports'));
  assert.deepEqual(await rulesHit('renderer/src/x.ts', "import '../../node-core/src/api/proof.ts';\n"), []);
  assert.ok((await rulesHit('node-core/src/api/x.ts', "import 'node:crypto';\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('node-core/src/api/x.ts', "import '../crypto/hash.ts';\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('node-core/src/api/x.ts', "import '../node/node.ts';\n")).includes('no-restricted-imports'));
  assert.deepEqual(await rulesHit('node-core/src/api/x.ts', "import '../crypto/merkle-path.ts';\nimport '../codec/cbor.ts';\n"), []);
});

test('the p2p layer imports codec and crypto, not the node, host, RPC or CLI', async () => {
  assert.ok((await rulesHit('node-core/src/p2p/x.ts', "import '../node/data-dir.ts';\n")).includes('no-restricted-imports'));
  assert.ok((await rulesHit('node-core/src/p2p/x.ts', "import '../rpc/server.ts';\n")).includes('no-restricted-imports'));
  assert.deepEqual(await rulesHit('node-core/src/p2p/x.ts', "import '../codec/errors.ts';\nimport '../crypto/hash.ts';\n"), []);
});

test('allowed imports pass', async () => {
  assert.deepEqual(await rulesHit('node-core/src/crypto/x.ts', "import { createHash } from 'node:crypto';\nexport const h = createHash('sha256');\n"), []);
  assert.deepEqual(await rulesHit('node-core/src/node/x.ts', "export const t = Date.now();\n"), []);
});
