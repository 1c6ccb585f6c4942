/**
 * The bridge between the pure allocator and time: a full cycle every `intervalMs` (Mesos
 * `--allocation_interval`) plus event-driven cycles for agents added, frameworks activated and
 * revives. Event triggers are coalesced, as in Mesos: while one run is queued, later triggers only
 * add their agents to it, so a burst of triggers costs one cycle.
 */
import type { Clock } from '../core/clock.js';
import type { AgentId } from '../core/ids.js';
import type { Allocation, Allocator } from './allocator.js';

/** Mesos's default `--allocation_interval`. */
export const DEFAULT_ALLOCATION_INTERVAL_MS = 1000;

export interface AllocationLoopOptions {
  /** Time between full cycles. @default 1000 */
  readonly intervalMs?: number;
}

export interface AllocationRunStats {
  /** `periodic` for the interval's full cycle, `event` for a coalesced batch of triggers. */
  readonly trigger: 'periodic' | 'event';
  /** Time spent in `allocate`, read from the injected clock (0 under a `ManualClock`). */
  readonly durationMs: number;
  /**
   * Active agents within the run's scope. From the allocator's `lastCycleStats` when it has one,
   * otherwise the number of agents named for an event run and 0 for a full run.
   */
  readonly agentsConsidered: number;
  /** Agents the allocator passed over because nothing changed for them; 0 when it does not say. */
  readonly agentsSkipped: number;
  /** Number of allocations made. */
  readonly allocations: number;
}

/** Receives every run's allocations; called synchronously from the clock's timer. */
export type AllocationsCallback = (allocations: Allocation[], stats: AllocationRunStats) => void;

type LoopState = 'stopped' | 'running';

/** A queued event run: every agent, or the agents named by the triggers so far. */
type PendingScope = 'all' | Set<AgentId>;

export class AllocationLoop {
  private state: LoopState = 'stopped';
  private readonly intervalMs: number;
  private cancelTick: (() => void) | undefined;
  private cancelPending: (() => void) | undefined;
  private pending: PendingScope | undefined;

  constructor(
    private readonly allocator: Allocator,
    private readonly clock: Clock,
    options: AllocationLoopOptions,
    private readonly onAllocations: AllocationsCallback,
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_ALLOCATION_INTERVAL_MS;
  }

  /** Starts periodic cycles, the first one `intervalMs` from now. Idempotent. */
  start(): void {
    if (this.state === 'running') return;
    this.state = 'running';
    this.scheduleTick();
  }

  /** Cancels every timer, including a queued event run; nothing runs until `start` again. Idempotent. */
  stop(): void {
    this.state = 'stopped';
    this.cancelTick?.();
    this.cancelTick = undefined;
    this.dropPending();
  }

  /**
   * Queues a cycle over `agentIds`, or over every agent when `undefined`, to run once the current
   * call stack is done. Triggers before that run merge into it; a full-cluster trigger absorbs
   * agent-scoped ones. Ignored while stopped.
   */
  trigger(agentIds?: Iterable<AgentId>): void {
    if (this.state !== 'running') return;
    if (agentIds === undefined) {
      this.pending = 'all';
    } else if (this.pending !== 'all') {
      const scope = this.pending ?? new Set<AgentId>();
      for (const id of agentIds) scope.add(id);
      if (scope.size === 0) return;
      this.pending = scope;
    }
    this.cancelPending ??= this.clock.after(0, () => this.runPending());
  }

  private scheduleTick(): void {
    this.cancelTick = this.clock.after(this.intervalMs, () => {
      // Scheduled before running, so a throwing callback does not end the periodic cycles.
      this.scheduleTick();
      // A full cycle covers whatever the queued event run would have looked at.
      this.dropPending();
      this.run('periodic', 'all');
    });
  }

  private runPending(): void {
    const scope = this.pending;
    this.cancelPending = undefined;
    this.pending = undefined;
    if (scope !== undefined) this.run('event', scope);
  }

  private dropPending(): void {
    this.cancelPending?.();
    this.cancelPending = undefined;
    this.pending = undefined;
  }

  private run(trigger: AllocationRunStats['trigger'], scope: PendingScope): void {
    const startMs = this.clock.nowMs();
    const allocations = this.allocator.allocate(startMs, scope === 'all' ? undefined : scope);
    const durationMs = this.clock.nowMs() - startMs;
    const cycle = this.allocator.lastCycleStats?.();
    this.onAllocations(allocations, {
      trigger,
      durationMs,
      agentsConsidered: cycle?.agentsConsidered ?? (scope === 'all' ? 0 : scope.size),
      agentsSkipped: cycle?.agentsSkipped ?? 0,
      allocations: allocations.length,
    });
  }
}
