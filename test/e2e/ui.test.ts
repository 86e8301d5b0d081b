import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { killStrays, tempDir } from '../support/cli.ts';
import { launchBrowser, openPage, type WatchedPage } from './support/browser.ts';
import { assertNoProblems, byTestId, chooseOption, inputOf, startUi, steps, uiAddress } from './support/ui.ts';

/**
 * The web-mode UI end to end: a real node started by `ingot ui` in a temp directory, Debian's
 * Chromium, and only what a person does — type, click, read.
 */

const PASSPHRASE = 'correct horse battery staple';

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
  killStrays();
});

test('first run, a profile change seen in the Explorer with its proof verified, Chinese and back, and a reload that stays signed in', async () => {
  const { dir, remove } = await tempDir('ingot-e2e-');
  const node = await startUi(join(dir, 'node'));
  const watched = await openPage(browser);
  const { page } = watched;
  try {
    await steps(watched, 'first-run-flow', async () => {
      await page.goto(uiAddress(node));
      await byTestId(page, 'firstrun-org').waitFor();
      await watched.screenshot('first-run');
      await inputOf(page, 'firstrun-org').fill('Acme Precision Parts');
      await inputOf(page, 'firstrun-registry').fill('91310000MA1FL4XY2K');
      await inputOf(page, 'firstrun-passphrase').fill(PASSPHRASE);
      await inputOf(page, 'firstrun-passphrase-confirm').fill(PASSPHRASE);
      await byTestId(page, 'firstrun-create').click();

      await byTestId(page, 'overview-org-name').waitFor({ timeout: 30_000 });
      assert.match(await byTestId(page, 'overview-org-name').innerText(), /Acme Precision Parts/);
      await page.locator('[data-testid="status-connection"]', { hasText: /connected/i }).waitFor();
      assert.match(await byTestId(page, 'status-height').innerText(), /\d/);
      await watched.screenshot('overview');

      await byTestId(page, 'nav-identity').click();
      await byTestId(page, 'profile-edit').click();
      await inputOf(page, 'profile-contact').fill('ops@acme.example');
      await byTestId(page, 'profile-save').click();
      await page.locator('[data-testid="profile-contact-value"]', { hasText: 'ops@acme.example' }).waitFor({ timeout: 30_000 });
      await watched.screenshot('identity');

      await byTestId(page, 'nav-explorer').click();
      // The profile change is the chain's only transaction, so the newest block holds it.
      await byTestId(page, 'block-row').first().waitFor();
      await watched.screenshot('explorer');
      await byTestId(page, 'block-row').first().click();
      await byTestId(page, 'tx-link').first().waitFor();
      await watched.screenshot('block');
      await byTestId(page, 'tx-link').first().click();
      await page.locator('[data-testid="proof-status"]', { hasText: /verified/i }).waitFor();
      // The block's commit certificate, checked in the page against the node's validators.
      await page.locator('[data-testid="finality-status"][data-ok="true"]', { hasText: /Finality verified/ }).waitFor();
      assert.match(await byTestId(page, 'finality-status').innerText(), /\d+ of \d+ voting power/);
      assert.match(await byTestId(page, 'receipt-note').innerText(), /reported by the node/);
      assert.match(await byTestId(page, 'tx-method').innerText(), /updateProfile/);
      assert.match(await byTestId(page, 'tx-payload').innerText(), /ops@acme\.example/);
      await watched.screenshot('transaction');

      await byTestId(page, 'nav-settings').click();
      await watched.screenshot('settings');
      await chooseOption(page, 'settings-language', 'zh-Hans');
      await page.locator('[data-testid="nav-overview"]', { hasText: /[\u4e00-\u9fff]/ }).waitFor();
      await watched.screenshot('settings-zh-hans');
      await chooseOption(page, 'settings-language', 'en');
      await page.locator('[data-testid="nav-overview"]', { hasText: 'Overview' }).waitFor();

      await page.reload();
      await byTestId(page, 'overview-org-name').or(byTestId(page, 'status-bar')).first().waitFor();
      assert.equal(page.url().includes('token='), false, 'the token left the address bar');
      assert.equal(await byTestId(page, 'not-authorised').count(), 0);
      await page.locator('[data-testid="status-connection"]', { hasText: /connected/i }).waitFor();
      await byTestId(page, 'nav-identity').click();
      await page.locator('[data-testid="profile-contact-value"]', { hasText: 'ops@acme.example' }).waitFor();
      assertNoProblems(watched, node.api.token);
    });
  } finally {
    await watched.page.context().close();
    await node.stop();
    await remove();
  }
});

