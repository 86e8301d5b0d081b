import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { startNode, type RunningNode } from '../../support/cli.ts';
import type { WatchedPage } from './browser.ts';

/** What the end-to-end UI tests share: finding things the way a person would, and starting `ingot ui`. */

export const byTestId = (page: Page, id: string) => page.locator(`[data-testid="${id}"]`);
/** Shoelace inputs render their <input> in an open shadow root, which locators pierce. */
export const inputOf = (page: Page, id: string) => page.locator(`[data-testid="${id}"] input`);

export async function startUi(dataDir: string): Promise<RunningNode> {
  return startNode(dataDir, { command: 'ui', args: ['--port', '0'], passphrase: undefined });
}

export const uiAddress = (node: RunningNode) => `http://127.0.0.1:${node.api.port}/#token=${node.api.token}`;

/**
 * Waits out the listbox's open and close animations, which would swallow a click; a click still
 * lost (the page re-rendering under it on a new block) is made again, a bounded number of times.
 */
export async function chooseOption(page: Page, selectId: string, value: string): Promise<void> {
  const select = byTestId(page, selectId);
  const open = page.locator(`[data-testid="${selectId}"][open]`);
  for (let attempt = 1; ; attempt++) {
    if ((await open.count()) === 0) await select.click();
    await open.waitFor();
    await page.locator(`[data-testid="${selectId}"] sl-option[value="${value}"]`).click();
    try {
      await open.waitFor({ state: 'detached', timeout: 3_000 });
      break;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
  assert.equal(await select.evaluate((element) => (element as unknown as { value: string }).value), value, `${selectId} holds the option chosen`);
  await page.locator(`[data-testid="${selectId}"] sl-popup [part~="popup"]`).waitFor({ state: 'hidden' });
}

/** Runs a test's steps; on failure the page as it was goes to `failure-<name>.png` and its problems into the error. */
export async function steps(watched: WatchedPage, name: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    await watched.screenshot(`failure-${name}`).catch(() => undefined);
    const problems = watched.problems();
    if (problems.length > 0 && error instanceof Error) error.message += `\npage problems:\n${problems.join('\n')}`;
    throw error;
  }
}

/** `expected` names errors the test caused on purpose, such as a refused connection while the node was stopped. */
export function assertNoProblems(watched: WatchedPage, token: string, expected?: RegExp): void {
  assert.deepEqual(watched.problems().filter((problem) => expected === undefined || !expected.test(problem)), []);
  assert.equal(watched.consoleText().includes(token), false, 'the page never logs the API token');
}
