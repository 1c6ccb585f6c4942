/**
 * Reliable delivery of task status updates (Mesos's task status update manager). Per task a FIFO
 * stream; only the head is in flight. The head is re-sent with exponential backoff until the
 * framework's ACKNOWLEDGE (relayed by the master) names its uuid; then the next update goes out at
 * once. A terminal update's acknowledgement closes the stream.
 *
 * With a `persist` dependency (the agent's checkpoint) every change of a stream is written, and an
 * update leaves the agent only once a write covering it has completed, as Mesos checkpoints before
 * forwarding: an update the master has seen is one a restarted agent still knows.
 *
 * No I/O of its own, no clock reads besides the injected `Clock`'s timers: `send` is
 * fire-and-forget, and a lost send is covered by the retry.
 */
import type { Clock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import type { FrameworkId, TaskId } from '../core/ids.js';
import { isTerminalState, type TaskState, type TaskStatus } from '../core/v1/tasks.js';
import type { Logger } from '../log/logger.js';

/** What goes to the master: the stream's head, plus the state at its tail (the task's real state). */
export interface ForwardedUpdate {
  readonly frameworkId: FrameworkId;
  readonly status: TaskStatus;
  readonly latestState: TaskState;
}

/** What `persist` writes for one task: its latest state and the updates not yet acknowledged. */
export interface PersistedStream {
  readonly latestState: TaskState;
  readonly pending: readonly TaskStatus[];
}

export interface StatusUpdateManagerDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly send: (update: ForwardedUpdate) => void;
  /** First retry interval; each retry of the same head doubles it, up to `retryMaxMs`. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  /**
   * Makes a stream durable; called after every change, never twice at once for one task. A
   * failure is logged and the updates are sent anyway (delivery wins over durability).
   * @default none: updates are sent at once
   */
  readonly persist?: (frameworkId: FrameworkId, taskId: TaskId, stream: PersistedStream) => Promise<void>;
}

/** `acknowledged`: the head was removed; `stream-closed`: it was terminal, the task's stream is gone. */
export type AckOutcome = 'ignored' | 'acknowledged' | 'stream-closed';

interface Stream {
  readonly frameworkId: FrameworkId;
  readonly taskId: TaskId;
  readonly queue: TaskStatus[];
  /** State of the latest update ever queued, acknowledged or not. */
  latestState: TaskState;
  retryIntervalMs: number;
  cancelRetry: (() => void) | undefined;
  /** Uuids of queued updates already written by `persist`. */
  readonly durable: Set<string>;
  /** Uuids acknowledged on this stream: a re-submitted one is not queued again. */
  readonly acknowledged: Set<string>;
  /** Resolvers of `update` calls, by uuid, waiting for their update to be durable. */
  readonly waiting: Map<string, (() => void)[]>;
  writing: boolean;
  /** Changed while a write was in flight: write again when it completes. */
  dirty: boolean;
  closed: boolean;
}

