import { createRequire } from 'node:module';

/**
 * `npm start` runs this first. Electron is an optional dependency: where its binary could not be
 * downloaded, npm leaves it out, and the app cannot open a window. Say so, and how to run the same
 * UI in a browser instead.
 */
try {
  createRequire(import.meta.url).resolve('electron');
} catch {
  console.error(
    [
      'Electron is not installed here, so the desktop window cannot open.',
      '(npm skips it when its binary cannot be downloaded; run `npm install` on a machine that can reach the Electron release host.)',
      'The same UI runs in a browser against a headless node:  npx ingot ui --data DIR',
    ].join('\n'),
  );
  process.exit(1);
}
