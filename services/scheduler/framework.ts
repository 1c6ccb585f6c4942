/**
 * `Framework`: the runtime a framework scheduler is written on. It owns a `SchedulerClient` and
 * does, for every framework, what Mesos asks of a well-behaved scheduler:
 *
 * - keeps the framework id in a `FrameworkIdStore`, so a restarted scheduler fails over (same id,
 *   same tasks) instead of registering afresh;
 * - after every (re)subscription reconciles: explicitly the tasks the framework knows, then
 *   implicitly (every task the master knows), and again every `reconcileIntervalMs`;
 * - acknowledges a status update once `onUpdate` has returned; one whose handler threw is left
 *   unacknowledged, so the agent sends it again (at-least-once: handlers must be idempotent);
 * - declines offers the framework does not use, with a short filter while it still wants offers
 *   and a long one when it does not; suppresses offers while idle and revives when demand returns.
 *
 * Framework code supplies `FrameworkHandlers` and calls `demandChanged()` when what it wants
 * changes. Handlers run one at a time, in event order.
 */
import { type Clock, systemClock } from '../core/clock.js';
import type { FrameworkInfoInput, LaunchTaskInput, ReconcileTask } from './call-types.js';
import type { Offer } from '../core/v1/cluster.js';
import type { SchedulerEvent } from '../core/v1/scheduler.js';
import type { TaskStatus } from '../core/v1/tasks.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { describeError } from './errors.js';
import type { FrameworkIdStore } from './framework-id-store.js';
import type { MasterLocator } from './master-locator.js';
import { SchedulerClient } from './scheduler-client.js';

/** Tasks to launch on one offer. */
export interface OfferLaunch {
  readonly offer: Offer;
  readonly tasks: readonly LaunchTaskInput[];
}

export interface FrameworkHandlers {
  /** Whether the framework wants offers now. Read after every event and on `demandChanged()`. */
  wantsOffers(): boolean;
  /**
   * Offers, while the framework wants them. Returns what to launch; every offer not launched on
   * is declined. A throw declines them all (and is logged).
   */
  onOffers(offers: readonly Offer[]): readonly OfferLaunch[] | Promise<readonly OfferLaunch[]>;
  /** A task's status changed. Acknowledged once this returns; redelivered later if it throws. */
  onUpdate(status: TaskStatus): void | Promise<void>;
  /** Subscribed: `failover` is true when an id from before (store or earlier subscription) was used. */
  onSubscribed?(frameworkId: string, failover: boolean): void | Promise<void>;
  /** The tasks the framework believes exist, reconciled explicitly after every subscription. */
  knownTasks?(): readonly ReconcileTask[];
  /** An offer was taken back; it must not be used any more. */
  onRescind?(offerId: string): void;
  /** An agent was lost (only `agentId`) or an executor exited. */
  onFailure?(failure: { agentId?: string; executorId?: string; status?: number }): void;
  /**
   * The master ended the subscription for good (`ERROR`, e.g. the framework was removed); the
   * runtime has stopped. When the framework was removed its stored id has been cleared.
   */
  onError?(message: string): void;
}

export interface FrameworkOptions {
  readonly master: MasterLocator;
  /** `failover_timeout` defaults to one week and `checkpoint` to true; `id` comes from `idStore`. */
  readonly info: Omit<FrameworkInfoInput, 'id'>;
  readonly idStore: FrameworkIdStore;
  readonly handlers: FrameworkHandlers;
  /** Filter on offers declined while the framework still wants offers. @default 5 */
  readonly declineRefuseSeconds?: number;
  /** Filter on offers declined while the framework wants none (it also suppresses). @default 120 */
  readonly idleRefuseSeconds?: number;
  /** Period of implicit reconciliation while subscribed. @default 600000 (ten minutes, as Marathon) */
  readonly reconcileIntervalMs?: number;
  readonly clock?: Clock;
  readonly log?: Logger;
}

/** A week: long enough for an operator to bring a crashed scheduler back. */
export const DEFAULT_FAILOVER_TIMEOUT_SECONDS = 7 * 24 * 3600;
const DEFAULT_DECLINE_REFUSE_SECONDS = 5;
const DEFAULT_IDLE_REFUSE_SECONDS = 120;
const DEFAULT_RECONCILE_INTERVAL_MS = 600_000;
/** ERROR messages meaning the framework id is dead (Mesos: "Framework has been removed"). */
const REMOVED = /removed|torn down|teardown/i;

export type FrameworkState = 'starting' | 'running' | 'stopped';

export class Framework implements AsyncDisposable {
  private state: FrameworkState = 'starting';
  private readonly log: Logger;
  private readonly clock: Clock;
  /** What the master was last told: true = suppressed, false = revived, undefined = unknown. */
  private suppressed: boolean | undefined;
  private demandSync: Promise<void> | undefined;
  private demandDirty = false;
  private cancelReconcileTimer: (() => void) | undefined;
  private hadId: boolean;
  private loop: Promise<void> | undefined;
  private resolveSubscribed: ((frameworkId: string) => void) | undefined;

  /** Resolves with the framework id at the first SUBSCRIBED. */
  readonly subscribed: Promise<string>;

