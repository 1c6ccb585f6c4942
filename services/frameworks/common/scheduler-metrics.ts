/**
 * What a framework scheduler daemon records about its own decisions, at the seam between the
 * framework runtime and the framework's scheduler: offers received and declined (with why),
 * launches, and the time from accepting an offer for a task to its TASK_RUNNING update. The
 * schedulers' planning code stays pure; gauges (tasks wanted, running, queued, backoffs) are read
 * from the leading scheduler at scrape time through `SchedulerGauges`.
 */
import type { Clock } from '../../core/clock.js';
import type { Offer } from '../../core/v1/cluster.js';
import { isTerminalState, type TaskStatus } from '../../core/v1/tasks.js';
import { type GaugeSink, type Metrics, SchedulerMetrics as s } from '../../metrics/index.js';
import type { FrameworkHandlers, OfferLaunch } from '../../scheduler/index.js';

/** Demand of one role: what the scheduler wants running, what runs, and what waits for offers. */
export interface RoleDemand {
  readonly role: string;
  readonly wanted: number;
  readonly running: number;
  readonly queued: number;
}

/** A leading scheduler's state, for the gauges; every label set is bounded (roles, task states). */
export interface SchedulerGauges {
  readonly roles: readonly RoleDemand[];
  /** Tracked tasks by state; states always reported (even at 0) should be present with 0. */
  readonly tasksByState: Readonly<Record<string, number>>;
  /** Apps or runs whose next launch waits for a backoff to pass. */
  readonly launchBackoffs: number;
}

/**
 * Why offers were declined: `no_demand` (nothing wanted a task when they came), `unsuitable`
 * (demand remains that they could not serve: resources, constraints), `surplus` (demand was met
 * by other offers), `error` (the scheduler failed to plan; the runtime declines them all).
 */
export type DeclineReason = 'no_demand' | 'unsuitable' | 'surplus' | 'error';

/** Accepted tasks not yet running: bounded so lost updates cannot grow it without end. */
const MAX_PENDING_LAUNCHES = 10_000;

/** Wraps a framework's handlers to record offers, declines, launches and launch latency. */
export function instrumentHandlers(
  handlers: FrameworkHandlers,
  metrics: Metrics,
  clock: Pick<Clock, 'nowMs'>,
): FrameworkHandlers {
  const acceptedAtMs = new Map<string, number>();
  const onOffers = async (offers: readonly Offer[]): Promise<readonly OfferLaunch[]> => {
    metrics.inc(s.offersReceivedTotal, {}, offers.length);
    const hadDemand = handlers.wantsOffers();
    let launches: readonly OfferLaunch[];
    try {
      launches = await handlers.onOffers(offers);
    } catch (err) {
      metrics.inc(s.offersDeclinedTotal, { reason: 'error' }, offers.length);
      throw err;
    }
    const used = new Set(launches.filter((l) => l.tasks.length > 0).map((l) => l.offer.id.value));
    const declined = offers.filter((o) => !used.has(o.id.value)).length;
    if (declined > 0) {
      const reason: DeclineReason = !hadDemand
        ? 'no_demand'
        : handlers.wantsOffers()
          ? 'unsuitable'
          : 'surplus';
      metrics.inc(s.offersDeclinedTotal, { reason }, declined);
    }
    const now = clock.nowMs();
    let launched = 0;
    for (const launch of launches) {
      for (const task of launch.tasks) {
        launched += 1;
        if (acceptedAtMs.size >= MAX_PENDING_LAUNCHES) {
          const oldest = acceptedAtMs.keys().next().value;
          if (oldest !== undefined) acceptedAtMs.delete(oldest);
        }
        acceptedAtMs.set(task.task_id.value, now);
      }
    }
    if (launched > 0) metrics.inc(s.tasksLaunchedTotal, {}, launched);
    return launches;
  };
  const onUpdate = (status: TaskStatus): void | Promise<void> => {
    const taskId = status.task_id.value;
    const since = acceptedAtMs.get(taskId);
    if (since !== undefined && (status.state === 'TASK_RUNNING' || isTerminalState(status.state))) {
      acceptedAtMs.delete(taskId);
      if (status.state === 'TASK_RUNNING')
        metrics.observe(s.taskLaunchLatencySeconds, {}, Math.max(0, clock.nowMs() - since) / 1000);
    }
    return handlers.onUpdate(status);
  };
  // Spread keeps the optional handlers; methods are bound so `this` stays the scheduler.
  return {
    wantsOffers: () => handlers.wantsOffers(),
    onOffers,
    onUpdate,
    ...(handlers.onSubscribed && { onSubscribed: handlers.onSubscribed.bind(handlers) }),
    ...(handlers.knownTasks && { knownTasks: handlers.knownTasks.bind(handlers) }),
    ...(handlers.onRescind && { onRescind: handlers.onRescind.bind(handlers) }),
    ...(handlers.onFailure && { onFailure: handlers.onFailure.bind(handlers) }),
    ...(handlers.onError && { onError: handlers.onError.bind(handlers) }),
  };
}

/** Writes a scheduler's gauges; a standby (no scheduler) reports only `subscribed` 0. */
export function collectSchedulerGauges(
  sink: GaugeSink,
  subscribed: boolean,
  gauges: SchedulerGauges | undefined,
): void {
  sink.set(s.subscribed, {}, subscribed ? 1 : 0);
  if (gauges === undefined) return;
  for (const { role, wanted, running, queued } of gauges.roles) {
    sink.set(s.tasksWanted, { role }, wanted);
    sink.set(s.tasksRunning, { role }, running);
    sink.set(s.tasksQueued, { role }, queued);
  }
  for (const [state, count] of Object.entries(gauges.tasksByState)) sink.set(s.tasks, { state }, count);
  sink.set(s.launchBackoffs, {}, gauges.launchBackoffs);
}

/** Adds `add` to the role's entry of `byRole`, creating it at zero. */
export function addDemand(
  byRole: Map<string, RoleDemand>,
  role: string,
  add: Partial<Omit<RoleDemand, 'role'>>,
): void {
  const d = byRole.get(role) ?? { role, wanted: 0, running: 0, queued: 0 };
  byRole.set(role, {
    role,
    wanted: d.wanted + (add.wanted ?? 0),
    running: d.running + (add.running ?? 0),
    queued: d.queued + (add.queued ?? 0),
  });
}
