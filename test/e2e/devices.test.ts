import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Results } from '../../node-core/src/api/methods.ts';
import { describeResult, killStrays, rpcResult, runCli, startNode, stdoutJson, tempDir, waitUntil, type RunningNode } from '../support/cli.ts';
import { MOSQUITTO_BIN, startMosquitto } from '../support/mosquitto.ts';
import { launchBrowser, openPage } from './support/browser.ts';
import { assertNoProblems, byTestId, chooseOption, inputOf, steps, uiAddress } from './support/ui.ts';

/**
 * Devices end to end: one `ingot ui` node (loopback) subscribed to a real mosquitto. In the page
 * the founder creates the consortium; a second organisation joins through the CLI and is admitted.
 * The page registers a device with a key the node makes and saves the key file, grants the second
 * organisation read access and revokes it; `ingot device simulate` publishes readings with that key
 * file, and they appear on the device's chart. Last the page offers the device to the second
 * organisation, whose own node accepts, and the page shows the new owner.
 */

const PASSPHRASE = 'correct horse battery staple';
const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0', '--no-mdns'];

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser.close();
  killStrays();
});

/** Toasts of earlier steps would cover the screenshots. */
async function clearToasts(page: Page): Promise<void> {
  await page.evaluate("Promise.all([...document.querySelectorAll('.sl-toast-stack sl-alert')].map((alert) => alert.hide()))");
}

async function createConsortium(page: Page, address: string, organisation: string): Promise<void> {
  await page.goto(address);
  await inputOf(page, 'firstrun-org').fill(organisation);
  await inputOf(page, 'firstrun-consortium').fill('Cold Chain Consortium');
  await inputOf(page, 'firstrun-passphrase').fill(PASSPHRASE);
  await inputOf(page, 'firstrun-passphrase-confirm').fill(PASSPHRASE);
  await byTestId(page, 'firstrun-create').click();
  await page.locator('[data-testid="overview-org-name"]', { hasText: organisation }).waitFor({ timeout: 30_000 });
}

