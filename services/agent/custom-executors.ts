/**
 * Custom executors: a framework's own program, run as a container, that SUBSCRIBEs to the agent's
 * executor API and runs the tasks it is sent (mesos-http-api.md §3; lifecycle in
 * `executor-run.ts`). Tasks sent before the executor subscribed are queued and delivered as
 * LAUNCH / LAUNCH_GROUP once it does. Its updates go through the status update manager;
 * ACKNOWLEDGED goes back once they are checkpointed. An executor that does not subscribe within
 * the registration timeout is destroyed. When its container ends, every task it left live fails
 * (or is killed, when a kill was asked for), reported by the agent.
 */
import { mkdir } from 'node:fs/promises';
import type { Clock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import type { AgentId, ExecutorId, FrameworkId, TaskId } from '../core/ids.js';
import type { AgentInfo } from '../core/v1/cluster.js';
import type { KillPolicy, TaskReason } from '../core/v1/tasks.js';
import type { Logger } from '../log/logger.js';
import type { EventSink } from '../transport/event-stream.js';
import type { AgentCheckpoint } from './checkpoint/checkpoint.js';
import type { Containerizer, Termination } from './containerizer/containerizer.js';
import { type ExecutorCall, type ExecutorEvent, required, validateUpdate } from './executor-calls.js';
import { ExecutorRun, type Launch, runKey } from './executor-run.js';
import { executorContainerSpec, pickContainerizer } from './launch-specs.js';
import type { TaskReporter } from './task-reporter.js';
import {
  type ExecutorEntry,
  type FrameworkEntry,
  isLive,
  type TaskEntry,
  type TaskRegistry,
} from './task-registry.js';

export interface CustomExecutorsDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly containerizers: readonly Containerizer[];
  readonly registry: TaskRegistry;
  readonly reporter: TaskReporter;
  readonly checkpoint: Pick<AgentCheckpoint, 'saveTask'>;
  readonly agentEndpoint: string;
  readonly registrationTimeoutMs: number;
  readonly reregistrationTimeoutMs: number;
  readonly shutdownGracePeriodMs: number;
  /** This agent, for SUBSCRIBED. */
  readonly agentInfo: () => AgentInfo;
  /** An executor's MESSAGE, to its framework through the master. */
  readonly sendMessage: (frameworkId: FrameworkId, executorId: ExecutorId, data: string) => void;
}

