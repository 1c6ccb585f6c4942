import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { agentSnapshot, masterSnapshot, timerKeys } from './mesos-snapshot.js';
import { AgentMetrics, MasterMetrics, specsOf } from './names.js';
import { PromMetrics } from './prom-metrics.js';

const MIB = 1024 * 1024;

describe('timerKeys', () => {
  it('expands a window into a libprocess timer in milliseconds', () => {
    // Observations 0.001..0.005 s → 1..5 ms; the latest is 5 ms.
    // p50: position 0.5·4 = 2 → 3 ms; p90: 0.9·4 = 3.6 → 4 + 0.6·(5 − 4) = 4.6 ms.
    const timer = timerKeys('allocator/mesos/allocation_run_ms', [0.002, 0.001, 0.004, 0.003, 0.005]);
    assert.equal(timer['allocator/mesos/allocation_run_ms'], 5);
    assert.equal(timer['allocator/mesos/allocation_run_ms/count'], 5);
    assert.equal(timer['allocator/mesos/allocation_run_ms/min'], 1);
    assert.equal(timer['allocator/mesos/allocation_run_ms/max'], 5);
    assert.equal(timer['allocator/mesos/allocation_run_ms/p50'], 3);
    assert.ok(Math.abs(timer['allocator/mesos/allocation_run_ms/p90']! - 4.6) < 1e-9);
    assert.ok(Math.abs(timer['allocator/mesos/allocation_run_ms/p9999']! - 5) < 1e-3);
  });

  it('leaves a timer out until its first observation, as Mesos does', () => {
    assert.deepEqual(timerKeys('x_ms', []), {});
  });
});

describe('masterSnapshot', () => {
  it("maps the registry to Mesos's keys, in Mesos's units", async () => {
    const metrics = new PromMetrics(specsOf(MasterMetrics));
    const m = MasterMetrics;
    metrics.addCollector((sink) => {
      sink.set(m.elected, {}, 1);
      sink.set(m.startTimeSeconds, {}, 1000);
      sink.set(m.resourcesCapacity, { resource: 'cpus' }, 8);
      sink.set(m.resourcesCapacity, { resource: 'mem' }, 4096 * MIB);
      sink.set(m.cluster.allocated, { resource: 'cpus' }, 2);
      sink.set(m.cluster.allocated, { resource: 'mem' }, 1024 * MIB);
      sink.set(m.cluster.offered, { resource: 'cpus' }, 6);
      sink.set(m.agents, { state: 'active' }, 3);
      sink.set(m.agents, { state: 'unreachable' }, 1);
      sink.set(m.agents, { state: 'disconnected' }, 1);
      sink.set(m.agents, { state: 'draining' }, 2);
      sink.set(m.tasks, { state: 'TASK_RUNNING' }, 4);
      sink.set(m.roleDominantShare, { role: 'web' }, 0.25);
    });
    metrics.inc(m.tasksTerminatedTotal, { state: 'TASK_FINISHED', reason: 'none' }, 2);
    metrics.inc(m.tasksTerminatedTotal, { state: 'TASK_FAILED', reason: 'REASON_COMMAND_EXECUTOR_FAILED' });
    metrics.observe(m.allocationRunDurationSeconds, { trigger: 'periodic' }, 0.002);
    const host = { cpus: 2, loadAverage: [0.5, 1.5, 2.5] as const, memFreeBytes: 1e9, memTotalBytes: 4e9 };
    const snapshot = masterSnapshot(await metrics.read(), 1060, host);
    assert.deepEqual(
      Object.fromEntries(Object.entries(snapshot).filter(([key]) => key.startsWith('system/'))),
      {
        'system/cpus_total': 2,
        'system/load_1min': 0.5,
        'system/load_5min': 1.5,
        'system/load_15min': 2.5,
        'system/mem_free_bytes': 1e9,
        'system/mem_total_bytes': 4e9,
      },
    );
    assert.equal(snapshot['master/elected'], 1);
    assert.equal(snapshot['master/uptime_secs'], 60);
    assert.equal(snapshot['master/cpus_total'], 8);
    // Mesos's "used" is what tasks hold: 2 of 8 cpus = 0.25.
    assert.equal(snapshot['master/cpus_used'], 2);
    assert.equal(snapshot['master/cpus_percent'], 0.25);
    assert.equal(snapshot['master/mem_total'], 4096);
    assert.equal(snapshot['master/mem_used'], 1024);
    assert.equal(snapshot['master/gpus_percent'], 0);
    assert.equal(snapshot['master/slaves_active'], 3);
    assert.equal(snapshot['master/slaves_unreachable'], 1);
    // Draining agents are connected but not active, as in Mesos.
    assert.equal(snapshot['master/slaves_connected'], 5);
    assert.equal(snapshot['master/slaves_inactive'], 3);
    assert.equal(snapshot['master/slaves_disconnected'], 1);
    assert.equal(snapshot['master/tasks_running'], 4);
    assert.equal(snapshot['master/tasks_finished'], 2);
    assert.equal(snapshot['master/tasks_failed'], 1);
    assert.equal(snapshot['allocator/mesos/allocation_runs'], 1);
    assert.equal(snapshot['allocator/mesos/allocation_run_ms'], 2);
    // Offered (6) plus allocated (2) cpus.
    assert.equal(snapshot['allocator/mesos/resources/cpus/offered_or_allocated'], 8);
    assert.equal(snapshot['allocator/mesos/roles/web/shares/dominant'], 0.25);
  });
});

describe('agentSnapshot', () => {
  it("maps the agent's registry to Mesos's slave/* keys", async () => {
    const metrics = new PromMetrics(specsOf(AgentMetrics));
    const a = AgentMetrics;
    metrics.addCollector((sink) => {
      sink.set(a.registered, {}, 1);
      sink.set(a.resourcesCapacity, { resource: 'cpus' }, 2);
      sink.set(a.resourcesAllocated, { resource: 'cpus' }, 0.5);
      sink.set(a.tasks, { state: 'TASK_RUNNING' }, 1);
    });
    metrics.observe(a.containerLaunchDurationSeconds, { containerizer: 'docker', outcome: 'failed' }, 1);
    const snapshot = agentSnapshot(await metrics.read(), 0);
    assert.equal(snapshot['slave/registered'], 1);
    assert.equal(snapshot['slave/cpus_percent'], 0.25);
    assert.equal(snapshot['slave/tasks_running'], 1);
    assert.equal(snapshot['slave/container_launch_errors'], 1);
    assert.equal(snapshot['containerizer/docker/image_pull_ms'], undefined);
  });
});
