/**
 * The agent's checkpoint (layout in `checkpoint-records.ts`): what a restarted agent needs to
 * adopt its containers and carry on as the same agent, and the bounded history of completed
 * tasks, so a restarted agent still reports them (a new leading master rebuilds its history from
 * the agents). Writes are atomic and ordered: the writes of one framework run one after the
 * other, in the order they were asked for, so a task's record is on disk before its first update,
 * and marked completed after its last.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import type { AgentId, ExecutorId, FrameworkId, TaskId } from '../../core/ids.js';
import { type FrameworkInfo, FrameworkInfoSchema } from '../../core/v1/cluster.js';
import { formatIssues } from '../../core/validation.js';
import type { Logger } from '../../log/logger.js';
import type { PersistedStream } from '../status-update-manager.js';
import type { ExecutorEntry, Forgotten, TaskEntry } from '../task-registry.js';
import { removeDurably, TEMP_PREFIX, writeFileAtomic } from './atomic-file.js';
import {
  CheckpointLayout,
  type ExecutorRecord,
  ExecutorRecordSchema,
  FILES,
  type TaskKey,
  type TaskRecord,
  TaskRecordSchema,
  type UpdatesRecord,
  UpdatesRecordSchema,
} from './checkpoint-records.js';

export interface CheckpointedTask {
  readonly record: TaskRecord;
  /** Absent when the task had no update yet. */
  readonly updates: PersistedStream | undefined;
  /** History only: its updates are done with and it has no container. */
  readonly completed: boolean;
}

export interface CheckpointedExecutor {
  readonly id: ExecutorId;
  readonly record: ExecutorRecord;
  readonly tasks: readonly CheckpointedTask[];
}

export interface CheckpointedFramework {
  readonly info: FrameworkInfo;
  readonly executors: readonly CheckpointedExecutor[];
}

/**
 * What `read` found. `staleAgentIds`: agents with a directory under `slaves/` that this agent will
 * not continue as (all of them when the checkpoint is corrupt); their containers are orphans.
 */
export type CheckpointState =
  | { readonly kind: 'empty'; readonly staleAgentIds: readonly AgentId[] }
  | {
      readonly kind: 'recovered';
      readonly agentId: AgentId;
      readonly frameworks: readonly CheckpointedFramework[];
      readonly staleAgentIds: readonly AgentId[];
    }
  | {
      readonly kind: 'corrupt';
      readonly file: string;
      readonly reason: string;
      readonly staleAgentIds: readonly AgentId[];
    };

/** A checkpoint file that cannot be read back: truncated, not JSON, or not the expected record. */
class CorruptCheckpointError extends Error {
  constructor(
    readonly file: string,
    reason: string,
  ) {
    super(reason);
  }
}

export class AgentCheckpoint {
  readonly layout: CheckpointLayout;
  /** The agent the checkpoint belongs to, once registered or recovered. */
  private agentId: AgentId | undefined;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly log: Logger;

  constructor(workDir: string, log: Logger) {
    this.layout = new CheckpointLayout(workDir);
    this.log = log.child({ component: 'agent.checkpoint' });
  }

  /** Reads everything back. Never rejects: whatever cannot be read makes the answer `corrupt`. */
  async read(): Promise<CheckpointState> {
    let all: AgentId[] = [];
    try {
      all = (await entries(this.layout.slavesDir)).filter((name) => name !== FILES.latest) as AgentId[];
      const latest = await optionalText(this.layout.latestFile());
      if (latest === undefined) return { kind: 'empty', staleAgentIds: all };
      const agentId = latest.trim() as AgentId;
      const frameworks = await this.readFrameworks(agentId);
      this.agentId = agentId;
      return { kind: 'recovered', agentId, frameworks, staleAgentIds: all.filter((id) => id !== agentId) };
    } catch (err) {
      const file = err instanceof CorruptCheckpointError ? err.file : this.layout.slavesDir;
      return { kind: 'corrupt', file, reason: (err as Error).message, staleAgentIds: all };
    }
  }

  saveAgentId(agentId: AgentId): Promise<void> {
    this.agentId = agentId;
    return this.enqueue('agent', () => writeFileAtomic(this.layout.latestFile(), agentId));
  }

  saveFramework(agentId: AgentId, info: FrameworkInfo): Promise<void> {
    const frameworkId = info.id?.value as FrameworkId;
    const file = (): string => join(this.layout.frameworkDir(agentId, frameworkId), FILES.framework);
    return this.write(agentId, frameworkId, file, info);
  }

  saveExecutor(agentId: AgentId, executor: ExecutorEntry): Promise<void> {
    const record: ExecutorRecord = {
      kind: executor.kind,
      ...(executor.info !== undefined && { info: executor.info }),
      name: executor.name,
      source: executor.source,
      container_id: executor.containerId,
      directory: executor.directory,
    };
    const key = { agentId, frameworkId: executor.frameworkId, executorId: executor.id };
    const file = (): string => join(this.layout.executorDir(key), FILES.executor);
    return this.write(agentId, executor.frameworkId, file, record);
  }

  saveTask(task: TaskEntry): Promise<void> {
    const record: TaskRecord = {
      task: task.info,
      container_id: task.containerId,
      ...(task.containerizer !== undefined && { containerizer: task.containerizer.name }),
      sandbox_dir: task.sandboxDir,
      group: [...task.group],
    };
    const file = (): string => join(this.layout.taskDir(task), FILES.task);
    return this.write(task.agentId, task.frameworkId, file, record);
  }

  saveUpdates(task: TaskKey, stream: PersistedStream): Promise<void> {
    const record: UpdatesRecord = {
      latest_state: stream.latestState,
      pending: stream.pending.flatMap((s) => (s.uuid === undefined ? [] : [{ ...s, uuid: s.uuid }])),
    };
    const file = (): string => join(this.layout.taskDir(task), FILES.updates);
    return this.write(task.agentId, task.frameworkId, file, record);
  }

