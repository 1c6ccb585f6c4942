import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentEvent } from '../core/agent-protocol.js';
import { MesoError } from '../core/errors.js';
import type { AgentId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import type { EventSink } from '../transport/event-stream.js';
import { InProcessCluster } from './in-process-cluster.js';
import { v1Agent } from './operator/v1-json.js';
import type { DeactivatedAgent } from './registrar.js';

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Keeps the KILL_TASK events an agent is sent. */
class KillRecorder implements EventSink<AgentEvent> {
  closed = false;
  readonly kills: Extract<AgentEvent, { type: 'KILL_TASK' }>['kill_task'][] = [];
  send(event: AgentEvent): void {
    if (event.type === 'KILL_TASK') this.kills.push(event.kill_task);
  }
  close(): void {
    this.closed = true;
  }
  onClose(): void {}
}

/** Registers (or, with `id`, re-registers) an agent of 4 cpus / 4 GiB that reports no tasks. */
function register(cluster: InProcessCluster, sink: EventSink<AgentEvent>, id?: string): AgentId {
  return cluster.master.agents.register(
    {
      agent_info: {
        hostname: 'drained-host',
        port: 5051,
        resources: Resources.parse('cpus:4;mem:4096').toV1(),
        attributes: [],
        ...(id !== undefined && { id: { value: id } }),
      },
      url: 'http://10.1.0.1:5051',
      tasks: [],
      frameworks: [],
      completed_tasks: [],
      completed_frameworks: [],
    },
    sink,
  );
}

/** One agent `a` with a recording sink next to the in-process agent `b`, each running one task. */
function harness() {
  const cluster = new InProcessCluster();
  const sink = new KillRecorder();
  const a = register(cluster, sink);
  cluster.addAgents(1, 'cpus:4;mem:4096');
  const b = [...cluster.master.agents.all()].find((agent) => agent.id !== a)!.id;
  cluster.addFrameworks(1, 1);
  assert.equal(cluster.launchOnEveryOffer(1, 'cpus:1;mem:1024'), 2);
  // Past the filters of the unused parts of those offers.
  cluster.clock.advance(60_000);
  const agentsOffered = (): AgentId[] =>
    cluster.allocator.allocate(cluster.clock.nowMs()).map((allocation) => allocation.agentId);
  return { cluster, master: cluster.master, sink, a, b, agentsOffered };
}

const killedOn = (master: InProcessCluster['master'], agentId: AgentId, taskId: string) =>
  master.agents.update(agentId, {
    framework_id: { value: [...master.frameworks.keys()][0]! },
    status: { task_id: { value: taskId }, state: 'TASK_KILLED', source: 'SOURCE_EXECUTOR' },
    latest_state: 'TASK_KILLED',
  });

describe('agent deactivation and draining', () => {
  it('offers nothing of a deactivated agent, rescinds its offers and leaves its tasks running', async () => {
    const { cluster, master, a, agentsOffered } = harness();
    master.applyAllocations(cluster.allocator.allocate(cluster.clock.nowMs()));
    const offersOf = (id: AgentId) => [...master.offers.values()].filter((o) => o.agentId === id);
    assert.equal(offersOf(a).length, 1);

    await master.maintenance.deactivate(a);
    assert.deepEqual(offersOf(a), [], 'its offer is rescinded');
    assert.deepEqual(agentsOffered(), [], 'and what it held is not offered again');
    const agent = master.agents.get(a)!;
    assert.equal([...agent.tasks.values()][0]?.state, 'TASK_RUNNING');
    const json = v1Agent(master, agent);
    assert.equal(json['deactivated'], true);
    assert.equal(json['active'], false);
    assert.equal(json['drain_info'], undefined);

    await master.maintenance.reactivate(a);
    assert.deepEqual(agentsOffered(), [a]);
    assert.equal(v1Agent(master, agent)['active'], true);
  });

  it('drains: kills every task with the grace period capped, DRAINING until they ended, then DRAINED', async () => {
    const { master, sink, a, agentsOffered } = harness();
    await master.maintenance.drain(a, { maxGracePeriodNs: 2e9, markGone: false });
    const taskId = [...master.agents.get(a)!.tasks.values()][0]!.taskId;
    assert.deepEqual(sink.kills, [
      {
        framework_id: { value: [...master.frameworks.keys()][0] },
        task_id: { value: taskId },
        kill_policy: { grace_period: { nanoseconds: 2e9 } },
      },
    ]);
    assert.deepEqual(master.maintenance.drainInfo(a), {
      state: 'DRAINING',
      config: { maxGracePeriodNs: 2e9, markGone: false },
    });
    assert.ok(!agentsOffered().includes(a));
    await assert.rejects(master.maintenance.reactivate(a), (e: MesoError) => e.code === 'ILLEGAL_STATE');

    killedOn(master, a, taskId);
    await settle();
    assert.equal(master.maintenance.drainInfo(a)?.state, 'DRAINED');
    const json = v1Agent(master, master.agents.get(a)!);
    assert.deepEqual(json['drain_info'], {
      state: 'DRAINED',
      config: { max_grace_period: { nanoseconds: 2e9 }, mark_gone: false },
    });
    assert.equal(
      typeof (json['estimated_drain_start_time'] as { nanoseconds: number }).nanoseconds,
      'number',
    );

    await master.maintenance.reactivate(a);
    assert.equal(master.maintenance.drainInfo(a), undefined);
    assert.ok(agentsOffered().includes(a));
  });

  it('keeps an agent deactivated and draining when it re-registers, and kills what it still runs', async () => {
    const { cluster, master, a, agentsOffered } = harness();
    await master.maintenance.deactivate(a);
    register(cluster, new KillRecorder(), a);
    assert.ok(!agentsOffered().includes(a), 'a restarted agent stays deactivated');

    // A DRAIN of a disconnected agent kills nothing until the agent is back.
    const { master: other, a: away, cluster: otherCluster } = harness();
    other.agents.get(away)!.state = 'disconnected';
    await other.maintenance.drain(away, { markGone: false });
    const again = new KillRecorder();
    // It comes back without its task (TASK_GONE): nothing is left to kill, so it is drained.
    register(otherCluster, again, away);
    await settle();
    assert.deepEqual(again.kills, []);
    assert.equal(other.maintenance.drainInfo(away)?.state, 'DRAINED');
  });

  it('answers unknown agents with NOT_FOUND and refuses mark_gone and reactivating an active agent', async () => {
    const { master, a } = harness();
    const fails =
      (code: string, pattern = /./) =>
      (e: unknown) =>
        e instanceof MesoError && e.code === code && pattern.test(e.message);
    await assert.rejects(master.maintenance.deactivate('nope' as AgentId), fails('NOT_FOUND', /'nope'/));
    await assert.rejects(master.maintenance.drain(a, { markGone: true }), fails('INVALID_CALL', /mark_gone/));
    await assert.rejects(master.maintenance.reactivate(a), fails('ILLEGAL_STATE', /not deactivated/));
    await assert.rejects(master.maintenance.reactivate('nope' as AgentId), fails('NOT_FOUND'));
  });

  it('stores every change before applying it, and a new leader restores what was stored', async () => {
    const { master, a, b, agentsOffered } = harness();
    const stored: (readonly DeactivatedAgent[])[] = [];
    let fail = false;
    master.maintenance.usePersistence((next) => {
      if (fail) return Promise.reject(new Error('registry unavailable'));
      stored.push(next);
      return Promise.resolve();
    });
    await master.maintenance.deactivate(b);
    await master.maintenance.drain(a, { markGone: false });
    assert.deepEqual(stored.at(-1), [
      { id: a, drain: { state: 'DRAINING', config: { markGone: false } } },
      { id: b },
    ]);
    fail = true;
    await assert.rejects(master.maintenance.reactivate(b), /registry unavailable/);
    assert.ok(master.maintenance.isDeactivated(b), 'nothing applied when storing failed');
    assert.deepEqual(agentsOffered(), []);

    const successor = new InProcessCluster();
    successor.master.maintenance.restore(stored.at(-1)!);
    register(successor, new KillRecorder(), b);
    assert.deepEqual(successor.allocator.allocate(successor.clock.nowMs()), []);
    assert.equal(successor.master.maintenance.drainInfo(a)?.state, 'DRAINING');
  });
});
