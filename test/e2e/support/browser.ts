import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core: no browser download, a fresh profile per launch, and
 * the background services that would dial out of this machine turned off.
 */
export const CHROMIUM_PATH = process.env.INGOT_CHROMIUM ?? '/usr/bin/chromium';

/** Screenshots land here (git-ignored); `npm run docs:screenshots` points it at docs/images. */
export const SCREENSHOT_DIR = process.env.INGOT_SCREENSHOT_DIR ?? fileURLToPath(new URL('../../../test-results/', import.meta.url));

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchedPage {
  readonly page: Page;
  /** Page errors and console errors so far: a CSP violation or an uncaught exception shows up here. */
  problems(): string[];
  /** Every console line so far, to prove what the page never logs. */
  consoleText(): string;
  screenshot(name: string): Promise<void>;
}

export async function openPage(browser: Browser, options: { colorScheme?: 'light' | 'dark' } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: options.colorScheme ?? 'light' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  const problems: string[] = [];
  const lines: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    lines.push(message.text());
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  return {
    page,
    problems: () => [...problems],
    consoleText: () => lines.join('\n'),
    async screenshot(name) {
      await mkdir(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
    },
  };
}