  /** Marks a task completed: kept as history, no longer recovered (see `TaskRegistry.complete`). */
  markCompleted(task: TaskKey): Promise<void> {
    const file = (): string => join(this.layout.taskDir(task), FILES.completed);
    return this.write(task.agentId, task.frameworkId, file, { completed: true });
  }

  /** Removes a completed entry the registry no longer remembers, with everything under it. */
  forget(entry: Forgotten): Promise<void> {
    const { agentId } = this;
    if (agentId === undefined) return Promise.resolve();
    const frameworkId = forgottenFrameworkId(entry);
    const dir = (): string => {
      switch (entry.kind) {
        case 'task':
          return this.layout.taskDir(entry.task);
        case 'executor':
          return this.layout.executorDir({ agentId, frameworkId, executorId: entry.executor.id });
        case 'framework':
          return this.layout.frameworkDir(agentId, frameworkId);
      }
    };
    return this.enqueue(frameworkKey(agentId, frameworkId), () => removeDurably(dir()));
  }

  /** Forgets an agent (shut down by the master, or stale) once every pending write has landed. */
  async removeAgent(agentId: AgentId): Promise<void> {
    if (this.agentId === agentId) this.agentId = undefined;
    await Promise.all([...this.chains.values()]);
    await this.enqueue('agent', async () => {
      const latest = await optionalText(this.layout.latestFile());
      if (latest?.trim() === agentId) await removeDurably(this.layout.latestFile());
      await removeDurably(this.layout.agentDir(agentId));
    });
  }

  private agentDirOf(agentId: AgentId): string {
    try {
      return this.layout.agentDir(agentId);
    } catch {
      throw new CorruptCheckpointError(this.layout.latestFile(), `'${agentId}' is not an agent id`);
    }
  }

  /** `file` is resolved when the write runs, so an id that is no path segment fails the write, not the caller. */
  private write(
    agentId: AgentId,
    frameworkId: FrameworkId,
    file: () => string,
    record: unknown,
  ): Promise<void> {
    const text = JSON.stringify(record);
    return this.enqueue(frameworkKey(agentId, frameworkId), () => writeFileAtomic(file(), text));
  }

  /**
   * Runs `op` after every earlier operation under `key`. Never rejects: a failed write is logged
   * and the agent carries on (it keeps running tasks and delivering updates without a checkpoint).
   */
  private enqueue(key: string, op: () => Promise<void>): Promise<void> {
    const settled = (this.chains.get(key) ?? Promise.resolve())
      .then(op)
      .catch((err: unknown) =>
        this.log.error('checkpoint write failed', { key, err: (err as Error).message }),
      );
    this.chains.set(key, settled);
    void settled.then(() => {
      if (this.chains.get(key) === settled) this.chains.delete(key);
    });
    return settled;
  }

  private async readFrameworks(agentId: AgentId): Promise<CheckpointedFramework[]> {
    const frameworksDir = join(this.agentDirOf(agentId), 'frameworks');
    const frameworks: CheckpointedFramework[] = [];
    for (const frameworkId of await entries(frameworksDir)) {
      const dir = join(frameworksDir, frameworkId);
      const info = await readRecord(join(dir, FILES.framework), FrameworkInfoSchema);
      const executors: CheckpointedExecutor[] = [];
      for (const executorId of await entries(join(dir, 'executors'))) {
        const executorDir = join(dir, 'executors', executorId);
        const record = await readRecord(join(executorDir, FILES.executor), ExecutorRecordSchema);
        const tasks = await this.readTasks(join(executorDir, 'tasks'));
        executors.push({ id: executorId as ExecutorId, record, tasks });
      }
      frameworks.push({ info, executors });
    }
    return frameworks;
  }

  private async readTasks(tasksDir: string): Promise<CheckpointedTask[]> {
    const tasks: CheckpointedTask[] = [];
    for (const taskId of await entries(tasksDir)) {
      const dir = join(tasksDir, taskId);
      const files = await entries(dir);
      if (!files.includes(FILES.task)) {
        // Created for a record whose write never completed: the task was not checkpointed yet.
        if (files.includes(FILES.updates))
          throw new CorruptCheckpointError(join(dir, FILES.task), 'missing, but the task has updates');
        this.log.warn('incomplete task checkpoint ignored', { dir, taskId: taskId as TaskId });
        continue;
      }
      const record = await readRecord(join(dir, FILES.task), TaskRecordSchema);
      const updates = files.includes(FILES.updates)
        ? await readRecord(join(dir, FILES.updates), UpdatesRecordSchema)
        : undefined;
      tasks.push({
        record,
        updates: updates && { latestState: updates.latest_state, pending: updates.pending },
        completed: files.includes(FILES.completed),
      });
    }
    return tasks;
  }
}

const frameworkKey = (agentId: AgentId, frameworkId: FrameworkId): string => `${agentId}/${frameworkId}`;

const forgottenFrameworkId = (entry: Forgotten): FrameworkId =>
  entry.kind === 'task'
    ? entry.task.frameworkId
    : entry.kind === 'executor'
      ? entry.executor.frameworkId
      : entry.framework.id;

/** Names in a directory, without temporary files; none when it does not exist. */
async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((name) => !name.startsWith(TEMP_PREFIX)).sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

async function optionalText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function readRecord<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CorruptCheckpointError(file, (err as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CorruptCheckpointError(file, `not JSON (truncated?): ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new CorruptCheckpointError(file, `unexpected content: ${formatIssues(parsed.error)}`);
  return parsed.data;
}