test('without the token, or with a wrong one, the UI says it is not authorised and the node refuses it', async () => {
  const { dir, remove } = await tempDir('ingot-e2e-');
  const node = await startUi(join(dir, 'node'));
  const watched = await openPage(browser, { colorScheme: 'dark' });
  const { page } = watched;
  try {
    await steps(watched, 'not-authorised', async () => {
      await page.goto(`http://127.0.0.1:${node.api.port}/`);
      await byTestId(page, 'not-authorised').waitFor();
      await page.goto(`http://127.0.0.1:${node.api.port}/#token=${'0'.repeat(64)}`);
      await page.reload();
      await byTestId(page, 'not-authorised').waitFor();
      await watched.screenshot('not-authorised');
      assert.equal(await byTestId(page, 'firstrun-org').count(), 0);
    });
  } finally {
    await watched.page.context().close();
    await node.stop();
    await remove();
  }
});

test('a node started again asks for the passphrase, refuses a wrong one with its code, and opens with the right one, in every open tab', async () => {
  const { dir, remove } = await tempDir('ingot-e2e-');
  const dataDir = join(dir, 'node');
  let node = await startUi(dataDir);
  const watched = await openPage(browser);
  const { page } = watched;
  let other: WatchedPage | undefined;
  try {
    await steps(watched, 'unlock', async () => {
      await page.goto(uiAddress(node));
      await inputOf(page, 'firstrun-org').fill('Recycling Co');
      await inputOf(page, 'firstrun-passphrase').fill(PASSPHRASE);
      await inputOf(page, 'firstrun-passphrase-confirm').fill(PASSPHRASE);
      await byTestId(page, 'firstrun-create').click();
      await byTestId(page, 'overview-org-name').waitFor({ timeout: 30_000 });
      await node.stop();

      node = await startUi(dataDir);
      await page.goto(uiAddress(node));
      await page.reload();
      await byTestId(page, 'unlock-passphrase').waitFor();
      assert.equal(await byTestId(page, 'unlock-error').count(), 0, 'nothing has been tried yet');
      // A second tab waits at the unlock screen and must follow the unlock made in the first.
      other = await openPage(browser);
      await other.page.goto(uiAddress(node));
      await byTestId(other.page, 'unlock-passphrase').waitFor();
      await inputOf(page, 'unlock-passphrase').fill('not the passphrase');
      await byTestId(page, 'unlock-submit').click();
      await page.locator('[data-testid="unlock-error"]', { hasText: 'KEYSTORE_WRONG_PASSPHRASE' }).waitFor();
      await page.locator('[data-testid="unlock-submit"]:not([loading])').waitFor();
      await watched.screenshot('unlock-wrong-passphrase');
      await inputOf(page, 'unlock-passphrase').fill(PASSPHRASE);
      await byTestId(page, 'unlock-submit').click();
      await page.locator('[data-testid="overview-org-name"]', { hasText: 'Recycling Co' }).waitFor({ timeout: 30_000 });
      await other.page.locator('[data-testid="overview-org-name"]', { hasText: 'Recycling Co' }).waitFor({ timeout: 15_000 });
      assertNoProblems(watched, node.api.token, /ERR_CONNECTION_REFUSED/);
      assertNoProblems(other, node.api.token);
    });
  } finally {
    await other?.page.context().close();
    await watched.page.context().close();
    await node.stop();
    await remove();
  }
});
