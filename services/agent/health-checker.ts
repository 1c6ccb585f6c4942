/**
 * Mesos's health check rules for one task, on an injected clock: when to check, what a result
 * means, when the verdict changes and when the task has failed for good. No I/O: `run` performs
 * one check (the agent's `TaskHealth` runs the command in the task's container).
 *
 *   delay ─▶ check ─▶ interval ─▶ check ─▶ ...      (each check bounded by the timeout)
 *
 * A pass makes the task healthy and resets the count of failures. A failure within the grace
 * period of the start is ignored until some check has passed (a task may take time to come up);
 * any other failure makes it unhealthy and counts, and `consecutiveFailures` of them in a row end
 * the checking with `onFailed`.
 */
import type { Clock } from '../core/clock.js';
import type { HealthCheck } from '../core/v1/tasks.js';

/** Mesos's defaults for the optional fields of `HealthCheck`. */
export const HEALTH_CHECK_DEFAULTS = {
  delaySeconds: 15,
  intervalSeconds: 10,
  timeoutSeconds: 20,
  gracePeriodSeconds: 10,
  consecutiveFailures: 3,
} as const;

export interface HealthCheckTiming {
  readonly delayMs: number;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly gracePeriodMs: number;
  readonly consecutiveFailures: number;
}

/** `check`'s timing, Mesos's defaults filling what it leaves out. */
export function healthCheckTiming(check: HealthCheck): HealthCheckTiming {
  const d = HEALTH_CHECK_DEFAULTS;
  return {
    delayMs: (check.delay_seconds ?? d.delaySeconds) * 1000,
    intervalMs: (check.interval_seconds ?? d.intervalSeconds) * 1000,
    timeoutMs: (check.timeout_seconds ?? d.timeoutSeconds) * 1000,
    gracePeriodMs: (check.grace_period_seconds ?? d.gracePeriodSeconds) * 1000,
    consecutiveFailures: check.consecutive_failures ?? d.consecutiveFailures,
  };
}

/**
 * Why the agent will not run `check`, or `undefined` when it will: only COMMAND checks with a
 * command run here. HTTP and TCP checks need the task's network, which the scheduler can reach as
 * well as the agent can (and Mesos's own agent only runs them from inside the executor).
 */
export function refusedHealthCheck(check: HealthCheck): string | undefined {
  if (check.type !== 'COMMAND') {
    return `health_check type ${check.type} is not run by meso's agent; run HTTP/TCP checks from the scheduler`;
  }
  const value = check.command?.value;
  if (value === undefined || value === '') return 'health_check of type COMMAND needs a command with a value';
  return undefined;
}

export interface CheckResult {
  readonly ok: boolean;
  /** What happened, for the task's status updates (e.g. `command exited with code 1`). */
  readonly message: string;
}

export interface HealthCheckerOptions {
  readonly clock: Clock;
  readonly timing: HealthCheckTiming;
  /** One check. A rejection is a failure; a result arriving after the timeout is ignored. */
  readonly run: () => Promise<CheckResult>;
  /** The verdict changed, the first one included. */
  readonly onVerdict: (healthy: boolean, message: string) => void;
  /** Too many failures in a row: the task is to be killed. Called once; no checks follow. */
  readonly onFailed: (message: string) => void;
  /**
   * The task started long before (an agent restart adopted it): its grace period is over.
   * @default false
   */
  readonly graceOver?: boolean;
}

export class HealthChecker {
  private readonly startedMs: number;
  /** The one pending timer: the next check, or the timeout of the check in flight. */
  private cancelTimer: (() => void) | undefined;
  /** Number of the check in flight; results of any other are stale. */
  private inFlight: number | undefined;
  private checks = 0;
  private stopped = false;
  private passedOnce = false;
  private failures = 0;
  private healthy: boolean | undefined;

  constructor(private readonly options: HealthCheckerOptions) {
    this.startedMs = options.clock.nowMs();
  }

  /** The first check comes after the delay. */
  start(): void {
    this.schedule(this.options.timing.delayMs);
  }

  /** No more checks, and no callbacks for the one in flight. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private schedule(delayMs: number): void {
    this.cancelTimer = this.options.clock.after(delayMs, () => this.check());
  }

  private check(): void {
    if (this.stopped) return;
    const { clock, timing, run } = this.options;
    const number = ++this.checks;
    this.inFlight = number;
    this.cancelTimer = clock.after(timing.timeoutMs, () =>
      this.settle(number, { ok: false, message: `timed out after ${timing.timeoutMs / 1000} s` }),
    );
    void run().then(
      (result) => this.settle(number, result),
      (err: unknown) => this.settle(number, { ok: false, message: `could not run: ${String(err)}` }),
    );
  }

  private settle(number: number, result: CheckResult): void {
    if (this.stopped || this.inFlight !== number) return;
    this.inFlight = undefined;
    this.cancelTimer?.();
    if (result.ok) {
      this.passedOnce = true;
      this.failures = 0;
      this.verdict(true, result.message);
    } else if (!this.inGrace()) {
      this.failures++;
      this.verdict(false, result.message);
      const limit = this.options.timing.consecutiveFailures;
      if (this.failures >= limit) {
        this.stop();
        this.options.onFailed(`task failed ${limit} consecutive health checks: ${result.message}`);
        return;
      }
    }
    this.schedule(this.options.timing.intervalMs);
  }

  private inGrace(): boolean {
    if (this.passedOnce || this.options.graceOver === true) return false;
    return this.options.clock.nowMs() - this.startedMs < this.options.timing.gracePeriodMs;
  }

  private verdict(healthy: boolean, message: string): void {
    if (this.healthy === healthy) return;
    this.healthy = healthy;
    this.options.onVerdict(healthy, message);
  }
}
