import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Locator, Page } from 'playwright-core';
import { killStrays, tempDir, type RunningNode } from '../support/cli.ts';
import { launchBrowser, openPage } from './support/browser.ts';
import { assertNoProblems, byTestId, inputOf, startUi, steps, uiAddress } from './support/ui.ts';

/**
 * Membership end to end: two `ingot ui` nodes on two data directories (loopback only), each in its
 * own browser page. A creates the consortium and invites; B joins by reading the invite's QR code
 * from a picture; A approves the join request; B sees itself as a member.
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

async function createConsortium(page: Page, node: RunningNode, organisation: string): Promise<void> {
  await page.goto(uiAddress(node));
  await inputOf(page, 'firstrun-org').fill(organisation);
  await inputOf(page, 'firstrun-consortium').fill('Precision Supply Chain');
  await inputOf(page, 'firstrun-passphrase').fill(PASSPHRASE);
  await inputOf(page, 'firstrun-passphrase-confirm').fill(PASSPHRASE);
  await byTestId(page, 'firstrun-create').click();
  await page.locator('[data-testid="overview-org-name"]', { hasText: organisation }).waitFor({ timeout: 30_000 });
}

/** Polls an input until it holds `expected` (a value set by the page, not typed). */
async function waitForValue(locator: Locator, expected: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await locator.inputValue()) !== expected) {
    if (Date.now() > deadline) assert.fail(`the input never held the expected value (it holds "${(await locator.inputValue()).slice(0, 60)}…")`);
    await sleep(100);
  }
}

const memberRow = (page: Page, name: string) => page.locator('[data-testid="member-row"]', { hasText: name });

test('an admin invites from the Members screen, a second node joins by reading the QR code from a picture, the admin approves, and the joiner is a member', async () => {
  const { dir, remove } = await tempDir('ingot-e2e-members-');
  const nodeA = await startUi(join(dir, 'a'));
  const nodeB = await startUi(join(dir, 'b'));
  const a = await openPage(browser);
  const b = await openPage(browser);
  try {
    let code = '';
    let qrPicture: Buffer = Buffer.alloc(0);
    await steps(a, 'members-invite', async () => {
      await createConsortium(a.page, nodeA, 'Acme Precision Parts');
      await byTestId(a.page, 'nav-members').click();
      await memberRow(a.page, 'Acme Precision Parts').waitFor();
      await byTestId(a.page, 'join-requests-empty').waitFor();
      await byTestId(a.page, 'members-invite').click();
      await inputOf(a.page, 'invite-org').fill('Beta Metals');
      await byTestId(a.page, 'invite-create').click();
      await byTestId(a.page, 'invite-result').waitFor({ timeout: 30_000 });
      code = await a.page.locator('[data-testid="invite-code"] textarea').inputValue();
      assert.match(code, /^ingot-invite:[A-Za-z0-9_-]+$/);
      await a.screenshot('invite-dialog');
      qrPicture = await byTestId(a.page, 'invite-qr').screenshot();
      await byTestId(a.page, 'invite-done').click();
      await a.page.locator('[data-testid="invite-row"]', { hasText: 'Beta Metals' }).waitFor();
    });

    await steps(b, 'join', async () => {
      await b.page.goto(uiAddress(nodeB));
      await byTestId(b.page, 'firstrun-join').click();
      // The window has no camera: a picture of the QR code is read in the page.
      await byTestId(b.page, 'join-scan-file').setInputFiles({ name: 'invite.png', mimeType: 'image/png', buffer: qrPicture });
      await waitForValue(b.page.locator('[data-testid="join-invite"] textarea'), code);
      await inputOf(b.page, 'join-org').fill('Beta Metals');
      await inputOf(b.page, 'join-passphrase').fill(PASSPHRASE);
      await inputOf(b.page, 'join-passphrase-confirm').fill(PASSPHRASE);
      await b.screenshot('join-form');
      await byTestId(b.page, 'join-submit').click();
      await b.page.locator('[data-testid="join-progress"][data-stage="awaiting-admission"]').waitFor({ timeout: 60_000 });
      assert.match(await byTestId(b.page, 'join-waiting').innerText(), /Waiting for approval/);
      await b.screenshot('join-waiting');
    });

    await steps(a, 'approve', async () => {
      const request = a.page.locator('[data-testid="proposal"][data-kind="admit"][data-status="open"]', { hasText: 'Beta Metals' });
      await request.waitFor({ timeout: 30_000 });
      assert.equal(await request.locator('[data-testid="own-vote"]').getAttribute('data-vote'), 'none');
      await a.screenshot('join-request');
      await request.locator('[data-testid="vote-yes"]').click();
      await memberRow(a.page, 'Beta Metals').waitFor({ timeout: 30_000 });
      await byTestId(a.page, 'join-requests-empty').waitFor();
    });

    await steps(a, 'org-detail', async () => {
      assert.equal(await memberRow(a.page, 'Beta Metals').locator('[data-testid="member-status"]').innerText(), 'active');
      await a.screenshot('members');
      await memberRow(a.page, 'Beta Metals').locator('[data-testid="member-link"]').click();
      await a.page.locator('[data-testid="org-name"]', { hasText: 'Beta Metals' }).waitFor();
      await a.page.locator('[data-testid="proposal"][data-kind="admit"][data-status="passed"]').waitFor();
      await byTestId(a.page, 'subject-history').locator('tbody tr').first().waitFor();
      await a.screenshot('org-detail');
    });
    await steps(b, 'member', async () => {
      // On loopback the joiner connects and catches up within seconds of the vote.
      await byTestId(b.page, 'nav-members').waitFor({ timeout: 60_000 });
      await byTestId(b.page, 'nav-members').click();
      const self = memberRow(b.page, 'Beta Metals');
      await self.waitFor({ timeout: 30_000 });
      assert.match(await self.innerText(), /you/);
      assert.equal(await self.locator('[data-testid="member-status"]').innerText(), 'active');
      await memberRow(b.page, 'Acme Precision Parts').locator('[data-testid="node-state"][data-state="online"]').waitFor({ timeout: 30_000 });
      await b.screenshot('members-joined');
      // And the founder, still on the new member's page, sees its node online.
      await a.page.locator('[data-testid="org-nodes"] [data-testid="node-state"][data-state="online"]').waitFor({ timeout: 30_000 });
    });

    assertNoProblems(a, nodeA.api.token);
    assertNoProblems(b, nodeB.api.token);
  } finally {
    await b.page.context().close();
    await a.page.context().close();
    await nodeB.stop();
    await nodeA.stop();
    await remove();
  }
});
