/**
 * Reliable delivery of task status updates (Mesos's task status update manager, without its
 * checkpointing yet). Per task a FIFO stream; only the head is in flight. The head is re-sent with
 * exponential backoff until the framework's ACKNOWLEDGE (relayed by the master) names its uuid;
 * then the next update goes out at once. A terminal update's acknowledgement closes the stream.
 *
 * No I/O, no clock reads besides the injected `Clock`'s timers: `send` is fire-and-forget, and a
 * lost send is covered by the retry.
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

export interface StatusUpdateManagerDeps {
  readonly clock: Clock;
  readonly log: Logger;
  readonly send: (update: ForwardedUpdate) => void;
  /** First retry interval; each retry of the same head doubles it, up to `retryMaxMs`. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

/** `acknowledged`: the head was removed; `stream-closed`: it was terminal, the task's stream is gone. */
export type AckOutcome = 'ignored' | 'acknowledged' | 'stream-closed';

interface Stream {
  readonly frameworkId: FrameworkId;
  readonly taskId: TaskId;
  readonly queue: TaskStatus[];
  retryIntervalMs: number;
  cancelRetry: (() => void) | undefined;
}

export class StatusUpdateManager {
  private readonly streams = new Map<FrameworkId, Map<TaskId, Stream>>();
  /** While paused (no master, or stopped) updates queue up and nothing is sent or retried. */
  private paused = true;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly deps: StatusUpdateManagerDeps) {
    this.log = deps.log.child({ component: 'agent.status-updates' });
  }

  /**
   * Queues `status` (which must carry a uuid) on its task's stream; sends it at once when it is the
   * head. A uuid already queued for the task is ignored, so re-submitting is harmless.
   */
  update(frameworkId: FrameworkId, status: TaskStatus): void {
    if (status.uuid === undefined) {
      throw new MesoError('ILLEGAL_STATE', 'a reliable status update needs a uuid');
    }
    const taskId = status.task_id.value as TaskId;
    let byTask = this.streams.get(frameworkId);
    if (byTask === undefined) this.streams.set(frameworkId, (byTask = new Map()));
    let stream = byTask.get(taskId);
    if (stream === undefined) {
      stream = {
        frameworkId,
        taskId,
        queue: [],
        retryIntervalMs: this.deps.retryMinMs,
        cancelRetry: undefined,
      };
      byTask.set(taskId, stream);
    }
    if (stream.queue.some((queued) => queued.uuid === status.uuid)) return;
    stream.queue.push(status);
    if (stream.queue.length === 1) this.sendHead(stream);
  }

  /** Handles the framework's acknowledgement; a uuid other than the head's is stale and ignored. */
  acknowledge(frameworkId: FrameworkId, taskId: TaskId, uuid: string): AckOutcome {
    const stream = this.streams.get(frameworkId)?.get(taskId);
    const head = stream?.queue[0];
    if (stream === undefined || head === undefined || head.uuid !== uuid) {
      this.log.debug('stale acknowledgement ignored', { frameworkId, taskId, uuid, headUuid: head?.uuid });
      return 'ignored';
    }
    stream.cancelRetry?.();
    stream.cancelRetry = undefined;
    stream.queue.shift();
    if (isTerminalState(head.state)) {
      this.removeStream(stream);
      return 'stream-closed';
    }
    stream.retryIntervalMs = this.deps.retryMinMs;
    if (stream.queue.length > 0) this.sendHead(stream);
    return 'acknowledged';
  }

  /** Stops sending and retrying (the master is gone); queued updates are kept. */
  pause(): void {
    this.paused = true;
    for (const stream of this.allStreams()) {
      stream.cancelRetry?.();
      stream.cancelRetry = undefined;
    }
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
    for (const stream of this.streams.get(frameworkId)?.values() ?? []) stream.cancelRetry?.();
    this.streams.delete(frameworkId);
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

  private sendHead(stream: Stream): void {
    const head = stream.queue[0];
    const tail = stream.queue[stream.queue.length - 1];
    if (this.paused || head === undefined || tail === undefined) return;
    this.deps.send({ frameworkId: stream.frameworkId, status: head, latestState: tail.state });
    stream.cancelRetry?.();
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

  private removeStream(stream: Stream): void {
    const byTask = this.streams.get(stream.frameworkId);
    byTask?.delete(stream.taskId);
    if (byTask?.size === 0) this.streams.delete(stream.frameworkId);
  }

  private *allStreams(): Generator<Stream> {
    for (const byTask of this.streams.values()) yield* byTask.values();
  }
}
