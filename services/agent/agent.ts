/**
 * The agent daemon's core: registers with the leading master, follows its event stream, keeps the
 * connection alive with pings, and re-registers (same agent id, full task list) whenever the
 * stream ends. Tasks are run by the `TaskSupervisor`; their updates are delivered by the
 * `StatusUpdateManager`, which sends only while the agent is registered.
 *
 *   registering ──REGISTERED──▶ registered ──stream ended / ping refused──▶ disconnected
 *        ▲                                                                     │
 *        └───────────────────────── backoff with jitter ──────────────────────┘
 *   any state ──stop() or SHUTDOWN──▶ stopped
 */
import { mkdir } from 'node:fs/promises';
import type { AgentCall, AgentEvent } from '../core/agent-protocol.js';
import type { Clock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import type { AgentId, ExecutorId, FrameworkId, TaskId } from '../core/ids.js';
import { MESO_VERSION } from '../core/version.js';
import type { Logger } from '../log/logger.js';
import { backoffDelayMs } from '../scheduler/backoff.js';
import { sleep } from '../scheduler/sleep.js';
import { type AgentConfig, agentUrl } from './agent-config.js';
import type { Containerizer } from './containerizer/containerizer.js';
import type { DetectMaster, MasterClient } from './master-client.js';
import type { AgentStateInput } from './state-json.js';
import { type ForwardedUpdate, StatusUpdateManager } from './status-update-manager.js';
import { TaskRegistry } from './task-registry.js';
import { TaskSupervisor } from './task-supervisor.js';

export type AgentState = 'registering' | 'registered' | 'disconnected' | 'stopped';

const TRANSITIONS: Readonly<Record<AgentState, readonly AgentState[]>> = {
  registering: ['registered', 'disconnected', 'stopped'],
  registered: ['disconnected', 'stopped'],
  disconnected: ['registering', 'stopped'],
  stopped: [],
};

/** Cap of the delay between registration attempts (Mesos caps its registration backoff at 1 min). */
export const MAX_REGISTRATION_BACKOFF_MS = 60_000;

export interface AgentDeps {
  readonly config: AgentConfig;
  readonly clock: Clock;
  readonly log: Logger;
  /** In the order they are tried for each task. */
  readonly containerizers: readonly Containerizer[];
  readonly detectMaster: DetectMaster;
  readonly master: MasterClient;
  /** The port the HTTP API really listens on (`config.port` may be 0). */
  readonly port: number;
  /** Uniform in [0, 1), for backoff jitter. */
  readonly random: () => number;
}

interface Connection {
  readonly masterUrl: string;
  /** Aborting it drops the stream, which makes the agent register again. */
  readonly controller: AbortController;
}

export class Agent implements AsyncDisposable {
  private current: AgentState = 'registering';
  private id: AgentId | undefined;
  private connection: Connection | undefined;
  private masterHostname: string | undefined;
  private cancelPingTimer: (() => void) | undefined;
  private readonly stopController = new AbortController();
  /** PINGs and UPDATEs in flight; `stop` waits for them. */
  private readonly requests = new Set<Promise<void>>();
  private loop: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private resolveStopped!: () => void;
  private readonly registry = new TaskRegistry();
  private readonly updates: StatusUpdateManager;
  private readonly supervisor: TaskSupervisor;
  private readonly log: Logger;
  private readonly startTimeMs: number;
  /** Resolves once the agent stopped, whether by `stop()` or because the master shut it down. */
  readonly stopped: Promise<void>;

  private constructor(private readonly deps: AgentDeps) {
    this.log = deps.log.child({ component: 'agent' });
    this.startTimeMs = deps.clock.nowMs();
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.updates = new StatusUpdateManager({
      clock: deps.clock,
      log: deps.log,
      send: (update) => this.sendUpdate(update),
      retryMinMs: deps.config.statusUpdateRetryMinMs,
      retryMaxMs: deps.config.statusUpdateRetryMaxMs,
    });
    this.supervisor = new TaskSupervisor({
      clock: deps.clock,
      log: deps.log,
      containerizers: deps.containerizers,
      registry: this.registry,
      updates: this.updates,
      workDir: deps.config.workDir,
      executorShutdownGracePeriodMs: deps.config.executorShutdownGracePeriodMs,
      agentEndpoint: `${deps.config.advertiseIp}:${deps.port}`,
    });
  }

  /** Creates the work dir and starts registering; resolves without waiting for the master. */
  static async start(deps: AgentDeps): Promise<Agent> {
    await mkdir(deps.config.workDir, { recursive: true });
    const agent = new Agent(deps);
    agent.loop = agent.connectLoop();
    return agent;
  }

  get state(): AgentState {
    return this.current;
  }

  /** The id the master assigned; `undefined` before the first registration and after a SHUTDOWN. */
  agentId(): AgentId | undefined {
    return this.id;
  }

  /** Status updates queued and not yet acknowledged by their frameworks. */
  pendingStatusUpdates(): number {
    return this.updates.pendingCount();
  }

  /** What `/state` renders. */
  describe(): AgentStateInput {
    return {
      config: this.deps.config,
      agentId: this.id,
      port: this.deps.port,
      startTimeMs: this.startTimeMs,
      masterHostname: this.masterHostname,
      registry: this.registry,
    };
  }

  /**
   * Disconnects and cancels every timer. Tasks keep running: containers may outlive the agent
   * (their containerizer's owner decides). Idempotent.
   */
  stop(): Promise<void> {
    return this.terminate(false);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private moveTo(next: AgentState): void {
    if (!TRANSITIONS[this.current].includes(next)) {
      throw new MesoError('ILLEGAL_STATE', `agent cannot go from '${this.current}' to '${next}'`);
    }
    this.log.info('agent state changed', { from: this.current, to: next });
    this.current = next;
  }

  private terminate(killTasks: boolean): Promise<void> {
    this.stopping ??= (async () => {
      this.moveTo('stopped');
      this.stopController.abort();
      this.stopPing();
      this.updates.stop();
      await this.loop;
      await Promise.allSettled([...this.requests]);
      if (killTasks) {
        await this.supervisor.killAll(this.deps.config.executorShutdownGracePeriodMs);
        // A shut-down agent is a new agent to the master next time.
        this.id = undefined;
      }
      this.log.info('agent stopped', { killedTasks: killTasks });
      this.resolveStopped();
    })();
    return this.stopping;
  }

  private async connectLoop(): Promise<void> {
    const stopSignal = this.stopController.signal;
    let failures = 0;
    while (!stopSignal.aborted) {
      const masterUrl = await this.deps.detectMaster().catch((err: unknown) => {
        this.log.warn('master detection failed', { err: (err as Error).message });
        return undefined;
      });
      if (masterUrl === undefined) this.log.warn('no leading master detected');
      else if (await this.session(masterUrl)) failures = 0;
      if (stopSignal.aborted) return;
      if (this.current !== 'disconnected') this.moveTo('disconnected');
      const delayMs = backoffDelayMs(
        failures++,
        { initialMs: this.deps.config.registrationBackoffMs, maxMs: MAX_REGISTRATION_BACKOFF_MS },
        this.deps.random,
      );
      this.log.info('registration scheduled', { delayMs: Math.round(delayMs), attempt: failures });
      await sleep(this.deps.clock, delayMs, stopSignal);
      if (stopSignal.aborted) return;
      this.moveTo('registering');
    }
  }

  /** One connection: REGISTER, then events until the stream ends. Returns whether the master registered us. */
  private async session(masterUrl: string): Promise<boolean> {
    const connection: Connection = { masterUrl, controller: new AbortController() };
    const signal = AbortSignal.any([connection.controller.signal, this.stopController.signal]);
    this.connection = connection;
    let registered = false;
    try {
      const events = await this.deps.master.register(masterUrl, this.registerCall(), signal);
      for await (const event of events) {
        if (event.type === 'REGISTERED') {
          this.onRegistered(event.registered, connection);
          registered = true;
        } else if (registered && this.id !== undefined) {
          this.dispatch(event, this.id);
        } else {
          this.log.warn('event before registration ignored', { type: event.type });
        }
      }
      this.log.warn('master closed the event stream', { masterUrl });
    } catch (err) {
      if (connection.controller.signal.aborted)
        this.log.info('connection to master dropped to register again', { masterUrl });
      else if (!this.stopController.signal.aborted) {
        this.log.warn('connection to master lost', { masterUrl, err: (err as Error).message });
      }
    } finally {
      this.connection = undefined;
      this.stopPing();
      this.updates.pause();
      if (this.current !== 'stopped') this.moveTo('disconnected');
    }
    return registered;
  }

  private registerCall(): AgentCall {
    const { config, port } = this.deps;
    const id = this.id === undefined ? undefined : { value: this.id };
    return {
      type: 'REGISTER',
      ...(id !== undefined && { agent_id: id }),
      register: {
        agent_info: {
          hostname: config.hostname,
          port,
          resources: config.resources.toV1(),
          attributes: [...config.attributes],
          ...(id !== undefined && { id }),
        },
        url: agentUrl(config.advertiseIp, port),
        tasks: this.registry.reportedTasks(),
        frameworks: this.registry.frameworkInfos(),
        version: MESO_VERSION,
      },
    };
  }

  private onRegistered(
    registered: Extract<AgentEvent, { type: 'REGISTERED' }>['registered'],
    connection: Connection,
  ): void {
    const id = registered.agent_id.value as AgentId;
    if (this.id !== undefined && this.id !== id) {
      this.log.warn('master assigned a different agent id', { previousAgentId: this.id, agentId: id });
    }
    this.id = id;
    this.masterHostname = new URL(connection.masterUrl).hostname;
    if (this.current === 'registering') this.moveTo('registered');
    this.log.info('agent registered', {
      agentId: id,
      masterId: registered.master_id,
      masterUrl: connection.masterUrl,
    });
    this.schedulePing(registered.ping_interval_seconds * 1000, connection);
    this.updates.resume();
  }

  private dispatch(event: AgentEvent, agentId: AgentId): void {
    switch (event.type) {
      case 'RUN_TASK':
        this.supervisor.runTask(agentId, event.run_task.framework_info, event.run_task.task);
        return;
      case 'RUN_TASK_GROUP': {
        const { framework_info, executor, task_group } = event.run_task_group;
        this.supervisor.runTaskGroup(agentId, framework_info, executor, task_group.tasks);
        return;
      }
      case 'KILL_TASK': {
        const { framework_id, task_id, kill_policy } = event.kill_task;
        this.supervisor.killTask(
          agentId,
          framework_id.value as FrameworkId,
          task_id.value as TaskId,
          kill_policy,
        );
        return;
      }
      case 'ACKNOWLEDGE': {
        const frameworkId = event.acknowledge.framework_id.value as FrameworkId;
        const taskId = event.acknowledge.task_id.value as TaskId;
        if (this.updates.acknowledge(frameworkId, taskId, event.acknowledge.uuid) === 'stream-closed') {
          this.registry.complete(frameworkId, taskId);
        }
        return;
      }
      case 'SHUTDOWN_FRAMEWORK':
        this.supervisor.shutdownFramework(event.shutdown_framework.framework_id.value as FrameworkId);
        return;
      case 'SHUTDOWN_EXECUTOR': {
        const { framework_id, executor_id } = event.shutdown_executor;
        this.supervisor.shutdownExecutor(framework_id.value as FrameworkId, executor_id.value as ExecutorId);
        return;
      }
      case 'FRAMEWORK_MESSAGE':
        // The built-in executors take no messages (Mesos's command executor ignores them too).
        this.log.debug('framework message dropped', {
          executorId: event.framework_message.executor_id.value,
        });
        return;
      case 'SHUTDOWN':
        this.log.warn('master shut this agent down', { message: event.shutdown.message });
        void this.terminate(true);
        return;
      case 'REGISTERED':
      case 'HEARTBEAT':
        return;
    }
  }

  /** Pings every interval while the connection lasts; a refused or failed ping drops it (404: re-register). */
  private schedulePing(intervalMs: number, connection: Connection): void {
    this.stopPing();
    this.cancelPingTimer = this.deps.clock.after(intervalMs, () => {
      this.cancelPingTimer = undefined;
      this.track(
        this.ping(connection).then((ok) => {
          if (connection.controller.signal.aborted || this.current !== 'registered') return;
          if (ok) this.schedulePing(intervalMs, connection);
          else connection.controller.abort();
        }),
      );
    });
  }

  private async ping(connection: Connection): Promise<boolean> {
    const call: AgentCall = { type: 'PING', ...(this.id !== undefined && { agent_id: { value: this.id } }) };
    try {
      const status = await this.deps.master.send(connection.masterUrl, call, this.stopController.signal);
      if (status < 300) return true;
      this.log.warn(status === 404 ? 'master does not know this agent' : 'master refused a ping', { status });
    } catch (err) {
      this.log.warn('ping failed', { err: (err as Error).message });
    }
    return false;
  }

  private stopPing(): void {
    this.cancelPingTimer?.();
    this.cancelPingTimer = undefined;
  }

  /** The status update manager's `send`: one UPDATE call; a lost one is covered by its retry. */
  private sendUpdate(update: ForwardedUpdate): void {
    const connection = this.connection;
    if (connection === undefined || this.id === undefined) return;
    const call: AgentCall = {
      type: 'UPDATE',
      agent_id: { value: this.id },
      update: {
        framework_id: { value: update.frameworkId },
        status: update.status,
        latest_state: update.latestState,
      },
    };
    this.track(
      this.deps.master
        .send(connection.masterUrl, call, this.stopController.signal)
        .then((status) => {
          if (status === 404) connection.controller.abort();
          else if (status >= 300) this.log.warn('master refused a status update', { status });
        })
        .catch((err: unknown) =>
          this.log.debug('status update not delivered', { err: (err as Error).message }),
        ),
    );
  }

  private track(request: Promise<void>): void {
    this.requests.add(request);
    void request.finally(() => this.requests.delete(request));
  }
}
