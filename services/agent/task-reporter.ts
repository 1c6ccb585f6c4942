/**
 * The one way a task's status changes: an update is built by the agent (or taken from a custom
 * executor's UPDATE), recorded on the task, and queued for reliable delivery. Also where a
 * framework being shut down is removed once none of its tasks is live.
 */
import type { Clock } from '../core/clock.js';
import type { AgentId, FrameworkId, TaskId } from '../core/ids.js';
import { isTerminalState, type TaskStatus } from '../core/v1/tasks.js';
import type { Logger } from '../log/logger.js';
import type { StatusUpdateManager } from './status-update-manager.js';
import { type FrameworkEntry, isLive, type TaskEntry, type TaskRegistry } from './task-registry.js';
import { newTaskStatus, type StatusFields } from './task-status.js';

export type ReportFields = Pick<StatusFields, 'state' | 'source' | 'message' | 'reason' | 'healthy'>;

/** Image pull progress is reported at most this often, each report being an update to acknowledge. */
export const PULL_PROGRESS_INTERVAL_MS = 2000;

export interface TaskReporterDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly registry: TaskRegistry;
  readonly updates: Pick<StatusUpdateManager, 'update' | 'cleanup'>;
}

export class TaskReporter {
  private readonly log: Logger;

  constructor(private readonly deps: TaskReporterDeps) {
    this.log = deps.log.child({ component: 'agent.tasks' });
  }

  /** An update the agent decides (its built-in executors, or the agent itself with SOURCE_AGENT). */
  report(task: TaskEntry, fields: ReportFields): void {
    const status = newTaskStatus(
      {
        ...fields,
        taskId: task.taskId,
        agentId: task.agentId,
        executorId: task.executorId,
        containerId: task.containerId,
      },
      this.deps.clock.nowMs(),
    );
    void this.record(task, status);
  }

  /** A launch's progress (an image pull) as TASK_STARTING messages, at most one per `PULL_PROGRESS_INTERVAL_MS`. */
  progress(task: TaskEntry): (message: string) => void {
    let lastMs: number | undefined;
    return (message) => {
      const nowMs = this.deps.clock.nowMs();
      if (lastMs !== undefined && nowMs - lastMs < PULL_PROGRESS_INTERVAL_MS) return;
      lastMs = nowMs;
      this.report(task, { state: 'TASK_STARTING', source: 'SOURCE_EXECUTOR', message });
    };
  }

  /** An update a custom executor sent. Resolves once it is durable (then the executor is told). */
  forward(task: TaskEntry, status: TaskStatus): Promise<void> {
    return this.record(task, status);
  }

  /** An update for a task the agent does not track (unknown to KILL_TASK, or refused before it existed). */
  reportUnknown(
    agentId: AgentId,
    frameworkId: FrameworkId,
    taskId: TaskId,
    fields: Omit<ReportFields, 'source'>,
  ): void {
    this.log.warn('task refused or unknown', {
      frameworkId,
      taskId,
      state: fields.state,
      message: fields.message,
    });
    const status = newTaskStatus(
      { ...fields, source: 'SOURCE_AGENT', taskId, agentId },
      this.deps.clock.nowMs(),
    );
    void this.deps.updates.update(frameworkId, status);
  }

  /** Removes a framework being shut down (SHUTDOWN_FRAMEWORK) once none of its tasks is live. */
  removeIfDone(framework: FrameworkEntry): void {
    if (!framework.shuttingDown || [...framework.tasks.values()].some(isLive)) return;
    this.deps.registry.removeFramework(framework.id);
    this.deps.updates.cleanup(framework.id);
    this.log.info('framework removed', { frameworkId: framework.id });
  }

  private record(task: TaskEntry, status: TaskStatus): Promise<void> {
    task.state = status.state;
    task.statuses.push(status);
    this.log.info('task status changed', {
      frameworkId: task.frameworkId,
      taskId: task.taskId,
      state: status.state,
      source: status.source,
      reason: status.reason,
      message: status.message,
    });
    const durable = this.deps.updates.update(task.frameworkId, status);
    if (isTerminalState(status.state)) {
      const framework = this.deps.registry.framework(task.frameworkId);
      if (framework !== undefined) this.removeIfDone(framework);
    }
    return durable;
  }
}
