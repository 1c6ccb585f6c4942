/**
 * End to end through the v1 scheduler API: a real master and two real agents (separate processes on
 * loopback), a framework subscribing, receiving offers, launching tasks and following them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, type MesoProcess } from '../helpers/cluster.js';
import { commandTask, TestScheduler } from '../helpers/scheduler.js';

describe('scheduler API: task lifecycle', () => {
  const cluster = new Cluster();
  let master: MesoProcess;
  const agents: MesoProcess[] = [];

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms' });
    agents.push(await cluster.startAgent(master.url, { resources: 'cpus:2;mem:1024;ports:[31000-31099]' }));
    agents.push(await cluster.startAgent(master.url, { resources: 'cpus:2;mem:1024;ports:[32000-32099]' }));
  });
  after(() => cluster.stopAll());

  it('offers resources from both agents, with their url and hostname', async () => {
    await using scheduler = new TestScheduler(master.url);
    await scheduler.subscribe();
    const seen = new Map<string, number>();
    while (seen.size < 2) {
      for (const offer of await scheduler.nextOffers('offers from both agents')) {
        seen.set(offer.agent_id.value, offer.url?.address.port ?? 0);
        assert.ok(offer.hostname.length > 0);
        assert.equal(offer.allocation_info?.role, '*');
        assert.ok(offer.resources.some((r) => r.name === 'cpus' && r.scalar?.value === 2));
      }
    }
    assert.deepEqual([...seen.values()].sort(), agents.map((a) => a.port).sort());
  });

  it('runs a task through STARTING, RUNNING and FINISHED, acknowledged each time', async () => {
    await using scheduler = new TestScheduler(master.url);
    await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [commandTask(offer!, 'ok-1', 'echo hello from meso')]);
    await scheduler.nextUpdate('ok-1', 'TASK_FINISHED');
    const states = scheduler.updatesOf('ok-1').map((s) => s.state);
    assert.deepEqual(
      states.filter((s, i) => s !== states[i - 1]),
      ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED'],
    );
    assert.ok(
      scheduler
        .updatesOf('ok-1')
        .every((s) => s.uuid !== undefined && s.agent_id?.value === offer!.agent_id.value),
    );
    // The master's history of the task has every state, even ones it learned after the terminal one.
    const { tasks } = (await (await fetch(`${master.url}/master/tasks?task_id=ok-1`)).json()) as {
      tasks: { statuses: { state: string }[] }[];
    };
    const history = tasks[0]?.statuses.map((s) => s.state) ?? [];
    for (const state of ['TASK_STARTING', 'TASK_RUNNING', 'TASK_FINISHED']) {
      assert.ok(history.includes(state), `${state} missing from the history ${history.join(',')}`);
    }
  });

  it('runs a LAUNCH_GROUP: every task of the group reaches TASK_FINISHED', async () => {
    await using scheduler = new TestScheduler(master.url);
    await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    const executorResources = commandTask(offer!, 'unused', 'true', 'cpus:0.1;mem:32').resources;
    const member = (id: string, command: string) => {
      const { command: _unused, ...task } = commandTask(offer!, id, 'true');
      return { ...task, command: { value: command, shell: true } };
    };
    await scheduler.client.accept(
      [offer!.id],
      [
        {
          type: 'LAUNCH_GROUP',
          launch_group: {
            executor: { type: 'DEFAULT', executor_id: { value: 'group-exec' }, resources: executorResources },
            task_group: { tasks: [member('group-a', 'echo a'), member('group-b', 'echo b')] },
          },
        },
      ],
    );
    await scheduler.sawUpdate('group-a', 'TASK_FINISHED');
    await scheduler.sawUpdate('group-b', 'TASK_FINISHED');
    assert.ok(scheduler.updatesOf('group-a').every((s) => s.executor_id?.value === 'group-exec'));
  });

  it('reports a failing command as TASK_FAILED', async () => {
    await using scheduler = new TestScheduler(master.url);
    await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [commandTask(offer!, 'fail-1', 'exit 3')]);
    const failed = await scheduler.nextUpdate('fail-1', 'TASK_FAILED');
    assert.match(failed.message ?? '', /3/);
  });

  it('kills a running task on KILL', async () => {
    await using scheduler = new TestScheduler(master.url);
    await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [commandTask(offer!, 'sleepy-1', 'sleep 60')]);
    await scheduler.nextUpdate('sleepy-1', 'TASK_RUNNING');
    await scheduler.client.kill({ value: 'sleepy-1' }, offer!.agent_id);
    await scheduler.nextUpdate('sleepy-1', 'TASK_KILLED');
  });

  it('retries an update until it is acknowledged, then sends the next one', async () => {
    await using scheduler = new TestScheduler(master.url, {}, { autoAcknowledge: false });
    await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [commandTask(offer!, 'acked-1', 'sleep 30')]);
    const starting = await scheduler.nextUpdate('acked-1', 'TASK_STARTING');
    // Unacknowledged, the agent re-sends TASK_STARTING (same uuid) and holds TASK_RUNNING back.
    const retried = await scheduler.nextUpdate('acked-1', 'TASK_STARTING');
    assert.equal(retried.uuid, starting.uuid);
    assert.ok(!scheduler.updatesOf('acked-1').some((s) => s.state === 'TASK_RUNNING'));
    await scheduler.client.acknowledge(starting);
    const running = await scheduler.nextUpdate('acked-1', 'TASK_RUNNING');
    await scheduler.client.acknowledge(running);
    await scheduler.client.kill({ value: 'acked-1' });
  });

  it('answers implicit and explicit reconciliation with the latest state of each task', async () => {
    await using scheduler = new TestScheduler(master.url, { capabilities: [{ type: 'PARTITION_AWARE' }] });
    await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [
      commandTask(offer!, 'rec-run', 'sleep 60'),
      commandTask(offer!, 'rec-done', 'true'),
    ]);
    await scheduler.sawUpdate('rec-run', 'TASK_RUNNING');
    await scheduler.sawUpdate('rec-done', 'TASK_FINISHED');

    await scheduler.client.reconcile();
    const implicit = await scheduler.next(
      (e) => e.type === 'UPDATE' && e.update.status.reason === 'REASON_RECONCILIATION',
      'an implicit reconciliation answer',
    );
    assert.equal(implicit.type === 'UPDATE' && implicit.update.status.task_id.value, 'rec-run');
    assert.equal(implicit.type === 'UPDATE' && implicit.update.status.state, 'TASK_RUNNING');
    assert.equal(implicit.type === 'UPDATE' && implicit.update.status.uuid, undefined);

    await scheduler.client.reconcile([
      { task_id: { value: 'rec-run' } },
      { task_id: { value: 'never-launched' }, agent_id: offer!.agent_id },
    ]);
    const answers = new Map<string, string>();
    while (answers.size < 2) {
      const event = await scheduler.next(
        (e) => e.type === 'UPDATE' && e.update.status.reason === 'REASON_RECONCILIATION',
        'explicit reconciliation answers',
      );
      if (event.type === 'UPDATE') answers.set(event.update.status.task_id.value, event.update.status.state);
    }
    assert.deepEqual(Object.fromEntries(answers), {
      'rec-run': 'TASK_RUNNING',
      'never-launched': 'TASK_GONE',
    });
    await scheduler.client.kill({ value: 'rec-run' });
  });

  it('shows frameworks, agents and tasks under Mesos field names in /master/state', async () => {
    await using scheduler = new TestScheduler(master.url, { name: 'state-check' });
    const frameworkId = await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.client.launch(offer!, [commandTask(offer!, 'state-1', 'sleep 60')]);
    await scheduler.nextUpdate('state-1', 'TASK_RUNNING');
    const state = (await (await fetch(`${master.url}/master/state`)).json()) as {
      slaves: { id: string; resources: { cpus: number } }[];
      frameworks: {
        id: string;
        name: string;
        tasks: { id: string; state: string; slave_id: string; resources: { cpus: number } }[];
      }[];
    };
    assert.equal(state.slaves.length, 2);
    const fw = state.frameworks.find((f) => f.id === frameworkId);
    assert.equal(fw?.name, 'state-check');
    assert.deepEqual(
      fw?.tasks.map((t) => [t.id, t.state, t.slave_id, t.resources.cpus]),
      [['state-1', 'TASK_RUNNING', offer!.agent_id.value, 0.1]],
    );
    for (const path of [
      '/master/state-summary',
      '/master/frameworks',
      '/master/slaves',
      '/master/tasks',
      '/version',
      '/state',
    ]) {
      assert.equal((await fetch(`${master.url}${path}`)).status, 200, path);
    }
    await scheduler.client.kill({ value: 'state-1' });
  });
});
