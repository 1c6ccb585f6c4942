import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CoordinationSessionState } from '../coordination/contender.js';
import type { AgentId } from '../core/ids.js';
import { silentLogger } from '../log/logger.js';
import { MasterMetrics } from '../metrics/index.js';
import { InProcessCluster } from './in-process-cluster.js';
import type { LeadershipStatus } from './leadership.js';
import { MasterInstrumentation } from './master-metrics.js';

const m = MasterMetrics;
const GIB = 1024 ** 3;

/**
 * 2 agents of 4 cpus and 4 GiB; 2 frameworks in roles role-0 and role-1. One allocation run gives
 * each framework one agent; each offer is accepted with 2 tasks of 1 cpu and 1 GiB. The next run
 * offers what is left: 2 cpus and 2 GiB per agent.
 */
function harness() {
  const cluster = new InProcessCluster();
  let status: LeadershipStatus = 'leading';
  let session: CoordinationSessionState | undefined;
  const cpuSecondsPerTask = new Map<string, number>();
  const metrics = new MasterInstrumentation({
    clock: cluster.clock,
    log: silentLogger,
    // Polled by hand below.
    usagePollIntervalMs: 3_600_000,
    fetchStatistics: (url) => {
      // Every task burns 0.5 cores and holds 100 MiB.
      const agent = [...cluster.master.agents.all()].find((a) => a.url === url);
      const nowSec = cluster.clock.nowMs() / 1000;
      return Promise.resolve(
        [...(agent?.tasks.values() ?? [])].map((task) => {
          const seconds = (cpuSecondsPerTask.get(task.taskId) ?? 0) + 2.5;
          cpuSecondsPerTask.set(task.taskId, seconds);
          return {
            framework_id: task.frameworkId,
            executor_id: task.taskId,
            statistics: { timestamp: nowSec, cpus_user_time_secs: seconds, mem_rss_bytes: 100 * 1024 * 1024 },
          };
        }),
      );
    },
  });
  metrics.attach({
    master: cluster.master,
    leadership: { status: () => status, zookeeperSessionState: () => session },
    allocator: cluster.allocator,
  });
  cluster.addAgents(2, 'cpus:4;mem:4096');
  cluster.addFrameworks(2, 2);
  assert.equal(cluster.launchOnEveryOffer(2, 'cpus:1;mem:1024'), 4);
  cluster.master.applyAllocations(cluster.allocator.allocate(cluster.clock.nowMs()));
  return {
    cluster,
    metrics,
    setStatus: (next: LeadershipStatus) => (status = next),
    setSession: (next: CoordinationSessionState | undefined) => (session = next),
  };
}

