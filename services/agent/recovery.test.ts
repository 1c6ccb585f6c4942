import assert from 'node:assert/strict';
import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { ContainerId, FrameworkId, TaskId } from '../core/ids.js';
import { FakeContainerizer } from './containerizer/fake/fake-containerizer.js';
import {
  acknowledgeUntil,
  agentTasksFixture,
  FIXTURE_AGENT_ID,
  fixtureRunTask,
  statesOf,
  until,
} from './testing/agent-tasks-fixture.js';

describe('agent recovery', () => {
  let root: string;
  before(async () => (root = await mkdtemp(join(tmpdir(), 'meso-recovery-'))));
  after(() => rm(root, { recursive: true, force: true }));

  /** An agent that ran `ids` to TASK_RUNNING (and acknowledged nothing), then "crashed". */
  const crashedAgent = async (ids: readonly string[]) => {
    const workDir = await mkdtemp(join(root, 'work-'));
    const containerizer = new FakeContainerizer();
    const { tasks } = agentTasksFixture(workDir, new ManualClock(), [containerizer]);
    await tasks.registered(FIXTURE_AGENT_ID);
    tasks.updates.resume();
    for (const id of ids) tasks.handle(fixtureRunTask(id), FIXTURE_AGENT_ID);
    await until(() =>
      ids.every((id) => tasks.registry.task('fw' as FrameworkId, id as TaskId)?.state === 'TASK_RUNNING'),
    );
    await tasks.updates.flush();
    const containers = new Map(
      containerizer.launched.map((spec) => [spec.taskId as string, spec.containerId]),
    );
    return { workDir, containers };
  };

  it('adopts a running container, reports one that ended, fails a vanished one, keeps the id', async () => {
    const { workDir, containers } = await crashedAgent(['running', 'ended', 'vanished']);
    const containerizer = new FakeContainerizer();
    containerizer.recovery = {
      recovered: [
        { containerId: containers.get('running') as ContainerId },
        {
          containerId: containers.get('ended') as ContainerId,
          termination: { exitCode: 7, message: 'exited with code 7' },
        },
      ],
      orphansDestroyed: [],
    };
    const { tasks, sent } = agentTasksFixture(workDir, new ManualClock(), [containerizer]);
    assert.equal(await tasks.recover(), FIXTURE_AGENT_ID);
    assert.deepEqual(containerizer.recoveries, [
      `${FIXTURE_AGENT_ID}:${[...containers.values()].sort().join(',')}`,
    ]);
    tasks.updates.resume();
    // The checkpointed, unacknowledged updates come first, then what recovery found.
    await until(() => sent.length >= 3);
    assert.deepEqual(statesOf(sent, 'ended'), ['TASK_STARTING/']);
    assert.deepEqual(
      tasks.registry
        .reportedTasks()
        .map((t) => `${t.task.task_id.value}:${t.state}`)
        .sort(),
      ['ended:TASK_FAILED', 'running:TASK_RUNNING', 'vanished:TASK_FAILED'],
    );
    const vanished = tasks.registry.task('fw' as FrameworkId, 'vanished' as TaskId)?.statuses.at(-1);
    assert.equal(vanished?.reason, 'REASON_AGENT_RESTARTED');
    assert.match(vanished?.message ?? '', /not found after the agent restarted/);
    const ended = tasks.registry.task('fw' as FrameworkId, 'ended' as TaskId)?.statuses.at(-1);
    assert.equal(ended?.message, 'exited with code 7');
  });

  it('starts as a new agent on a corrupt checkpoint and destroys the old agent containers', async () => {
    const { workDir } = await crashedAgent(['doomed']);
    await truncate(join(workDir, 'meta/slaves', FIXTURE_AGENT_ID, 'frameworks/fw/framework.info'), 5);
    const containerizer = new FakeContainerizer();
    const { tasks } = agentTasksFixture(workDir, new ManualClock(), [containerizer]);
    assert.equal(await tasks.recover(), undefined);
    assert.deepEqual(containerizer.recoveries, [`${FIXTURE_AGENT_ID}:`]);
    assert.deepEqual(tasks.registry.reportedTasks(), []);
    // The old checkpoint is gone: the next start is a clean one.
    const again = agentTasksFixture(workDir, new ManualClock(), [new FakeContainerizer()]);
    assert.equal(await again.tasks.recover(), undefined);
  });

  it('keeps completed tasks as history across a restart, without recovering their containers', async () => {
    const workDir = await mkdtemp(join(root, 'work-'));
    const containerizer = new FakeContainerizer();
    const { tasks, sent } = agentTasksFixture(workDir, new ManualClock(), [containerizer]);
    await tasks.registered(FIXTURE_AGENT_ID);
    tasks.updates.resume();
    for (const id of ['done', 'still']) tasks.handle(fixtureRunTask(id), FIXTURE_AGENT_ID);
    const containerOf = (id: string): ContainerId =>
      containerizer.launched.find((spec) => spec.taskId === id)?.containerId as ContainerId;
    await until(() => containerizer.launched.length === 2);
    containerizer.end(containerOf('done'), { exitCode: 0, message: 'exited with code 0' });
    // The framework acknowledges each update of `done` as it arrives (the next follows the ack).
    await acknowledgeUntil(tasks, sent, 'done', () => tasks.registry.reportedCompletedTasks().length === 1);
    await tasks.updates.flush();

    const restarted = new FakeContainerizer();
    restarted.recovery = { recovered: [{ containerId: containerOf('still') }], orphansDestroyed: [] };
    const again = agentTasksFixture(workDir, new ManualClock(), [restarted]);
    assert.equal(await again.tasks.recover(), FIXTURE_AGENT_ID);
    assert.deepEqual(restarted.recoveries, [`${FIXTURE_AGENT_ID}:${containerOf('still')}`]);
    assert.deepEqual(
      again.tasks.registry.reportedCompletedTasks().map((t) => `${t.task.task_id.value}:${t.state}`),
      ['done:TASK_FINISHED'],
    );
    assert.deepEqual(
      again.tasks.registry.reportedTasks().map((t) => t.task.task_id.value),
      ['still'],
    );
  });
});
