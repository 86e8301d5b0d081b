import { build } from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import systemIcons from '@shoelace-style/shoelace/dist/components/icon/library.system.js';
import { ICONS_USED, SYSTEM_ICONS } from './src/shoelace.ts';

/**
 * Bundles the renderer into renderer/dist: one ES module, the page, the two Shoelace themes and
 * only the icons the screens name, so the window needs nothing from the network.
 */
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const dist = join(here, 'dist');
const shoelace = join(root, 'node_modules/@shoelace-style/shoelace/dist');

await rm(dist, { recursive: true, force: true });
await mkdir(join(dist, 'shoelace/themes'), { recursive: true });
await mkdir(join(dist, 'shoelace/assets/icons'), { recursive: true });
await mkdir(join(dist, 'shoelace/assets/system'), { recursive: true });

await build({
  entryPoints: [join(here, 'src/main.ts')],
  outfile: join(dist, 'main.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2023',
  minify: true,
  sourcemap: process.argv.includes('--sourcemap'),
  legalComments: 'linked',
  logLevel: 'warning',
});

await Promise.all([
  copyFile(join(here, 'index.html'), join(dist, 'index.html')),
  copyFile(join(here, 'app.css'), join(dist, 'app.css')),
  copyFile(join(shoelace, 'themes/light.css'), join(dist, 'shoelace/themes/light.css')),
  copyFile(join(shoelace, 'themes/dark.css'), join(dist, 'shoelace/themes/dark.css')),
  ...ICONS_USED.map((icon) => copyFile(join(shoelace, `assets/icons/${icon}.svg`), join(dist, `shoelace/assets/icons/${icon}.svg`))),
  ...SYSTEM_ICONS.map((icon) => writeFile(join(dist, `shoelace/assets/system/${icon}.svg`), systemIconSvg(icon))),
]);

function systemIconSvg(name: string): string {
  const url = String(systemIcons.resolver(name));
  const prefix = 'data:image/svg+xml,';
  if (!url.startsWith(prefix)) throw new Error(`Shoelace has no system icon "${name}"`);
  return decodeURIComponent(url.slice(prefix.length)).trim();
}

const bundle = await readFile(join(dist, 'main.js'));
process.stdout.write(`${JSON.stringify({ bundle: 'renderer/dist/main.js', bytes: bundle.length, gzipBytes: gzipSync(bundle).length, icons: ICONS_USED.length })}\n`);
