/**
 * Three masters on a real ZooKeeper, two agents and a scheduler, all separate processes (the
 * scheduler is this test process). The leader is SIGKILLed while tasks run, then again while a
 * launch is in flight: each time a standby takes over within the session timeout plus a few
 * seconds, agents re-register, the scheduler re-subscribes, and every running task is still
 * running and known to its framework. Nothing is ever reported lost.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Offer } from '../../services/core/v1/cluster.js';
import { AGENT_API_PATH } from '../../services/core/agent-protocol.js';
import { isTerminalState, type TaskState } from '../../services/core/v1/tasks.js';
import { waitFor, type MesoProcess } from '../helpers/cluster.js';
import { masterState, nextUpdates, offersOfAgents, useHaCluster } from '../helpers/ha-cluster.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';
import { zooKeeperSkipReason } from '../helpers/zookeeper.js';

const SESSION_TIMEOUT_MS = 3000;
/** "Within the session timeout plus a few seconds", with room for a loaded test machine. */
const FAILOVER_DEADLINE_MS = SESSION_TIMEOUT_MS + 12_000;
const MASTER_FLAGS = {
  zk_session_timeout: '3secs',
  quorum: 2,
  allocation_interval: '200ms',
  agent_reregister_timeout: '1mins',
};
const AGENT_FLAGS = { zk_session_timeout: '3secs', resources: 'cpus:2;mem:1024;disk:1024' };

describe('HA: leader failover', { skip: zooKeeperSkipReason() }, () => {
  const setup = useHaCluster({ masters: 3, masterFlags: MASTER_FLAGS, agents: [AGENT_FLAGS, AGENT_FLAGS] });

  it('elects one leader; standbys redirect leader-only requests and answer /health and /master/state', async () => {
    const leader = await setup.ha.leader(FAILOVER_DEADLINE_MS);
    const leaderState = await masterState(leader);
    const standby = setup.ha.standby(leader);
    await setup.ha.following(standby, leader, FAILOVER_DEADLINE_MS);
    const location = `//${leaderState.leader_info?.hostname}:${leader.port}`;
    for (const path of ['/api/v1/scheduler', '/master/api/v1/scheduler', AGENT_API_PATH]) {
      const res = await fetch(`${standby.url}${path}?x=1`, { method: 'POST', redirect: 'manual' });
      assert.equal(res.status, 307, path);
      assert.equal(res.headers.get('location'), `${location}${path}?x=1`, path);
    }
    for (const path of ['/master/tasks', '/master/slaves', '/master/frameworks', '/master/state-summary']) {
      const res = await fetch(`${standby.url}${path}`, { redirect: 'manual' });
      assert.equal(res.status, 307, path);
      assert.equal(res.headers.get('location'), `${location}${path}`, path);
    }
    const redirect = await fetch(`${standby.url}/master/redirect`, { redirect: 'manual' });
    assert.equal(redirect.status, 307);
    assert.equal(redirect.headers.get('location'), location);
    assert.equal((await fetch(`${standby.url}/health`)).status, 200);
    assert.equal((await fetch(`${standby.url}/master/flags`, { redirect: 'manual' })).status, 200);

    const standbyState = await masterState(standby);
    assert.equal(standbyState.elected_time, undefined);
    assert.equal(standbyState.leader, leaderState.pid);
    assert.equal(standbyState.leader_info?.id, leaderState.id);
    assert.equal(leaderState.leader_info?.id, leaderState.id);
    await waitFor(
      async () => (await masterState(leader)).slaves.length === 2,
      10_000,
      'both agents registered',
    );
  });

  it('keeps every running task through SIGKILLs of the leader, also with a launch in flight', async () => {
    const first = await setup.ha.leader(FAILOVER_DEADLINE_MS);
    // The scheduler talks to the master started last, elected last, so never killed below; it
    // redirects the scheduler to the leader.
    const entry = setup.ha.live.at(-1)!;
    await using scheduler = new TestScheduler(entry.url, {
      name: 'survivor',
      failover_timeout: 3600,
      capabilities: [{ type: 'PARTITION_AWARE' }],
    });
    const frameworkId = await scheduler.subscribe();
    const running = await launchOnEachAgent(scheduler, ['t1', 't2']);

    // 1. SIGKILL the leader while tasks run.
    const second = await failOver(first, entry);
    await expectTasksRunning(second, frameworkId, running);
    await reconcileRunning(scheduler, running);

    // 2. SIGKILL the leader while a launch is in flight.
    const [offer] = await offersSinceSubscribed(scheduler);
    const launch = scheduler.client.launch(offer!, [commandTask(offer!, 't3', 'sleep 600')]).then(
      () => 'accepted',
      (err: unknown) => `failed: ${String(err)}`,
    );
    const third = await failOver(second, entry);
    await setup.ha.add(); // the supervisor restarts a master, so three contend again
    await expectTasksRunning(third, frameworkId, running);
    await reconcileRunning(scheduler, running);
    // The launch either reached the agent (t3 runs and the scheduler is told so) or died with the
    // leader (the agent never heard of t3: TASK_GONE for a partition-aware framework).
    await scheduler.client.reconcile([{ task_id: { value: 't3' }, agent_id: offer!.agent_id }]);
    const t3 = await scheduler.nextUpdate('t3');
    assert.ok(
      ['TASK_STAGING', 'TASK_STARTING', 'TASK_RUNNING', 'TASK_GONE'].includes(t3.state),
      `t3 (launch ${await launch}) is ${t3.state}`,
    );

    const lost = scheduler.events.filter(
      (e) =>
        e.type === 'UPDATE' &&
        (e.update.status.state === 'TASK_LOST' ||
          (running.has(e.update.status.task_id.value) && isTerminalOrUnreachable(e.update.status.state))),
    );
    assert.deepEqual(lost, [], `no task lost or ended; events: ${scheduler.summary()}`);
  });

  /** Kills `leader` and waits for a successor, within `FAILOVER_DEADLINE_MS`. */
  async function failOver(leader: MesoProcess, entry: MesoProcess): Promise<MesoProcess> {
    assert.notEqual(leader, entry, 'the scheduler entry point must survive');
    await setup.ha.kill(leader);
    return setup.ha.leader(FAILOVER_DEADLINE_MS, leader);
  }
});

