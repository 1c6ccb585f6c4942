import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AgentEvent } from '../core/agent-protocol.js';
import { ManualClock } from '../core/clock.js';
import type { ContainerId, FrameworkId, TaskId } from '../core/ids.js';
import type { HealthCheck, TaskInfo, TaskStatus } from '../core/v1/tasks.js';
import { FakeContainerizer } from './containerizer/fake/fake-containerizer.js';
import {
  acknowledgeUntil,
  agentTasksFixture,
  FIXTURE_AGENT_ID,
  fixtureRunTask,
  statesOf,
  until,
} from './testing/agent-tasks-fixture.js';

const CHECK: HealthCheck = {
  type: 'COMMAND',
  command: { value: 'test -f ok', shell: true },
  delay_seconds: 0,
  interval_seconds: 1,
  grace_period_seconds: 0,
  consecutive_failures: 2,
};

const runTask = (id: string, extra: Partial<TaskInfo> = {}): AgentEvent =>
  fixtureRunTask(id, { health_check: CHECK, ...extra });

const failing = async () => ({ exitCode: 1, message: 'command exited with code 1' });

/** `state/reason/healthy` of every update sent for `taskId`. */
const healthOf = (sent: readonly TaskStatus[], taskId: string): string[] =>
  sent
    .filter((s) => s.task_id.value === taskId)
    .map((s) => `${s.state}/${s.reason ?? ''}/${s.healthy === undefined ? '' : String(s.healthy)}`);

