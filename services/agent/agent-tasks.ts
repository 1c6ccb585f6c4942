/**
 * The agent's work, wired together: the task registry, the checkpoint, reliable status updates,
 * the built-in and custom executors, and recovery; plus what the master's events do to them. The
 * `Agent` owns the connection to the master and hands events here.
 */
import type { AgentEvent } from '../core/agent-protocol.js';
import type { Clock } from '../core/clock.js';
import type { AgentId, ExecutorId, FrameworkId, TaskId } from '../core/ids.js';
import type { AgentInfo } from '../core/v1/cluster.js';
import type { Logger } from '../log/logger.js';
import type { AgentConfig } from './agent-config.js';
import { AgentCheckpoint } from './checkpoint/checkpoint.js';
import type { Containerizer } from './containerizer/containerizer.js';
import { CustomExecutors } from './custom-executors.js';
import { recoverAgent } from './recovery.js';
import { type ForwardedUpdate, StatusUpdateManager } from './status-update-manager.js';
import { TaskRegistry } from './task-registry.js';
import { TaskReporter } from './task-reporter.js';
import { TaskSupervisor } from './task-supervisor.js';

export interface AgentTasksDeps {
  readonly config: AgentConfig;
  readonly clock: Clock;
  readonly log: Logger;
  /** In the order they are tried for each task. */
  readonly containerizers: readonly Containerizer[];
  /** `ip:port` of the agent's HTTP API, given to tasks and executors. */
  readonly agentEndpoint: string;
  /** This agent as the master knows it (for executors' SUBSCRIBED). */
  readonly agentInfo: () => AgentInfo;
  /** One UPDATE to the master (fire-and-forget; the status update manager retries). */
  readonly sendUpdate: (update: ForwardedUpdate) => void;
  /** One EXECUTOR_MESSAGE to the master (best effort, as in Mesos). */
  readonly sendExecutorMessage: (frameworkId: FrameworkId, executorId: ExecutorId, data: string) => void;
}

export class AgentTasks {
  readonly registry = new TaskRegistry({
    completed: (task) => void this.checkpoint.markCompleted(task),
    forgotten: (entry) => void this.checkpoint.forget(entry),
  });
  readonly updates: StatusUpdateManager;
  readonly executors: CustomExecutors;
  private readonly checkpoint: AgentCheckpoint;
  private readonly supervisor: TaskSupervisor;
  private readonly log: Logger;

  constructor(private readonly deps: AgentTasksDeps) {
    const { config, clock, log } = deps;
    this.log = log.child({ component: 'agent.tasks' });
    this.checkpoint = new AgentCheckpoint(config.workDir, log);
    this.updates = new StatusUpdateManager({
      clock,
      log,
      send: deps.sendUpdate,
      retryMinMs: config.statusUpdateRetryMinMs,
      retryMaxMs: config.statusUpdateRetryMaxMs,
      persist: (frameworkId, taskId, stream) => {
        const task = this.registry.task(frameworkId, taskId);
        return task === undefined ? Promise.resolve() : this.checkpoint.saveUpdates(task, stream);
      },
    });
    const reporter = new TaskReporter({
      clock,
      log,
      registry: this.registry,
      updates: this.updates,
    });
    this.executors = new CustomExecutors({
      clock,
      log,
      containerizers: deps.containerizers,
      registry: this.registry,
      reporter,
      checkpoint: this.checkpoint,
      agentEndpoint: deps.agentEndpoint,
      registrationTimeoutMs: config.executorRegistrationTimeoutMs,
      reregistrationTimeoutMs: config.executorReregistrationTimeoutMs,
      shutdownGracePeriodMs: config.executorShutdownGracePeriodMs,
      agentInfo: deps.agentInfo,
      sendMessage: deps.sendExecutorMessage,
    });
    this.supervisor = new TaskSupervisor({
      clock,
      log,
      containerizers: deps.containerizers,
      registry: this.registry,
      reporter,
      executors: this.executors,
      checkpoint: this.checkpoint,
      workDir: config.workDir,
      executorShutdownGracePeriodMs: config.executorShutdownGracePeriodMs,
      dockerStopTimeoutMs: config.dockerStopTimeoutMs,
      agentEndpoint: deps.agentEndpoint,
    });
  }

