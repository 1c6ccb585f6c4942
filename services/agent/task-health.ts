/**
 * Health checks of the built-in executors' tasks: a `HealthChecker` per running task whose
 * TaskInfo has a COMMAND `health_check`, running the command in the task's container through its
 * containerizer's `exec`. Each change of verdict is a TASK_RUNNING update with `healthy` and
 * REASON_TASK_HEALTH_CHECK_STATUS_UPDATED; a task that failed too many checks in a row is killed,
 * and its terminal update says so. Custom executors run their tasks' checks themselves.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../log/logger.js';
import type { Containerizer } from './containerizer/containerizer.js';
import { HealthChecker, healthCheckTiming } from './health-checker.js';
import type { TaskEntry } from './task-registry.js';
import type { ReportFields, TaskReporter } from './task-reporter.js';

export interface TaskHealthDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly reporter: Pick<TaskReporter, 'report'>;
  /** Kills a task that failed its checks (with its usual grace period). */
  readonly kill: (task: TaskEntry) => void;
}

export class TaskHealth {
  private readonly checkers = new Map<TaskEntry, HealthChecker>();
  /** Tasks killed for failing their checks, with what their terminal update is to say. */
  private readonly failed = new Map<TaskEntry, string>();
  private readonly log: Logger;

  constructor(private readonly deps: TaskHealthDeps) {
    this.log = deps.log.child({ component: 'agent.health' });
  }

  /**
   * Starts checking `task`, which has just reached TASK_RUNNING; `adopted` when an agent restart
   * found it running (its grace period is then over). Tasks without a COMMAND check are left be.
   */
  start(task: TaskEntry, containerizer: Containerizer, adopted: boolean): void {
    const check = task.info.health_check;
    const command = check?.type === 'COMMAND' ? check.command : undefined;
    if (check === undefined || command === undefined || this.checkers.has(task)) return;
    const exec = containerizer.exec?.bind(containerizer);
    if (exec === undefined) {
      this.log.warn('health check not run: the containerizer cannot run commands in containers', {
        taskId: task.taskId,
        containerizer: containerizer.name,
      });
      return;
    }
    const timing = healthCheckTiming(check);
    const checker = new HealthChecker({
      clock: this.deps.clock,
      timing,
      graceOver: adopted,
      run: async () => {
        const result = await exec(task.containerId, command, { timeoutMs: timing.timeoutMs });
        return { ok: result.exitCode === 0, message: result.message };
      },
      onVerdict: (healthy, message) => this.report(task, healthy, message),
      onFailed: (message) => {
        this.log.warn('task failed its health checks; killing it', { taskId: task.taskId, message });
        this.checkers.delete(task);
        this.failed.set(task, message);
        this.deps.kill(task);
      },
    });
    this.checkers.set(task, checker);
    checker.start();
  }

  /** No more checks of `task` (it is being killed, or has ended). */
  stop(task: TaskEntry): void {
    this.checkers.get(task)?.stop();
    this.checkers.delete(task);
  }

  /** `task`'s terminal update: one killed for failing its checks says so, and that it is unhealthy. */
  final(task: TaskEntry, fields: ReportFields): ReportFields {
    this.stop(task);
    const message = this.failed.get(task);
    this.failed.delete(task);
    if (message === undefined || fields.state !== 'TASK_KILLED') return fields;
    return { ...fields, message, healthy: false };
  }

  /** The agent stops: its timers go; containers that keep running are checked by the next agent. */
  stopAll(): void {
    for (const checker of this.checkers.values()) checker.stop();
    this.checkers.clear();
  }

  private report(task: TaskEntry, healthy: boolean, message: string): void {
    this.deps.reporter.report(task, {
      state: task.state,
      source: 'SOURCE_EXECUTOR',
      reason: 'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
      healthy,
      message: healthy ? `health check passed: ${message}` : `health check failed: ${message}`,
    });
  }
}
