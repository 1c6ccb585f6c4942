import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentId, ExecutorId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import type { Operation } from '../core/v1/scheduler.js';
import type { TaskInfo } from '../core/v1/tasks.js';
import { isRejection, planLaunches, type LaunchContext } from './launch-validation.js';

const agentId = 'M-S0' as AgentId;
const ctx = (overrides: Partial<LaunchContext> = {}): LaunchContext => ({
  agentId,
  role: 'web',
  offered: Resources.parse('cpus:2;mem:1024;ports:[31000-31009]'),
  liveTaskIds: new Set(),
  knownExecutors: new Set<ExecutorId>(),
  ...overrides,
});

const task = (id: string, resources: string, extra: Partial<TaskInfo> = {}): TaskInfo => ({
  name: id,
  task_id: { value: id },
  agent_id: { value: agentId },
  resources: Resources.parse(resources).toV1('web'),
  command: { value: 'true', shell: true },
  ...extra,
});

const launch = (...tasks: TaskInfo[]): Operation => ({ type: 'LAUNCH', launch: { task_infos: tasks } });

describe('planLaunches', () => {
  it('charges each task and returns what is left', () => {
    // 2 cpus - 0.5 - 0.5 = 1 cpu left; 1024 - 128 - 128 = 768 mem; ports 31000 taken.
    const plan = planLaunches(
      [launch(task('a', 'cpus:0.5;mem:128;ports:[31000-31000]'), task('b', 'cpus:0.5;mem:128'))],
      ctx(),
    );
    assert.ok(!isRejection(plan));
    assert.equal(plan.launches.length, 2);
    assert.equal(plan.remaining.toString(), 'cpus:1;mem:768;ports:[31001-31009]');
  });

  it('refuses resources beyond the offer, naming the task and the resources', () => {
    const plan = planLaunches([launch(task('big', 'cpus:3;mem:128'))], ctx());
    assert.ok(isRejection(plan));
    assert.match(
      plan.message,
      /Task 'big' uses resources cpus:3;mem:128 that are not in the offered resources left/,
    );
  });

  it('refuses the whole call when two tasks together exceed the offer', () => {
    // 1.5 + 1 = 2.5 cpus > 2 offered: the second task is the offending one, the first is refused too.
    const plan = planLaunches([launch(task('a', 'cpus:1.5'), task('b', 'cpus:1'))], ctx());
    assert.ok(isRejection(plan));
    assert.deepEqual(
      plan.tasks.map((t) => [t.task.task_id.value, /not in the offered/.test(t.cause ?? '')]),
      [
        ['a', false],
        ['b', true],
      ],
    );
  });

  it('refuses ports outside the offered ranges', () => {
    const plan = planLaunches([launch(task('p', 'cpus:0.1;ports:[40000-40000]'))], ctx());
    assert.ok(isRejection(plan));
  });

  it('refuses duplicate task ids, within the call and against live tasks', () => {
    assert.match(
      (planLaunches([launch(task('x', 'cpus:0.1'), task('x', 'cpus:0.1'))], ctx()) as { message: string })
        .message,
      /duplicate task id/,
    );
    assert.match(
      (
        planLaunches([launch(task('y', 'cpus:0.1'))], ctx({ liveTaskIds: new Set(['y']) })) as {
          message: string;
        }
      ).message,
      /duplicate/,
    );
  });

  it('refuses a task for another agent, and one with neither command nor executor', () => {
    const elsewhere = task('e', 'cpus:0.1', { agent_id: { value: 'M-S9' } });
    assert.match(
      (planLaunches([launch(elsewhere)], ctx()) as { message: string }).message,
      /names agent 'M-S9'/,
    );
    const { command: _omit, ...noCommand } = task('n', 'cpus:0.1');
    assert.match(
      (planLaunches([launch(noCommand)], ctx()) as { message: string }).message,
      /exactly one of 'command' or 'executor'/,
    );
  });

  it('refuses resources allocated to another role', () => {
    const other = task('r', 'cpus:0.1', { resources: Resources.parse('cpus:0.1').toV1('batch') });
    assert.match(
      (planLaunches([launch(other)], ctx()) as { message: string }).message,
      /role 'batch', not the offer's role 'web'/,
    );
  });

  it('charges a task group executor once', () => {
    // executor 0.1 cpus + tasks 0.5 + 0.5 = 1.1 cpus.
    const executor = {
      executor_id: { value: 'ex' },
      resources: Resources.parse('cpus:0.1;mem:32').toV1('web'),
    };
    const { command: _a, ...t1 } = task('g1', 'cpus:0.5;mem:64');
    const { command: _b, ...t2 } = task('g2', 'cpus:0.5;mem:64');
    const plan = planLaunches(
      [{ type: 'LAUNCH_GROUP', launch_group: { executor, task_group: { tasks: [t1, t2] } } }],
      ctx(),
    );
    assert.ok(!isRejection(plan));
    assert.equal(plan.remaining.scalar('cpus'), 0.9);
    assert.equal(plan.groups.length, 1);
  });

  it('refuses operations meso does not carry out', () => {
    const plan = planLaunches([{ type: 'RESERVE', reserve: { resources: [] } }], ctx());
    assert.ok(isRejection(plan));
    assert.match(plan.message, /RESERVE is not supported/);
  });
});
