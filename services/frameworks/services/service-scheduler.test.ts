import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InMemoryRegistryStore } from '../../coordination/index.js';
import { ManualClock } from '../../core/clock.js';
import { silentLogger } from '../../log/logger.js';
import { StateDocument } from '../common/state-document.js';
import { RecordingControl, statusOf, testOffer } from '../testing/fakes.js';
import { parseAppDefinition } from './app-definition.js';
import { ServiceScheduler } from './service-scheduler.js';
import { decodeServiceState, EMPTY_SERVICE_STATE, type ServiceState } from './service-state.js';

async function setup(
  store = new InMemoryRegistryStore(decodeServiceState),
  clock = new ManualClock(1_000_000),
) {
  const state = await StateDocument.open<ServiceState>(store, EMPTY_SERVICE_STATE, {
    log: silentLogger,
    onFenced: () => undefined,
  });
  const control = new RecordingControl();
  const scheduler = new ServiceScheduler({ state, control, role: '*', clock, log: silentLogger });
  return { scheduler, control, clock, store, state };
}

const taskIds = (launches: readonly { tasks: readonly { task_id: { value: string } }[] }[]): string[] =>
  launches.flatMap((l) => l.tasks.map((t) => t.task_id.value));

describe('ServiceScheduler', () => {
  it('spreads a UNIQUE hostname app and records tasks before launching', async () => {
    const { scheduler, state } = await setup();
    await scheduler.putApp(
      parseAppDefinition({
        id: 'web',
        cmd: 'x',
        instances: 3,
        ports: ['http'],
        constraints: [['hostname', 'UNIQUE']],
      }),
      false,
    );
    assert.equal(scheduler.wantsOffers(), true);
    const launches = await scheduler.onOffers([testOffer('a'), testOffer('b')]);
    assert.deepEqual(
      launches.map((l) => l.offer.hostname),
      ['a', 'b'],
    );
    assert.deepEqual(Object.keys(state.value.tasks).sort(), taskIds(launches).sort());
    const [queued] = scheduler.queue();
    assert.equal(queued?.status, 'waiting-for-offers');
    assert.equal(queued?.tasksToLaunch, 1);
  });

  it('replaces a failed task after a growing backoff', async () => {
    const { scheduler, clock } = await setup();
    await scheduler.putApp(
      parseAppDefinition({ id: 'web', cmd: 'x', backoffSeconds: 2, backoffFactor: 3 }),
      false,
    );
    let [first] = taskIds(await scheduler.onOffers([testOffer('a')]));
    assert.ok(first);
    await scheduler.onUpdate(statusOf(first, 'TASK_RUNNING'));
    assert.equal(scheduler.wantsOffers(), false);

    // Failure 1: held for 2 s.
    await scheduler.onUpdate(statusOf(first, 'TASK_FAILED', 'Command exited with status 1'));
    assert.equal(scheduler.wantsOffers(), false);
    const waiting = scheduler.getApp('web').waiting;
    assert.equal(waiting?.status, 'backing-off');
    assert.equal(waiting?.lastFailure?.message, 'Command exited with status 1');
    clock.advance(2000);
    assert.equal(scheduler.wantsOffers(), true);
    [first] = taskIds(await scheduler.onOffers([testOffer('a')]));
    assert.ok(first);

    // Failure 2: held for 2 × 3 = 6 s.
    await scheduler.onUpdate(statusOf(first, 'TASK_FAILED'));
    clock.advance(5999);
    assert.equal(scheduler.wantsOffers(), false);
    clock.advance(1);
    assert.equal(scheduler.wantsOffers(), true);
    await scheduler.stop();
  });

  it("hands a COMMAND check to the agent and takes the agent's verdict, replacing a task it killed", async () => {
    const { scheduler, control, clock } = await setup();
    await scheduler.putApp(
      parseAppDefinition({
        id: 'web',
        cmd: 'x',
        backoffSeconds: 1,
        healthChecks: [
          { protocol: 'COMMAND', command: 'test -f /tmp/ok', intervalSeconds: 2, timeoutSeconds: 1 },
        ],
      }),
      false,
    );
    const [launch] = await scheduler.onOffers([testOffer('a')]);
    const task = launch?.tasks[0];
    assert.deepEqual(task?.health_check, {
      type: 'COMMAND',
      command: { value: 'test -f /tmp/ok', shell: true },
      delay_seconds: 0,
      interval_seconds: 2,
      timeout_seconds: 1,
      consecutive_failures: 3,
      grace_period_seconds: 300,
    });
    const id = task?.task_id.value ?? '';
    const healthOf = (): boolean | null | undefined => scheduler.getApp('web').tasks[0]?.healthy;
    await scheduler.onUpdate(statusOf(id, 'TASK_RUNNING'));
    assert.equal(healthOf(), null, 'no verdict before the agent reports one');
    await scheduler.onUpdate({ ...statusOf(id, 'TASK_RUNNING'), healthy: true });
    assert.equal(healthOf(), true);
    assert.equal(scheduler.getApp('web').tasksHealthy, 1);
    await scheduler.onUpdate({ ...statusOf(id, 'TASK_RUNNING'), healthy: false });
    assert.equal(healthOf(), false);
    // The agent kills it after its consecutive failures: a failure of the app, replaced after backoff.
    await scheduler.onUpdate({
      ...statusOf(id, 'TASK_KILLED', 'task failed 3 consecutive health checks'),
      healthy: false,
    });
    assert.deepEqual(control.kills, [], 'the scheduler itself killed nothing');
    assert.equal(
      scheduler.getApp('web').waiting?.lastFailure?.message,
      'task failed 3 consecutive health checks',
    );
    clock.advance(1000);
    assert.equal(scheduler.wantsOffers(), true);
    await scheduler.stop();
  });

  it('kills tasks on scale-down without counting them as failures', async () => {
    const { scheduler, control } = await setup();
    await scheduler.putApp(parseAppDefinition({ id: 'web', cmd: 'x', instances: 2 }), false);
    const ids = taskIds(await scheduler.onOffers([testOffer('a')]));
    for (const id of ids) await scheduler.onUpdate(statusOf(id, 'TASK_RUNNING'));
    await scheduler.scaleApp('web', 0);
    assert.deepEqual([...control.kills].sort(), [...ids].sort());
    for (const id of ids) await scheduler.onUpdate(statusOf(id, 'TASK_KILLED'));
    await scheduler.scaleApp('web', 1);
    assert.equal(scheduler.wantsOffers(), true, 'no backoff after intended kills');
    await scheduler.stop();
  });

  it('a successor adopts the recorded tasks instead of launching new ones', async () => {
    const first = await setup();
    await first.scheduler.putApp(parseAppDefinition({ id: 'web', cmd: 'x', instances: 2 }), false);
    const ids = taskIds(await first.scheduler.onOffers([testOffer('a')]));
    await first.scheduler.stop();

    const successor = await setup(first.store, first.clock);
    assert.deepEqual(
      successor.scheduler
        .knownTasks()
        .map((t) => t.task_id.value)
        .sort(),
      [...ids].sort(),
    );
    assert.equal(successor.scheduler.wantsOffers(), false, 'recorded tasks count until reconciled');
    for (const id of ids) await successor.scheduler.onUpdate(statusOf(id, 'TASK_RUNNING'));
    assert.equal(successor.scheduler.getApp('web').tasksRunning, 2);
    assert.deepEqual(successor.control.kills, []);
    await successor.scheduler.stop();
  });

  it('kills a running task it has no record of', async () => {
    const { scheduler, control } = await setup();
    await scheduler.onUpdate(statusOf('ghost.1', 'TASK_RUNNING'));
    assert.deepEqual(control.kills, ['ghost.1']);
    await scheduler.stop();
  });
});