describe('MasterInstrumentation', () => {
  it('reports capacity, offered and allocated resources by cluster, role, framework and agent', async () => {
    const { cluster, metrics } = harness();
    const readings = await metrics.registry.read();
    const [first] = cluster.frameworks;
    assert.equal(readings.sum(m.resourcesCapacity, { resource: 'cpus' }), 8);
    assert.equal(readings.sum(m.resourcesCapacity, { resource: 'mem' }), 8 * GIB);
    assert.equal(readings.sum(m.cluster.allocated, { resource: 'cpus' }), 4);
    assert.equal(readings.sum(m.cluster.offered, { resource: 'cpus' }), 4);
    assert.equal(readings.sum(m.role.allocated, { role: 'role-0', resource: 'cpus' }), 2);
    assert.equal(readings.sum(m.framework.allocated, { framework: first!.id, resource: 'mem' }), 2 * GIB);
    assert.equal(readings.by(m.agent.allocated, 'agent').size, 2);
    assert.equal(readings.sum(m.tasks, { state: 'TASK_RUNNING' }), 4);
    assert.equal(readings.sum(m.agents, { state: 'active' }), 2);
    assert.equal(readings.sum(m.frameworks, { state: 'active' }), 2);
    assert.equal(readings.sum(m.offersOutstanding), 2);
    // Each role holds 2 of 8 cpus and 2 of 8 GiB; with what is offered to it: 4/8 = 0.5.
    assert.equal(readings.sum(m.roleDominantShare, { role: 'role-0' }), 0.5);
  });

  it('counts offers, registrations and terminal tasks from the master events', async () => {
    const { cluster, metrics } = harness();
    const [agent] = cluster.master.agents.all();
    const [task] = agent!.tasks.values();
    cluster.master.agents.update(agent!.id, {
      framework_id: { value: task!.frameworkId },
      status: {
        task_id: { value: task!.taskId },
        state: 'TASK_FINISHED',
        reason: 'REASON_COMMAND_EXECUTOR_FAILED',
      },
    });
    const readings = await metrics.registry.read();
    assert.equal(readings.sum(m.offersSentTotal), 4);
    assert.equal(readings.sum(m.offersAcceptedTotal), 2);
    assert.equal(readings.sum(m.agentRegistrationsTotal, { kind: 'new' }), 2);
    assert.equal(readings.sum(m.tasksTerminatedTotal, { state: 'TASK_FINISHED' }), 1);
    // The finished task gave its cpu back.
    assert.equal(readings.sum(m.cluster.allocated, { resource: 'cpus' }), 3);
  });

  it("reports used resources from the agents' usage reports, as rates between polls", async () => {
    const { cluster, metrics } = harness();
    await metrics.pollUsage();
    assert.equal((await metrics.registry.read()).sum(m.cluster.used, { resource: 'cpus' }), 0);
    cluster.clock.advance(5000);
    await metrics.pollUsage();
    const readings = await metrics.registry.read();
    // 4 tasks × 2.5 cpu seconds in 5 s = 4 × 0.5 cores.
    assert.equal(readings.sum(m.cluster.used, { resource: 'cpus' }), 2);
    assert.equal(readings.sum(m.role.used, { role: 'role-1', resource: 'mem' }), 200 * 1024 * 1024);
    assert.equal(readings.sum(m.usagePollsTotal, { outcome: 'ok' }), 4);
    const agents = [...cluster.master.agents.all()].map((a) => a.id as AgentId);
    assert.equal(readings.sum(m.agent.used, { agent: agents[0]!, resource: 'cpus' }), 1);
  });

  it('reports election and counts leadership changes', async () => {
    const { cluster, metrics, setStatus } = harness();
    setStatus('standby');
    cluster.clock.advance(1000);
    const readings = await metrics.registry.read();
    assert.equal(readings.sum(m.elected), 0);
    assert.equal(readings.sum(m.leadershipChangesTotal), 1);
    metrics.stop();
  });

  it('reports the ZooKeeper session state as an enum gauge, and nothing without ZooKeeper', async () => {
    const { metrics, setSession } = harness();
    const states = async (): Promise<Record<string, number>> => {
      const readings = await metrics.registry.read();
      return Object.fromEntries(
        ['connected', 'disconnected', 'expired'].map((state) => [
          state,
          readings.sum(m.zookeeperSessionState, { state }),
        ]),
      );
    };
    assert.equal(
      (await metrics.registry.exposition()).includes('meso_master_zookeeper_session_state{'),
      false,
    );
    setSession('connected');
    assert.deepEqual(await states(), { connected: 1, disconnected: 0, expired: 0 });
    setSession('expired');
    assert.deepEqual(await states(), { connected: 0, disconnected: 0, expired: 1 });
    setSession('closed');
    assert.deepEqual(await states(), { connected: 0, disconnected: 1, expired: 0 });
    metrics.stop();
  });

  it('records allocation runs for the histogram and the Mesos timer', async () => {
    const { metrics } = harness();
    metrics.allocationRun({
      trigger: 'event',
      durationMs: 3,
      agentsConsidered: 2,
      agentsSkipped: 0,
      allocations: 2,
    });
    const readings = await metrics.registry.read();
    assert.equal(readings.count(m.allocationRunDurationSeconds, { trigger: 'event' }), 1);
    assert.deepEqual(readings.recent(m.allocationRunDurationSeconds), [0.003]);
    assert.equal(readings.sum(m.allocationsTotal), 2);
  });
});
