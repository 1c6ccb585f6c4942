/**
 * Faults around the master: a scheduler that disconnects and comes back, a framework that tears
 * down, and an agent that dies (SIGKILL) and is marked unreachable after the ping timeout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, waitFor, type MesoProcess } from '../helpers/cluster.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';

interface StateJson {
  slaves: { id: string }[];
  unreachable_slaves: number;
  frameworks: {
    id: string;
    active: boolean;
    connected: boolean;
    tasks: { id: string; state: string }[];
    unreachable_tasks: { id: string; state: string }[];
  }[];
  completed_frameworks: { id: string; completed_tasks: { id: string; state: string }[] }[];
}

const state = async (master: MesoProcess): Promise<StateJson> =>
  (await (await fetch(`${master.url}/master/state`)).json()) as StateJson;

describe('failover and faults', () => {
  const cluster = new Cluster();
  let master: MesoProcess;

  before(async () => {
    master = await cluster.startMaster({
      allocation_interval: '100ms',
      agent_ping_timeout: '500ms',
      max_agent_ping_timeouts: 3,
    });
    await cluster.startAgent(master.url, { resources: 'cpus:2;mem:1024' });
  });
  after(() => cluster.stopAll());

  it('keeps the tasks of a scheduler that disconnects and re-subscribes within failover_timeout', async () => {
    const first = new TestScheduler(master.url, { name: 'phoenix', failover_timeout: 30 });
    const frameworkId = await first.subscribe();
    const [offer] = await first.nextOffers();
    await first.client.launch(offer!, [commandTask(offer!, 'survivor', 'sleep 120')]);
    await first.nextUpdate('survivor', 'TASK_RUNNING');
    await first[Symbol.asyncDispose](); // the scheduler goes away without TEARDOWN

    await waitFor(
      async () => (await state(master)).frameworks.find((f) => f.id === frameworkId)?.connected === false,
      5000,
      'framework disconnected',
    );
    assert.equal(
      (await state(master)).frameworks.find((f) => f.id === frameworkId)?.tasks[0]?.state,
      'TASK_RUNNING',
    );

    await using second = new TestScheduler(master.url, {
      name: 'phoenix',
      failover_timeout: 30,
      id: { value: frameworkId },
    });
    assert.equal(await second.subscribe(), frameworkId);
    await second.client.reconcile();
    const answer = await second.nextUpdate('survivor');
    assert.equal(answer.state, 'TASK_RUNNING');
    await second.client.teardown();
  });

  it('kills the tasks of a framework that tears down and moves it to completed frameworks', async () => {
    const scheduler = new TestScheduler(master.url, { name: 'short-lived', failover_timeout: 30 });
    const frameworkId = await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [commandTask(offer!, 'doomed', 'sleep 120')]);
    await scheduler.nextUpdate('doomed', 'TASK_RUNNING');
    await scheduler.client.teardown();
    await scheduler[Symbol.asyncDispose]();
    const completed = await waitFor(
      async () => (await state(master)).completed_frameworks.find((f) => f.id === frameworkId),
      5000,
      'framework in completed_frameworks',
    );
    assert.deepEqual(
      completed.completed_tasks.map((t) => [t.id, t.state]),
      [['doomed', 'TASK_KILLED']],
    );
  });

  it('marks an agent killed with SIGKILL unreachable after the ping timeout and reports its tasks', async () => {
    const doomedAgent = await cluster.startAgent(master.url, {
      resources: 'cpus:1;mem:256;disk:0',
      attributes: 'doomed:yes',
    });
    // One framework at a time, declining other agents' offers, so the doomed agent's resources
    // are never held in an offer to the framework that is not looking for them.
    const onDoomed = async (scheduler: TestScheduler) => {
      for (;;) {
        const offers = await scheduler.nextOffers('an offer on the doomed agent');
        const offer = offers.find((o) => o.attributes.some((a) => a.name === 'doomed'));
        const others = offers.filter((o) => o !== offer).map((o) => o.id);
        if (others.length > 0) await scheduler.client.decline(others, { refuse_seconds: 60 });
        if (offer !== undefined) return offer;
      }
    };
    await using aware = new TestScheduler(master.url, {
      name: 'aware',
      capabilities: [{ type: 'PARTITION_AWARE' }],
    });
    await aware.subscribe();
    const awareOffer = await onDoomed(aware);
    await aware.client.launch(awareOffer, [
      commandTask(awareOffer, 'aware-task', 'sleep 120', 'cpus:0.5;mem:64'),
    ]);
    await aware.nextUpdate('aware-task', 'TASK_RUNNING');
    await using legacy = new TestScheduler(master.url, { name: 'legacy' });
    await legacy.subscribe();
    const legacyOffer = await onDoomed(legacy);
    await legacy.client.launch(legacyOffer, [
      commandTask(legacyOffer, 'legacy-task', 'sleep 120', 'cpus:0.5;mem:64'),
    ]);
    await legacy.nextUpdate('legacy-task', 'TASK_RUNNING');

    const killedAt = Date.now();
    await doomedAgent.kill('SIGKILL');
    const unreachable = await aware.nextUpdate('aware-task', 'TASK_UNREACHABLE', 10_000);
    const elapsedMs = Date.now() - killedAt;
    assert.equal(unreachable.reason, 'REASON_AGENT_REMOVED');
    assert.ok(unreachable.unreachable_time !== undefined);
    // 500 ms pings × 3 misses: not before ~1.5 s (the sweep runs every 500 ms).
    assert.ok(elapsedMs >= 1000, `marked unreachable after only ${elapsedMs} ms`);
    const lost = await legacy.nextUpdate('legacy-task', 'TASK_LOST', 10_000);
    assert.equal(lost.reason, 'REASON_AGENT_REMOVED');
    // Mesos gives no order between FAILURE and the updates; it must simply have come.
    assert.ok(
      aware.events.some(
        (e) => e.type === 'FAILURE' && e.failure.agent_id?.value === awareOffer.agent_id.value,
      ),
    );
    const after = await state(master);
    assert.equal(after.unreachable_slaves, 1);
    assert.deepEqual(
      after.frameworks.flatMap((f) => f.unreachable_tasks.map((t) => [t.id, t.state])).sort(),
      [
        ['aware-task', 'TASK_UNREACHABLE'],
        ['legacy-task', 'TASK_UNREACHABLE'],
      ],
    );
  });
});
