/**
 * Runs tasks through the containerizers and reports what happens to them, playing the part of
 * Mesos's built-in executors: the command executor for RUN_TASK (one task, executor id = task id)
 * and the default executor for RUN_TASK_GROUP (each task in its own container under a shared
 * executor sandbox; killing or losing one task kills the group).
 *
 * Per task: TASK_STARTING when a containerizer takes it, TASK_RUNNING once the container started,
 * then TASK_FINISHED / TASK_FAILED / TASK_KILLED from how it ended. Every update goes to the
 * status update manager, which delivers it reliably.
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import type { AgentId, ContainerId, ExecutorId, FrameworkId, TaskId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import { type FrameworkInfo, hasCapability } from '../core/v1/cluster.js';
import type { ExecutorInfo, KillPolicy, TaskInfo } from '../core/v1/tasks.js';
import type { Logger } from '../log/logger.js';
import type { Containerizer, ContainerSpec } from './containerizer/containerizer.js';
import { executorSandboxDir, groupTaskSandboxDir, taskEnvironment, taskPorts } from './sandbox.js';
import type { StatusUpdateManager } from './status-update-manager.js';
import { durationMs, finalState, newTaskStatus, type StatusFields } from './task-status.js';
import { type FrameworkEntry, isLive, type TaskEntry, type TaskRegistry } from './task-registry.js';

/** Grace between SIGTERM and SIGKILL when neither the kill nor the task names one (Mesos's command executor). */
export const DEFAULT_KILL_GRACE_PERIOD_MS = 3000;

export interface TaskSupervisorDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** Tried in order; the first whose `supports` accepts a task runs it. */
  readonly containerizers: readonly Containerizer[];
  readonly registry: TaskRegistry;
  readonly updates: Pick<StatusUpdateManager, 'update' | 'cleanup'>;
  readonly workDir: string;
  readonly executorShutdownGracePeriodMs: number;
  /** `ip:port` of the agent's HTTP API, given to tasks. */
  readonly agentEndpoint: string;
}

type ReportFields = Pick<StatusFields, 'state' | 'source' | 'message' | 'reason'>;

export class TaskSupervisor {
  /** One promise per task, settled once its terminal update was reported. */
  private readonly running = new Set<Promise<void>>();
  private readonly log: Logger;

  constructor(private readonly deps: TaskSupervisorDeps) {
    this.log = deps.log.child({ component: 'agent.tasks' });
  }

  /** RUN_TASK. A task id the agent already runs is ignored (the master may resend). */
  runTask(agentId: AgentId, frameworkInfo: FrameworkInfo, task: TaskInfo): void {
    const framework = this.admit(frameworkInfo);
    if (framework === undefined) return;
    const taskId = task.task_id.value as TaskId;
    if (task.executor !== undefined) {
      this.reportUnknown(agentId, framework.id, taskId, {
        state: 'TASK_FAILED',
        reason: 'REASON_CONTAINER_LAUNCH_FAILED',
        message: 'Custom executors are not supported by this agent; send a command task or a task group',
      });
      return;
    }
    this.launch(agentId, framework, [task], undefined);
  }

  /** RUN_TASK_GROUP: the group's tasks run together under the default executor `executor`. */
  runTaskGroup(
    agentId: AgentId,
    frameworkInfo: FrameworkInfo,
    executor: ExecutorInfo,
    tasks: readonly TaskInfo[],
  ): void {
    const framework = this.admit(frameworkInfo);
    if (framework !== undefined) this.launch(agentId, framework, tasks, executor);
  }

