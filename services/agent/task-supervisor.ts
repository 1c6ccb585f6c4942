/**
 * Runs what the master sends. The agent plays Mesos's built-in executors itself: the command
 * executor for RUN_TASK (one task, executor id = task id) and the default executor for
 * RUN_TASK_GROUP (each task in its own container under a shared executor sandbox; killing or
 * losing one task kills the group). Tasks with a custom executor go to `CustomExecutors`.
 *
 * Per built-in task: TASK_STARTING when a containerizer takes it (again, with a message, while its
 * image is pulled), TASK_RUNNING once the container started, then TASK_FINISHED / TASK_FAILED /
 * TASK_KILLED from how it ended. Each task is checkpointed before its container is launched.
 * A running task with a COMMAND `health_check` is checked (`task-health.ts`); other check types
 * are refused at launch with TASK_ERROR.
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
import type { AgentCheckpoint } from './checkpoint/checkpoint.js';
import type { Containerizer, Termination } from './containerizer/containerizer.js';
import type { CustomExecutors } from './custom-executors.js';
import { refusedHealthCheck } from './health-checker.js';
import { pickContainerizer, taskContainerSpec } from './launch-specs.js';
import { executorSandboxDir, groupTaskSandboxDir, pathSegment } from './sandbox.js';
import { TaskHealth } from './task-health.js';
import type { ReportFields, TaskReporter } from './task-reporter.js';
import { durationMs, finalState } from './task-status.js';
import {
  type ExecutorKind,
  type FrameworkEntry,
  isLive,
  type TaskEntry,
  type TaskRegistry,
} from './task-registry.js';

/** Grace between SIGTERM and SIGKILL when neither the kill nor the task names one (Mesos's command executor). */
export const DEFAULT_KILL_GRACE_PERIOD_MS = 3000;

export interface TaskSupervisorDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** Tried in order; the first whose `supports` accepts a task runs it. */
  readonly containerizers: readonly Containerizer[];
  readonly registry: TaskRegistry;
  readonly reporter: TaskReporter;
  readonly executors: CustomExecutors;
  readonly checkpoint: Pick<AgentCheckpoint, 'saveFramework' | 'saveExecutor' | 'saveTask'>;
  readonly workDir: string;
  readonly executorShutdownGracePeriodMs: number;
  /** Grace of a docker task killed without a kill policy (`--docker_stop_timeout`). */
  readonly dockerStopTimeoutMs: number;
  /** `ip:port` of the agent's HTTP API, given to tasks. */
  readonly agentEndpoint: string;
}

export class TaskSupervisor {
  /** One promise per built-in task being supervised, settled once its terminal update was reported. */
  private readonly running = new Map<TaskEntry, Promise<void>>();
  private readonly health: TaskHealth;
  private readonly log: Logger;

  constructor(private readonly deps: TaskSupervisorDeps) {
    this.log = deps.log.child({ component: 'agent.tasks' });
    this.health = new TaskHealth({
      clock: deps.clock,
      log: deps.log,
      reporter: deps.reporter,
      kill: (task) => this.kill(task, this.killGraceMs(task)),
    });
  }

  /** RUN_TASK. A task id the agent already runs is ignored (the master may resend). */
  runTask(agentId: AgentId, frameworkInfo: FrameworkInfo, task: TaskInfo): void {
    const framework = this.admit(agentId, frameworkInfo);
    if (framework === undefined) return;
    const kind = task.executor === undefined ? 'command' : 'custom';
    this.launch(agentId, framework, [task], { kind, info: task.executor, asGroup: false });
  }

  /** RUN_TASK_GROUP: run by the built-in default executor, or by a CUSTOM one as LAUNCH_GROUP. */
  runTaskGroup(
    agentId: AgentId,
    frameworkInfo: FrameworkInfo,
    executor: ExecutorInfo,
    tasks: readonly TaskInfo[],
  ): void {
    const framework = this.admit(agentId, frameworkInfo);
    if (framework === undefined) return;
    const kind = executor.type === 'CUSTOM' ? 'custom' : 'default';
    this.launch(agentId, framework, tasks, { kind, info: executor, asGroup: true });
  }

