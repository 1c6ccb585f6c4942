/**
 * The master's instrumentation: the adapter between the master and the metrics module. It
 * records at the seams (the allocation loop's callback, the master's event bus, HTTP requests)
 * and computes everything else at scrape time from the master's state (`master-metrics-state.ts`).
 * It also serves `/metrics` and Mesos's `/metrics/snapshot`, on every master, leader or not.
 *
 *   const metrics = new MasterInstrumentation({ clock, log });
 *   const loop = new AllocationLoop(..., (allocations, stats) => { ...; metrics.allocationRun(stats) });
 *   metrics.attach({ master, leadership, allocator });
 *   server.on('request', metrics.handler(app));
 */
import type { RequestListener } from 'node:http';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AllocationRunStats } from '../allocator/allocation-loop.js';
import type { Allocator } from '../allocator/allocator.js';
import type { Clock } from '../core/clock.js';
import { isTerminalState } from '../core/v1/tasks.js';
import type { Logger } from '../log/logger.js';
import type { CoordinationSessionState } from '../coordination/contender.js';
import {
  type GaugeSink,
  MasterMetrics,
  hostReadings,
  masterSnapshot,
  metricsMiddleware,
  type MetricsRegistry,
  PromMetrics,
  type Snapshot,
  specsOf,
} from '../metrics/index.js';
import { AgentUsagePoller, type StatisticsSource } from './agent-usage-poller.js';
import type { Leadership } from './leadership.js';
import type { MasterEvent } from './master-events.js';
import { collectMasterState } from './master-metrics-state.js';
import type { Master } from './master.js';

const m = MasterMetrics;

/** How often leadership is checked for `meso_master_leadership_changes_total`. */
const LEADERSHIP_CHECK_MS = 1000;
/** The window `meso_master_event_loop_delay_seconds` summarises. */
const EVENT_LOOP_WINDOW_MS = 10_000;

const OFFER_COUNTERS = {
  OFFER_SENT: m.offersSentTotal,
  OFFER_ACCEPTED: m.offersAcceptedTotal,
  OFFER_DECLINED: m.offersDeclinedTotal,
  OFFER_RESCINDED: m.offersRescindedTotal,
} as const;

export interface MasterInstrumentationOptions {
  readonly clock: Clock;
  readonly log: Logger;
  /** @default a prom-client registry holding every `MasterMetrics` spec */
  readonly registry?: MetricsRegistry;
  /** Period of the agents' usage polls. @default 5000 */
  readonly usagePollIntervalMs?: number;
  /** @default HTTP GETs of the agents' `/monitor/statistics` */
  readonly fetchStatistics?: StatisticsSource;
}

/** What the instrumentation observes. */
export interface InstrumentedMaster {
  readonly master: Master;
  readonly leadership: Pick<Leadership, 'status' | 'zookeeperSessionState'>;
  readonly allocator: Pick<Allocator, 'shares'>;
}

export class MasterInstrumentation {
  readonly registry: MetricsRegistry;
  private readonly stops: (() => void)[] = [];
  private poller: AgentUsagePoller | undefined;

  constructor(private readonly options: MasterInstrumentationOptions) {
    this.registry = options.registry ?? new PromMetrics(specsOf(MasterMetrics));
  }

  /** Records one allocation run; called from the allocation loop's callback. */
  allocationRun(stats: AllocationRunStats): void {
    this.registry.observe(
      m.allocationRunDurationSeconds,
      { trigger: stats.trigger },
      stats.durationMs / 1000,
    );
    this.registry.inc(m.allocationsTotal, {}, stats.allocations);
  }

  /** Starts observing the master: its events, leadership, the event loop and the agents' usage. Once. */
  attach({ master, leadership, allocator }: InstrumentedMaster): void {
    const { clock, log } = this.options;
    const poller = new AgentUsagePoller({
      clock,
      log,
      agents: () => master.agents.all(),
      enabled: () => leadership.status() === 'leading',
      onPoll: (outcome) => this.registry.inc(m.usagePollsTotal, { outcome }),
      ...(this.options.usagePollIntervalMs !== undefined && { intervalMs: this.options.usagePollIntervalMs }),
      ...(this.options.fetchStatistics !== undefined && { fetchStatistics: this.options.fetchStatistics }),
    });
    poller.start();
    this.poller = poller;
    const eventLoopDelay = watchEventLoopDelay(clock);
    this.stops.push(
      () => poller.stop(),
      eventLoopDelay.stop,
      master.events.subscribe((event) => this.onEvent(event)),
      this.watchLeadership(leadership),
      this.registry.addCollector((sink) => {
        sink.set(m.startTimeSeconds, {}, master.startTimeSec);
        sink.set(m.elected, {}, isElected(leadership) ? 1 : 0);
        sink.set(m.eventLoopDelaySeconds, {}, eventLoopDelay.p99Seconds());
        collectZookeeperSession(sink, leadership.zookeeperSessionState?.());
        collectMasterState(sink, { master, shares: allocator.shares(), usage: poller.usage() });
      }),
    );
  }