  /**
   * KILL_TASK. Grace period: the kill's policy, else the task's, else 3 s. A task of a group takes
   * its whole group with it. An unknown task is answered TASK_DROPPED (TASK_LOST for frameworks
   * that are not partition-aware), as Mesos does; kills for a framework being shut down are ignored.
   */
  killTask(agentId: AgentId, frameworkId: FrameworkId, taskId: TaskId, killPolicy?: KillPolicy): void {
    const framework = this.deps.registry.framework(frameworkId);
    if (framework?.shuttingDown === true) return;
    const task = framework?.tasks.get(taskId);
    if (task === undefined) {
      const partitionAware = framework !== undefined && hasCapability(framework.info, 'PARTITION_AWARE');
      this.reportUnknown(agentId, frameworkId, taskId, {
        state: partitionAware ? 'TASK_DROPPED' : 'TASK_LOST',
        reason: 'REASON_EXECUTOR_TERMINATED',
        message: framework === undefined ? 'Cannot find framework' : 'Cannot find executor',
      });
      return;
    }
    this.kill(task, durationMs(killPolicy?.grace_period) ?? killGraceMs(task));
    for (const sibling of this.siblings(task)) this.kill(sibling, killGraceMs(sibling));
  }

  /** SHUTDOWN_EXECUTOR: kills the executor's tasks within its shutdown grace period. */
  shutdownExecutor(frameworkId: FrameworkId, executorId: ExecutorId): void {
    const executor = this.deps.registry.executor(frameworkId, executorId);
    if (executor === undefined) return;
    const graceMs =
      durationMs(executor.info?.shutdown_grace_period) ?? this.deps.executorShutdownGracePeriodMs;
    for (const task of executor.tasks.values()) this.kill(task, graceMs);
  }

  /**
   * SHUTDOWN_FRAMEWORK: kills all its tasks and takes no new ones; once none is left running the
   * framework is completed and its pending updates dropped (nobody will acknowledge them).
   */
  shutdownFramework(frameworkId: FrameworkId): void {
    const framework = this.deps.registry.framework(frameworkId);
    if (framework === undefined) return;
    framework.shuttingDown = true;
    this.log.info('framework shutting down', { frameworkId });
    for (const task of framework.tasks.values()) this.kill(task, this.deps.executorShutdownGracePeriodMs);
    this.removeIfDone(framework);
  }

  /** Kills every task and resolves once all have ended. */
  async killAll(graceMs: number): Promise<void> {
    for (const task of this.deps.registry.tasks()) this.kill(task, graceMs);
    await Promise.allSettled([...this.running]);
  }

  /** Admits a task's framework, unless it has no id or is being shut down (then the task is dropped, as in Mesos). */
  private admit(info: FrameworkInfo): FrameworkEntry | undefined {
    const id = info.id?.value as FrameworkId | undefined;
    if (id === undefined) {
      this.log.warn('task dropped: its framework info has no id');
      return undefined;
    }
    if (this.deps.registry.framework(id)?.shuttingDown === true) {
      this.log.warn('task dropped: its framework is shutting down', { frameworkId: id });
      return undefined;
    }
    return this.deps.registry.admitFramework(id, info);
  }

  private launch(
    agentId: AgentId,
    framework: FrameworkEntry,
    tasks: readonly TaskInfo[],
    executorInfo: ExecutorInfo | undefined,
  ): void {
    const group = executorInfo === undefined ? [] : tasks.map((t) => t.task_id.value as TaskId);
    for (const info of tasks) {
      const taskId = info.task_id.value as TaskId;
      if (framework.tasks.has(taskId)) {
        this.log.debug('duplicate task ignored', { frameworkId: framework.id, taskId });
        continue;
      }
      let task: TaskEntry;
      try {
        task = this.register(agentId, framework, info, executorInfo, group);
      } catch (err) {
        this.reportUnknown(agentId, framework.id, taskId, {
          state: 'TASK_ERROR',
          reason: 'REASON_TASK_INVALID',
          message: (err as Error).message,
        });
        continue;
      }
      const run = this.run(task, agentId).catch((err: unknown) =>
        this.log.error('task supervision failed', { taskId, err: (err as Error).message }),
      );
      this.running.add(run);
      void run.finally(() => this.running.delete(run));
    }
  }

