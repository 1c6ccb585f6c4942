/**
 * The scheduler SDK's connection to the master: one SUBSCRIBE stream, kept alive across master
 * failovers, plus typed calls. Mesos's v1 scheduler HTTP API, JSON flavour.
 *
 * Lifecycle (`SchedulerClientState`):
 *
 *   idle --subscribe()--> connecting --SUBSCRIBED--> subscribed
 *                             ^   |                      |
 *                             |   v  (failure)           v  (stream ended, heartbeats missed)
 *                           reconnecting <---------------+
 *
 *   any state --close(), teardown(), ERROR event, non-retryable SUBSCRIBE failure--> closed
 *
 * After the first SUBSCRIBED the client re-subscribes with the framework id it was given, so the
 * master treats the reconnection as the same framework (within its `failover_timeout`).
 */
import { type Clock, systemClock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import {
  frameworkRoles,
  type Filters,
  type FrameworkInfo,
  FrameworkInfoSchema,
  type Offer,
} from '../core/v1/cluster.js';
import type { Id } from '../core/v1/common.js';
import { type SchedulerEvent, SchedulerCallSchema } from '../core/v1/scheduler.js';
import type { KillPolicy, TaskStatus } from '../core/v1/tasks.js';
import { parseWith } from '../core/validation.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { type BackoffPolicy, backoffDelayMs } from './backoff.js';
import type {
  Call,
  CallBody,
  FrameworkInfoInput,
  LaunchTaskInput,
  OperationInput,
  ReconcileTask,
} from './call-types.js';
import { describeError, isRetryable, SchedulerError } from './errors.js';
import { EventQueue } from './event-queue.js';
import { decodeEvent, DEFAULT_HEARTBEAT_INTERVAL_SECONDS } from './events.js';
import { HeartbeatWatchdog } from './heartbeat-watchdog.js';
import { openSubscription, postScheduler } from './master-http.js';
import type { MasterLocator } from './master-locator.js';
import { sleep } from './sleep.js';

export interface SchedulerClientOptions {
  readonly master: MasterLocator;
  /** The framework to subscribe; set `id` to fail over an existing framework. */
  readonly framework: FrameworkInfoInput;
  /** Roles to subscribe suppressed (no offers until `revive`). @default [] */
  readonly suppressedRoles?: readonly string[];
  /**
   * Acknowledge every reliable status update (one with a `uuid`) once the consumer asks for the
   * next event, i.e. after it has handled the update. @default true
   */
  readonly autoAcknowledge?: boolean;
  /** Delays between subscription attempts. @default { initialMs: 500, maxMs: 30_000 } */
  readonly backoff?: BackoffPolicy;
  /** A stream with no event for this many heartbeat intervals is considered dead. @default 5 */
  readonly missedHeartbeatsLimit?: number;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** Source of backoff jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
}

export type SchedulerClientState = 'idle' | 'connecting' | 'subscribed' | 'reconnecting' | 'closed';

const TRANSITIONS: Readonly<Record<SchedulerClientState, readonly SchedulerClientState[]>> = {
  idle: ['connecting', 'closed'],
  connecting: ['subscribed', 'reconnecting', 'closed'],
  subscribed: ['reconnecting', 'closed'],
  reconnecting: ['connecting', 'closed'],
  closed: [],
};

const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 30_000 };
/** What clients of Mesos typically allow before re-subscribing (scheduler HTTP API docs). */
const DEFAULT_MISSED_HEARTBEATS_LIMIT = 5;

/** Where the current subscription lives; every call must go there with this stream id. */
interface Subscription {
  readonly leaderUrl: string;
  readonly streamId: string;
  readonly frameworkId: Id;
}

/**
 * A framework's connection to the master: `subscribe()` and consume the events; calls go to the
 * leader on their own requests and need an open subscription. A call resolves once the master
 * accepted it (HTTP 202) and rejects with `SchedulerCallError` (any other status),
 * `SchedulerError` (`NOT_SUBSCRIBED`, `CLOSED`, `MASTER_UNREACHABLE`), or an INVALID_CALL
 * `MesoError` when it fails validation before being sent. Concurrent calls are not ordered.
 */
