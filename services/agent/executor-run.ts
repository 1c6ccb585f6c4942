/**
 * One custom executor as the agent tracks it: its lifecycle state, its container, its event
 * stream (when subscribed) with the events the agent writes on it, and its one timer besides the
 * heartbeat (registration, re-registration or shutdown). The decisions are `CustomExecutors`'.
 *
 *   launching ──container started──▶ registering ──SUBSCRIBE──▶ subscribed ◀──SUBSCRIBE──┐
 *       │                                │                          │                     │
 *       │                  registration timeout              stream closed ──▶ disconnected
 *       ▼                                ▼                          ▼          (checkpointing
 *   terminated ◀──container ended── terminating ◀─SHUTDOWN / kill / re-registration timeout─ only)
 */
import type { Clock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import type { AgentId, ExecutorId, FrameworkId } from '../core/ids.js';
import type { AgentInfo } from '../core/v1/cluster.js';
import type { KillPolicy, TaskReason } from '../core/v1/tasks.js';
import type { EventSink } from '../transport/event-stream.js';
import type { Containerizer } from './containerizer/containerizer.js';
import type { ExecutorEvent } from './executor-calls.js';
import type { ExecutorEntry, FrameworkEntry, TaskEntry } from './task-registry.js';

export type RunState =
  'launching' | 'registering' | 'subscribed' | 'disconnected' | 'terminating' | 'terminated';

const TRANSITIONS: Readonly<Record<RunState, readonly RunState[]>> = {
  launching: ['registering', 'subscribed', 'terminating', 'terminated'],
  registering: ['subscribed', 'terminating', 'terminated'],
  subscribed: ['subscribed', 'disconnected', 'terminating', 'terminated'],
  disconnected: ['subscribed', 'terminating', 'terminated'],
  terminating: ['terminated'],
  terminated: [],
};

/** Mesos's `--http_heartbeat_interval`: HEARTBEAT events keep idle streams from being cut. */
export const EXECUTOR_HEARTBEAT_INTERVAL_MS = 30_000;

/** Tasks handed to the executor together: one LAUNCH, or one LAUNCH_GROUP. */
export interface Launch {
  readonly tasks: TaskEntry[];
  readonly group: boolean;
}

export const runKey = (frameworkId: FrameworkId, executorId: ExecutorId): string =>
  `${frameworkId}/${executorId}`;

export class ExecutorRun {
  state: RunState;
  containerizer: Containerizer | undefined;
  sink: EventSink<ExecutorEvent> | undefined;
  /** Launches waiting for the executor to subscribe. */
  readonly queued: Launch[] = [];
  /** Why the agent ended the executor, if it did: the reason its live tasks fail with. */
  endReason: TaskReason | undefined;
  private cancelTimer: (() => void) | undefined;
  private cancelHeartbeat: (() => void) | undefined;

  constructor(
    readonly agentId: AgentId,
    readonly framework: FrameworkEntry,
    readonly executor: ExecutorEntry,
    state: RunState,
    containerizer: Containerizer | undefined,
  ) {
    this.state = state;
    this.containerizer = containerizer;
  }

  get key(): string {
    return runKey(this.framework.id, this.executor.id);
  }

  moveTo(next: RunState): void {
    if (!TRANSITIONS[this.state].includes(next)) {
      throw new MesoError('ILLEGAL_STATE', `executor cannot go from '${this.state}' to '${next}'`);
    }
    this.state = next;
  }

  /** Replaces the pending timer (at most one: registration, re-registration or shutdown). */
  setTimer(clock: Clock, delayMs: number, fn: () => void): void {
    this.cancelTimer?.();
    this.cancelTimer = clock.after(delayMs, () => {
      this.cancelTimer = undefined;
      fn();
    });
  }

  cancelTimers(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = undefined;
  }

  /** Takes `sink` as the executor's stream (closing a previous one) and writes SUBSCRIBED on it. */
  attach(sink: EventSink<ExecutorEvent>, agentInfo: AgentInfo): void {
    const previous = this.sink;
    this.sink = sink;
    previous?.close();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    sink.send({
      type: 'SUBSCRIBED',
      subscribed: {
        executor_info: this.executor.info ?? { executor_id: { value: this.executor.id }, resources: [] },
        framework_info: this.framework.info,
        agent_info: agentInfo,
        container_id: { value: this.executor.containerId },
      },
    });
  }

  /** Forgets the stream (it closed); `false` when `sink` had been replaced already. */
  detach(sink: EventSink<ExecutorEvent>): boolean {
    if (this.sink !== sink) return false;
    this.sink = undefined;
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = undefined;
    return true;
  }

  sendLaunch(launch: Launch): void {
    const infos = launch.tasks.map((task) => task.info);
    const [first] = infos;
    if (first === undefined) return;
    this.sink?.send(
      launch.group
        ? { type: 'LAUNCH_GROUP', launch_group: { task_group: { tasks: infos } } }
        : { type: 'LAUNCH', launch: { task: first } },
    );
  }

  sendKill(task: TaskEntry, killPolicy: KillPolicy | undefined): void {
    const policy = killPolicy ?? task.info.kill_policy;
    this.sink?.send({
      type: 'KILL',
      kill: { task_id: task.info.task_id, ...(policy !== undefined && { kill_policy: policy }) },
    });
  }

  /** HEARTBEAT every `EXECUTOR_HEARTBEAT_INTERVAL_MS` while `sink` is the stream. */
  heartbeat(clock: Clock, sink: EventSink<ExecutorEvent>): void {
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = clock.after(EXECUTOR_HEARTBEAT_INTERVAL_MS, () => {
      if (this.sink !== sink) return;
      sink.send({ type: 'HEARTBEAT' });
      this.heartbeat(clock, sink);
    });
  }
}