export class CustomExecutors {
  private readonly runs = new Map<string, ExecutorRun>();
  /** One promise per executor container, settled once its end was handled. */
  private readonly watches = new Map<ExecutorRun, Promise<void>>();
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly deps: CustomExecutorsDeps) {
    this.log = deps.log.child({ component: 'agent.executors' });
  }

  /** Whether `executorId` runs (or is starting); a terminated executor cannot take tasks. */
  isActive(frameworkId: FrameworkId, executorId: ExecutorId): boolean {
    return this.runs.has(runKey(frameworkId, executorId));
  }

  /** Hands tasks (already in the registry) to their executor, starting it the first time. */
  launch(
    agentId: AgentId,
    framework: FrameworkEntry,
    executor: ExecutorEntry,
    tasks: TaskEntry[],
    group: boolean,
  ): void {
    const known = this.runs.get(runKey(framework.id, executor.id));
    if (known === undefined) {
      const run = new ExecutorRun(agentId, framework, executor, 'launching', undefined);
      run.queued.push({ tasks, group });
      this.runs.set(run.key, run);
      this.track(run, this.start(run, tasks));
      return;
    }
    for (const task of tasks) {
      task.containerizer = known.containerizer;
      task.launched = known.state !== 'launching';
      void this.deps.checkpoint.saveTask(task);
    }
    if (known.state === 'subscribed') known.sendLaunch({ tasks, group });
    else known.queued.push({ tasks, group });
  }

  /**
   * After an agent restart: the executor's container still runs; it has a while to SUBSCRIBE
   * again. Tasks it was never sent are delivered then.
   */
  adopt(
    agentId: AgentId,
    framework: FrameworkEntry,
    executor: ExecutorEntry,
    containerizer: Containerizer,
  ): void {
    const run = this.addRun(new ExecutorRun(agentId, framework, executor, 'disconnected', containerizer));
    for (const task of executor.tasks.values()) task.launched = true;
    run.queued.push(...undeliveredLaunches(executor));
    this.awaitSubscription(run, this.deps.reregistrationTimeoutMs, 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT');
    this.track(run, this.watch(run));
  }

  /** After an agent restart: the executor's container ended (or vanished) while the agent was down. */
  ended(
    agentId: AgentId,
    framework: FrameworkEntry,
    executor: ExecutorEntry,
    termination: Termination,
  ): void {
    const containerizer = [...executor.tasks.values()][0]?.containerizer;
    this.terminated(
      this.addRun(new ExecutorRun(agentId, framework, executor, 'terminating', containerizer)),
      termination,
    );
  }

  /** SUBSCRIBE: validates, then streams SUBSCRIBED and every queued launch over `open()`'s sink. */
  subscribe(call: ExecutorCall, open: () => EventSink<ExecutorEvent>): void {
    const run = this.runOf(call);
    const sink = open();
    run.attach(sink, this.deps.agentInfo());
    sink.onClose(() => this.disconnected(run, sink));
    this.log.info('executor subscribed', { frameworkId: run.framework.id, executorId: run.executor.id });
    if (run.state === 'terminating') {
      sink.send({ type: 'SHUTDOWN' });
      return;
    }
    run.moveTo('subscribed');
    for (const launch of run.queued.splice(0)) run.sendLaunch(launch);
    for (const task of run.executor.tasks.values()) {
      if (isLive(task) && task.killGraceMs !== undefined) run.sendKill(task, undefined);
    }
    run.heartbeat(this.deps.clock, sink);
  }

  /** UPDATE: queued reliably; ACKNOWLEDGED goes back on the stream once it is checkpointed. */
  update(call: ExecutorCall): void {
    const run = this.subscribedRun(call);
    const status = validateUpdate(call);
    const sink = run.sink;
    const acknowledge = (): void =>
      sink?.send({ type: 'ACKNOWLEDGED', acknowledged: { task_id: status.task_id, uuid: status.uuid } });
    const task = this.deps.registry.task(run.framework.id, status.task_id.value as TaskId);
    if (task === undefined || task.executorId !== run.executor.id) {
      // Completed already (a resent update) or never this executor's: nothing to forward.
      this.log.warn('executor update for an unknown task ignored', { taskId: status.task_id.value });
      acknowledge();
    } else if (task.statuses.some((known) => known.uuid === status.uuid)) {
      acknowledge(); // a resent update: queued once is enough
    } else {
      void this.deps.reporter
        .forward(task, { ...status, agent_id: { value: task.agentId } })
        .then(acknowledge);
    }
  }

  /** MESSAGE: relayed to the framework through the master. */
  message(call: ExecutorCall): void {
    const run = this.subscribedRun(call);
    this.deps.sendMessage(run.framework.id, run.executor.id, required(call.message, 'message').data);
  }

  /** HEARTBEAT: only checks that the caller is a subscribed executor. */
  heartbeatCall(call: ExecutorCall): void {
    this.subscribedRun(call);
  }

  /** A framework's MESSAGE for the executor; dropped (as in Mesos) when it is not subscribed. */
  frameworkMessage(frameworkId: FrameworkId, executorId: ExecutorId, data: string): void {
    const sink = this.runs.get(runKey(frameworkId, executorId))?.sink;
    if (sink === undefined) this.log.debug('framework message dropped', { frameworkId, executorId });
    else sink.send({ type: 'MESSAGE', message: { data } });
  }

  /** KILL_TASK for one of an executor's tasks: the executor is asked, unless the task never reached it. */
  killTask(task: TaskEntry, graceMs: number, killPolicy: KillPolicy | undefined): void {
    if (!isLive(task)) return;
    task.killGraceMs ??= graceMs;
    const run = this.runs.get(runKey(task.frameworkId, task.executorId));
    const queued = run?.queued.find((launch) => launch.tasks.includes(task));
    if (run === undefined || queued !== undefined) {
      queued?.tasks.splice(queued.tasks.indexOf(task), 1);
      this.deps.reporter.report(task, {
        state: 'TASK_KILLED',
        source: 'SOURCE_AGENT',
        reason: 'REASON_TASK_KILLED_DURING_LAUNCH',
        message: 'Task killed before it was delivered to its executor',
      });
    } else if (run.state === 'subscribed') {
      run.sendKill(task, killPolicy);
    }
  }

  /** SHUTDOWN to the executor; its container is destroyed after `graceMs` (at once if it is not subscribed). */
  shutdown(frameworkId: FrameworkId, executorId: ExecutorId, graceMs: number): void {
    const run = this.runs.get(runKey(frameworkId, executorId));
    if (run === undefined || run.state === 'terminating' || run.state === 'terminated') return;
    for (const task of run.executor.tasks.values()) task.killGraceMs ??= graceMs;
    run.moveTo('terminating');
    if (run.sink === undefined) {
      this.destroy(run, graceMs);
      return;
    }
    run.sink.send({ type: 'SHUTDOWN' });
    run.setTimer(this.deps.clock, graceMs, () => this.destroy(run, 0));
  }

  /** Shuts down the executors `which` selects and resolves once their containers are gone. */
  async shutdownAll(
    graceMs: number,
    which: (containerizer: Containerizer | undefined) => boolean,
  ): Promise<void> {
    const ending: Promise<void>[] = [];
    for (const run of [...this.runs.values()]) {
      if (!which(run.containerizer)) continue;
      this.shutdown(run.framework.id, run.executor.id, graceMs);
      ending.push(this.watches.get(run) ?? Promise.resolve());
    }
    await Promise.all(ending);
  }

  /** The agent stops: timers cancelled; executors and their containers are left alone. */
  stop(): void {
    this.stopped = true;
    for (const run of this.runs.values()) run.cancelTimers();
  }

  private async start(run: ExecutorRun, tasks: readonly TaskEntry[]): Promise<void> {
    const { executor } = run;
    const spec = executorContainerSpec(executor, {
      agentId: run.agentId,
      framework: run.framework.info,
      tasks,
      agentEndpoint: this.deps.agentEndpoint,
      shutdownGracePeriodMs: this.deps.shutdownGracePeriodMs,
      subscriptionBackoffMaxMs: this.deps.reregistrationTimeoutMs,
    });
    try {
      await mkdir(executor.directory, { recursive: true });
      run.containerizer = pickContainerizer(this.deps.containerizers, spec);
      for (const task of tasks) task.containerizer = run.containerizer;
      await Promise.all(tasks.map((task) => this.deps.checkpoint.saveTask(task)));
      await run.containerizer.launch(spec);
    } catch (err) {
      run.endReason = 'REASON_CONTAINER_LAUNCH_FAILED';
      this.terminated(run, { reason: 'launch-failed', message: (err as Error).message });
      return;
    }
    for (const task of executor.tasks.values()) task.launched = true;
    this.log.info('executor launched', { frameworkId: executor.frameworkId, executorId: executor.id });
    if (run.state === 'launching') {
      run.moveTo('registering');
      this.awaitSubscription(run, this.deps.registrationTimeoutMs, 'REASON_EXECUTOR_REGISTRATION_TIMEOUT');
    } else if (run.state === 'terminating') {
      this.destroy(run, 0);
    }
    await this.watch(run);
  }

  private async watch(run: ExecutorRun): Promise<void> {
    const termination = await run.containerizer?.wait(run.executor.containerId).catch((err: unknown) => {
      this.log.error('waiting for an executor failed', {
        executorId: run.executor.id,
        err: (err as Error).message,
      });
      return undefined;
    });
    this.terminated(run, termination);
  }

  /** Reports every task the executor left live, and forgets the executor. */
  private terminated(run: ExecutorRun, termination: Termination | undefined): void {
    if (run.state === 'terminated') return;
    run.moveTo('terminated');
    run.cancelTimers();
    run.sink?.close();
    this.runs.delete(run.key);
    const message = `Executor terminated: ${termination?.message ?? 'its container is gone'}`;
    this.log.info('executor terminated', { executorId: run.executor.id, reason: run.endReason, message });
    for (const task of [...run.executor.tasks.values()].filter(isLive)) {
      const killed = task.killGraceMs !== undefined && run.endReason === undefined;
      this.deps.reporter.report(task, {
        state: killed ? 'TASK_KILLED' : 'TASK_FAILED',
        source: 'SOURCE_AGENT',
        reason: run.endReason ?? 'REASON_EXECUTOR_TERMINATED',
        message,
      });
    }
  }

  private disconnected(run: ExecutorRun, sink: EventSink<ExecutorEvent>): void {
    if (this.stopped || !run.detach(sink) || run.state !== 'subscribed') return;
    const { checkpoint } = run.framework.info;
    this.log.warn('executor disconnected', { executorId: run.executor.id, checkpoint });
    if (!checkpoint) {
      // MESOS_CHECKPOINT=0 told it to exit on a lost connection: make sure it does.
      this.shutdown(run.framework.id, run.executor.id, this.deps.shutdownGracePeriodMs);
      return;
    }
    run.moveTo('disconnected');
    this.awaitSubscription(run, this.deps.reregistrationTimeoutMs, 'REASON_EXECUTOR_REREGISTRATION_TIMEOUT');
  }

  /** Destroys the container unless the executor subscribes within `timeoutMs`. */
  private awaitSubscription(run: ExecutorRun, timeoutMs: number, reason: TaskReason): void {
    run.setTimer(this.deps.clock, timeoutMs, () => {
      this.log.warn('executor did not subscribe in time; destroying it', {
        executorId: run.executor.id,
        timeoutMs,
      });
      run.endReason = reason;
      run.moveTo('terminating');
      this.destroy(run, 0);
    });
  }

  private destroy(run: ExecutorRun, graceMs: number): void {
    void run.containerizer?.kill(run.executor.containerId, graceMs).catch((err: unknown) =>
      this.log.error('destroying an executor failed', {
        executorId: run.executor.id,
        err: (err as Error).message,
      }),
    );
  }

  private addRun(run: ExecutorRun): ExecutorRun {
    this.runs.set(run.key, run);
    return run;
  }

  private runOf(call: ExecutorCall): ExecutorRun {
    const frameworkId = call.framework_id.value as FrameworkId;
    if (this.deps.registry.framework(frameworkId) === undefined) {
      throw new MesoError('INVALID_CALL', 'Framework cannot be found');
    }
    const run = this.runs.get(runKey(frameworkId, call.executor_id.value as ExecutorId));
    if (run === undefined) throw new MesoError('INVALID_CALL', 'Executor cannot be found');
    return run;
  }

  private subscribedRun(call: ExecutorCall): ExecutorRun {
    const run = this.runOf(call);
    if (run.sink === undefined) throw new MesoError('FORBIDDEN', 'Executor is not subscribed');
    return run;
  }

  private track(run: ExecutorRun, watch: Promise<void>): void {
    const tracked = watch.catch((err: unknown) =>
      this.log.error('executor supervision failed', {
        executorId: run.executor.id,
        err: (err as Error).message,
      }),
    );
    this.watches.set(run, tracked);
    void tracked.finally(() => this.watches.delete(run));
  }
}

/** Tasks of a recovered executor it was never sent: one LAUNCH each, one LAUNCH_GROUP per task group. */
function undeliveredLaunches(executor: ExecutorEntry): Launch[] {
  const launches = new Map<string, Launch>();
  for (const task of executor.tasks.values()) {
    if (task.state !== 'TASK_STAGING') continue;
    const key = task.group.length === 0 ? `task:${task.taskId}` : `group:${task.group.join(',')}`;
    const launch = launches.get(key) ?? { tasks: [], group: task.group.length > 0 };
    launch.tasks.push(task);
    launches.set(key, launch);
  }
  return [...launches.values()];
}
