/**
 * Many lightweight agents in one process, speaking the real master ↔ agent protocol
 * (`services/core/agent-protocol.ts`) through the agent's own `HttpMasterClient`: a REGISTER
 * stream, PINGs, status UPDATEs. No containers: a task "runs" as soon as RUN_TASK arrives and is
 * reported TASK_RUNNING. After the stream ends an agent behaves like `meso agent`: it backs off
 * (Mesos's registration backoff, with jitter), asks its `DetectMaster` (which waits for a new
 * leader), and re-registers with its id and every task it runs.
 *
 * As in `master_benchmarks.cpp` and the Mesos paper (performance-anchors.md §4), this is how a
 * benchmark reaches thousands of agents on one machine.
 */
import { randomBytes } from 'node:crypto';
import { HttpMasterClient } from '../../services/agent/master-client.js';
import type { DetectMaster } from '../../services/agent/index.js';
import type { AgentCall, AgentEvent, AgentTask } from '../../services/core/agent-protocol.js';
import type { Clock } from '../../services/core/clock.js';
import type { FrameworkInfo } from '../../services/core/v1/cluster.js';
import type { Resource } from '../../services/core/v1/common.js';
import type { Logger } from '../../services/log/logger.js';
import { backoffDelayMs } from '../../services/scheduler/backoff.js';
import { sleep } from '../../services/scheduler/index.js';

export interface EmulatedAgentOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** One per agent (a follower keeps per-agent state); called before every registration. */
  readonly detectMaster: () => DetectMaster;
  readonly resources: readonly Resource[];
  /** Initial registration backoff (`--registration_backoff_factor`). */
  readonly backoffMs: number;
  readonly random: () => number;
}

/** Registration backoff cap, as the real agent's (Mesos caps it at 1 min). */
const MAX_BACKOFF_MS = 60_000;

export class EmulatedAgent {
  /** Assigned by the master on first registration. */
  id: string | undefined;
  /** The master that registered this agent last, and when (clock ms). */
  registration: { readonly masterId: string; readonly atMs: number } | undefined;
  private readonly tasks = new Map<string, AgentTask>();
  private readonly frameworks = new Map<string, FrameworkInfo>();
  private readonly client: HttpMasterClient;
  private readonly detect: DetectMaster;
  private readonly stopping = new AbortController();
  private loop: Promise<void> = Promise.resolve();

  constructor(
    private readonly index: number,
    private readonly options: EmulatedAgentOptions,
  ) {
    this.client = new HttpMasterClient({ clock: options.clock, log: options.log });
    this.detect = options.detectMaster();
  }

  get taskCount(): number {
    return this.tasks.size;
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopping.signal.aborted) {
      const url = await this.detect().catch(() => undefined);
      if (url !== undefined && (await this.session(url))) failures = 0;
      if (this.stopping.signal.aborted) return;
      const policy = { initialMs: this.options.backoffMs, maxMs: MAX_BACKOFF_MS };
      await sleep(
        this.options.clock,
        backoffDelayMs(failures++, policy, this.options.random),
        this.stopping.signal,
      );
    }
  }

  /** One REGISTER stream, until it ends; whether the master registered us. */
  private async session(masterUrl: string): Promise<boolean> {
    const connection = new AbortController();
    const signal = AbortSignal.any([connection.signal, this.stopping.signal]);
    let cancelPing: () => void = () => undefined;
    let registered = false;
    try {
      const events = await this.client.register(masterUrl, this.registerCall(), signal);
      for await (const event of events) {
        if (event.type === 'REGISTERED') {
          registered = true;
          this.id = event.registered.agent_id.value;
          this.registration = { masterId: event.registered.master_id, atMs: this.options.clock.nowMs() };
          cancelPing = this.schedulePing(
            masterUrl,
            event.registered.ping_interval_seconds * 1000,
            connection,
          );
        } else this.handle(masterUrl, event, signal);
      }
    } catch {
      // The master went away or refused us: back off and detect the leader again.
    } finally {
      cancelPing();
    }
    return registered;
  }

  private handle(masterUrl: string, event: AgentEvent, signal: AbortSignal): void {
    switch (event.type) {
      case 'RUN_TASK': {
        const { framework_info: info, task } = event.run_task;
        const frameworkId = info.id?.value ?? '';
        this.frameworks.set(frameworkId, info);
        this.tasks.set(`${frameworkId}/${task.task_id.value}`, {
          framework_id: { value: frameworkId },
          task,
          state: 'TASK_RUNNING',
        });
        this.update(masterUrl, frameworkId, task.task_id.value, signal);
        return;
      }
      case 'SHUTDOWN_FRAMEWORK': {
        const frameworkId = event.shutdown_framework.framework_id.value;
        for (const [key, task] of this.tasks)
          if (task.framework_id.value === frameworkId) this.tasks.delete(key);
        this.frameworks.delete(frameworkId);
        return;
      }
      default:
        // ACKNOWLEDGE needs nothing (updates are not retried here); the rest does not occur.
        return;
    }
  }

  /** One TASK_RUNNING update; fire and forget. */
  private update(masterUrl: string, frameworkId: string, taskId: string, signal: AbortSignal): void {
    if (this.id === undefined) return;
    const call: AgentCall = {
      type: 'UPDATE',
      agent_id: { value: this.id },
      update: {
        framework_id: { value: frameworkId },
        status: {
          task_id: { value: taskId },
          state: 'TASK_RUNNING',
          source: 'SOURCE_EXECUTOR',
          uuid: randomBytes(16).toString('base64'),
          timestamp: this.options.clock.nowMs() / 1000,
        },
        latest_state: 'TASK_RUNNING',
      },
    };
    this.client.send(masterUrl, call, signal).catch(() => undefined);
  }

  /** PINGs every interval while the connection lasts; a refused or failed ping ends it. */
  private schedulePing(masterUrl: string, intervalMs: number, connection: AbortController): () => void {
    let cancel = this.options.clock.after(intervalMs, () => {
      const ping: AgentCall = {
        type: 'PING',
        ...(this.id !== undefined && { agent_id: { value: this.id } }),
      };
      this.client.send(masterUrl, ping, this.stopping.signal).then(
        (status) => {
          if (status >= 300) connection.abort();
          else if (!connection.signal.aborted) cancel = this.schedulePing(masterUrl, intervalMs, connection);
        },
        () => connection.abort(),
      );
    });
    return () => cancel();
  }

  private registerCall(): AgentCall {
    return {
      type: 'REGISTER',
      ...(this.id !== undefined && { agent_id: { value: this.id } }),
      register: {
        agent_info: {
          hostname: `emulated-${this.index}`,
          port: 5051,
          resources: [...this.options.resources],
          attributes: [],
          ...(this.id !== undefined && { id: { value: this.id } }),
        },
        url: `http://127.0.0.1:${20_000 + this.index}`,
        tasks: [...this.tasks.values()],
        frameworks: [...this.frameworks.values()],
        completed_tasks: [],
        completed_frameworks: [],
      },
    };
  }
}

/** `count` emulated agents, started together. */
export function startEmulatedAgents(count: number, options: EmulatedAgentOptions): EmulatedAgent[] {
  const agents = Array.from({ length: count }, (_, i) => new EmulatedAgent(i, options));
  for (const agent of agents) agent.start();
  return agents;
}
