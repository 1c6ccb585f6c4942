import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AgentId, ContainerId, ExecutorId, FrameworkId, TaskId } from '../../core/ids.js';
import { Resources } from '../../core/resources.js';
import type { FrameworkInfo } from '../../core/v1/cluster.js';
import type { TaskStatus } from '../../core/v1/tasks.js';
import { silentLogger } from '../../log/logger.js';
import type { ExecutorEntry, TaskEntry } from '../task-registry.js';
import { AgentCheckpoint } from './checkpoint.js';

const agentId = 'S1' as AgentId;
const frameworkId = 'fw-1' as FrameworkId;
const framework: FrameworkInfo = {
  user: 'u',
  name: 'f',
  id: { value: frameworkId },
  failover_timeout: 0,
  checkpoint: true,
};
const executor: ExecutorEntry = {
  id: 't1' as ExecutorId,
  frameworkId,
  kind: 'command',
  name: 'Command Executor (Task: t1)',
  source: 't1',
  containerId: 'c1' as ContainerId,
  directory: '/sandbox/t1',
  info: undefined,
  resources: Resources.EMPTY,
  tasks: new Map(),
  completedTasks: [],
};
const task: TaskEntry = {
  agentId,
  frameworkId,
  executorId: 't1' as ExecutorId,
  taskId: 't1' as TaskId,
  info: { name: 't1', task_id: { value: 't1' }, agent_id: { value: agentId }, resources: [] },
  resources: Resources.EMPTY,
  containerId: 'c1' as ContainerId,
  sandboxDir: '/sandbox/t1',
  group: [],
  state: 'TASK_RUNNING',
  statuses: [],
  containerizer: { name: 'docker' } as TaskEntry['containerizer'],
  launched: true,
  killGraceMs: undefined,
};
const running: TaskStatus & { uuid: string } = {
  task_id: { value: 't1' },
  state: 'TASK_RUNNING',
  uuid: 'AAAAAAAAAAAAAAAAAAAAAA==',
};

describe('AgentCheckpoint', () => {
  let root: string;
  before(async () => (root = await mkdtemp(join(tmpdir(), 'meso-checkpoint-'))));
  after(() => rm(root, { recursive: true, force: true }));

  const written = async (): Promise<{ workDir: string; checkpoint: AgentCheckpoint }> => {
    const workDir = await mkdtemp(join(root, 'work-'));
    const checkpoint = new AgentCheckpoint(workDir, silentLogger);
    await checkpoint.saveAgentId(agentId);
    await Promise.all([
      checkpoint.saveFramework(agentId, framework),
      checkpoint.saveExecutor(agentId, executor),
      checkpoint.saveTask(task),
      checkpoint.saveUpdates(task, { latestState: 'TASK_RUNNING', pending: [running] }),
    ]);
    return { workDir, checkpoint };
  };

  it('reads back what was written, in Mesos-like paths', async () => {
    const { workDir } = await written();
    const state = await new AgentCheckpoint(workDir, silentLogger).read();
    assert.equal(state.kind, 'recovered');
    assert.ok(state.kind === 'recovered');
    assert.equal(state.agentId, agentId);
    const [fw] = state.frameworks;
    assert.equal(fw?.info.id?.value, frameworkId);
    const [ex] = fw?.executors ?? [];
    assert.equal(ex?.record.container_id, 'c1');
    const [t] = ex?.tasks ?? [];
    assert.equal(t?.record.containerizer, 'docker');
    assert.deepEqual(t?.updates, { latestState: 'TASK_RUNNING', pending: [running] });
    const taskDir = join(workDir, 'meta/slaves/S1/frameworks/fw-1/executors/t1/tasks/t1');
    assert.deepEqual(await readdir(taskDir), ['task.info', 'task.updates']);
  });

  it('answers empty without a checkpoint, and ignores leftover temporary files', async () => {
    const workDir = await mkdtemp(join(root, 'work-'));
    assert.deepEqual(await new AgentCheckpoint(workDir, silentLogger).read(), {
      kind: 'empty',
      staleAgentIds: [],
    });
    const { workDir: full } = await written();
    const tasksDir = join(full, 'meta/slaves/S1/frameworks/fw-1/executors/t1/tasks');
    await writeFile(join(tasksDir, 't1', '.tmp-task.info-123'), '{"trunc');
    assert.equal((await new AgentCheckpoint(full, silentLogger).read()).kind, 'recovered');
  });

  it('reports a truncated file as corrupt, naming it, with every agent directory as stale', async () => {
    const { workDir } = await written();
    const file = join(workDir, 'meta/slaves/S1/frameworks/fw-1/executors/t1/tasks/t1/task.info');
    await truncate(file, 10);
    const state = await new AgentCheckpoint(workDir, silentLogger).read();
    assert.equal(state.kind, 'corrupt');
    assert.ok(state.kind === 'corrupt');
    assert.equal(state.file, file);
    assert.match(state.reason, /not JSON/);
    assert.deepEqual(state.staleAgentIds, ['S1']);
  });

  it('reports content of the wrong shape and an unusable agent id as corrupt', async () => {
    const { workDir } = await written();
    await writeFile(join(workDir, 'meta/slaves/S1/frameworks/fw-1/framework.info'), '{"name": 3}');
    assert.equal((await new AgentCheckpoint(workDir, silentLogger).read()).kind, 'corrupt');
    await writeFile(join(workDir, 'meta/slaves/latest'), '../..');
    const state = await new AgentCheckpoint(workDir, silentLogger).read();
    assert.equal(state.kind, 'corrupt');
  });

  it('keeps completed tasks marked as such, removes forgotten entries and forgotten agents', async () => {
    const { workDir, checkpoint } = await written();
    await checkpoint.markCompleted(task);
    const completed = await checkpoint.read();
    assert.ok(completed.kind === 'recovered');
    assert.deepEqual(
      completed.frameworks.flatMap((f) => f.executors.flatMap((e) => e.tasks.map((t) => t.completed))),
      [true],
    );
    await checkpoint.forget({ kind: 'task', task });
    const withoutTask = await checkpoint.read();
    assert.ok(withoutTask.kind === 'recovered');
    assert.deepEqual(
      withoutTask.frameworks.flatMap((f) => f.executors.flatMap((e) => e.tasks)),
      [],
    );
    await checkpoint.forget({ kind: 'executor', executor });
    const withoutExecutor = await checkpoint.read();
    assert.ok(withoutExecutor.kind === 'recovered');
    assert.deepEqual(
      withoutExecutor.frameworks.map((f) => f.executors),
      [[]],
    );
    await checkpoint.forget({
      kind: 'framework',
      framework: {
        id: frameworkId,
        info: framework,
        executors: new Map(),
        completedExecutors: [],
        tasks: new Map(),
        shuttingDown: false,
      },
    });
    const state = await checkpoint.read();
    assert.ok(state.kind === 'recovered');
    assert.deepEqual(state.frameworks, []);
    await checkpoint.removeAgent(agentId);
    assert.deepEqual(await readdir(join(workDir, 'meta/slaves')), []);
    assert.equal((await checkpoint.read()).kind, 'empty');
  });
});
