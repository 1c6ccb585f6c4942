/**
 * Checks the operations of an ACCEPT against the offered resources, before anything is launched.
 * Pure: given the offers' resources and the framework's live task ids, it either returns the
 * launches to perform or explains, per task, what is wrong.
 */
import type { AgentId, ExecutorId } from '../core/ids.js';
import { MesoError } from '../core/errors.js';
import { Resources } from '../core/resources.js';
import type { Operation } from '../core/v1/scheduler.js';
import type { ExecutorInfo, TaskInfo } from '../core/v1/tasks.js';

export interface PlannedLaunch {
  readonly task: TaskInfo;
  readonly resources: Resources;
  readonly executor?: ExecutorInfo;
  /** Set when the task belongs to a LAUNCH_GROUP; the whole group is sent to the agent at once. */
  readonly groupIndex?: number;
}

export interface LaunchPlan {
  readonly launches: readonly PlannedLaunch[];
  readonly groups: readonly { readonly executor: ExecutorInfo; readonly tasks: readonly TaskInfo[] }[];
  /** Offered resources the operations did not use. */
  readonly remaining: Resources;
}

export interface LaunchRejection {
  readonly message: string;
  /** Every task named in the call, with why it is refused (`cause` for the offending ones). */
  readonly tasks: readonly { readonly task: TaskInfo; readonly cause?: string }[];
}

export interface LaunchContext {
  readonly agentId: AgentId;
  readonly role: string;
  readonly offered: Resources;
  readonly liveTaskIds: ReadonlySet<string>;
  /** Executors already running for this framework on this agent: their resources are not charged again. */
  readonly knownExecutors: ReadonlySet<ExecutorId>;
}

/** Operations meso carries out; the others are refused up front rather than silently ignored. */
const SUPPORTED = new Set<Operation['type']>(['LAUNCH', 'LAUNCH_GROUP']);

export function planLaunches(
  operations: readonly Operation[],
  ctx: LaunchContext,
): LaunchPlan | LaunchRejection {
  const unsupported = operations.find((op) => !SUPPORTED.has(op.type));
  if (unsupported !== undefined) {
    return { message: `Operation ${unsupported.type} is not supported by meso`, tasks: allTasks(operations) };
  }
  let remaining = ctx.offered;
  const seen = new Set<string>();
  const executorsCharged = new Set<string>(ctx.knownExecutors);
  const launches: PlannedLaunch[] = [];
  const groups: { executor: ExecutorInfo; tasks: TaskInfo[] }[] = [];
  const causes = new Map<TaskInfo, string>();

  const take = (task: TaskInfo, executor: ExecutorInfo | undefined, groupIndex?: number): void => {
    const cause = checkTask(task, executor, groupIndex !== undefined, ctx, seen);
    if (cause !== undefined) {
      causes.set(task, cause);
      return;
    }
    seen.add(task.task_id.value);
    let needed: Resources;
    try {
      needed = Resources.fromV1(task.resources);
      if (executor !== undefined && !executorsCharged.has(executor.executor_id.value)) {
        needed = needed.plus(Resources.fromV1(executor.resources));
      }
    } catch (err) {
      causes.set(task, err instanceof MesoError ? err.message : String(err));
      return;
    }
    if (!remaining.contains(needed)) {
      causes.set(
        task,
        `Task '${task.task_id.value}' uses resources ${needed.toString()} that are not in the offered ` +
          `resources left (${remaining.toString()})`,
      );
      return;
    }
    remaining = remaining.minus(needed);
    if (executor !== undefined) executorsCharged.add(executor.executor_id.value);
    launches.push({
      task,
      resources: needed,
      ...(executor && { executor }),
      ...(groupIndex !== undefined && { groupIndex }),
    });
  };

  for (const op of operations) {
    if (op.type === 'LAUNCH') {
      for (const task of op.launch?.task_infos ?? []) take(task, task.executor);
    } else if (op.type === 'LAUNCH_GROUP') {
      const group = op.launch_group;
      if (group === undefined)
        return { message: 'LAUNCH_GROUP operation is missing launch_group', tasks: [] };
      const groupIndex = groups.length;
      groups.push({ executor: group.executor, tasks: group.task_group.tasks });
      for (const task of group.task_group.tasks) take(task, group.executor, groupIndex);
    }
  }

  if (causes.size > 0) {
    const first = [...causes.values()][0] ?? 'invalid task';
    return {
      message: causes.size === 1 ? first : `${first} (and ${causes.size - 1} more invalid tasks)`,
      tasks: allTasks(operations).map(({ task }) => ({
        task,
        cause: causes.get(task) ?? 'Another task in the same ACCEPT call was invalid',
      })),
    };
  }
  return { launches, groups, remaining };
}

export const isRejection = (result: LaunchPlan | LaunchRejection): result is LaunchRejection =>
  'message' in result;

function checkTask(
  task: TaskInfo,
  executor: ExecutorInfo | undefined,
  inGroup: boolean,
  ctx: LaunchContext,
  seen: ReadonlySet<string>,
): string | undefined {
  const id = task.task_id.value;
  if (seen.has(id) || ctx.liveTaskIds.has(id)) return `Task '${id}' has a duplicate task id`;
  if (task.agent_id.value !== ctx.agentId) {
    return `Task '${id}' names agent '${task.agent_id.value}' but the offers are for agent '${ctx.agentId}'`;
  }
  if (!inGroup && (task.command === undefined) === (executor === undefined)) {
    return `Task '${id}' must set exactly one of 'command' or 'executor'`;
  }
  if (
    inGroup &&
    task.executor !== undefined &&
    task.executor.executor_id.value !== executor?.executor_id.value
  ) {
    return `Task '${id}' in a task group names a different executor than the group`;
  }
  if (task.resources.length === 0) return `Task '${id}' uses no resources`;
  const wrongRole = task.resources.find(
    (r) => r.allocation_info?.role !== undefined && r.allocation_info.role !== ctx.role,
  );
  if (wrongRole !== undefined) {
    return `Task '${id}' resource '${wrongRole.name}' is allocated to role '${wrongRole.allocation_info?.role}', not the offer's role '${ctx.role}'`;
  }
  return undefined;
}

function allTasks(operations: readonly Operation[]): { task: TaskInfo }[] {
  return operations.flatMap((op) =>
    [...(op.launch?.task_infos ?? []), ...(op.launch_group?.task_group.tasks ?? [])].map((task) => ({
      task,
    })),
  );
}
