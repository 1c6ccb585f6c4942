/**
 * "Why not placed" in the web UI: a master, an agent with small resources and the services
 * framework (`meso services`). The framework's `webui_url` (its REST API) is in `/master/state`,
 * its read endpoints allow any origin, and an app that cannot fit shows up on the frameworks page
 * with the framework's reason, without a reload. Once the framework's API is gone, the page says
 * "not reachable" and keeps working.
 *
 * Without Chromium the suite is skipped, except under CI (`CI` set), where that is a failure.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import { api, startFrameworkDaemon } from '../integration/framework-harness.js';

const CHROMIUM = process.env['MESO_CHROMIUM'] ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
const UI_WAIT_MS = 20_000;

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env['CI'] !== undefined) {
  throw new Error(`Chromium is missing at ${CHROMIUM}; CI must install it (apt-get install chromium)`);
}

interface StateFramework {
  readonly name: string;
  readonly webui_url: string;
}

describe('web UI: why not placed', { skip: haveChromium ? false : `no Chromium at ${CHROMIUM}` }, () => {
  let master: MesoProcess;
  let services: MesoProcess;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    await cluster.startAgent(master.url, { resources: 'cpus:1;mem:512;disk:512;ports:[31000-31009]' });
    services = await startFrameworkDaemon('services', { master: master.url });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
    page = await browser.newPage({ viewport: { width: 1366, height: 860 } });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  });
  after(async () => {
    await browser?.close();
    await services?.stop();
    await cluster.stopAll();
  });

  it("puts the framework's REST API in webui_url, and its reads allow any origin", async () => {
    let framework: StateFramework | undefined;
    await waitFor(
      async () => {
        const state = (await (await fetch(`${master.url}/master/state`)).json()) as {
          frameworks: StateFramework[];
        };
        framework = state.frameworks.find((f) => f.name === 'meso-services');
        return framework !== undefined;
      },
      UI_WAIT_MS,
      'the services framework in /master/state',
    );
    assert.equal(framework?.webui_url, services.url);
    const queue = await fetch(`${services.url}/v2/queue`, { headers: { Origin: master.url } });
    assert.equal(queue.status, 200);
    assert.equal(queue.headers.get('access-control-allow-origin'), '*');
    assert.deepEqual(await queue.json(), { queue: [] });
  });

  it('shows an app that cannot fit, with the reason, without reloading', async () => {
    await page.goto(`${master.url}/#/frameworks`);
    await page.getByRole('heading', { level: 1, name: 'Frameworks' }).waitFor({ timeout: UI_WAIT_MS });
    const section = page.getByRole('region', { name: 'Why not placed' });
    await section.getByText('Every app has its instances.').waitFor({ timeout: UI_WAIT_MS });
    await page.evaluate('window.notReloaded = true');

    const created = await api(services.url, 'POST', '/v2/apps', {
      id: 'too-big',
      cmd: 'sleep 1000',
      cpus: 64,
      mem: 32,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const app = section.locator('.waiting-app').filter({ hasText: 'too-big' });
    await app.waitFor({ timeout: UI_WAIT_MS });
    await app
      .getByText(/not enough cpus/)
      .first()
      .waitFor({ timeout: UI_WAIT_MS });
    assert.match((await app.textContent()) ?? '', /1 to launch/);
    assert.equal(await page.evaluate('window.notReloaded'), true, 'the page was not reloaded');
    assert.deepEqual(problems, []);
  });

  it('says "not reachable" once the framework API is gone, and the page keeps working', async () => {
    await services.stop();
    const section = page.getByRole('region', { name: 'Why not placed' });
    await section.getByText(/not reachable/).waitFor({ timeout: UI_WAIT_MS });
    await page.locator('main').getByText('meso-services').first().waitFor();
    await page.goto(`${master.url}/#/`);
    await page.getByRole('heading', { level: 1, name: 'Cluster' }).waitFor({ timeout: UI_WAIT_MS });
    assert.deepEqual(problems, []);
  });
});