  /** Records the task (and its executor, the first time) in the registry. Throws for unusable ids or resources. */
  private register(
    agentId: AgentId,
    framework: FrameworkEntry,
    info: TaskInfo,
    executorInfo: ExecutorInfo | undefined,
    group: readonly TaskId[],
  ): TaskEntry {
    const taskId = info.task_id.value as TaskId;
    const executorId = (executorInfo?.executor_id.value ?? taskId) as ExecutorId;
    const known = this.deps.registry.executor(framework.id, executorId);
    if (known !== undefined && executorInfo === undefined) {
      throw new MesoError('INVALID_CALL', `Executor id '${executorId}' is already in use on this agent`);
    }
    // Everything that can throw comes before the registry changes.
    const resources = Resources.fromV1(info.resources);
    const executorContainerId = known?.containerId ?? (randomUUID() as ContainerId);
    const directory =
      known?.directory ??
      executorSandboxDir(this.deps.workDir, {
        agentId,
        frameworkId: framework.id,
        executorId,
        containerId: executorContainerId,
      });
    const sandboxDir = executorInfo === undefined ? directory : groupTaskSandboxDir(directory, taskId);
    const executor =
      known ??
      this.deps.registry.addExecutor(framework, {
        id: executorId,
        frameworkId: framework.id,
        name: executorInfo?.name ?? `Command Executor (Task: ${taskId})`,
        source: executorInfo === undefined ? taskId : executorId,
        containerId: executorContainerId,
        directory,
        info: executorInfo,
        resources: Resources.fromV1(executorInfo?.resources ?? []),
      });
    const task: TaskEntry = {
      agentId,
      frameworkId: framework.id,
      executorId,
      taskId,
      info,
      resources,
      // A command task is its executor's only container; group tasks get nested ones.
      containerId: executorInfo === undefined ? executor.containerId : (randomUUID() as ContainerId),
      sandboxDir,
      group,
      state: 'TASK_STAGING',
      statuses: [],
      containerizer: undefined,
      launched: false,
      killGraceMs: undefined,
    };
    this.deps.registry.addTask(executor, task);
    return task;
  }