export class StatusUpdateManager {
  private readonly streams = new Map<FrameworkId, Map<TaskId, Stream>>();
  /** `persist` calls in flight. */
  private readonly writes = new Set<Promise<void>>();
  /** While paused (no master, or stopped) updates queue up and nothing is sent or retried. */
  private paused = true;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly deps: StatusUpdateManagerDeps) {
    this.log = deps.log.child({ component: 'agent.status-updates' });
  }

  /**
   * Queues `status` (which must carry a uuid) on its task's stream; it is sent once durable and at
   * the head. Resolves once it is durable (at once without `persist`). A uuid already queued or
   * acknowledged for the task is not queued again, so re-submitting is harmless.
   */
  update(frameworkId: FrameworkId, status: TaskStatus): Promise<void> {
    const uuid = status.uuid;
    if (uuid === undefined) {
      throw new MesoError('ILLEGAL_STATE', 'a reliable status update needs a uuid');
    }
    const stream = this.stream(frameworkId, status.task_id.value as TaskId, status.state);
    if (stream.acknowledged.has(uuid) || stream.durable.has(uuid)) return Promise.resolve();
    const durable = new Promise<void>((resolve) =>
      stream.waiting.set(uuid, [...(stream.waiting.get(uuid) ?? []), resolve]),
    );
    if (!stream.queue.some((queued) => queued.uuid === uuid)) {
      stream.queue.push(status);
      stream.latestState = status.state;
      this.persist(stream);
    }
    return durable;
  }

  /**
   * Puts back a stream read from the checkpoint after an agent restart: its updates are durable
   * already and go out on `resume`.
   */
  restore(frameworkId: FrameworkId, taskId: TaskId, persisted: PersistedStream): void {
    const stream = this.stream(frameworkId, taskId, persisted.latestState);
    stream.latestState = persisted.latestState;
    for (const status of persisted.pending) {
      if (status.uuid === undefined) continue;
      stream.queue.push(status);
      stream.durable.add(status.uuid);
    }
  }

  /** Handles the framework's acknowledgement; a uuid other than the head's is stale and ignored. */
  acknowledge(frameworkId: FrameworkId, taskId: TaskId, uuid: string): AckOutcome {
    const stream = this.streams.get(frameworkId)?.get(taskId);
    const head = stream?.queue[0];
    if (stream === undefined || head === undefined || head.uuid !== uuid) {
      this.log.debug('stale acknowledgement ignored', { frameworkId, taskId, uuid, headUuid: head?.uuid });
      return 'ignored';
    }
    this.cancelRetry(stream);
    stream.queue.shift();
    stream.durable.delete(uuid);
    stream.acknowledged.add(uuid);
    if (isTerminalState(head.state)) {
      this.removeStream(stream);
      return 'stream-closed';
    }
    stream.retryIntervalMs = this.deps.retryMinMs;
    this.persist(stream);
    if (stream.cancelRetry === undefined) this.sendHead(stream);
    return 'acknowledged';
  }

  /** Stops sending and retrying (the master is gone); queued updates are kept. */
  pause(): void {
    this.paused = true;
    for (const stream of this.allStreams()) this.cancelRetry(stream);
  }

  /** Sends every stream's head at once (a master just registered us) and restarts the backoff. */
  resume(): void {
    if (this.stopped) return;
    this.paused = false;
    for (const stream of this.allStreams()) {
      stream.retryIntervalMs = this.deps.retryMinMs;
      this.sendHead(stream);
    }
  }

  /** Drops every stream of a framework that is gone; their updates will never be acknowledged. */
  cleanup(frameworkId: FrameworkId): void {
    for (const stream of this.streams.get(frameworkId)?.values() ?? []) {
      this.cancelRetry(stream);
      stream.closed = true;
    }
    this.streams.delete(frameworkId);
  }

  /** Resolves once every queued update is durable (and, unless paused, its stream's head was sent). */
  async flush(): Promise<void> {
    while (this.writes.size > 0) await Promise.all([...this.writes]);
  }

  /** Updates queued and not yet acknowledged, over every task's stream. */
  pendingCount(): number {
    let count = 0;
    for (const stream of this.allStreams()) count += stream.queue.length;
    return count;
  }

  /** Cancels every timer; nothing is sent afterwards. */
  stop(): void {
    this.stopped = true;
    this.pause();
  }

  private stream(frameworkId: FrameworkId, taskId: TaskId, state: TaskState): Stream {
    let byTask = this.streams.get(frameworkId);
    if (byTask === undefined) this.streams.set(frameworkId, (byTask = new Map()));
    let stream = byTask.get(taskId);
    if (stream === undefined) {
      stream = {
        frameworkId,
        taskId,
        queue: [],
        latestState: state,
        retryIntervalMs: this.deps.retryMinMs,
        cancelRetry: undefined,
        durable: new Set(),
        acknowledged: new Set(),
        waiting: new Map(),
        writing: false,
        dirty: false,
        closed: false,
      };
      byTask.set(taskId, stream);
    }
    return stream;
  }

  /** Writes the stream (one write at a time per stream), then sends what became durable. */
  private persist(stream: Stream): void {
    const { persist } = this.deps;
    if (persist === undefined) {
      this.markDurable(stream, stream.queue);
      return;
    }
    if (stream.writing) {
      stream.dirty = true;
      return;
    }
    const written = [...stream.queue];
    stream.writing = true;
    const write = persist(stream.frameworkId, stream.taskId, {
      latestState: stream.latestState,
      pending: written,
    })
      .catch((err: unknown) =>
        this.log.error('status updates could not be checkpointed; sending them anyway', {
          frameworkId: stream.frameworkId,
          taskId: stream.taskId,
          err: (err as Error).message,
        }),
      )
      .then(() => {
        stream.writing = false;
        this.markDurable(stream, written);
        if (stream.dirty && !stream.closed) {
          stream.dirty = false;
          this.persist(stream);
        }
      });
    this.writes.add(write);
    void write.finally(() => this.writes.delete(write));
  }

  private markDurable(stream: Stream, written: readonly TaskStatus[]): void {
    for (const { uuid } of written) {
      if (uuid === undefined || !stream.queue.some((queued) => queued.uuid === uuid)) continue;
      stream.durable.add(uuid);
      for (const resolve of stream.waiting.get(uuid) ?? []) resolve();
      stream.waiting.delete(uuid);
    }
    // A head already in flight keeps its retry timer; a head that just became durable goes out.
    if (stream.cancelRetry === undefined) this.sendHead(stream);
  }

  private sendHead(stream: Stream): void {
    const head = stream.queue[0];
    const tail = stream.queue[stream.queue.length - 1];
    if (this.paused || stream.closed || head === undefined || tail === undefined) return;
    if (head.uuid === undefined || !stream.durable.has(head.uuid)) return;
    this.deps.send({ frameworkId: stream.frameworkId, status: head, latestState: tail.state });
    this.cancelRetry(stream);
    stream.cancelRetry = this.deps.clock.after(stream.retryIntervalMs, () => {
      stream.cancelRetry = undefined;
      this.log.debug('status update retried', {
        frameworkId: stream.frameworkId,
        taskId: stream.taskId,
        state: head.state,
        afterMs: stream.retryIntervalMs,
      });
      stream.retryIntervalMs = Math.min(stream.retryIntervalMs * 2, this.deps.retryMaxMs);
      this.sendHead(stream);
    });
  }

  private cancelRetry(stream: Stream): void {
    stream.cancelRetry?.();
    stream.cancelRetry = undefined;
  }

  private removeStream(stream: Stream): void {
    stream.closed = true;
    const byTask = this.streams.get(stream.frameworkId);
    byTask?.delete(stream.taskId);
    if (byTask?.size === 0) this.streams.delete(stream.frameworkId);
  }

  private *allStreams(): Generator<Stream> {
    for (const byTask of this.streams.values()) yield* byTask.values();
  }
}
