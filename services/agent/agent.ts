/**
 * The agent daemon's core: recovers its checkpoint, registers with the leading master, follows its
 * event stream, keeps the connection alive with pings, and re-registers (same agent id, full task
 * list) whenever the stream ends. The work itself is `AgentTasks`'; its status updates are sent
 * only while the agent is registered.
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
import type { AgentId, ExecutorId, FrameworkId } from '../core/ids.js';
import type { AgentInfo } from '../core/v1/cluster.js';
import { MESO_VERSION } from '../core/version.js';
import type { Logger } from '../log/logger.js';
import { backoffDelayMs } from '../scheduler/backoff.js';
import { sleep } from '../scheduler/sleep.js';
import { type AgentConfig, agentUrl } from './agent-config.js';
import type { Containerizer } from './containerizer/containerizer.js';
import type { DetectMaster, MasterClient } from './master-client.js';
import { AgentTasks } from './agent-tasks.js';
import type { CustomExecutors } from './custom-executors.js';
import type { AgentStateInput } from './state-json.js';
import type { ForwardedUpdate } from './status-update-manager.js';

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
  private readonly tasks: AgentTasks;
  private readonly log: Logger;
  private readonly startTimeMs: number;
  /** Resolves once the agent stopped, whether by `stop()` or because the master shut it down. */
  readonly stopped: Promise<void>;

  private constructor(private readonly deps: AgentDeps) {
    this.log = deps.log.child({ component: 'agent' });
    this.startTimeMs = deps.clock.nowMs();
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.tasks = new AgentTasks({
      config: deps.config,
      clock: deps.clock,
      log: deps.log,
      containerizers: deps.containerizers,
      agentEndpoint: `${deps.config.advertiseIp}:${deps.port}`,
      agentInfo: () => this.agentInfo(),
      sendUpdate: (update) => this.sendUpdate(update),
      sendExecutorMessage: (frameworkId, executorId, data) =>
        this.sendExecutorMessage(frameworkId, executorId, data),
    });
  }

  /**
   * Creates the work dir, recovers the checkpoint (adopting the containers of a previous run), and
   * starts registering; resolves without waiting for the master.
   */
  static async start(deps: AgentDeps): Promise<Agent> {
    await mkdir(deps.config.workDir, { recursive: true });
    const agent = new Agent(deps);
    agent.id = await agent.tasks.recover();
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
    return this.tasks.updates.pendingCount();
  }

  /** Custom executors, for the executor API. */
  executors(): CustomExecutors {
    return this.tasks.executors;
  }

  /** What `/state` renders. */
  describe(): AgentStateInput {
    return {
      config: this.deps.config,
      agentId: this.id,
      port: this.deps.port,
      startTimeMs: this.startTimeMs,
      masterHostname: this.masterHostname,
      registry: this.tasks.registry,
    };
  }

  /**
   * Kills the tasks that could not be re-attached after a restart (process containers; see
   * `AgentTasks.stopUnrecoverable`), then disconnects and cancels every timer. Docker containers
   * keep running for the next agent to adopt. Idempotent.
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
      const graceMs = this.deps.config.executorShutdownGracePeriodMs;
      if (!killTasks) {
        // While still connected, so that their last updates can reach the master.
        await this.tasks.stopUnrecoverable(graceMs);
        await Promise.allSettled([...this.requests]);
      }
      this.moveTo('stopped');
      this.stopController.abort();
      this.stopPing();
      this.tasks.stop();
      await this.loop;
      await Promise.allSettled([...this.requests]);
      if (killTasks) {
        await this.tasks.shutdown(this.id, graceMs);
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
          await this.onRegistered(event.registered, connection);
          registered = true;
        } else if (event.type === 'SHUTDOWN') {
          this.log.warn('master shut this agent down', { message: event.shutdown.message });
          void this.terminate(true);
        } else if (registered && this.id !== undefined) {
          this.tasks.handle(event, this.id);
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
      this.tasks.updates.pause();
      if (this.current !== 'stopped') this.moveTo('disconnected');
    }
    return registered;
  }

  /** This agent as the master knows it: `REGISTER`'s `agent_info`, also the executors' SUBSCRIBED. */
  private agentInfo(): AgentInfo {
    const { config, port } = this.deps;
    return {
      hostname: config.hostname,
      port,
      resources: config.resources.toV1(),
      attributes: [...config.attributes],
      ...(this.id !== undefined && { id: { value: this.id } }),
    };
  }

  private registerCall(): AgentCall {
    const { config, port } = this.deps;
    const { registry } = this.tasks;
    return {
      type: 'REGISTER',
      ...(this.id !== undefined && { agent_id: { value: this.id } }),
      register: {
        agent_info: this.agentInfo(),
        url: agentUrl(config.advertiseIp, port),
        tasks: registry.reportedTasks(),
        frameworks: registry.frameworkInfos(),
        completed_tasks: registry.reportedCompletedTasks(),
        completed_frameworks: registry.completedFrameworkInfos(),
        version: MESO_VERSION,
      },
    };
  }

  /** Checkpoints the agent id before going on: the tasks that follow are filed under it. */
  private async onRegistered(
    registered: Extract<AgentEvent, { type: 'REGISTERED' }>['registered'],
    connection: Connection,
  ): Promise<void> {
    const id = registered.agent_id.value as AgentId;
    if (this.id !== undefined && this.id !== id) {
      this.log.warn('master assigned a different agent id', { previousAgentId: this.id, agentId: id });
    }
    if (this.id !== id) await this.tasks.registered(id);
    this.id = id;
    this.masterHostname = new URL(connection.masterUrl).hostname;
    if (this.current === 'registering') this.moveTo('registered');
    this.log.info('agent registered', {
      agentId: id,
      masterId: registered.master_id,
      masterUrl: connection.masterUrl,
    });
    this.schedulePing(registered.ping_interval_seconds * 1000, connection);
    this.tasks.updates.resume();
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
    this.call(
      (agentId) => ({
        type: 'UPDATE',
        agent_id: { value: agentId },
        update: {
          framework_id: { value: update.frameworkId },
          status: update.status,
          latest_state: update.latestState,
        },
      }),
      'status update',
    );
  }

  /** An executor's MESSAGE for its framework: best effort, as in Mesos. */
  private sendExecutorMessage(frameworkId: FrameworkId, executorId: ExecutorId, data: string): void {
    this.call(
      (agentId) => ({
        type: 'EXECUTOR_MESSAGE',
        agent_id: { value: agentId },
        executor_message: { framework_id: { value: frameworkId }, executor_id: { value: executorId }, data },
      }),
      'executor message',
    );
  }

  /** One call over the current connection; nothing without one. A 404 makes the agent register again. */
  private call(build: (agentId: AgentId) => AgentCall, what: string): void {
    const connection = this.connection;
    if (connection === undefined || this.id === undefined) return;
    this.track(
      this.deps.master
        .send(connection.masterUrl, build(this.id), this.stopController.signal)
        .then((status) => {
          if (status === 404) connection.controller.abort();
          else if (status >= 300) this.log.warn('master refused a call', { what, status });
        })
        .catch((err: unknown) => this.log.debug('call not delivered', { what, err: (err as Error).message })),
    );
  }

  private track(request: Promise<void>): void {
    this.requests.add(request);
    void request.finally(() => this.requests.delete(request));
  }
}