  /** Recovers the checkpoint (see `recovery.ts`); resolves with the agent id to register with. */
  recover(): Promise<AgentId | undefined> {
    return recoverAgent({
      log: this.deps.log,
      checkpoint: this.checkpoint,
      containerizers: this.deps.containerizers,
      registry: this.registry,
      updates: this.updates,
      supervisor: this.supervisor,
      executors: this.executors,
    });
  }

  /** Checkpoints the id the master assigned, before any task of this registration is accepted. */
  registered(agentId: AgentId): Promise<void> {
    return this.checkpoint.saveAgentId(agentId);
  }

  /** Applies one event of the master's stream (SHUTDOWN is the agent's own business). */
  handle(event: AgentEvent, agentId: AgentId): void {
    const { supervisor } = this;
    switch (event.type) {
      case 'RUN_TASK':
        supervisor.runTask(agentId, event.run_task.framework_info, event.run_task.task);
        return;
      case 'RUN_TASK_GROUP': {
        const { framework_info, executor, task_group } = event.run_task_group;
        supervisor.runTaskGroup(agentId, framework_info, executor, task_group.tasks);
        return;
      }
      case 'KILL_TASK': {
        const { framework_id, task_id, kill_policy } = event.kill_task;
        supervisor.killTask(agentId, framework_id.value as FrameworkId, task_id.value as TaskId, kill_policy);
        return;
      }
      case 'ACKNOWLEDGE':
        this.acknowledge(
          event.acknowledge.framework_id.value as FrameworkId,
          event.acknowledge.task_id.value as TaskId,
          event.acknowledge.uuid,
        );
        return;
      case 'SHUTDOWN_FRAMEWORK':
        supervisor.shutdownFramework(event.shutdown_framework.framework_id.value as FrameworkId);
        return;
      case 'SHUTDOWN_EXECUTOR': {
        const { framework_id, executor_id } = event.shutdown_executor;
        supervisor.shutdownExecutor(framework_id.value as FrameworkId, executor_id.value as ExecutorId);
        return;
      }
      case 'FRAMEWORK_MESSAGE': {
        const { framework_id, executor_id, data } = event.framework_message;
        // The built-in executors take no messages (Mesos's command executor ignores them too).
        this.executors.frameworkMessage(
          framework_id.value as FrameworkId,
          executor_id.value as ExecutorId,
          data,
        );
        return;
      }
      case 'SHUTDOWN':
      case 'REGISTERED':
      case 'HEARTBEAT':
        return;
    }
  }

  /**
   * A clean stop: the tasks of containerizers that cannot re-attach after a restart (process) are
   * killed now, within `graceMs`, so that they are reported TASK_KILLED rather than lost by the
   * next agent; docker containers keep running for the next agent to adopt.
   */
  async stopUnrecoverable(graceMs: number): Promise<void> {
    await this.supervisor.killAll(graceMs, (containerizer) => containerizer?.survivesAgentRestart !== true);
    // Their last updates are checkpointed, and sent at once (the caller awaits the calls).
    await this.updates.flush();
  }

  /** No more sending, health checks or timers; containers and executors are left alone. */
  stop(): void {
    this.supervisor.stop();
    this.updates.stop();
    this.executors.stop();
  }

  /** The master shut this agent down: every task is killed and the checkpoint forgotten. */
  async shutdown(agentId: AgentId | undefined, graceMs: number): Promise<void> {
    await this.supervisor.killAll(graceMs);
    if (agentId !== undefined) await this.checkpoint.removeAgent(agentId);
  }

  private acknowledge(frameworkId: FrameworkId, taskId: TaskId, uuid: string): void {
    if (this.updates.acknowledge(frameworkId, taskId, uuid) !== 'stream-closed') return;
    this.registry.complete(frameworkId, taskId);
    this.log.debug('task completed', { frameworkId, taskId });
  }
}
