import type { Clock } from '../core/clock.js';

/**
 * Declares a subscription stream dead when no event (heartbeats included) arrived for
 * `missedLimit` heartbeat intervals. The interval starts at Mesos's 15 s and follows what
 * SUBSCRIBED announces. Holds at most one timer; `stop()` cancels it.
 */
export class HeartbeatWatchdog {
  private intervalSeconds: number;
  private cancel: () => void = () => undefined;

  constructor(
    private readonly clock: Clock,
    private readonly missedLimit: number,
    initialIntervalSeconds: number,
    /** Called once the deadline passes without `eventSeen()`; `silentMs` is how long that was. */
    private readonly onDead: (silentMs: number) => void,
  ) {
    this.intervalSeconds = initialIntervalSeconds;
  }

  /** Adopts the interval the master announced; non-positive values are ignored. */
  setInterval(seconds: number): void {
    if (seconds > 0) this.intervalSeconds = seconds;
  }

  /** Restarts the countdown. */
  eventSeen(): void {
    this.cancel();
    const deadlineMs = this.missedLimit * this.intervalSeconds * 1000;
    this.cancel = this.clock.after(deadlineMs, () => this.onDead(deadlineMs));
  }

  stop(): void {
    this.cancel();
  }
}
