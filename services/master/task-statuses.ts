/**
 * Statuses the master makes up itself (source SOURCE_MASTER, no uuid, never acknowledged): for
 * launches it refuses, agents it loses, and reconciliation. Pure: the time is passed in.
 */
import type { Id } from '../core/v1/common.js';
import type { TaskInfo, TaskReason, TaskState, TaskStatus } from '../core/v1/tasks.js';
import type { AgentState, FrameworkRecord, TaskRecord } from './records.js';

export function masterStatus(
  task: TaskRecord | TaskInfo,
  state: TaskState,
  reason: TaskReason,
  message: string,
  nowSec: number,
  agentId?: string,
): TaskStatus {
  const isRecord = 'frameworkId' in task;
  const taskId = isRecord ? task.taskId : task.task_id.value;
  const agent = agentId ?? (isRecord ? task.agentId : task.agent_id.value);
  return {
    task_id: { value: taskId },
    state,
    source: 'SOURCE_MASTER',
    reason,
    message,
    agent_id: { value: agent },
    timestamp: nowSec,
    ...(isRecord && task.executorId !== undefined && { executor_id: { value: task.executorId } }),
  };
}

/** What the master knows of an agent named in an explicit reconciliation. */
export type AgentStanding = AgentState | 'recovered' | 'unknown';

/**
 * Answers reconciliation with Mesos's semantics. Implicit (no tasks named): the latest state of
 * every task the master knows for the framework. Explicit: each named task's latest state; for a
 * task the master does not know, TASK_GONE if its agent is registered, TASK_UNREACHABLE if the
 * agent is unreachable, TASK_UNKNOWN if the agent is unknown, and no answer at all while the agent
 * is listed in the registry but has not re-registered since a failover (its return will tell).
 */
export function reconciliationAnswers(
  fw: FrameworkRecord,
  requested: readonly { task_id: Id; agent_id?: Id }[],
  nowSec: number,
  standingOf: (agentId: string) => AgentStanding,
): TaskStatus[] {
  const latest = (task: TaskRecord): TaskStatus => ({
    task_id: { value: task.taskId },
    state: task.state,
    source: 'SOURCE_MASTER',
    reason: 'REASON_RECONCILIATION',
    message: 'Reconciliation: latest task status',
    agent_id: { value: task.agentId },
    timestamp: nowSec,
    ...(task.executorId !== undefined && { executor_id: { value: task.executorId } }),
    ...(task.latestStatus?.healthy !== undefined && { healthy: task.latestStatus.healthy }),
    ...(task.unreachableTimeSec !== undefined && {
      unreachable_time: { nanoseconds: Math.round(task.unreachableTimeSec * 1e9) },
    }),
  });
  if (requested.length === 0) return [...fw.tasks.values(), ...fw.unreachableTasks.values()].map(latest);

  const answers: TaskStatus[] = [];
  for (const { task_id, agent_id } of requested) {
    const task =
      fw.tasks.get(task_id.value as TaskRecord['taskId']) ??
      fw.unreachableTasks.get(task_id.value as TaskRecord['taskId']);
    if (task !== undefined) {
      answers.push(latest(task));
      continue;
    }
    const standing = agent_id === undefined ? 'unknown' : standingOf(agent_id.value);
    if (standing === 'recovered') continue;
    const [state, message] =
      standing === 'unknown'
        ? (['TASK_UNKNOWN', 'Reconciliation: task and its agent are unknown'] as const)
        : standing === 'unreachable'
          ? (['TASK_UNREACHABLE', 'Reconciliation: task is on an unreachable agent'] as const)
          : (['TASK_GONE', 'Reconciliation: task is unknown to the agent'] as const);
    answers.push({
      task_id,
      state,
      source: 'SOURCE_MASTER',
      reason: 'REASON_RECONCILIATION',
      message,
      timestamp: nowSec,
      ...(agent_id !== undefined && { agent_id }),
    });
  }
  return answers;
}
