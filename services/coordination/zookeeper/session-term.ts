/**
 * Building blocks for components that outlive their ZooKeeper sessions (contender, detector):
 * a `SessionTerm` ties watches and listeners to one session, and a `RetryLoop` opens the next
 * session with backoff.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { ZkSession } from './zk-session.js';

/**
 * One session as one owner uses it. Everything registered with `own` is undone when the term ends,
 * and callbacks wrapped by `guard` do nothing afterwards, so a late watch event from an abandoned
 * session can never act on the next one.
 */
export class SessionTerm {
  private ended = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(readonly session: ZkSession) {}

  get active(): boolean {
    return !this.ended;
  }

  /** Runs `cleanup` when the term ends (at once if it already has). */
  own(cleanup: () => void): void {
    if (this.ended) cleanup();
    else this.cleanups.push(cleanup);
  }

  guard<A extends unknown[]>(callback: (...args: A) => void): (...args: A) => void {
    return (...args) => {
      if (!this.ended) callback(...args);
    };
  }

  /** Undoes everything owned, then closes the session. Idempotent. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    await this.session.close();
  }
}

/** Delays between attempts to (re)connect or (re)enter the election. */
export interface RetryPolicy {
  /** @default 250 */
  readonly initialMs: number;
  /** @default 10000 */
  readonly maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialMs: 250, maxMs: 10_000 };

/** Exponential backoff: `initialMs · 2^failures`, capped at `maxMs`. */
export const retryDelayMs = (policy: RetryPolicy, failures: number): number =>
  Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(failures, 30));

/**
 * Runs an attempt after a backoff delay and again, with a longer delay, each time it fails, until
 * one succeeds or `cancel()` is called. A success resets the delay for the next `schedule`.
 */
export class RetryLoop {
  private failures = 0;
  private cancelled = false;
  private cancelTimer: () => void = () => undefined;

  constructor(
    private readonly clock: Clock,
    private readonly policy: RetryPolicy,
    private readonly log: Logger,
    /** What is attempted, for the log line: `entering the election`. */
    private readonly what: string,
  ) {}

  schedule(attempt: () => Promise<void>): void {
    if (this.cancelled) return;
    this.cancelTimer = this.clock.after(retryDelayMs(this.policy, this.failures), () => {
      attempt().then(
        () => {
          this.failures = 0;
        },
        (error: unknown) => {
          if (this.cancelled) return;
          this.failures++;
          this.log.warn(`${this.what} failed; will retry`, {
            err: String(error),
            failures: this.failures,
            retryInMs: retryDelayMs(this.policy, this.failures),
          });
          this.schedule(attempt);
        },
      );
    });
  }

  /** Stops for good: the pending attempt is not run and failures are not retried. */
  cancel(): void {
    this.cancelled = true;
    this.cancelTimer();
  }
}