export class SchedulerClient implements AsyncDisposable {
  private state: SchedulerClientState = 'idle';
  private readonly framework: FrameworkInfo;
  private readonly suppressed: Set<string>;
  private readonly clock: Clock;
  private readonly log: Logger;
  /** Aborted when the subscription ends for good: stops the stream, the backoff and the loop. */
  private readonly closing = new AbortController();
  /**
   * Aborted by `close()` only. Calls in flight outlive a stream closed by the master: it writes
   * ERROR on the stream before it answers a TEARDOWN, for one.
   */
  private readonly abandoning = new AbortController();
  private readonly events = new EventQueue<SchedulerEvent>();
  private subscription: Subscription | undefined;
  private assignedFrameworkId: Id | undefined;
  /** The last update handed to the consumer, acknowledged when it asks for the next event. */
  private unacknowledged: TaskStatus | undefined;
  private loop: Promise<void> | undefined;
  /** Set by `teardown()`: the ERROR that ends the stream then is the expected outcome. */
  private tearingDown = false;
  private readonly random: () => number;

  /** Validates the framework info; no I/O happens until `subscribe()`. */
  constructor(private readonly options: SchedulerClientOptions) {
    this.framework = parseWith(FrameworkInfoSchema, options.framework, 'framework_info');
    this.suppressed = new Set(options.suppressedRoles);
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.log = (options.log ?? silentLogger).child({
      component: 'scheduler.client',
      framework: this.framework.name,
    });
  }

  /** The framework id, once the master has assigned (or confirmed) it. */
  get frameworkId(): Id | undefined {
    return this.assignedFrameworkId ?? this.framework.id;
  }

  /** Where the client is in its lifecycle (see the diagram at the top of this file). */
  get currentState(): SchedulerClientState {
    return this.state;
  }

