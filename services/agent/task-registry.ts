/**
 * What the agent runs, Mesos's way: frameworks own executors, executors own tasks. A task stays
 * under its executor until its terminal update is acknowledged, then moves to the executor's
 * completed tasks; an executor without tasks moves to its framework's completed executors; a
 * framework without executors moves to the completed frameworks. Completed lists are bounded by
 * Mesos's limits. No I/O: the supervisor mutates entries, `/state` and re-registration read them;
 * an observer hears of completions and of completed entries dropped, to keep the checkpoint in step.
 */
import type { AgentTask } from '../core/agent-protocol.js';
import type { AgentId, ContainerId, ExecutorId, FrameworkId, TaskId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import type { FrameworkInfo } from '../core/v1/cluster.js';
import {
  isTerminalState,
  type ExecutorInfo,
  type TaskInfo,
  type TaskState,
  type TaskStatus,
} from '../core/v1/tasks.js';
import type { Containerizer } from './containerizer/containerizer.js';

/** Mesos's `MAX_COMPLETED_FRAMEWORKS`, `MAX_COMPLETED_EXECUTORS_PER_FRAMEWORK`, `MAX_COMPLETED_TASKS_PER_EXECUTOR`. */
export const COMPLETED_LIMITS = {
  frameworks: 50,
  executorsPerFramework: 150,
  tasksPerExecutor: 200,
} as const;

export interface TaskEntry {
  /** The agent id the task was launched under (its sandbox path and updates carry it). */
  readonly agentId: AgentId;
  readonly frameworkId: FrameworkId;
  readonly executorId: ExecutorId;
  readonly taskId: TaskId;
  readonly info: TaskInfo;
  readonly resources: Resources;
  readonly containerId: ContainerId;
  readonly sandboxDir: string;
  /** The task ids launched with this one by RUN_TASK_GROUP (itself included); empty for a command task. */
  readonly group: readonly TaskId[];
  /** State of the latest status update generated for the task. */
  state: TaskState;
  readonly statuses: TaskStatus[];
  /** The containerizer that accepted the task, once one has. */
  containerizer: Containerizer | undefined;
  /** True once the container was started. */
  launched: boolean;
  /** Set when a kill was requested: the time between SIGTERM and SIGKILL. */
  killGraceMs: number | undefined;
}

/**
 * Who runs an executor's tasks: the agent itself as Mesos's command executor (one task) or default
 * executor (a task group, one container per task), or a framework's custom executor, a container
 * of its own that talks to the agent's executor API.
 */
export type ExecutorKind = 'command' | 'default' | 'custom';

export interface ExecutorEntry {
  readonly id: ExecutorId;
  readonly frameworkId: FrameworkId;
  readonly kind: ExecutorKind;
  readonly name: string;
  /** Mesos's `source`: the task id for command executors. */
  readonly source: string;
  readonly containerId: ContainerId;
  readonly directory: string;
  /** The ExecutorInfo of a default or custom executor; absent for command tasks. */
  readonly info: ExecutorInfo | undefined;
  /** The executor's own resources (the default executor's), on top of its tasks'. */
  readonly resources: Resources;
  readonly tasks: Map<TaskId, TaskEntry>;
  readonly completedTasks: TaskEntry[];
}

export interface FrameworkEntry {
  readonly id: FrameworkId;
  info: FrameworkInfo;
  readonly executors: Map<ExecutorId, ExecutorEntry>;
  readonly completedExecutors: ExecutorEntry[];
  /** Every task of the framework not yet completed, by id. */
  readonly tasks: Map<TaskId, TaskEntry>;
  /** Set by SHUTDOWN_FRAMEWORK: its tasks are being killed and it takes no new ones. */
  shuttingDown: boolean;
}

/** A completed entry dropped from its bounded list: its history is gone for good. */
export type Forgotten =
  | { readonly kind: 'task'; readonly task: TaskEntry }
  | { readonly kind: 'executor'; readonly executor: ExecutorEntry }
  | { readonly kind: 'framework'; readonly framework: FrameworkEntry };

/** What the registry tells its owner (the checkpoint keeps completed history across restarts). */
export interface RegistryObserver {
  /** `task` moved to its executor's completed tasks. */
  readonly completed?: (task: TaskEntry) => void;
  readonly forgotten?: (entry: Forgotten) => void;
}

/** Appends `item`, returning the oldest entries that no longer fit. */
const pushBounded = <T>(list: T[], item: T, limit: number): T[] => {
  list.push(item);
  return list.length > limit ? list.splice(0, list.length - limit) : [];
};

export const isLive = (task: TaskEntry): boolean => !isTerminalState(task.state);

/** A task as the agent reports it to the master when (re-)registering. */
const reportOf = (task: TaskEntry, executor: ExecutorEntry): AgentTask => ({
  framework_id: { value: task.frameworkId },
  task: task.info,
  state: task.state,
  ...(executor.kind !== 'command' && { executor_id: { value: task.executorId } }),
});

export class TaskRegistry {
  private readonly active = new Map<FrameworkId, FrameworkEntry>();
  private readonly completed: FrameworkEntry[] = [];

  constructor(private readonly observer: RegistryObserver = {}) {}

  /** Adds a framework, or refreshes its FrameworkInfo (frameworks may update it). */
  admitFramework(id: FrameworkId, info: FrameworkInfo): FrameworkEntry {
    const known = this.active.get(id);
    if (known !== undefined) {
      known.info = info;
      return known;
    }
    const entry: FrameworkEntry = {
      id,
      info,
      executors: new Map(),
      completedExecutors: [],
      tasks: new Map(),
      shuttingDown: false,
    };
    this.active.set(id, entry);
    return entry;
  }

  framework(id: FrameworkId): FrameworkEntry | undefined {
    return this.active.get(id);
  }

  frameworks(): IterableIterator<FrameworkEntry> {
    return this.active.values();
  }

  completedFrameworks(): readonly FrameworkEntry[] {
    return this.completed;
  }

  executor(frameworkId: FrameworkId, executorId: ExecutorId): ExecutorEntry | undefined {
    return this.active.get(frameworkId)?.executors.get(executorId);
  }

  /** Adds an executor to an admitted framework. */
  addExecutor(
    framework: FrameworkEntry,
    executor: Omit<ExecutorEntry, 'tasks' | 'completedTasks'>,
  ): ExecutorEntry {
    const entry: ExecutorEntry = { ...executor, tasks: new Map(), completedTasks: [] };
    framework.executors.set(entry.id, entry);
    return entry;
  }

  /** Adds a task under its (existing) executor. */
  addTask(executor: ExecutorEntry, task: TaskEntry): void {
    executor.tasks.set(task.taskId, task);
    this.active.get(task.frameworkId)?.tasks.set(task.taskId, task);
  }

  /** A task not yet completed (running, or terminal but unacknowledged). */
  task(frameworkId: FrameworkId, taskId: TaskId): TaskEntry | undefined {
    return this.active.get(frameworkId)?.tasks.get(taskId);
  }

  *tasks(): Generator<TaskEntry> {
    for (const framework of this.active.values()) yield* framework.tasks.values();
  }

  /**
   * Moves a task whose terminal update was acknowledged to the completed lists; its executor and
   * framework follow when it was their last. Returns the widest entry that became completed.
   */
  complete(frameworkId: FrameworkId, taskId: TaskId): 'task' | 'executor' | 'framework' | undefined {
    const framework = this.active.get(frameworkId);
    const task = framework?.tasks.get(taskId);
    const executor = task === undefined ? undefined : framework?.executors.get(task.executorId);
    if (framework === undefined || task === undefined || executor === undefined) return undefined;
    framework.tasks.delete(taskId);
    executor.tasks.delete(taskId);
    this.observer.completed?.(task);
    const forget = (entry: Forgotten): void => this.observer.forgotten?.(entry);
    for (const old of pushBounded(executor.completedTasks, task, COMPLETED_LIMITS.tasksPerExecutor)) {
      forget({ kind: 'task', task: old });
    }
    if (executor.tasks.size > 0) return 'task';
    framework.executors.delete(executor.id);
    const { executorsPerFramework } = COMPLETED_LIMITS;
    for (const old of pushBounded(framework.completedExecutors, executor, executorsPerFramework)) {
      forget({ kind: 'executor', executor: old });
    }
    if (framework.executors.size > 0) return 'executor';
    this.active.delete(frameworkId);
    for (const old of pushBounded(this.completed, framework, COMPLETED_LIMITS.frameworks)) {
      forget({ kind: 'framework', framework: old });
    }
    return 'framework';
  }

  /** Completes every task of a framework (whose remaining updates will never be acknowledged). */
  removeFramework(frameworkId: FrameworkId): void {
    for (const task of [...(this.active.get(frameworkId)?.tasks.values() ?? [])])
      this.complete(frameworkId, task.taskId);
  }

  /** Resources held by live tasks and by executors that still have live tasks. */
  usedResources(): Resources {
    let used = Resources.EMPTY;
    for (const framework of this.active.values()) {
      for (const executor of framework.executors.values()) {
        const live = [...executor.tasks.values()].filter(isLive);
        if (live.length > 0) used = used.plus(executor.resources);
        for (const task of live) used = used.plus(task.resources);
      }
    }
    return used;
  }

  /** The task list sent when (re-)registering: every task not yet completed, terminal ones included. */
  reportedTasks(): AgentTask[] {
    return [...this.active.values()].flatMap((framework) =>
      [...framework.executors.values()].flatMap((executor) =>
        [...executor.tasks.values()].map((task) => reportOf(task, executor)),
      ),
    );
  }

  /** Terminal, acknowledged tasks still remembered (bounded), of active and completed frameworks. */
  reportedCompletedTasks(): AgentTask[] {
    return [...this.active.values(), ...this.completed].flatMap((framework) =>
      [...framework.executors.values(), ...framework.completedExecutors].flatMap((executor) =>
        executor.completedTasks.map((task) => reportOf(task, executor)),
      ),
    );
  }

  completedFrameworkInfos(): FrameworkInfo[] {
    return this.completed.map((framework) => framework.info);
  }

  frameworkInfos(): FrameworkInfo[] {
    return [...this.active.values()].map((framework) => framework.info);
  }
}
