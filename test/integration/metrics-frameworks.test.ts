/**
 * A framework scheduler daemon's own `/metrics`: `meso services` (state in memory) against a real
 * master and agent. An app of 2 instances shows up as 2 tasks wanted, then 2 running, 2 launches
 * and 2 launch latencies; `promtool check metrics` accepts the output (skipped locally without
 * Prometheus, failing under CI instead).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import { type ExposedSample, prometheusSkipReason, promtool, scrape, sumOf } from '../helpers/prometheus.js';
import { api, startFrameworkDaemon } from './framework-harness.js';

const WAIT_MS = 30_000;

describe('framework scheduler metrics', () => {
  const cluster = new Cluster();
  let services: MesoProcess;

  before(async () => {
    const master = await cluster.startMaster({ allocation_interval: '100ms' });
    await cluster.startAgent(master.url, { resources: 'cpus:2;mem:1024;disk:512' });
    services = await startFrameworkDaemon('services', { master: master.url });
  });
  after(async () => {
    // Kill the tasks through the framework before the agent goes: they would outlive it.
    if (services !== undefined) {
      await api(services.url, 'DELETE', '/v2/apps/sleepers').catch(() => undefined);
      await waitFor(
        async () => sumOf(await scrape(services.url), 'meso_scheduler_tasks') === 0,
        WAIT_MS,
        'the app tasks to end',
      ).catch(() => undefined);
      await services.stop();
    }
    await cluster.stopAll();
  });

  it('reports tasks wanted and running, launches and launch latency for an app', async () => {
    const before = await scrape(services.url);
    assert.equal(sumOf(before, 'meso_scheduler_tasks_wanted'), 0);
    const created = await api(services.url, 'POST', '/v2/apps', {
      id: 'sleepers',
      cmd: 'sleep 600',
      instances: 2,
      cpus: 0.1,
      mem: 32,
    });
    assert.ok(created.status < 300, `creating the app: ${created.status} ${JSON.stringify(created.body)}`);
    const samples: ExposedSample[] = await waitFor(
      async () => {
        const s = await scrape(services.url);
        return sumOf(s, 'meso_scheduler_tasks_running') === 2 && s;
      },
      WAIT_MS,
      '2 running tasks in the scheduler metrics',
    );
    assert.equal(sumOf(samples, 'meso_scheduler_tasks_wanted'), 2);
    assert.equal(sumOf(samples, 'meso_scheduler_tasks_wanted', { role: '*' }), 2);
    assert.equal(sumOf(samples, 'meso_scheduler_tasks_queued'), 0);
    assert.equal(sumOf(samples, 'meso_scheduler_tasks', { state: 'running' }), 2);
    assert.equal(sumOf(samples, 'meso_scheduler_subscribed'), 1);
    assert.equal(sumOf(samples, 'meso_scheduler_launch_backoffs'), 0);
    assert.ok(sumOf(samples, 'meso_scheduler_offers_received_total') >= 1);
    assert.ok(sumOf(samples, 'meso_scheduler_tasks_launched_total') >= 2);
    assert.ok(sumOf(samples, 'meso_scheduler_task_launch_latency_seconds_count') >= 2);
    assert.ok(sumOf(samples, 'meso_scheduler_task_launch_latency_seconds_sum') > 0);
    // Never an app id (or task id) as a label.
    for (const sample of samples.filter((s) => s.name.startsWith('meso_scheduler_')))
      assert.ok(!Object.values(sample.labels).some((v) => v.includes('sleepers')), JSON.stringify(sample));
  });

  it('passes promtool check metrics', { skip: prometheusSkipReason() }, async () => {
    const text = await (await fetch(`${services.url}/metrics`)).text();
    assert.match(text, /meso_scheduler_task_launch_latency_seconds_bucket/);
    const output = await promtool(['check', 'metrics'], text);
    assert.equal(output.trim(), '', `promtool: ${output}`);
  });
});