  /**
   * Starts subscribing and returns the event stream, in the master's order. SUBSCRIBED is first
   * and comes again after each re-subscription. The stream ends after `close()`/`teardown()` or
   * after an ERROR event (which is delivered, then the client closes), and throws if SUBSCRIBE
   * fails in a way retrying cannot fix (e.g. HTTP 400). Leaving a `for await` loop early does not
   * close the client. Callable once.
   */
  subscribe(): AsyncIterableIterator<SchedulerEvent> {
    if (this.state !== 'idle') {
      throw new MesoError('ILLEGAL_STATE', `cannot subscribe a client that is ${this.state}`);
    }
    this.loop = this.run();
    const iterator: AsyncIterableIterator<SchedulerEvent> = {
      next: async () => {
        await this.acknowledgeDelivered();
        const result = await this.events.next();
        if (
          result.done !== true &&
          result.value.type === 'UPDATE' &&
          this.options.autoAcknowledge !== false
        ) {
          this.unacknowledged = result.value.update.status;
        }
        return result;
      },
      return: async () => {
        await this.acknowledgeDelivered();
        this.events.detach();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  /** ACCEPT: applies `operations` to the offers (all on one agent); whatever is unused is declined. */
  accept(offerIds: readonly Id[], operations: readonly OperationInput[], filters?: Filters): Promise<void> {
    return this.call({
      type: 'ACCEPT',
      accept: { offer_ids: [...offerIds], operations: [...operations], filters },
    });
  }

  /** ACCEPT with one LAUNCH operation on a single offer. */
  launch(offer: Offer, tasks: readonly LaunchTaskInput[], filters?: Filters): Promise<void> {
    const taskInfos = tasks.map((task) => ({ ...task, agent_id: task.agent_id ?? offer.agent_id }));
    return this.accept([offer.id], [{ type: 'LAUNCH', launch: { task_infos: taskInfos } }], filters);
  }

  decline(offerIds: readonly Id[], filters?: Filters): Promise<void> {
    return this.call({ type: 'DECLINE', decline: { offer_ids: [...offerIds], filters } });
  }

  /** Resumes offers for `roles` (all of the framework's roles when empty) and clears their filters. */
  async revive(roles: readonly string[] = []): Promise<void> {
    await this.call({ type: 'REVIVE', revive: { roles: [...roles] } });
    if (roles.length === 0) this.suppressed.clear();
    for (const role of roles) this.suppressed.delete(role);
  }

  /** Stops offers for `roles` (all roles when empty); remembered across re-subscriptions. */
  async suppress(roles: readonly string[] = []): Promise<void> {
    await this.call({ type: 'SUPPRESS', suppress: { roles: [...roles] } });
    for (const role of roles.length === 0 ? frameworkRoles(this.framework) : roles) this.suppressed.add(role);
  }

  kill(taskId: Id, agentId?: Id, killPolicy?: KillPolicy): Promise<void> {
    return this.call({ type: 'KILL', kill: { task_id: taskId, agent_id: agentId, kill_policy: killPolicy } });
  }

  /**
   * Acknowledges a reliable status update. Updates without a `uuid` (e.g. reconciliation answers)
   * need none: nothing is sent and the result is false.
   */
  async acknowledge(status: TaskStatus): Promise<boolean> {
    if (status.uuid === undefined || status.agent_id === undefined) return false;
    await this.call({
      type: 'ACKNOWLEDGE',
      acknowledge: { agent_id: status.agent_id, task_id: status.task_id, uuid: status.uuid },
    });
    return true;
  }

  /** Asks for the latest state of `tasks`, or of every task the master knows when empty. */
  reconcile(tasks: readonly ReconcileTask[] = []): Promise<void> {
    return this.call({ type: 'RECONCILE', reconcile: { tasks: tasks.map((t) => ({ ...t })) } });
  }

  /** Best-effort delivery of `data` to an executor. */
  message(agentId: Id, executorId: Id, data: Uint8Array): Promise<void> {
    const encoded = Buffer.from(data).toString('base64');
    return this.call({
      type: 'MESSAGE',
      message: { agent_id: agentId, executor_id: executorId, data: encoded },
    });
  }

  shutdown(executorId: Id, agentId: Id): Promise<void> {
    return this.call({ type: 'SHUTDOWN', shutdown: { executor_id: executorId, agent_id: agentId } });
  }

  /** Removes the framework (killing its tasks) and closes the client, even when the call fails. */
  async teardown(): Promise<void> {
    this.tearingDown = true;
    try {
      await this.call({ type: 'TEARDOWN' });
    } finally {
      await this.close();
    }
  }

  /**
   * Ends the stream, the timers and the reconnection loop, and abandons calls in flight. The
   * framework stays registered (until its `failover_timeout` runs out). Idempotent.
   */
  async close(): Promise<void> {
    this.shutdownWith();
    this.abandoning.abort();
    await this.loop;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async call(body: CallBody): Promise<void> {
    const subscription = this.subscription;
    if (subscription === undefined) {
      const code = this.state === 'closed' ? 'CLOSED' : 'NOT_SUBSCRIBED';
      throw new SchedulerError(code, `${body.type} needs a subscription; the client is ${this.state}`, {
        retryable: code === 'NOT_SUBSCRIBED',
      });
    }
    const call = { ...body, framework_id: subscription.frameworkId };
    parseWith(SchedulerCallSchema, call, `${body.type} call`);
    const { response } = await postScheduler(subscription.leaderUrl, {
      callType: body.type,
      body: JSON.stringify(call),
      streamId: subscription.streamId,
      signal: this.abandoning.signal,
    });
    await response.body?.cancel();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closing.signal.aborted) {
      this.moveTo('connecting');
      try {
        if (await this.streamOnce()) failures = 0;
        if (!this.closing.signal.aborted) this.log.warn('subscription stream ended');
      } catch (err) {
        if (this.closing.signal.aborted) break;
        if (!isRetryable(err)) {
          this.log.error('subscription failed permanently', { err: describeError(err) });
          this.shutdownWith(err);
          break;
        }
        this.log.warn('subscription attempt failed', { err: describeError(err), failures });
      }
      if (this.closing.signal.aborted) break;
      this.moveTo('reconnecting');
      const delayMs = backoffDelayMs(failures++, this.options.backoff ?? DEFAULT_BACKOFF, this.random);
      this.log.info('re-subscribing after backoff', { delayMs: Math.round(delayMs) });
      await sleep(this.clock, delayMs, this.closing.signal);
    }
  }

  /**
   * One SUBSCRIBE: reads the stream until it ends. Returns whether SUBSCRIBED arrived; throws a
   * `SchedulerError` when the attempt failed.
   */
  private async streamOnce(): Promise<boolean> {
    const connection = new AbortController();
    const signal = AbortSignal.any([this.closing.signal, connection.signal]);
    const masterUrl = await this.options.master(signal);
    const { leaderUrl, streamId, records } = await openSubscription(
      masterUrl,
      JSON.stringify(this.subscribeCall()),
      signal,
    );

    const limit = this.options.missedHeartbeatsLimit ?? DEFAULT_MISSED_HEARTBEATS_LIMIT;
    const watchdog = new HeartbeatWatchdog(
      this.clock,
      limit,
      DEFAULT_HEARTBEAT_INTERVAL_SECONDS,
      (silentMs) => {
        const message = `no event from ${leaderUrl} for ${silentMs}ms (${limit} heartbeat intervals)`;
        connection.abort(new SchedulerError('PROTOCOL', message, { retryable: true }));
      },
    );
    let subscribed = false;
    watchdog.eventSeen();
    try {
      for await (const raw of records) {
        const event = decodeEvent(raw, this.log);
        if (event?.type === 'SUBSCRIBED') {
          const { framework_id: frameworkId, heartbeat_interval_seconds: intervalSeconds } = event.subscribed;
          watchdog.setInterval(intervalSeconds);
          this.assignedFrameworkId = frameworkId;
          this.subscription = { leaderUrl, streamId, frameworkId };
          subscribed = true;
          if (this.state === 'connecting') this.moveTo('subscribed');
        }
        watchdog.eventSeen();
        if (event === undefined) continue;
        this.events.push(event);
        if (event.type === 'ERROR') {
          const level = this.tearingDown ? 'info' : 'error';
          this.log[level]('master ended the subscription with an error', { message: event.error.message });
          this.shutdownWith();
          return subscribed;
        }
      }
      return subscribed;
    } catch (err) {
      if (this.closing.signal.aborted) return subscribed;
      if (connection.signal.aborted) throw connection.signal.reason;
      throw new SchedulerError('PROTOCOL', `the subscription stream failed: ${describeError(err)}`, {
        retryable: true,
        cause: err,
      });
    } finally {
      watchdog.stop();
      this.subscription = undefined;
    }
  }

  private subscribeCall(): Call {
    const id = this.frameworkId;
    return {
      type: 'SUBSCRIBE',
      ...(id === undefined ? {} : { framework_id: id }),
      subscribe: {
        framework_info: id === undefined ? this.framework : { ...this.framework, id },
        suppressed_roles: [...this.suppressed],
      },
    };
  }

  private async acknowledgeDelivered(): Promise<void> {
    const status = this.unacknowledged;
    this.unacknowledged = undefined;
    if (status === undefined) return;
    try {
      await this.acknowledge(status);
    } catch (err) {
      // The agent resends unacknowledged updates, so the next delivery gets another chance.
      this.log.warn('acknowledgement failed', { taskId: status.task_id.value, err: describeError(err) });
    }
  }

  private shutdownWith(error?: unknown): void {
    if (this.state === 'closed') return;
    this.moveTo('closed');
    this.closing.abort();
    this.subscription = undefined;
    this.events.end(error);
  }

  private moveTo(next: SchedulerClientState): void {
    if (!TRANSITIONS[this.state].includes(next)) {
      throw new MesoError('ILLEGAL_STATE', `scheduler client cannot go from '${this.state}' to '${next}'`);
    }
    this.log.debug('state changed', { from: this.state, to: next });
    this.state = next;
  }
}
