/**
 * Metrics of a live master and agent (real processes) while tasks run: allocated resources rise
 * on launch and fall when a task finishes or is killed, and a busy task's usage shows up, above
 * zero and below its limit, on the agent at once and on the master after its usage polls.
 */
import assert from 'node:assert/strict';
import { availableParallelism, totalmem } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { AgentMetrics, MasterMetrics } from '../../services/metrics/index.js';
import { Cluster, type MesoProcess, waitFor } from '../helpers/cluster.js';
import { scrape, sumOf } from '../helpers/prometheus.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';

const m = MasterMetrics;
const a = AgentMetrics;
const MIB = 1024 * 1024;
const BUSY = { cpus: 1.5, memMiB: 64 };
const SHORT = { cpus: 0.5, memMiB: 32 };
/** The master polls usage every 5 s and needs two polls for a CPU rate. */
const USAGE_WAIT_MS = 30_000;

const cpus = (url: string, name: string): Promise<number> =>
  scrape(url).then((s) => sumOf(s, name, { resource: 'cpus' }));

describe('metrics of a live master and agent', () => {
  const cluster = new Cluster();
  let master: MesoProcess;
  let agent: MesoProcess;
  let scheduler: TestScheduler;
  let frameworkId: string;

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    agent = await cluster.startAgent(master.url, { resources: 'cpus:4;mem:2048;disk:1024' });
    scheduler = new TestScheduler(master.url, { name: 'metrics-live', role: 'analytics' });
    frameworkId = await scheduler.subscribe();
  });
  after(async () => {
    await scheduler[Symbol.asyncDispose]();
    await cluster.stopAll();
  });

  it('rises on launch and falls when tasks finish or are killed; a busy task uses cpu below its limit', async () => {
    assert.equal(await cpus(master.url, m.resourcesCapacity.name), 4);
    assert.equal(await cpus(master.url, m.cluster.allocated.name), 0);
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [
      commandTask(offer!, 'busy', 'while :; do :; done', `cpus:${BUSY.cpus};mem:${BUSY.memMiB}`),
      commandTask(offer!, 'short', 'sleep 3', `cpus:${SHORT.cpus};mem:${SHORT.memMiB}`),
    ]);
    await scheduler.sawUpdate('busy', 'TASK_RUNNING');

    // Both tasks hold their resources: 1.5 + 0.5 = 2 cpus, on the master and on the agent.
    const launched = await scrape(master.url);
    assert.equal(sumOf(launched, m.cluster.allocated.name, { resource: 'cpus' }), 2);
    assert.equal(sumOf(launched, m.role.allocated.name, { role: 'analytics', resource: 'mem' }), 96 * MIB);
    assert.equal(
      sumOf(launched, m.framework.allocated.name, { framework: frameworkId, resource: 'cpus' }),
      2,
    );
    assert.equal(sumOf(launched, m.tasks.name, { state: 'TASK_RUNNING' }), 2);
    assert.equal(await cpus(agent.url, a.resourcesAllocated.name), 2);

    // The short task finishes: only the busy one's 1.5 cpus stay allocated.
    await scheduler.sawUpdate('short', 'TASK_FINISHED');
    await waitFor(
      async () => (await cpus(master.url, m.cluster.allocated.name)) === BUSY.cpus,
      5000,
      'master allocated 1.5 cpus',
    );
    await waitFor(
      async () => (await cpus(agent.url, a.resourcesAllocated.name)) === BUSY.cpus,
      5000,
      'agent allocated 1.5 cpus',
    );
    assert.equal(sumOf(await scrape(master.url), m.tasksTerminatedTotal.name, { state: 'TASK_FINISHED' }), 1);

    // The agent sees the busy container's CPU time grow (less than its 1.5 cores) and its memory.
    const group = { framework: frameworkId, role: 'analytics' };
    const first = await scrape(agent.url);
    const startedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const second = await scrape(agent.url);
    const cores =
      (sumOf(second, a.containerCpuSecondsTotal.name, group) -
        sumOf(first, a.containerCpuSecondsTotal.name, group)) /
      ((Date.now() - startedAt) / 1000);
    assert.ok(cores > 0.05 && cores < BUSY.cpus, `agent: busy task used ${cores} cores`);
    assert.equal(sumOf(second, a.containerCpusLimit.name, group), BUSY.cpus);
    const rss = sumOf(second, a.containerMemoryUsedBytes.name, group);
    assert.ok(
      rss > 0 && rss < sumOf(second, a.containerMemoryLimitBytes.name, group),
      `agent: busy task rss ${rss}`,
    );

    // The master learns it from its usage polls of the agent.
    const used = await waitFor(
      async () => {
        const value = sumOf(await scrape(master.url), m.role.used.name, {
          role: 'analytics',
          resource: 'cpus',
        });
        return value > 0.05 && value;
      },
      USAGE_WAIT_MS,
      "the master's used cpus of role analytics to rise",
    );
    assert.ok(used < BUSY.cpus, `master: busy task used ${used} cores, over its limit`);

    // Killed: nothing stays allocated.
    await scheduler.client.kill({ value: 'busy' });
    await scheduler.sawUpdate('busy', 'TASK_KILLED');
    await waitFor(
      async () => (await cpus(master.url, m.cluster.allocated.name)) === 0,
      10_000,
      'master allocated 0 cpus',
    );
    await waitFor(
      async () => (await cpus(agent.url, a.resourcesAllocated.name)) === 0,
      10_000,
      'agent allocated 0 cpus',
    );
  });

  it("serves Mesos's /metrics/snapshot keys on the master and the agent", async () => {
    const masterSnapshot = (await (await fetch(`${master.url}/metrics/snapshot`)).json()) as Record<
      string,
      number
    >;
    assert.equal(masterSnapshot['master/elected'], 1);
    assert.equal(masterSnapshot['master/cpus_total'], 4);
    assert.equal(masterSnapshot['master/mem_total'], 2048);
    assert.equal(masterSnapshot['master/slaves_active'], 1);
    assert.equal(masterSnapshot['master/frameworks_active'], 1);
    assert.equal(masterSnapshot['master/tasks_killed'], 1);
    assert.ok(masterSnapshot['allocator/mesos/allocation_runs']! > 0);
    assert.ok(masterSnapshot['allocator/mesos/allocation_run_ms/p99'] !== undefined);
    const agentSnapshot = (await (await fetch(`${agent.url}/metrics/snapshot`)).json()) as Record<
      string,
      number
    >;
    assert.equal(agentSnapshot['slave/registered'], 1);
    assert.equal(agentSnapshot['slave/cpus_total'], 4);
    assert.equal(agentSnapshot['slave/cpus_used'], 0);
    for (const snapshot of [masterSnapshot, agentSnapshot]) {
      assert.equal(snapshot['system/cpus_total'], availableParallelism());
      assert.equal(snapshot['system/mem_total_bytes'], totalmem());
      assert.ok(snapshot['system/mem_free_bytes']! > 0 && snapshot['system/mem_free_bytes']! <= totalmem());
      assert.ok(snapshot['system/load_1min']! >= 0 && snapshot['system/load_15min'] !== undefined);
    }
  });

  it('counts HTTP requests by route pattern on both daemons', async () => {
    await fetch(`${master.url}/master/state`);
    await fetch(`${agent.url}/slave(1)/state`);
    const masterRequests = sumOf(await scrape(master.url), m.httpRequestsTotal.name, {
      endpoint: '/state',
      code: '200',
    });
    const agentRequests = sumOf(await scrape(agent.url), a.httpRequestsTotal.name, {
      endpoint: '/state',
      code: '200',
    });
    assert.ok(masterRequests >= 1 && agentRequests >= 1, `master ${masterRequests}, agent ${agentRequests}`);
  });
});