describe('health checks of built-in executor tasks', () => {
  let root: string;
  before(async () => (root = await mkdtemp(join(tmpdir(), 'meso-health-'))));
  after(() => rm(root, { recursive: true, force: true }));

  /** A registered agent on a manual clock with a fake containerizer. */
  const agent = async () => {
    const clock = new ManualClock();
    const containerizer = new FakeContainerizer();
    const workDir = await mkdtemp(join(root, 'work-'));
    const fixture = agentTasksFixture(workDir, clock, [containerizer]);
    await fixture.tasks.registered(FIXTURE_AGENT_ID);
    fixture.tasks.updates.resume();
    return { ...fixture, clock, containerizer, workDir };
  };

  /** Runs `id` to TASK_RUNNING, every update acknowledged. */
  const running = async (a: Awaited<ReturnType<typeof agent>>, id: string, extra: Partial<TaskInfo> = {}) => {
    a.tasks.handle(runTask(id, extra), FIXTURE_AGENT_ID);
    await acknowledgeUntil(a.tasks, a.sent, id, () => statesOf(a.sent, id).includes('TASK_RUNNING/'));
  };

  it('reports healthy, then unhealthy, then kills the task with its kill policy: TASK_KILLED, healthy false', async () => {
    const a = await agent();
    await running(a, 't', { kill_policy: { grace_period: { nanoseconds: 2e9 } } });
    a.clock.advance(0);
    await acknowledgeUntil(a.tasks, a.sent, 't', () => a.sent.length === 3);
    assert.deepEqual(a.containerizer.execs, [
      { containerId: a.containerizer.launched[0]?.containerId, command: CHECK.command },
    ]);

    a.containerizer.execResult = failing;
    a.clock.advance(1000);
    await acknowledgeUntil(a.tasks, a.sent, 't', () => a.sent.length === 4);
    a.clock.advance(1000);
    await acknowledgeUntil(a.tasks, a.sent, 't', () => a.sent.length === 5);
    assert.deepEqual(healthOf(a.sent, 't'), [
      'TASK_STARTING//',
      'TASK_RUNNING//',
      'TASK_RUNNING/REASON_TASK_HEALTH_CHECK_STATUS_UPDATED/true',
      'TASK_RUNNING/REASON_TASK_HEALTH_CHECK_STATUS_UPDATED/false',
      'TASK_KILLED//false',
    ]);
    assert.equal(a.sent[3]?.message, 'health check failed: command exited with code 1');
    assert.equal(a.sent[4]?.message, 'task failed 2 consecutive health checks: command exited with code 1');
    assert.deepEqual(a.containerizer.kills, [2000]);
    // Nothing is checked once the task is being killed.
    a.clock.advance(10_000);
    assert.equal(a.containerizer.execs.length, 3);
  });

  it('stops checking a task the framework kills, whose TASK_KILLED stays as it is', async () => {
    const a = await agent();
    await running(a, 'k');
    a.clock.advance(0);
    await acknowledgeUntil(a.tasks, a.sent, 'k', () => a.sent.length === 3);
    a.tasks.handle(
      { type: 'KILL_TASK', kill_task: { framework_id: { value: 'fw' }, task_id: { value: 'k' } } },
      FIXTURE_AGENT_ID,
    );
    await acknowledgeUntil(a.tasks, a.sent, 'k', () => a.sent.length === 4);
    const killed = a.sent[3];
    assert.equal(killed?.state, 'TASK_KILLED');
    assert.equal(killed?.healthy, undefined);
    assert.equal(killed?.message, 'container was killed');
    a.clock.advance(10_000);
    assert.equal(a.containerizer.execs.length, 1);
  });

  it('refuses a task with an HTTP health check with TASK_ERROR, naming the problem', async () => {
    const a = await agent();
    a.tasks.handle(runTask('web', { health_check: { type: 'HTTP', http: { port: 80 } } }), FIXTURE_AGENT_ID);
    await until(() => a.sent.length === 1);
    assert.deepEqual(statesOf(a.sent, 'web'), ['TASK_ERROR/REASON_TASK_INVALID']);
    assert.equal(
      a.sent[0]?.message,
      "health_check type HTTP is not run by meso's agent; run HTTP/TCP checks from the scheduler",
    );
    assert.deepEqual(a.containerizer.launched, []);
  });

  it('leaves the health check of a custom executor task to the executor', async () => {
    const a = await agent();
    a.tasks.handle(
      runTask('custom', {
        command: undefined,
        health_check: { type: 'TCP', tcp: { port: 80 } },
        executor: {
          type: 'CUSTOM',
          executor_id: { value: 'ex' },
          command: { value: 'my-executor', shell: true },
          resources: [],
        },
      }),
      FIXTURE_AGENT_ID,
    );
    await until(() => a.containerizer.launched.length === 1);
    assert.deepEqual(statesOf(a.sent, 'custom'), []);
    a.clock.advance(60_000);
    assert.deepEqual(a.containerizer.execs, []);
  });

  it('checks an adopted task again after an agent restart: the delay applies, the grace period is over', async () => {
    const first = await agent();
    await running(first, 'adopted', {
      health_check: { ...CHECK, delay_seconds: 5, grace_period_seconds: 3600 },
    });
    await first.tasks.updates.flush();
    first.tasks.stop();
    const containerId = first.containerizer.launched[0]?.containerId as ContainerId;

    const clock = new ManualClock();
    const containerizer = new FakeContainerizer();
    containerizer.recovery = { recovered: [{ containerId }], orphansDestroyed: [] };
    containerizer.execResult = failing;
    const { tasks, sent } = agentTasksFixture(first.workDir, clock, [containerizer]);
    assert.equal(await tasks.recover(), FIXTURE_AGENT_ID);
    tasks.updates.resume();
    clock.advance(4999);
    assert.equal(containerizer.execs.length, 0);
    clock.advance(1);
    await until(() =>
      tasks.registry
        .task('fw' as FrameworkId, 'adopted' as TaskId)
        ?.statuses.some((s) => s.healthy === false),
    );
    assert.equal(containerizer.execs[0]?.containerId, containerId);
    // Within what would have been its grace period, the failure counted.
    await acknowledgeUntil(
      tasks,
      sent,
      'adopted',
      () => healthOf(sent, 'adopted').at(-1)?.endsWith('/false') === true,
    );
  });
});
