/**
 * The web UI in headless Chromium (Debian's `chromium`, driven by playwright-core) against a real
 * master and agent: every page loads without errors, a task launched while the page is open shows
 * up and changes state without a reload, its page tails its output from the agent, the page works
 * from the keyboard, and a screenshot of the overview is kept in `test/ui/artifacts/overview.png`.
 *
 * Without Chromium the suite is skipped, except under CI (`CI` set), where that is a failure.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Cluster, type MesoProcess } from '../helpers/cluster.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';

const CHROMIUM = process.env['MESO_CHROMIUM'] ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const UI_WAIT_MS = 15_000;

/** `test/ui/artifacts` of the repository (this file runs from `dist/test/ui`). */
function artifactsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return join(dir, 'test', 'ui', 'artifacts');
}

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI'] !== undefined) {
  throw new Error(`Chromium is missing at ${CHROMIUM}; CI must install it (apt-get install chromium)`);
}

describe('web UI', { skip: haveChromium ? false : `no Chromium at ${CHROMIUM}` }, () => {
  const cluster = new Cluster();
  let master: MesoProcess;
  let browser: Browser;
  let page: Page;
  let scheduler: TestScheduler;
  const problems: string[] = [];

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    await cluster.startAgent(master.url, {
      resources: 'cpus:4;mem:4096;disk:2048;ports:[31000-31099]',
      attributes: 'rack:r1',
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    scheduler = new TestScheduler(master.url, { name: 'ui-test-framework' });
    await scheduler.subscribe();
  });
  after(async () => {
    await browser?.close();
    await scheduler?.[Symbol.asyncDispose]();
    await cluster.stopAll();
  });

  it('loads every page, with landmarks, labelled controls and captioned tables', async () => {
    await page.goto(`${master.url}/`);
    await page.getByRole('status').filter({ hasText: 'Live' }).waitFor({ timeout: UI_WAIT_MS });
    const pages: [string, string, string][] = [
      ['#/', 'Cluster', 'Leading master'],
      ['#/agents', 'Agents', 'rack=r1'],
      ['#/frameworks', 'Frameworks', 'ui-test-framework'],
      ['#/tasks', 'Tasks', 'No task matches.'],
      ['#/roles', 'Roles', '*'],
    ];
    for (const [hash, title, text] of pages) {
      await page.goto(`${master.url}/${hash}`);
      await page.getByRole('heading', { level: 1, name: title }).waitFor({ timeout: UI_WAIT_MS });
      await page.locator('main').getByText(text, { exact: false }).first().waitFor({ timeout: UI_WAIT_MS });
      assert.equal(await page.getByRole('banner').count(), 1, `${title}: one banner`);
      assert.equal(
        await page.getByRole('navigation', { name: 'Main' }).count(),
        1,
        `${title}: main navigation`,
      );
      assert.equal(await page.getByRole('main').count(), 1, `${title}: one main`);
      const unlabelled = await page.$$eval('main input, main select', (controls) =>
        controls.filter((c) => c.labels === null || c.labels.length === 0).map((c) => c.outerHTML),
      );
      assert.deepEqual(unlabelled, [], `${title}: every control has a label`);
      const uncaptioned = await page.$$eval(
        'main table',
        (tables) => tables.filter((t) => t.caption === null).length,
      );
      assert.equal(uncaptioned, 0, `${title}: every table has a caption`);
      assert.equal(
        await page.locator('[aria-current="page"]').textContent(),
        { Cluster: 'Overview' }[title] ?? title,
      );
    }
    assert.deepEqual(problems, []);
  });

  it('shows a task launched while the page is open, and its state changes, without reloading', async () => {
    await page.goto(`${master.url}/#/tasks`);
    await page.getByRole('heading', { level: 1, name: 'Tasks' }).waitFor();
    await page.evaluate('window.notReloaded = true');
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [
      commandTask(offer!, 'ui-task-1', 'echo hello from the ui test; echo to stderr >&2; sleep 4; echo bye'),
    ]);
    const row = page.getByRole('row').filter({ hasText: 'ui-task-1' });
    await row.waitFor({ timeout: UI_WAIT_MS });
    await row.getByText('running', { exact: true }).waitFor({ timeout: UI_WAIT_MS });
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded');

    await page.getByLabel('Search').fill('no-such');
    await page.getByText('No task matches.').waitFor();
    await page.getByLabel('Search').fill('ui-task');
    await page.getByLabel('State').selectOption('all');
    await row.waitFor();
    assert.match(page.url(), /#\/tasks\?state=all&q=ui-task$/);
  });

  it("opens the task's page and tails its stdout and stderr from the agent", async () => {
    await page.getByRole('link', { name: 'ui-task-1' }).click();
    await page.getByRole('heading', { level: 1, name: 'Task ui-task-1' }).waitFor();
    const stdout = page.getByRole('log', { name: 'stdout' });
    await stdout.getByText('hello from the ui test').waitFor({ timeout: UI_WAIT_MS });
    await page.getByRole('log', { name: 'stderr' }).getByText('to stderr').waitFor({ timeout: UI_WAIT_MS });
    const history = page.getByRole('table', { name: 'Status history, newest first' });
    await history.getByText('running').waitFor();
    // The task ends while the page is open: the last output arrives and the state follows.
    await stdout.getByText('bye').waitFor({ timeout: UI_WAIT_MS });
    await page.locator('.facts').getByText('finished').waitFor({ timeout: UI_WAIT_MS });
    await page.getByText('The task has ended; its output is complete.').waitFor({ timeout: UI_WAIT_MS });
    assert.deepEqual(problems, []);
  });

  it('can be used from the keyboard: skip link, navigation, focus on the new page', async () => {
    await page.goto('about:blank');
    await page.goto(`${master.url}/#/`);
    await page.getByRole('heading', { level: 1, name: 'Cluster' }).waitFor();
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate('document.activeElement?.textContent'), 'Skip to content');
    await page.keyboard.press('Enter');
    assert.equal(await page.evaluate('document.activeElement?.id'), 'page-title');
    await page.getByRole('link', { name: 'Frameworks', exact: true }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: 'Frameworks' }).waitFor();
    assert.equal(
      await page.evaluate('document.activeElement?.id'),
      'page-title',
      'focus moves to the heading',
    );
  });

  it('saves a screenshot of the overview with a task running', async () => {
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [
      commandTask(offer!, 'ui-task-2', 'sleep 60', 'cpus:1.5;mem:1024'),
    ]);
    await page.goto('about:blank');
    await page.goto(`${master.url}/#/`);
    await page.getByRole('link', { name: '1 running' }).waitFor({ timeout: UI_WAIT_MS });
    await page.getByRole('img', { name: /^cpus: 1\.5 used/ }).waitFor({ timeout: UI_WAIT_MS });
    // A few allocation samples, so that the trend charts show a line.
    await page.getByText(/cpus allocated: .* \(last [4-9] samples\)/).waitFor({ timeout: UI_WAIT_MS });
    const dir = artifactsDir();
    await mkdir(dir, { recursive: true });
    await page.screenshot({ path: join(dir, 'overview.png'), fullPage: true });
    assert.ok(existsSync(join(dir, 'overview.png')));
    assert.deepEqual(problems, []);
  });

  it('shows an agent the operator deactivates as such, live, and active again once reactivated', async () => {
    const state = (await (await fetch(`${master.url}/master/state`)).json()) as { slaves: { id: string }[] };
    const agentId = state.slaves[0]?.id ?? '';
    const operator = (type: string, field: string) =>
      fetch(`${master.url}/api/v1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type, [field]: { agent_id: { value: agentId } } }),
      });
    await page.goto(`${master.url}/#/agents`);
    const stateCell = page.locator('main tr', { hasText: agentId }).locator('td').nth(1);
    await stateCell.filter({ hasText: /^active$/ }).waitFor({ timeout: UI_WAIT_MS });
    assert.equal((await operator('DEACTIVATE_AGENT', 'deactivate_agent')).status, 200);
    await stateCell.filter({ hasText: /^deactivated$/ }).waitFor({ timeout: UI_WAIT_MS });
    assert.equal((await operator('REACTIVATE_AGENT', 'reactivate_agent')).status, 200);
    await stateCell.filter({ hasText: /^active$/ }).waitFor({ timeout: UI_WAIT_MS });
  });
});