  /** The task's whole life: sandbox, launch, wait, final update. */
  private async run(task: TaskEntry, agentId: AgentId): Promise<void> {
    const spec = this.containerSpec(task, agentId);
    let containerizer: Containerizer;
    try {
      await mkdir(task.sandboxDir, { recursive: true });
      if (task.killGraceMs !== undefined) {
        this.finish(task, {
          state: 'TASK_KILLED',
          source: 'SOURCE_AGENT',
          reason: 'REASON_TASK_KILLED_DURING_LAUNCH',
          message: 'Task killed before it was launched',
        });
        return;
      }
      containerizer = this.pickContainerizer(spec);
      task.containerizer = containerizer;
      this.report(task, { state: 'TASK_STARTING', source: 'SOURCE_EXECUTOR' });
      await containerizer.launch(spec, (message) =>
        this.log.debug('container launch progress', { taskId: task.taskId, message }),
      );
      task.launched = true;
    } catch (err) {
      const killed = task.killGraceMs !== undefined;
      this.finish(task, {
        state: killed ? 'TASK_KILLED' : 'TASK_FAILED',
        source: 'SOURCE_AGENT',
        reason: killed ? 'REASON_TASK_KILLED_DURING_LAUNCH' : 'REASON_CONTAINER_LAUNCH_FAILED',
        message: (err as Error).message,
      });
      return;
    }
    if (task.killGraceMs === undefined)
      this.report(task, { state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR' });
    else void this.stopContainer(task);
    const termination = await containerizer.wait(task.containerId).catch((err: unknown) => {
      this.log.error('waiting for a container failed', { taskId: task.taskId, err: (err as Error).message });
      return undefined;
    });
    this.finish(task, {
      ...finalState(termination, task.killGraceMs !== undefined),
      source: 'SOURCE_EXECUTOR',
    });
  }

  private containerSpec(task: TaskEntry, agentId: AgentId): ContainerSpec {
    const ports = taskPorts(task.resources);
    return {
      containerId: task.containerId,
      agentId,
      frameworkId: task.frameworkId,
      taskId: task.taskId,
      executorId: task.executorId,
      command: task.info.command ?? { shell: true },
      ...(task.info.container !== undefined && { container: task.info.container }),
      limits: {
        cpus: task.resources.scalar('cpus'),
        memMiB: task.resources.scalar('mem'),
        diskMiB: task.resources.scalar('disk'),
      },
      ports,
      sandboxDir: task.sandboxDir,
      env: taskEnvironment({ ...task, agentId, ports, agentEndpoint: this.deps.agentEndpoint }),
    };
  }

  private pickContainerizer(spec: ContainerSpec): Containerizer {
    const containerizer = this.deps.containerizers.find((c) => c.supports(spec));
    if (containerizer !== undefined) return containerizer;
    const tried = this.deps.containerizers.map((c) => c.name).join(', ');
    throw new MesoError(
      'CONTAINER_LAUNCH_FAILED',
      `No containerizer supports this task (tried: ${tried || 'none'})`,
    );
  }

  /** Marks the kill and, if the container already started, stops it; `run` handles the other cases. */
  private kill(task: TaskEntry, graceMs: number): void {
    if (task.killGraceMs !== undefined || !isLive(task)) return;
    task.killGraceMs = graceMs;
    this.log.info('task kill requested', { taskId: task.taskId, graceMs });
    if (task.launched) void this.stopContainer(task);
  }

  private async stopContainer(task: TaskEntry): Promise<void> {
    const framework = this.deps.registry.framework(task.frameworkId);
    if (framework !== undefined && hasCapability(framework.info, 'TASK_KILLING_STATE')) {
      this.report(task, { state: 'TASK_KILLING', source: 'SOURCE_EXECUTOR' });
    }
    await task.containerizer
      ?.kill(task.containerId, task.killGraceMs ?? DEFAULT_KILL_GRACE_PERIOD_MS)
      .catch((err: unknown) =>
        this.log.error('killing a container failed', { taskId: task.taskId, err: (err as Error).message }),
      );
  }

  /** Reports a terminal update, then applies what follows from it (group kills, framework removal). */
  private finish(task: TaskEntry, fields: ReportFields): void {
    this.report(task, fields);
    if (fields.state === 'TASK_FAILED' || fields.state === 'TASK_KILLED') {
      for (const sibling of this.siblings(task)) this.kill(sibling, killGraceMs(sibling));
    }
    const framework = this.deps.registry.framework(task.frameworkId);
    if (framework !== undefined) this.removeIfDone(framework);
  }

  private report(task: TaskEntry, fields: ReportFields): void {
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
    task.state = fields.state;
    task.statuses.push(status);
    this.log.info('task status changed', {
      frameworkId: task.frameworkId,
      taskId: task.taskId,
      state: fields.state,
      reason: fields.reason,
      message: fields.message,
    });
    this.deps.updates.update(task.frameworkId, status);
  }

  /** An update for a task the agent does not track (unknown to KILL_TASK, or refused before it existed). */
  private reportUnknown(
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
    this.deps.updates.update(frameworkId, status);
  }

  private siblings(task: TaskEntry): TaskEntry[] {
    const framework = this.deps.registry.framework(task.frameworkId);
    return task.group.filter((id) => id !== task.taskId).flatMap((id) => framework?.tasks.get(id) ?? []);
  }

  private removeIfDone(framework: FrameworkEntry): void {
    if (!framework.shuttingDown || [...framework.tasks.values()].some(isLive)) return;
    this.deps.registry.removeFramework(framework.id);
    this.deps.updates.cleanup(framework.id);
    this.log.info('framework removed', { frameworkId: framework.id });
  }
}

const killGraceMs = (task: TaskEntry): number =>
  durationMs(task.info.kill_policy?.grace_period) ?? DEFAULT_KILL_GRACE_PERIOD_MS;
