/**
 * Building the `TaskStatus` messages the agent reports, and deciding a task's final state from how
 * its container ended. Pure apart from the uuid's randomness.
 */
import { randomUUID } from 'node:crypto';
import type { AgentId, ContainerId, ExecutorId, TaskId } from '../core/ids.js';
import type { DurationInfo } from '../core/v1/common.js';
import type { TaskReason, TaskState, TaskStatus } from '../core/v1/tasks.js';
import type { Termination } from './containerizer/containerizer.js';

/** A fresh status uuid: the 16 bytes of a random (v4) UUID, base64-encoded as Mesos JSON carries bytes. */
export const newStatusUuid = (): string =>
  Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64');

export interface StatusFields {
  readonly taskId: TaskId;
  readonly state: TaskState;
  /** SOURCE_EXECUTOR for what the task's (built-in) executor observes; SOURCE_AGENT for what the agent decides. */
  readonly source: 'SOURCE_EXECUTOR' | 'SOURCE_AGENT';
  readonly agentId: AgentId;
  readonly executorId?: ExecutorId;
  readonly containerId?: ContainerId;
  readonly message?: string;
  readonly reason?: TaskReason;
  /** The verdict of the task's health check, on updates that carry one. */
  readonly healthy?: boolean;
}

/** A reliable status (it carries a uuid and must be acknowledged), stamped with `nowMs`. */
export function newTaskStatus(fields: StatusFields, nowMs: number): TaskStatus {
  return {
    task_id: { value: fields.taskId },
    state: fields.state,
    source: fields.source,
    agent_id: { value: fields.agentId },
    ...(fields.executorId !== undefined && { executor_id: { value: fields.executorId } }),
    ...(fields.message !== undefined && { message: fields.message }),
    ...(fields.reason !== undefined && { reason: fields.reason }),
    ...(fields.healthy !== undefined && { healthy: fields.healthy }),
    ...(fields.containerId !== undefined && {
      container_status: { container_id: { value: fields.containerId } },
    }),
    timestamp: nowMs / 1000,
    uuid: newStatusUuid(),
  };
}

export interface FinalState {
  readonly state: TaskState;
  readonly message: string;
  readonly reason?: TaskReason;
}

/**
 * The terminal state for a container that ended: TASK_KILLED after a kill request whatever the
 * exit; TASK_FINISHED for exit 0; TASK_FAILED otherwise, with the reason Mesos gives for limits,
 * launch failures and containers that vanished.
 */
export function finalState(termination: Termination | undefined, killRequested: boolean): FinalState {
  if (killRequested) return { state: 'TASK_KILLED', message: termination?.message ?? 'Task killed' };
  if (termination === undefined) {
    return { state: 'TASK_FAILED', message: 'Container is gone', reason: 'REASON_EXECUTOR_TERMINATED' };
  }
  const { message } = termination;
  switch (termination.reason) {
    case 'oom':
      return { state: 'TASK_FAILED', message, reason: 'REASON_CONTAINER_LIMITATION_MEMORY' };
    case 'launch-failed':
      return { state: 'TASK_FAILED', message, reason: 'REASON_CONTAINER_LAUNCH_FAILED' };
    case 'lost':
      return { state: 'TASK_FAILED', message, reason: 'REASON_EXECUTOR_TERMINATED' };
    default:
      return termination.exitCode === 0
        ? { state: 'TASK_FINISHED', message }
        : { state: 'TASK_FAILED', message };
  }
}

/** Milliseconds of a v1 Duration, or `undefined` when none is given. */
export const durationMs = (duration: DurationInfo | undefined): number | undefined =>
  duration === undefined ? undefined : duration.nanoseconds / 1e6;
