/**
 * What a starting agent does before it registers (Mesos's `--recover=reconnect`):
 *
 *   1. read the checkpoint; a corrupt or truncated one is logged and abandoned (the agent then
 *      registers as a new agent);
 *   2. destroy the containers of every agent it will not continue as (orphans), then forget them;
 *   3. rebuild the registry, its completed history and the unacknowledged update streams from the
 *      checkpoint;
 *   4. ask each containerizer to `recover` the containers of the live tasks it ran: running ones are
 *      adopted (supervised again, custom executors given time to SUBSCRIBE again), ones that ended
 *      while the agent was down are reported with their real exit status, vanished ones fail;
 *   5. answer the agent id to re-register with, so the master keeps every task that kept running.
 */
import type { AgentId, ContainerId, ExecutorId, FrameworkId, TaskId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import type { Logger } from '../log/logger.js';
import type { AgentCheckpoint, CheckpointedFramework } from './checkpoint/checkpoint.js';
import type { Containerizer, Termination } from './containerizer/containerizer.js';
import type { CustomExecutors } from './custom-executors.js';
import type { StatusUpdateManager } from './status-update-manager.js';
import { type ExecutorEntry, isLive, type TaskEntry, type TaskRegistry } from './task-registry.js';
import type { TaskSupervisor } from './task-supervisor.js';

export interface RecoveryDeps {
  readonly log: Logger;
  readonly checkpoint: Pick<AgentCheckpoint, 'read' | 'removeAgent'>;
  /** The configured containerizers. */
  readonly containerizers: readonly Containerizer[];
  readonly registry: TaskRegistry;
  readonly updates: Pick<StatusUpdateManager, 'restore'>;
  readonly supervisor: Pick<TaskSupervisor, 'resume' | 'abandon'>;
  readonly executors: Pick<CustomExecutors, 'adopt' | 'ended'>;
}

/** What became of one container after the restart; absent from the map: not found. */
type Outcome = { readonly termination?: Termination } | { readonly error: string };

/** Recovers what the checkpoint holds; resolves with the agent id to register with (`undefined`: a new agent). */
export async function recoverAgent(deps: RecoveryDeps): Promise<AgentId | undefined> {
  const log = deps.log.child({ component: 'agent.recovery' });
  const state = await deps.checkpoint.read();
  if (state.kind === 'corrupt') {
    log.error('agent checkpoint is corrupt; registering as a new agent and destroying the old containers', {
      file: state.file,
      reason: state.reason,
    });
  }
  await forgetStaleAgents(deps, state.staleAgentIds, log);
  if (state.kind !== 'recovered') return undefined;
  const tasks = restore(deps, state.agentId, state.frameworks);
  const outcomes = await recoverContainers(deps, state.agentId, tasks, log);
  const executors = new Set<ExecutorEntry>();
  for (const task of tasks) {
    const executor = deps.registry.executor(task.frameworkId, task.executorId);
    if (executor?.kind === 'custom') executors.add(executor);
    else resumeTask(deps, task, outcomes);
  }
  for (const executor of executors) resumeExecutor(deps, state.agentId, executor, outcomes);
  log.info('agent recovered', {
    agentId: state.agentId,
    liveTasks: tasks.length,
    adopted: [...outcomes.values()].filter((o) => !('error' in o) && o.termination === undefined).length,
  });
  return state.agentId;
}

/** Orphans: every container of an agent this one will not continue as. Its checkpoint goes once they are gone. */
async function forgetStaleAgents(
  deps: RecoveryDeps,
  agentIds: readonly AgentId[],
  log: Logger,
): Promise<void> {
  for (const agentId of agentIds) {
    const results = await Promise.allSettled(deps.containerizers.map((c) => c.recover(agentId, new Set())));
    const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failure !== undefined) {
      log.error('containers of a previous agent could not be listed; trying again at the next start', {
        agentId,
        err: String(failure.reason),
      });
      continue;
    }
    const destroyed = results.flatMap((r) => (r.status === 'fulfilled' ? r.value.orphansDestroyed : []));
    log.warn('previous agent forgotten and its containers destroyed', {
      agentId,
      destroyed: destroyed.length,
    });
    await deps.checkpoint.removeAgent(agentId);
  }
}

/**
 * Rebuilds the registry (completed tasks into the completed lists, as history) and the update
 * streams; returns the live tasks, whose containers need recovering.
 */
