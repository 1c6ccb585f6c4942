/**
 * The monitoring artifacts stay true to what the daemons export: every query of the Grafana
 * dashboard and of the alerting rules names only declared metrics, and `docs/metrics.md` lists
 * every metric. No processes needed (`metrics-prometheus.test.ts` has a real Prometheus evaluate
 * the same queries).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AgentMetrics, MasterMetrics, SchedulerMetrics, specsOf } from '../../services/metrics/index.js';
import { exportedSeries, loadMonitoringArtifacts, metricNamesIn, repositoryRoot } from '../helpers/promql.js';

describe('metric names in PromQL', () => {
  it('finds selected metrics, and not functions, labels, keywords, durations or variables', () => {
    const expr =
      'histogram_quantile(0.99, sum by (le, endpoint) (rate(a_bucket{role=~"$role", x="y"}[$__rate_interval] offset 5m)))' +
      ' / on (framework) group_left (name) b * 1e3 > bool 2 unless absent(c) or max_over_time(d[1h:1m]) and inf';
    assert.deepEqual([...metricNamesIn(expr)].sort(), ['a_bucket', 'b', 'c', 'd']);
  });
});

describe('dashboard and alerting rules', () => {
  it('query only metrics the daemons export', async () => {
    const { expressions } = await loadMonitoringArtifacts();
    const exported = exportedSeries();
    const unknown = expressions.flatMap(({ where, expr }) =>
      [...metricNamesIn(expr)].filter((name) => !exported.has(name)).map((name) => `${where}: ${name}`),
    );
    assert.deepEqual(unknown, []);
    assert.ok(expressions.length > 40, `only ${expressions.length} expressions found`);
  });

  it('cover the cluster, roles and frameworks, agents, tasks, the allocator, offers and leadership', async () => {
    const { expressions } = await loadMonitoringArtifacts();
    const used = new Set(expressions.flatMap(({ expr }) => [...metricNamesIn(expr)]));
    const m = MasterMetrics;
    for (const spec of [
      m.cluster.allocated,
      m.cluster.used,
      m.role.used,
      m.framework.allocated,
      m.roleDominantShare,
      m.frameworkDominantShare,
      m.agents,
      m.tasks,
      m.offersRescindedTotal,
      m.elected,
      m.leadershipChangesTotal,
      AgentMetrics.statusUpdatesPending,
    ]) {
      assert.ok(used.has(spec.name), `${spec.name} is on neither the dashboard nor an alert`);
    }
    assert.ok(used.has(`${m.allocationRunDurationSeconds.name}_bucket`), 'allocation latency is not shown');
  });

  it('give every dashboard panel a unique id and the dashboard data source', async () => {
    const { dashboard } = await loadMonitoringArtifacts();
    const panels = (dashboard.panels ?? []) as { id: number; type: string; datasource?: { uid: string } }[];
    assert.equal(new Set(panels.map((p) => p.id)).size, panels.length);
    for (const panel of panels.filter((p) => p.type !== 'row'))
      assert.equal(panel.datasource?.uid, '${datasource}');
  });
});

describe('docs/metrics.md', () => {
  it('documents every metric', async () => {
    const docs = await readFile(join(repositoryRoot(), 'docs', 'metrics.md'), 'utf8');
    const missing = [MasterMetrics, AgentMetrics, SchedulerMetrics]
      .flatMap((catalogue) => specsOf(catalogue))
      .filter((spec) => !docs.includes(`\`${spec.name}\``))
      .map((spec) => spec.name);
    assert.deepEqual(missing, []);
  });
});