  /**
   * KILL_TASK. Grace period: the kill's policy, else the task's, else the default. A task of a
   * group takes its whole group with it. An unknown task is answered TASK_DROPPED (TASK_LOST for
   * frameworks that are not partition-aware), as Mesos does; kills for a framework being shut down
   * are ignored.
   */
  killTask(agentId: AgentId, frameworkId: FrameworkId, taskId: TaskId, killPolicy?: KillPolicy): void {
    const framework = this.deps.registry.framework(frameworkId);
    if (framework?.shuttingDown === true) return;
    const task = framework?.tasks.get(taskId);
    if (task === undefined) {
      const partitionAware = framework !== undefined && hasCapability(framework.info, 'PARTITION_AWARE');
      this.deps.reporter.reportUnknown(agentId, frameworkId, taskId, {
        state: partitionAware ? 'TASK_DROPPED' : 'TASK_LOST',
        reason: 'REASON_EXECUTOR_TERMINATED',
        message: framework === undefined ? 'Cannot find framework' : 'Cannot find executor',
      });
      return;
    }
    const graceMs = durationMs(killPolicy?.grace_period) ?? this.killGraceMs(task);
    if (this.kindOf(task) === 'custom') {
      this.deps.executors.killTask(task, graceMs, killPolicy);
      return;
    }
    this.kill(task, graceMs);
    for (const sibling of this.siblings(task)) this.kill(sibling, this.killGraceMs(sibling));
  }

  /** SHUTDOWN_EXECUTOR: ends the executor's tasks within its shutdown grace period. */
  shutdownExecutor(frameworkId: FrameworkId, executorId: ExecutorId): void {
    const executor = this.deps.registry.executor(frameworkId, executorId);
    if (executor === undefined) return;
    const graceMs =
      durationMs(executor.info?.shutdown_grace_period) ?? this.deps.executorShutdownGracePeriodMs;
    if (executor.kind === 'custom') this.deps.executors.shutdown(frameworkId, executorId, graceMs);
    else for (const task of executor.tasks.values()) this.kill(task, graceMs);
  }

  /**
   * SHUTDOWN_FRAMEWORK: ends all its tasks and takes no new ones; once none is left running the
   * framework is completed and its pending updates dropped (nobody will acknowledge them).
   */
  shutdownFramework(frameworkId: FrameworkId): void {
    const framework = this.deps.registry.framework(frameworkId);
    if (framework === undefined) return;
    framework.shuttingDown = true;
    this.log.info('framework shutting down', { frameworkId });
    for (const executor of [...framework.executors.values()]) this.shutdownExecutor(frameworkId, executor.id);
    this.deps.reporter.removeIfDone(framework);
  }

  /** Ends every task whose containerizer `which` selects and resolves once all of them have ended. */
  async killAll(
    graceMs: number,
    which: (containerizer: Containerizer | undefined) => boolean = () => true,
  ): Promise<void> {
    const ending: Promise<void>[] = [];
    for (const task of this.deps.registry.tasks()) {
      if (this.kindOf(task) === 'custom' || !which(task.containerizer)) continue;
      this.kill(task, graceMs);
      ending.push(this.running.get(task) ?? Promise.resolve());
    }
    await Promise.all([this.deps.executors.shutdownAll(graceMs, which), ...ending]);
  }

