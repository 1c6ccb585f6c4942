/**
 * What the agent checkpoints and where, after Mesos's `meta/` directory (paths below are under
 * `<work_dir>/meta/`). Each file is one JSON document in Mesos's JSON flavour, replaced atomically;
 * ids are directory names (the sandbox rules keep them to one path segment each).
 *
 *   slaves/latest                                            the agent id (text)
 *   slaves/<agent>/frameworks/<fw>/framework.info            FrameworkInfo
 *   slaves/<agent>/frameworks/<fw>/executors/<ex>/executor.info
 *   slaves/<agent>/frameworks/<fw>/executors/<ex>/tasks/<task>/task.info
 *   slaves/<agent>/frameworks/<fw>/executors/<ex>/tasks/<task>/task.updates
 *
 * A task's directory goes once its terminal update is acknowledged, an executor's with its last
 * task, a framework's with its last executor, the agent's when the master shuts it down.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { AgentId, ExecutorId, FrameworkId, TaskId } from '../../core/ids.js';
import { ExecutorInfoSchema, TASK_STATES, TaskInfoSchema, TaskStatusSchema } from '../../core/v1/tasks.js';
import { pathSegment } from '../sandbox.js';

export const ExecutorRecordSchema = z.object({
  kind: z.enum(['command', 'default', 'custom']),
  info: ExecutorInfoSchema.optional(),
  name: z.string(),
  source: z.string(),
  container_id: z.string().min(1),
  directory: z.string().min(1),
});
export type ExecutorRecord = z.infer<typeof ExecutorRecordSchema>;

export const TaskRecordSchema = z.object({
  task: TaskInfoSchema,
  container_id: z.string().min(1),
  /** The containerizer that accepted the task (for a custom executor's task: the executor's). */
  containerizer: z.string().optional(),
  sandbox_dir: z.string().min(1),
  /** The task ids of its task group, itself included; empty for a command task. */
  group: z.array(z.string()),
});
export type TaskRecord = z.infer<typeof TaskRecordSchema>;

/** The task's latest state and its updates not yet acknowledged by the framework, oldest first. */
export const UpdatesRecordSchema = z.object({
  latest_state: z.enum(TASK_STATES),
  pending: z.array(TaskStatusSchema.extend({ uuid: z.string().min(1) })),
});
export type UpdatesRecord = z.infer<typeof UpdatesRecordSchema>;

export const FILES = {
  latest: 'latest',
  framework: 'framework.info',
  executor: 'executor.info',
  task: 'task.info',
  updates: 'task.updates',
  /** Present once the task is completed (its terminal update acknowledged, or its framework removed). */
  completed: 'task.completed',
} as const;

/** Where one task's files are. */
export interface TaskKey {
  readonly agentId: AgentId;
  readonly frameworkId: FrameworkId;
  readonly executorId: ExecutorId;
  readonly taskId: TaskId;
}

/** Paths of the checkpoint under one work dir. Throws INVALID_CALL for ids that are not one path segment. */
export class CheckpointLayout {
  readonly slavesDir: string;

  constructor(workDir: string) {
    this.slavesDir = join(workDir, 'meta', 'slaves');
  }

  latestFile(): string {
    return join(this.slavesDir, FILES.latest);
  }

  agentDir(agentId: AgentId): string {
    return join(this.slavesDir, pathSegment('agent', agentId));
  }

  frameworkDir(agentId: AgentId, frameworkId: FrameworkId): string {
    return join(this.agentDir(agentId), 'frameworks', pathSegment('framework', frameworkId));
  }

  executorDir(key: Omit<TaskKey, 'taskId'>): string {
    return join(
      this.frameworkDir(key.agentId, key.frameworkId),
      'executors',
      pathSegment('executor', key.executorId),
    );
  }

  taskDir(key: TaskKey): string {
    return join(this.executorDir(key), 'tasks', pathSegment('task', key.taskId));
  }
}