test('registers a device with a generated key, grants and revokes access for a second organisation, sees simulated telemetry on the chart, and transfers the device', { timeout: 240_000, skip: MOSQUITTO_BIN === undefined ? 'mosquitto is not installed' : false }, async () => {
  const { dir, remove } = await tempDir('ingot-e2e-devices-');
  const broker = await startMosquitto(dir);
  const node = await startNode(join(dir, 'acme'), { command: 'ui', args: ['--port', '0', '--mqtt', broker.url], passphrase: undefined });
  const watched = await openPage(browser);
  const { page } = watched;
  const keyPath = join(dir, 'device.key.json');
  let betaId = '';
  let deviceId = '';
  let beta: RunningNode | undefined;
  try {
    await steps(watched, 'devices-consortium', async () => {
      await createConsortium(page, uiAddress(node), 'Acme Cold Storage');
      // A second organisation joins through the CLI and the founder admits it.
      const invite = await rpcResult<Results['invites.create']>(node.api, 'invites.create', { organisation: 'Beta Logistics', roles: ['member'] });
      const joined = await runCli(['join', '--data', join(dir, 'beta'), '--org', 'Beta Logistics', '--invite', invite.code, '--api', '0', ...LOOPBACK], { timeoutMs: 60_000 });
      assert.equal(joined.code, 0, describeResult(joined));
      const request = stdoutJson<{ request: string; orgId: string }>(joined);
      betaId = request.orgId;
      await waitUntil(async () => (await rpcResult<Results['proposals.list']>(node.api, 'proposals.list', {})).proposals.some((p) => p.id === request.request), 'the join request', 30_000, 100);
      const vote = await rpcResult<Results['tx.submit']>(node.api, 'tx.submit', { contract: 'membership', method: 'vote', payload: { proposal: request.request, choice: 'yes' }, waitForCommit: true });
      assert.equal(vote.receipt?.ok, true, JSON.stringify(vote.receipt));
    });

    await steps(watched, 'devices-register', async () => {
      await byTestId(page, 'nav-devices').click();
      await byTestId(page, 'devices-empty').waitFor();
      await byTestId(page, 'devices-register').click();
      await inputOf(page, 'register-model').fill('Reefer RX-40');
      await inputOf(page, 'register-serial').fill('RX40-2291');
      await inputOf(page, 'register-manufacturer').fill('Polar Systems');
      await byTestId(page, 'register-submit').click();
      const result = byTestId(page, 'register-result');
      await result.waitFor({ timeout: 30_000 });
      deviceId = (await result.getAttribute('data-device')) ?? '';
      assert.match(deviceId, /^[0-9a-f]{40}$/);
      await watched.screenshot('device-register');
      const [download] = await Promise.all([page.waitForEvent('download'), byTestId(page, 'register-download').click()]);
      await download.saveAs(keyPath);
      const keyFile = JSON.parse(await readFile(keyPath, 'utf8')) as { kind: string; id: string; seed: string };
      assert.equal(keyFile.kind, 'ingot-device-key');
      assert.equal(keyFile.id, deviceId);
      assert.match(keyFile.seed, /^[0-9a-f]{64}$/);
      await byTestId(page, 'register-done').click();
      const row = page.locator(`[data-testid="device-row"][data-device="${deviceId}"]`);
      await row.waitFor();
      // Search narrows the list; a miss says so.
      await inputOf(page, 'devices-search').fill('polar');
      await row.waitFor();
      await inputOf(page, 'devices-search').fill('no such device');
      await byTestId(page, 'devices-empty').waitFor();
      await inputOf(page, 'devices-search').fill('');
      await row.locator('[data-testid="device-link"]').click();
      await page.locator('[data-testid="device-title"]', { hasText: 'Reefer RX-40' }).waitFor();
      await byTestId(page, 'telemetry-empty').waitFor();
    });

    await steps(watched, 'devices-event', async () => {
      await inputOf(page, 'event-note').fill('Mounted on trailer 7');
      await byTestId(page, 'event-submit').click();
      await page.locator('[data-testid="timeline-entry"][data-method="device.recordEvent"]', { hasText: /Installed[\s\S]*Mounted on trailer 7/ }).waitFor({ timeout: 30_000 });
      await page.locator('[data-testid="device-last-event"]', { hasText: 'Installed' }).waitFor();
    });

    await steps(watched, 'devices-grant', async () => {
      await byTestId(page, 'grants-empty').waitFor();
      await chooseOption(page, 'grant-org', betaId);
      // For a week: a local date and time as a datetime-local input takes it.
      const until = new Date(Date.now() + 7 * 24 * 3600_000);
      const pad = (n: number) => String(n).padStart(2, '0');
      await inputOf(page, 'grant-until').fill(`${until.getFullYear()}-${pad(until.getMonth() + 1)}-${pad(until.getDate())}T${pad(until.getHours())}:${pad(until.getMinutes())}`);
      await byTestId(page, 'grant-submit').click();
      const grant = page.locator(`[data-testid="grant-row"][data-grantee="${betaId}"]`);
      await grant.waitFor({ timeout: 30_000 });
      assert.equal(await grant.getAttribute('data-active'), 'true');
      assert.match(await grant.innerText(), /Beta Logistics[\s\S]*read telemetry[\s\S]*in force[\s\S]*until/);
      await page.locator('[data-testid="timeline-entry"][data-method="device.setPolicy"]', { hasText: 'Beta Logistics: read telemetry' }).waitFor();
      await clearToasts(page);
      await grant.scrollIntoViewIfNeeded();
      await watched.screenshot('device-access');
      await grant.locator('[data-testid="grant-revoke"]').click();
      await byTestId(page, 'grants-empty').waitFor({ timeout: 30_000 });
      // The timeline reads the history when the block arrives, which may be after the grants list: wait for the second entry.
      const policyEntries = page.locator('[data-testid="timeline-entry"][data-method="device.setPolicy"]');
      await policyEntries.nth(1).waitFor({ timeout: 30_000 });
      assert.equal(await policyEntries.count(), 2);
      const device = await rpcResult<Results['device.get']>(node.api, 'device.get', { id: deviceId });
      assert.deepEqual(device.grants.filter((g) => g.permissions.length > 0), []);
    });

    await steps(watched, 'devices-rule', async () => {
      // The simulated reefer reads about -18 °C: a rule for above -30 °C fires with the first reading.
      await byTestId(page, 'rules-empty').waitFor();
      await inputOf(page, 'rule-name').fill('cold-chain');
      await inputOf(page, 'rule-metric').fill('temperature');
      await inputOf(page, 'rule-above').fill('-30');
      await byTestId(page, 'rule-submit').click();
      await page.locator('[data-testid="rule-row"][data-rule="cold-chain"]').waitFor({ timeout: 30_000 });
      await byTestId(page, 'alerts-empty').waitFor();
    });

    await steps(watched, 'devices-telemetry', async () => {
      await waitUntil(async () => (await rpcResult<Results['telemetry.stats']>(node.api, 'telemetry.stats', {})).mqtt?.state === 'connected', 'the node to subscribe to the broker', 15_000, 100);
      const run = await runCli(['device', 'simulate', '--key', keyPath, '--mqtt', broker.url, '--rate', '50', '--batch', '25', '--count', '6'], { timeoutMs: 60_000 });
      assert.equal(run.code, 0, describeResult(run));
      const summary = stdoutJson<{ device: string; points: number }>(run);
      assert.deepEqual([summary.device, summary.points], [deviceId, 150]);
      // The page polls telemetry.query: every point shows on the chart, with the newest value.
      await page.locator('[data-testid="telemetry-chart"][data-points="150"]').waitFor({ timeout: 20_000 });
      assert.match(await byTestId(page, 'telemetry-last').innerText(), /^-?\d+(\.\d+)?/);
      assert.equal(await byTestId(page, 'telemetry-last').getAttribute('data-metric'), 'temperature');
      await page.locator('[data-testid="telemetry-batches"] sl-badge', { hasText: /anchored 6/ }).waitFor({ timeout: 20_000 });
      // The node raised the rule's alert on the ledger, once for the whole episode.
      await byTestId(page, 'alert-row').first().waitFor({ timeout: 20_000 });
      assert.equal(await byTestId(page, 'alert-row').count(), 1);
      await page.locator('[data-testid="timeline-entry"][data-method="telemetry.recordAlert"]', { hasText: 'cold-chain' }).waitFor();
      await clearToasts(page);
      // Tall enough for the whole page: identity, chart, access, transfer, alerts and lifecycle.
      await page.setViewportSize({ width: 1280, height: 2700 });
      await byTestId(page, 'device-title').scrollIntoViewIfNeeded();
      await watched.screenshot('device-detail');
      await page.setViewportSize({ width: 1280, height: 800 });
      await byTestId(page, 'device-back').click();
      const lastData = page.locator(`[data-testid="device-row"][data-device="${deviceId}"] [data-testid="device-last-data"]`);
      await waitUntil(async () => /\d/.test(await lastData.innerText()), 'the last data time in the list', 15_000, 100);
      await clearToasts(page);
      await watched.screenshot('devices');
    });

    await steps(watched, 'devices-transfer', async () => {
      await page.locator(`[data-testid="device-row"][data-device="${deviceId}"] [data-testid="device-link"]`).click();
      await byTestId(page, 'transfer-none').waitFor();
      await chooseOption(page, 'transfer-to', betaId);
      await byTestId(page, 'transfer-offer-submit').click();
      await page.locator('[data-testid="transfer-offer"][data-status="open"]', { hasText: 'Beta Logistics' }).waitFor({ timeout: 30_000 });
      await byTestId(page, 'transfer-withdraw').waitFor();
      // The recipient accepts from its own node, once that node has caught up with the offer.
      beta = await startNode(join(dir, 'beta'), { timeoutMs: 30_000 });
      const offered = await rpcResult<Results['device.get']>(node.api, 'device.get', { id: deviceId });
      await waitUntil(async () => {
        const seen = await rpcResult<Results['device.get']>(beta!.api, 'device.get', { id: deviceId }).catch(() => undefined);
        return seen?.offer?.status === 'open' && seen.offer.height === offered.offer?.height;
      }, 'the recipient node to see the offer', 60_000, 200);
      const accepted = await rpcResult<Results['device.acceptTransfer']>(beta.api, 'device.acceptTransfer', { device: deviceId }, 30_000);
      assert.ok(accepted.height > 0);
      await page.locator('[data-testid="device-owner"]', { hasText: 'Beta Logistics' }).waitFor({ timeout: 30_000 });
      await byTestId(page, 'transfer-none').waitFor();
      // The former owner holds no read-history: the node refuses the history now, and the page says so with the code.
      await page.locator('[data-testid="timeline-error"] sl-alert[data-code="PERMISSION_DENIED"]').waitFor();
      // Its readings now come from the new owner's node, which refuses them to an organisation without read-telemetry.
      await page.locator('[data-testid="telemetry-error"] sl-alert[data-code="PERMISSION_DENIED"]').waitFor({ timeout: 20_000 });
      // No longer the owner: no grant form, no offer form.
      assert.equal(await byTestId(page, 'grant-submit').count(), 0);
      assert.equal(await byTestId(page, 'transfer-offer-submit').count(), 0);
      // The list still shows it, with its new owner, except when asked for this organisation's devices only.
      await byTestId(page, 'device-back').click();
      const row = page.locator(`[data-testid="device-row"][data-device="${deviceId}"]`);
      await row.filter({ hasText: 'Beta Logistics' }).waitFor();
      await byTestId(page, 'devices-own').click();
      await byTestId(page, 'devices-empty').waitFor();
      await byTestId(page, 'devices-own').click();
      await row.waitFor();
    });

    await steps(watched, 'devices-zh-hans', async () => {
      await byTestId(page, 'nav-settings').click();
      await chooseOption(page, 'settings-language', 'zh-Hans');
      await page.locator('[data-testid="nav-devices"]', { hasText: '设备' }).waitFor();
      await byTestId(page, 'nav-devices').click();
      await page.locator(`[data-testid="device-row"][data-device="${deviceId}"] [data-testid="device-link"]`).click();
      await page.locator('[data-testid="device-back"]', { hasText: '全部设备' }).waitFor();
      await page.locator('[data-testid="timeline-error"] sl-alert[data-code="PERMISSION_DENIED"]').waitFor({ timeout: 20_000 });
      // Opened afresh, the page asks the owner's node at once and shows none of the readings this node kept.
      await page.locator('[data-testid="telemetry-error"] sl-alert[data-code="PERMISSION_DENIED"]').waitFor({ timeout: 20_000 });
      assert.equal(await byTestId(page, 'telemetry-chart').count(), 0);
      await clearToasts(page);
      await watched.screenshot('device-detail-zh-hans');
      await byTestId(page, 'nav-settings').click();
      await chooseOption(page, 'settings-language', 'en');
    });

    assertNoProblems(watched, node.api.token);
  } finally {
    await page.context().close();
    await beta?.stop().catch(() => undefined);
    await node.stop();
    await broker.stop();
    await remove();
  }
});