/** Launches a long task named `id` on each agent, one per agent; resolves once all run. */
async function launchOnEachAgent(scheduler: TestScheduler, ids: readonly string[]): Promise<Set<string>> {
  const offers = await offersOfAgents(scheduler, ids.length, FAILOVER_DEADLINE_MS);
  await Promise.all(
    ids.map((id, i) => scheduler.client.launch(offers[i]!, [commandTask(offers[i]!, id, 'sleep 600')])),
  );
  await nextUpdates(scheduler, ids, 'TASK_RUNNING', FAILOVER_DEADLINE_MS);
  return new Set(ids);
}

const isTerminalOrUnreachable = (state: TaskState): boolean =>
  isTerminalState(state) || state === 'TASK_UNREACHABLE' || state === 'TASK_UNKNOWN';

/** The offers of the first OFFERS event since the scheduler last subscribed (i.e. the current leader's). */
async function offersSinceSubscribed(scheduler: TestScheduler): Promise<Offer[]> {
  return waitFor(
    () => {
      const since = scheduler.events.findLastIndex((e) => e.type === 'SUBSCRIBED');
      const offers = scheduler.events.slice(since).find((e) => e.type === 'OFFERS');
      return offers?.type === 'OFFERS' && offers.offers.offers;
    },
    FAILOVER_DEADLINE_MS,
    `offers from the current leader (events: ${scheduler.summary()})`,
  );
}

/** The new leader has re-learned every task from the re-registering agents, all still running. */
async function expectTasksRunning(
  leader: MesoProcess,
  frameworkId: string,
  running: ReadonlySet<string>,
): Promise<void> {
  await waitFor(
    async () => {
      const state = await masterState(leader);
      const tasks = state.frameworks.find((f) => f.id === frameworkId)?.tasks ?? [];
      return [...running].every((id) => tasks.some((t) => t.id === id && t.state === 'TASK_RUNNING'));
    },
    FAILOVER_DEADLINE_MS,
    `tasks ${[...running].join(', ')} running on the new leader`,
  );
}

/** Implicit reconciliation answers TASK_RUNNING for every running task. */
async function reconcileRunning(scheduler: TestScheduler, running: ReadonlySet<string>): Promise<void> {
  await waitFor(
    () => scheduler.client.reconcile().then(() => true),
    FAILOVER_DEADLINE_MS,
    'RECONCILE accepted',
  );
  await nextUpdates(scheduler, running, 'TASK_RUNNING', FAILOVER_DEADLINE_MS);
}
