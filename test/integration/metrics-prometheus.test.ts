/**
 * A real Prometheus (Debian's package) scrapes a live master and agent: every target is up,
 * `promtool` accepts each daemon's output and the alerting rules, the rules load, every query of
 * the dashboard and the rules evaluates, and a PromQL query returns the cluster's CPU allocation
 * ratio. Skipped locally without Prometheus; fails under CI (`CI` set) instead.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import { prometheusSkipReason, PrometheusServer, promtool } from '../helpers/prometheus.js';
import { ALERTS_PATH, loadMonitoringArtifacts, repositoryRoot } from '../helpers/promql.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';

/** Values for the dashboard's variables when its queries are evaluated outside Grafana. */
const GRAFANA_VARIABLES: Readonly<Record<string, string>> = {
  $__rate_interval: '1m',
  $resource: 'cpus',
  $role: '.*',
};

const substitute = (expr: string): string =>
  Object.entries(GRAFANA_VARIABLES).reduce((text, [name, value]) => text.replaceAll(name, value), expr);

describe('Prometheus scraping meso', { skip: prometheusSkipReason() }, () => {
  const cluster = new Cluster();
  const alerts = join(repositoryRoot(), ALERTS_PATH);
  let master: MesoProcess;
  let agent: MesoProcess;
  let scheduler: TestScheduler;
  let prometheus: PrometheusServer;

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    agent = await cluster.startAgent(master.url, { resources: 'cpus:4;mem:2048;disk:1024' });
    scheduler = new TestScheduler(master.url, { name: 'metrics-prometheus' });
    await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [commandTask(offer!, 'sleeper', 'sleep 600', 'cpus:1;mem:64')]);
    await scheduler.sawUpdate('sleeper', 'TASK_RUNNING');
    prometheus = await PrometheusServer.start(
      [
        { job: 'meso-master', url: master.url },
        { job: 'meso-agent', url: agent.url },
      ],
      [alerts],
    );
  });
  after(async () => {
    await prometheus?.stop();
    await scheduler?.[Symbol.asyncDispose]();
    await cluster.stopAll();
  });

  it('passes promtool check metrics on the output of each daemon', async () => {
    for (const daemon of [master, agent]) {
      const text = await (await fetch(`${daemon.url}/metrics`)).text();
      const output = await promtool(['check', 'metrics'], text);
      assert.equal(output.trim(), '', `promtool on ${daemon.url}/metrics: ${output}`);
    }
  });

  it('passes promtool check rules on the alerting rules, which Prometheus loads', async () => {
    assert.match(await promtool(['check', 'rules', alerts]), /SUCCESS: 6 rules found/);
    const body = (await (await fetch(`${prometheus.url}/api/v1/rules`)).json()) as {
      data: { groups: { rules: { name: string; health: string }[] }[] };
    };
    const rules = body.data.groups.flatMap((g) => g.rules);
    assert.equal(rules.length, 6);
    assert.deepEqual(
      rules.filter((r) => r.health === 'err').map((r) => r.name),
      [],
    );
  });

  it('scrapes every target successfully', async () => {
    const targets = await waitFor(
      async () => {
        const all = await prometheus.targets();
        return all.length === 2 && all.every((t) => t.health === 'up') && all;
      },
      20_000,
      'both targets up',
    );
    assert.deepEqual(targets.map((t) => t.job).sort(), ['meso-agent', 'meso-master']);
  });

  it("answers a PromQL query with the cluster's CPU allocation ratio", async () => {
    // One task of 1 cpu on an agent of 4: 1/4.
    const ratio = await waitFor(
      async () => {
        const [sample] = await prometheus.query(
          'sum(meso_master_resources_allocated{resource="cpus"}) / sum(meso_master_resources_capacity{resource="cpus"})',
        );
        return sample?.value;
      },
      20_000,
      'the CPU allocation ratio',
    );
    assert.equal(ratio, 0.25);
  });

  it('evaluates every query of the dashboard and the alerting rules', async () => {
    const { expressions } = await loadMonitoringArtifacts();
    const failures: string[] = [];
    for (const { where, expr } of expressions) {
      await prometheus
        .query(substitute(expr))
        .catch((err: unknown) => failures.push(`${where}: ${String(err)}`));
    }
    assert.deepEqual(failures, []);
  });
});
