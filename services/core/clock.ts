/**
 * Time as a dependency. Pure modules take a `Clock` so tests can replay a scenario exactly
 * (the way Mesos's allocator tests pause the clock) instead of sleeping.
 */
export interface Clock {
  nowMs(): number;
  /** Runs `fn` once after `delayMs`. Returns a cancel function; the owner must call it on stop. */
  after(delayMs: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  after(delayMs, fn) {
    const timer = setTimeout(fn, delayMs);
    timer.unref?.();
    return () => clearTimeout(timer);
  },
};

/** A clock that only moves when told to; timers fire in due order during `advance`. */
export class ManualClock implements Clock {
  private now: number;
  private nextId = 0;
  private readonly timers = new Map<number, { dueMs: number; fn: () => void }>();

  constructor(startMs = 0) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  after(delayMs: number, fn: () => void): () => void {
    const id = this.nextId++;
    this.timers.set(id, { dueMs: this.now + Math.max(0, delayMs), fn });
    return () => this.timers.delete(id);
  }

  advance(deltaMs: number): void {
    const target = this.now + deltaMs;
    for (;;) {
      let next: [number, { dueMs: number; fn: () => void }] | undefined;
      for (const entry of this.timers) {
        if (entry[1].dueMs <= target && (next === undefined || entry[1].dueMs < next[1].dueMs)) next = entry;
      }
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.now = next[1].dueMs;
      next[1].fn();
    }
    this.now = target;
  }
}
