/**
 * Reconnection delays: exponential growth, capped, with "equal jitter" (a random point in the upper
 * half of the window) so that many schedulers dropped by one master failover do not all come back
 * in the same instant, while none of them retries sooner than half the nominal delay.
 */
export interface BackoffPolicy {
  /** Nominal delay before the first retry. */
  readonly initialMs: number;
  /** Upper bound of the nominal delay, however many attempts have failed. */
  readonly maxMs: number;
}

/**
 * Delay before retry number `attempt` (0 for the first retry). `random` returns a number in
 * [0, 1) and is passed in so callers (and tests) decide where randomness comes from.
 */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, random: () => number): number {
  // 2 ** attempt overflows to Infinity for large attempts; Math.min then picks the cap.
  const nominalMs = Math.min(policy.maxMs, policy.initialMs * 2 ** attempt);
  return nominalMs / 2 + (random() * nominalMs) / 2;
}