  private constructor(
    private readonly client: SchedulerClient,
    private readonly options: FrameworkOptions,
    storedId: string | undefined,
  ) {
    this.hadId = storedId !== undefined;
    this.clock = options.clock ?? systemClock;
    this.log = (options.log ?? silentLogger).child({ component: 'scheduler.framework' });
    this.subscribed = new Promise((resolve) => (this.resolveSubscribed = resolve));
  }

  /** Loads the stored id and starts subscribing; resolves at once (see `subscribed`). */
  static async start(options: FrameworkOptions): Promise<Framework> {
    const storedId = await options.idStore.load();
    const client = new SchedulerClient({
      master: options.master,
      framework: {
        failover_timeout: DEFAULT_FAILOVER_TIMEOUT_SECONDS,
        checkpoint: true,
        ...options.info,
        ...(storedId === undefined ? {} : { id: { value: storedId } }),
      },
      // Acknowledged here, only after `onUpdate` succeeded: a failed handler gets the update again.
      autoAcknowledge: false,
      ...(options.clock === undefined ? {} : { clock: options.clock }),
      ...(options.log === undefined ? {} : { log: options.log }),
    });
    const framework = new Framework(client, options, storedId);
    framework.log.info('framework starting', { name: options.info.name, storedFrameworkId: storedId });
    framework.loop = framework.run();
    return framework;
  }

  get frameworkId(): string | undefined {
    return this.client.frameworkId?.value;
  }

  get currentState(): FrameworkState {
    return this.state;
  }

  /** True while the runtime runs and holds a subscription with the master. */
  isSubscribed(): boolean {
    return this.state === 'running' && this.client.currentState === 'subscribed';
  }

  /**
   * Settles when the runtime has stopped: after `stop()`/`teardown()`, an ERROR from the master,
   * or a subscription failure retrying cannot fix. Never rejects.
   */
  get done(): Promise<void> {
    return this.loop ?? Promise.resolve();
  }

  /** Call when `wantsOffers()` may have changed: revives or suppresses as needed. Never throws. */
  demandChanged(): void {
    void this.syncDemand();
  }

  /** Kills a task; the outcome arrives as a status update. Rejects when not subscribed. */
  kill(taskId: string, agentId?: string, gracePeriodMs?: number): Promise<void> {
    return this.client.kill(
      { value: taskId },
      agentId === undefined ? undefined : { value: agentId },
      gracePeriodMs === undefined
        ? undefined
        : { grace_period: { nanoseconds: Math.round(gracePeriodMs * 1e6) } },
    );
  }

  /** Asks for the state of `tasks` (all known to the master when empty). Rejects when not subscribed. */
  reconcile(tasks: readonly ReconcileTask[] = []): Promise<void> {
    return this.client.reconcile(tasks);
  }