  /**
   * After an agent restart: carries on supervising a recovered built-in task whose container
   * still runs (`termination` undefined), or reports how it ended while the agent was down.
   */
  resume(task: TaskEntry, containerizer: Containerizer, termination?: Termination): void {
    task.containerizer = containerizer;
    if (termination !== undefined) {
      this.finish(task, { ...finalState(termination, false), source: 'SOURCE_EXECUTOR' });
      return;
    }
    task.launched = true;
    if (task.state === 'TASK_STAGING' || task.state === 'TASK_STARTING') {
      this.deps.reporter.report(task, { state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR' });
    }
    this.track(task, this.watch(task, containerizer));
    // A kill that was under way when the agent died is carried out again.
    if (task.state === 'TASK_KILLING') this.kill(task, this.killGraceMs(task));
    else this.health.start(task, containerizer, true);
  }

  /** The agent stops: no more health checks (containers left running are checked by the next agent). */
  stop(): void {
    this.health.stopAll();
  }

  /** Reports a terminal update for a recovered task that cannot be resumed. */
  abandon(task: TaskEntry, fields: ReportFields): void {
    this.finish(task, fields);
  }

  /** Admits a task's framework, unless it has no id or is being shut down (then the task is dropped, as in Mesos). */
  private admit(agentId: AgentId, info: FrameworkInfo): FrameworkEntry | undefined {
    const id = info.id?.value as FrameworkId | undefined;
    if (id === undefined) {
      this.log.warn('task dropped: its framework info has no id');
      return undefined;
    }
    const known = this.deps.registry.framework(id);
    if (known?.shuttingDown === true) {
      this.log.warn('task dropped: its framework is shutting down', { frameworkId: id });
      return undefined;
    }
    if (known === undefined || JSON.stringify(known.info) !== JSON.stringify(info)) {
      void this.deps.checkpoint.saveFramework(agentId, info);
    }
    return this.deps.registry.admitFramework(id, info);
  }

  private launch(
    agentId: AgentId,
    framework: FrameworkEntry,
    infos: readonly TaskInfo[],
    executor: { kind: ExecutorKind; info: ExecutorInfo | undefined; asGroup: boolean },
  ): void {
    const { kind, info: executorInfo, asGroup } = executor;
    const group = asGroup ? infos.map((t) => t.task_id.value as TaskId) : [];
    const tasks: TaskEntry[] = [];
    for (const info of infos) {
      const taskId = info.task_id.value as TaskId;
      if (framework.tasks.has(taskId)) {
        this.log.debug('duplicate task ignored', { frameworkId: framework.id, taskId });
        continue;
      }
      try {
        tasks.push(this.register(agentId, framework, info, executorInfo, kind, group));
      } catch (err) {
        this.deps.reporter.reportUnknown(agentId, framework.id, taskId, {
          state: 'TASK_ERROR',
          reason: 'REASON_TASK_INVALID',
          message: (err as Error).message,
        });
      }
    }
    const [first] = tasks;
    if (first === undefined) return;
    if (kind === 'custom') {
      const entry = this.deps.registry.executor(framework.id, first.executorId);
      if (entry !== undefined) this.deps.executors.launch(agentId, framework, entry, tasks, asGroup);
      return;
    }
    for (const task of tasks) this.track(task, this.run(task));
  }

  /** Records the task (and its executor, the first time) in the registry and the checkpoint. Throws for unusable ids or resources. */
  private register(
    agentId: AgentId,
    framework: FrameworkEntry,
    info: TaskInfo,
    executorInfo: ExecutorInfo | undefined,
    kind: ExecutorKind,
    group: readonly TaskId[],
  ): TaskEntry {
    const taskId = info.task_id.value as TaskId;
    const executorId = (executorInfo?.executor_id.value ?? taskId) as ExecutorId;
    const known = this.deps.registry.executor(framework.id, executorId);
    if (known !== undefined && (kind === 'command' || known.kind !== kind)) {
      throw new MesoError('INVALID_CALL', `Executor id '${executorId}' is already in use on this agent`);
    }
    if (known !== undefined && kind === 'custom' && !this.deps.executors.isActive(framework.id, executorId)) {
      throw new MesoError('INVALID_CALL', `Executor '${executorId}' has terminated; use a new executor id`);
    }
    if (kind === 'custom' && executorInfo?.command === undefined) {
      throw new MesoError('INVALID_CALL', `Executor '${executorId}' has no command to run`);
    }
    // A custom executor runs its tasks' checks itself, whatever their type.
    const refusal =
      kind === 'custom' || info.health_check === undefined
        ? undefined
        : refusedHealthCheck(info.health_check);
    if (refusal !== undefined) throw new MesoError('INVALID_CALL', refusal);
    // Everything that can throw comes before the registry changes.
    const resources = Resources.fromV1(info.resources);
    pathSegment('task', taskId);
    const executorContainerId = known?.containerId ?? (randomUUID() as ContainerId);
    const directory =
      known?.directory ??
      executorSandboxDir(this.deps.workDir, {
        agentId,
        frameworkId: framework.id,
        executorId,
        containerId: executorContainerId,
      });
    const executor =
      known ??
      this.deps.registry.addExecutor(framework, {
        id: executorId,
        frameworkId: framework.id,
        kind,
        name: executorInfo?.name ?? `Command Executor (Task: ${taskId})`,
        source: kind === 'command' ? taskId : executorId,
        containerId: executorContainerId,
        directory,
        info: executorInfo,
        resources: Resources.fromV1(executorInfo?.resources ?? []),
      });
    if (known === undefined) void this.deps.checkpoint.saveExecutor(agentId, executor);
    const task: TaskEntry = {
      agentId,
      frameworkId: framework.id,
      executorId,
      taskId,
      info,
      resources,
      // A group task gets a nested container; the others run in their executor's.
      containerId: kind === 'default' ? (randomUUID() as ContainerId) : executor.containerId,
      sandboxDir: kind === 'default' ? groupTaskSandboxDir(directory, taskId) : directory,
      group,
      state: 'TASK_STAGING',
      statuses: [],
      containerizer: undefined,
      launched: false,
      killGraceMs: undefined,
    };
    this.deps.registry.addTask(executor, task);
    void this.deps.checkpoint.saveTask(task);
    return task;
  }

  /** A built-in task's whole life: sandbox, checkpoint, launch, wait, final update. */
  private async run(task: TaskEntry): Promise<void> {
    const spec = taskContainerSpec(task, this.deps.agentEndpoint);
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
      containerizer = pickContainerizer(this.deps.containerizers, spec);
      task.containerizer = containerizer;
      await this.deps.checkpoint.saveTask(task);
      this.deps.reporter.report(task, { state: 'TASK_STARTING', source: 'SOURCE_EXECUTOR' });
      await containerizer.launch(spec, this.deps.reporter.progress(task));
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
    if (task.killGraceMs === undefined) {
      this.deps.reporter.report(task, { state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR' });
      this.health.start(task, containerizer, false);
    } else void this.stopContainer(task);
    await this.watch(task, containerizer);
  }

  private async watch(task: TaskEntry, containerizer: Containerizer): Promise<void> {
    const termination = await containerizer.wait(task.containerId).catch((err: unknown) => {
      this.log.error('waiting for a container failed', { taskId: task.taskId, err: (err as Error).message });
      return undefined;
    });
    this.finish(task, {
      ...finalState(termination, task.killGraceMs !== undefined),
      source: 'SOURCE_EXECUTOR',
    });
  }

  /** Marks the kill and, if the container already started, stops it; `run` handles the other cases. */
  private kill(task: TaskEntry, graceMs: number): void {
    if (task.killGraceMs !== undefined || !isLive(task)) return;
    task.killGraceMs = graceMs;
    this.health.stop(task);
    this.log.info('task kill requested', { taskId: task.taskId, graceMs });
    if (task.launched) void this.stopContainer(task);
  }

  private async stopContainer(task: TaskEntry): Promise<void> {
    const framework = this.deps.registry.framework(task.frameworkId);
    if (framework !== undefined && hasCapability(framework.info, 'TASK_KILLING_STATE')) {
      this.deps.reporter.report(task, { state: 'TASK_KILLING', source: 'SOURCE_EXECUTOR' });
    }
    await task.containerizer
      ?.kill(task.containerId, task.killGraceMs ?? this.killGraceMs(task))
      .catch((err: unknown) =>
        this.log.error('killing a container failed', { taskId: task.taskId, err: (err as Error).message }),
      );
  }

  /** Reports a terminal update; a failed or killed group task takes its siblings with it. */
  private finish(task: TaskEntry, fields: ReportFields): void {
    this.deps.reporter.report(task, this.health.final(task, fields));
    if (fields.state === 'TASK_FAILED' || fields.state === 'TASK_KILLED') {
      for (const sibling of this.siblings(task)) this.kill(sibling, this.killGraceMs(sibling));
    }
  }

  /** The task's own kill policy, else `--docker_stop_timeout` for docker tasks, else 3 s. */
  private killGraceMs(task: TaskEntry): number {
    const fallback =
      task.containerizer?.name === 'docker' ? this.deps.dockerStopTimeoutMs : DEFAULT_KILL_GRACE_PERIOD_MS;
    return durationMs(task.info.kill_policy?.grace_period) ?? fallback;
  }

  private kindOf(task: TaskEntry): ExecutorKind | undefined {
    return this.deps.registry.executor(task.frameworkId, task.executorId)?.kind;
  }

  private siblings(task: TaskEntry): TaskEntry[] {
    const framework = this.deps.registry.framework(task.frameworkId);
    return task.group.filter((id) => id !== task.taskId).flatMap((id) => framework?.tasks.get(id) ?? []);
  }

  private track(task: TaskEntry, run: Promise<void>): void {
    const tracked = run.catch((err: unknown) =>
      this.log.error('task supervision failed', { taskId: task.taskId, err: (err as Error).message }),
    );
    this.running.set(task, tracked);
    void tracked.finally(() => this.running.delete(task));
  }
}