function restore(
  deps: RecoveryDeps,
  agentId: AgentId,
  frameworks: readonly CheckpointedFramework[],
): TaskEntry[] {
  const byName = new Map(deps.containerizers.map((c) => [c.name, c]));
  const live: TaskEntry[] = [];
  const completed: TaskEntry[] = [];
  for (const checkpointed of frameworks) {
    const frameworkId = checkpointed.info.id?.value as FrameworkId;
    const framework = deps.registry.admitFramework(frameworkId, checkpointed.info);
    for (const { id, record, tasks } of checkpointed.executors) {
      const executor = deps.registry.addExecutor(framework, {
        id: id as ExecutorId,
        frameworkId,
        kind: record.kind,
        name: record.name,
        source: record.source,
        containerId: record.container_id as ContainerId,
        directory: record.directory,
        info: record.info,
        resources: Resources.fromV1(record.info?.resources ?? []),
      });
      for (const { record: taskRecord, updates, completed: isCompleted } of tasks) {
        const taskId = taskRecord.task.task_id.value as TaskId;
        const task: TaskEntry = {
          agentId,
          frameworkId,
          executorId: executor.id,
          taskId,
          info: taskRecord.task,
          resources: Resources.fromV1(taskRecord.task.resources),
          containerId: taskRecord.container_id as ContainerId,
          sandboxDir: taskRecord.sandbox_dir,
          group: taskRecord.group as TaskId[],
          state: updates?.latestState ?? 'TASK_STAGING',
          statuses: [...(updates?.pending ?? [])],
          containerizer:
            taskRecord.containerizer === undefined ? undefined : byName.get(taskRecord.containerizer),
          launched: false,
          killGraceMs: undefined,
        };
        deps.registry.addTask(executor, task);
        if (isCompleted) completed.push(task);
        else {
          if (updates !== undefined) deps.updates.restore(frameworkId, taskId, updates);
          if (isLive(task)) live.push(task);
        }
      }
    }
  }
  // Only once everything is back: completing a framework's last task moves the framework away.
  for (const task of completed) deps.registry.complete(task.frameworkId, task.taskId);
  return live;
}

/** Each containerizer recovers the containers of its live tasks (and destroys its unknown ones). */
async function recoverContainers(
  deps: RecoveryDeps,
  agentId: AgentId,
  tasks: readonly TaskEntry[],
  log: Logger,
): Promise<Map<ContainerId, Outcome>> {
  const outcomes = new Map<ContainerId, Outcome>();
  for (const containerizer of deps.containerizers) {
    const known = new Set(tasks.filter((t) => t.containerizer === containerizer).map((t) => t.containerId));
    try {
      const summary = await containerizer.recover(agentId, known);
      for (const { containerId, termination } of summary.recovered) {
        outcomes.set(containerId, termination === undefined ? {} : { termination });
      }
    } catch (err) {
      log.error('containerizer could not recover its containers', {
        containerizer: containerizer.name,
        err: (err as Error).message,
      });
      for (const containerId of known) outcomes.set(containerId, { error: (err as Error).message });
    }
  }
  return outcomes;
}

function resumeTask(deps: RecoveryDeps, task: TaskEntry, outcomes: ReadonlyMap<ContainerId, Outcome>): void {
  const outcome = outcomes.get(task.containerId);
  const containerizer = task.containerizer;
  if (containerizer === undefined || outcome === undefined || 'error' in outcome) {
    deps.supervisor.abandon(task, {
      state: 'TASK_FAILED',
      source: 'SOURCE_AGENT',
      reason: 'REASON_AGENT_RESTARTED',
      message: unrecoverable(task, outcome),
    });
    return;
  }
  deps.supervisor.resume(task, containerizer, outcome.termination);
}

function resumeExecutor(
  deps: RecoveryDeps,
  agentId: AgentId,
  executor: ExecutorEntry,
  outcomes: ReadonlyMap<ContainerId, Outcome>,
): void {
  const framework = deps.registry.framework(executor.frameworkId);
  const containerizer = [...executor.tasks.values()].find(
    (t) => t.containerizer !== undefined,
  )?.containerizer;
  const outcome = outcomes.get(executor.containerId);
  if (framework === undefined) return;
  if (containerizer === undefined || outcome === undefined || 'error' in outcome) {
    const message = unrecoverable([...executor.tasks.values()][0], outcome);
    deps.executors.ended(agentId, framework, executor, { reason: 'lost', message });
  } else if (outcome.termination !== undefined) {
    deps.executors.ended(agentId, framework, executor, outcome.termination);
  } else {
    deps.executors.adopt(agentId, framework, executor, containerizer);
  }
}

function unrecoverable(task: TaskEntry | undefined, outcome: Outcome | undefined): string {
  if (outcome !== undefined && 'error' in outcome)
    return `Container could not be recovered: ${outcome.error}`;
  if (task?.containerizer === undefined) return 'Agent restarted before the task was launched';
  return task.state === 'TASK_STAGING'
    ? 'Agent restarted while the task was being launched'
    : 'Container was not found after the agent restarted';
}