  /** Leaves the framework registered (tasks keep running until `failover_timeout`). Idempotent. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    this.cancelReconcileTimer?.();
    await this.client.close();
    await this.loop;
  }

  /** Unregisters the framework: the master kills its tasks. The stored id is cleared. */
  async teardown(): Promise<void> {
    this.state = 'stopped';
    this.cancelReconcileTimer?.();
    await this.client.teardown();
    await this.options.idStore.clear();
    await this.loop;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async run(): Promise<void> {
    try {
      for await (const event of this.client.subscribe()) {
        await this.handle(event);
        if (this.state === 'stopped') break;
      }
    } catch (err) {
      this.log.error('subscription failed', { err: describeError(err) });
    } finally {
      this.state = 'stopped';
      this.cancelReconcileTimer?.();
    }
  }

  private async handle(event: SchedulerEvent): Promise<void> {
    const { handlers } = this.options;
    try {
      switch (event.type) {
        case 'SUBSCRIBED':
          return await this.onSubscribed(event.subscribed.framework_id.value);
        case 'OFFERS':
          return await this.onOffers(event.offers.offers);
        case 'UPDATE':
          await handlers.onUpdate(event.update.status);
          await this.acknowledge(event.update.status);
          return await this.syncDemand();
        case 'RESCIND':
          return handlers.onRescind?.(event.rescind.offer_id.value);
        case 'FAILURE':
          return handlers.onFailure?.({
            ...(event.failure.agent_id && { agentId: event.failure.agent_id.value }),
            ...(event.failure.executor_id && { executorId: event.failure.executor_id.value }),
            ...(event.failure.status !== undefined && { status: event.failure.status }),
          });
        case 'ERROR':
          return await this.onError(event.error.message);
        default:
          return;
      }
    } catch (err) {
      this.log.error('event handler failed', { event: event.type, err: describeError(err) });
    }
  }

  private async onSubscribed(frameworkId: string): Promise<void> {
    const failover = this.hadId;
    this.hadId = true;
    this.state = 'running';
    this.suppressed = undefined;
    if ((await this.options.idStore.load()) !== frameworkId) await this.options.idStore.save(frameworkId);
    this.log.info('framework subscribed', { frameworkId, failover });
    this.resolveSubscribed?.(frameworkId);
    await this.options.handlers.onSubscribed?.(frameworkId, failover);
    await this.reconcileAll();
    await this.syncDemand();
    this.scheduleReconciliation();
  }

  /** Explicit reconciliation of the tasks the framework knows, then implicit (Mesos's advice). */
  private async reconcileAll(): Promise<void> {
    const known = this.options.handlers.knownTasks?.() ?? [];
    try {
      if (known.length > 0) await this.client.reconcile(known);
      await this.client.reconcile([]);
    } catch (err) {
      this.log.warn('reconciliation request failed', { err: describeError(err) });
    }
  }

  private scheduleReconciliation(): void {
    this.cancelReconcileTimer?.();
    const intervalMs = this.options.reconcileIntervalMs ?? DEFAULT_RECONCILE_INTERVAL_MS;
    this.cancelReconcileTimer = this.clock.after(intervalMs, () => {
      if (this.state !== 'running') return;
      void this.reconcileAll().then(() => this.scheduleReconciliation());
    });
  }

  private async onOffers(offers: readonly Offer[]): Promise<void> {
    const { handlers } = this.options;
    if (!handlers.wantsOffers()) {
      await this.decline(offers, this.options.idleRefuseSeconds ?? DEFAULT_IDLE_REFUSE_SECONDS);
      await this.syncDemand();
      return;
    }
    let launches: readonly OfferLaunch[] = [];
    try {
      launches = await handlers.onOffers(offers);
    } catch (err) {
      this.log.error('offer handler failed; declining the offers', { err: describeError(err) });
    }
    const refuseSeconds = this.options.declineRefuseSeconds ?? DEFAULT_DECLINE_REFUSE_SECONDS;
    const launched = new Set<Offer>();
    for (const { offer, tasks } of launches) {
      if (tasks.length === 0) continue;
      launched.add(offer);
      await this.launch(offer, tasks, refuseSeconds);
    }
    await this.decline(
      offers.filter((o) => !launched.has(o)),
      refuseSeconds,
    );
    await this.syncDemand();
  }

  private async launch(
    offer: Offer,
    tasks: readonly LaunchTaskInput[],
    refuseSeconds: number,
  ): Promise<void> {
    const taskIds = tasks.map((t) => t.task_id.value);
    try {
      await this.client.launch(offer, tasks, { refuse_seconds: refuseSeconds });
      this.log.info('tasks launched', {
        offerId: offer.id.value,
        agentId: offer.agent_id.value,
        taskIds: taskIds.join(','),
      });
    } catch (err) {
      // The master may or may not have seen the ACCEPT; asking is the only way to know.
      this.log.warn('launch failed; reconciling its tasks', {
        offerId: offer.id.value,
        err: describeError(err),
      });
      await this.client
        .reconcile(tasks.map((t) => ({ task_id: t.task_id, agent_id: offer.agent_id })))
        .catch((e: unknown) => this.log.warn('reconciliation request failed', { err: describeError(e) }));
    }
  }

  private async acknowledge(status: TaskStatus): Promise<void> {
    // A handler may have stopped the framework (teardown when its work is done): nobody to tell.
    if (this.state === 'stopped') return;
    try {
      await this.client.acknowledge(status);
    } catch (err) {
      // The agent resends unacknowledged updates; the next delivery gets another chance.
      this.log.warn('acknowledgement failed', { taskId: status.task_id.value, err: describeError(err) });
    }
  }

  private async decline(offers: readonly Offer[], refuseSeconds: number): Promise<void> {
    if (offers.length === 0) return;
    try {
      await this.client.decline(
        offers.map((o) => o.id),
        { refuse_seconds: refuseSeconds },
      );
    } catch (err) {
      // Unanswered offers are rescinded by the master eventually, or on reconnection.
      this.log.warn('decline failed', { err: describeError(err) });
    }
  }

  private async onError(message: string): Promise<void> {
    this.state = 'stopped';
    if (REMOVED.test(message)) {
      this.log.error('the master removed this framework; its stored id is cleared', { message });
      await this.options.idStore.clear();
    }
    this.options.handlers.onError?.(message);
  }

  /** Revives or suppresses so the master's view matches `wantsOffers()`; one call at a time. */
  private syncDemand(): Promise<void> {
    if (this.demandSync !== undefined) {
      this.demandDirty = true;
      return this.demandSync;
    }
    this.demandSync = (async () => {
      do {
        this.demandDirty = false;
        // While reconnecting there is nobody to tell; the next SUBSCRIBED syncs again.
        if (this.state !== 'running' || this.client.currentState !== 'subscribed') return;
        const wants = this.options.handlers.wantsOffers();
        if (wants && this.suppressed !== false) {
          await this.client.revive();
          this.suppressed = false;
          this.log.info('offers revived');
        } else if (!wants && this.suppressed !== true) {
          await this.client.suppress();
          this.suppressed = true;
          this.log.info('offers suppressed');
        }
      } while (this.demandDirty);
    })()
      .catch((err: unknown) => this.log.warn('revive/suppress failed', { err: describeError(err) }))
      .finally(() => (this.demandSync = undefined));
    return this.demandSync;
  }
}
