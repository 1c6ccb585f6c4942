import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentId, ContainerId, ExecutorId, FrameworkId, TaskId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import type { TaskState } from '../core/v1/tasks.js';
import {
  COMPLETED_LIMITS,
  type ExecutorEntry,
  type FrameworkEntry,
  type TaskEntry,
  TaskRegistry,
} from './task-registry.js';

const fid = 'fw' as FrameworkId;

function setup(): { registry: TaskRegistry; framework: FrameworkEntry } {
  const registry = new TaskRegistry();
  const framework = registry.admitFramework(fid, {
    user: 'u',
    name: 'n',
    id: { value: fid },
    failover_timeout: 0,
    checkpoint: false,
  });
  return { registry, framework };
}

function addCommandTask(
  registry: TaskRegistry,
  framework: FrameworkEntry,
  id: string,
  state: TaskState,
  cpus = 1,
): ExecutorEntry {
  const executor = registry.addExecutor(framework, {
    id: id as ExecutorId,
    frameworkId: fid,
    kind: 'command',
    name: id,
    source: id,
    containerId: `c-${id}` as ContainerId,
    directory: `/sandbox/${id}`,
    info: undefined,
    resources: Resources.EMPTY,
  });
  const task: TaskEntry = {
    agentId: 'S0' as AgentId,
    frameworkId: fid,
    executorId: id as ExecutorId,
    taskId: id as TaskId,
    info: { name: id, task_id: { value: id }, agent_id: { value: 'S0' }, resources: [] },
    resources: Resources.scalars({ cpus }),
    containerId: `c-${id}` as ContainerId,
    sandboxDir: `/sandbox/${id}`,
    group: [],
    state,
    statuses: [],
    containerizer: undefined,
    launched: true,
    killGraceMs: undefined,
  };
  registry.addTask(executor, task);
  return executor;
}

describe('TaskRegistry', () => {
  it('counts only live tasks as used and reports terminal ones until they complete', () => {
    const { registry, framework } = setup();
    addCommandTask(registry, framework, 'a', 'TASK_RUNNING', 1);
    addCommandTask(registry, framework, 'b', 'TASK_FINISHED', 2);
    // used = a's 1 cpu; b finished, its resources are free although it is not acknowledged yet.
    assert.equal(registry.usedResources().scalar('cpus'), 1);
    assert.deepEqual(
      registry.reportedTasks().map((t) => [t.task.task_id.value, t.state]),
      [
        ['a', 'TASK_RUNNING'],
        ['b', 'TASK_FINISHED'],
      ],
    );
  });

  it('moves completed tasks, then empty executors, then empty frameworks to the completed lists', () => {
    const { registry, framework } = setup();
    addCommandTask(registry, framework, 'a', 'TASK_FINISHED');
    addCommandTask(registry, framework, 'b', 'TASK_FAILED');
    assert.equal(registry.complete(fid, 'a' as TaskId), 'executor');
    assert.equal(framework.completedExecutors[0]?.completedTasks[0]?.taskId, 'a');
    assert.equal(registry.framework(fid), framework);
    assert.equal(registry.complete(fid, 'b' as TaskId), 'framework');
    assert.equal(registry.complete(fid, 'b' as TaskId), undefined);
    assert.equal(registry.framework(fid), undefined);
    assert.equal(registry.completedFrameworks()[0], framework);
    assert.deepEqual(registry.reportedTasks(), []);
  });

  it('keeps completed executors bounded', () => {
    const { registry, framework } = setup();
    addCommandTask(registry, framework, 'keep', 'TASK_RUNNING');
    for (let i = 0; i < COMPLETED_LIMITS.executorsPerFramework + 5; i++) {
      addCommandTask(registry, framework, `t${i}`, 'TASK_FINISHED');
      registry.complete(fid, `t${i}` as TaskId);
    }
    assert.equal(framework.completedExecutors.length, COMPLETED_LIMITS.executorsPerFramework);
    assert.equal(framework.completedExecutors[0]?.id, 't5');
  });

  it('completes everything of a removed framework', () => {
    const { registry, framework } = setup();
    addCommandTask(registry, framework, 'a', 'TASK_KILLED');
    registry.removeFramework(fid);
    assert.equal(registry.framework(fid), undefined);
    assert.equal([...registry.tasks()].length, 0);
  });
});