  /** Polls every agent's usage now (benchmarks and tests; the poller does it every interval). */
  pollUsage(): Promise<void> {
    return this.poller?.pollOnce() ?? Promise.resolve();
  }

  /** Mesos's `/metrics/snapshot` of this master (also what the operator API's GET_METRICS answers). */
  async snapshot(): Promise<Snapshot> {
    return masterSnapshot(await this.registry.read(), this.options.clock.nowMs() / 1000, hostReadings());
  }

  /**
   * A request listener serving `/metrics` and `/metrics/snapshot` and passing everything else to
   * `app`, counting and timing every request by the route `app` matched.
   */
  handler(app: RequestListener): RequestListener {
    const middleware = metricsMiddleware({
      registry: this.registry,
      http: m,
      snapshot: () => this.snapshot(),
    });
    return (req, res) => middleware(req, res, () => app(req, res));
  }

  /** Stops the timers and unsubscribes; idempotent. */
  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  private onEvent(event: MasterEvent): void {
    switch (event.type) {
      case 'TASK_UPDATED':
        if (isTerminalState(event.task.state)) {
          const reason = event.status.state === event.task.state ? (event.status.reason ?? 'none') : 'none';
          this.registry.inc(m.tasksTerminatedTotal, { state: event.task.state, reason });
        }
        return;
      case 'AGENT_ADDED': {
        const kind = event.agent.reregisteredTimeSec === undefined ? 'new' : 'reregistered';
        this.registry.inc(m.agentRegistrationsTotal, { kind });
        return;
      }
      case 'AGENT_REMOVED':
        this.registry.inc(m.agentsMarkedUnreachableTotal, {});
        return;
      case 'OFFER_SENT':
      case 'OFFER_ACCEPTED':
      case 'OFFER_DECLINED':
      case 'OFFER_RESCINDED':
        this.registry.inc(OFFER_COUNTERS[event.type], { role: event.offer.role });
        return;
      default:
        return;
    }
  }

  /** Counts changes of being elected, checked every second; returns the function that stops it. */
  private watchLeadership(leadership: Pick<Leadership, 'status'>): () => void {
    let leading = isElected(leadership);
    let cancel: () => void = () => undefined;
    const check = (): void => {
      const now = isElected(leadership);
      if (now !== leading) this.registry.inc(m.leadershipChangesTotal, {});
      leading = now;
      cancel = this.options.clock.after(LEADERSHIP_CHECK_MS, check);
    };
    cancel = this.options.clock.after(LEADERSHIP_CHECK_MS, check);
    return () => cancel();
  }
}

/** Mesos's `master/elected`: elected, whether still recovering the registry or leading. */
const isElected = (leadership: Pick<Leadership, 'status'>): boolean => leadership.status() !== 'standby';

/** The 99th percentile of the event loop delay over the last complete window (the current one before that). */
function watchEventLoopDelay(clock: Clock): { p99Seconds(): number; stop(): void } {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  let lastWindowNs: number | undefined;
  let cancel: () => void = () => undefined;
  const roll = (): void => {
    lastWindowNs = histogram.percentile(99);
    histogram.reset();
    cancel = clock.after(EVENT_LOOP_WINDOW_MS, roll);
  };
  cancel = clock.after(EVENT_LOOP_WINDOW_MS, roll);
  return {
    p99Seconds: () => (lastWindowNs ?? histogram.percentile(99)) / 1e9,
    stop: () => {
      cancel();
      histogram.disable();
    },
  };
}

/** The enum gauge of the ZooKeeper session: 1 for its state, 0 for the others; nothing without ZooKeeper. */
function collectZookeeperSession(sink: GaugeSink, state: CoordinationSessionState | undefined): void {
  if (state === undefined) return;
  // A closed session is one this master no longer has: it counts as disconnected.
  const current = state === 'closed' ? 'disconnected' : state;
  for (const s of ZOOKEEPER_SESSION_STATES)
    sink.set(m.zookeeperSessionState, { state: s }, s === current ? 1 : 0);
}

const ZOOKEEPER_SESSION_STATES = ['connected', 'disconnected', 'expired'] as const;
