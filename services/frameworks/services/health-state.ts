/**
 * The verdict of one health check on one task, from its results so far. Pure. Marathon's rules:
 * failures during the grace period (counted from the task's start) are ignored until the check
 * first passes; after that, `maxConsecutiveFailures` failures in a row make the task unhealthy
 * enough to be killed and replaced.
 */
export interface CheckResult {
  readonly ok: boolean;
  /** `HTTP 200`, `connection refused`, `timed out after 5000ms`, ... */
  readonly message: string;
}

export interface CheckState {
  /** `undefined` until a result counts (a pass, or a failure after the grace period). */
  readonly healthy: boolean | undefined;
  readonly consecutiveFailures: number;
  readonly everPassed: boolean;
  readonly last: (CheckResult & { readonly atMs: number }) | undefined;
}

export const INITIAL_CHECK_STATE: CheckState = {
  healthy: undefined,
  consecutiveFailures: 0,
  everPassed: false,
  last: undefined,
};

export interface CheckPolicy {
  readonly gracePeriodSeconds: number;
  readonly maxConsecutiveFailures: number;
}

/** The state after `result`; `kill` says the task just reached its failure limit. */
export function recordResult(
  state: CheckState,
  result: CheckResult,
  policy: CheckPolicy,
  times: { readonly startedAtMs: number; readonly nowMs: number },
): { readonly state: CheckState; readonly kill: boolean } {
  const last = { ...result, atMs: times.nowMs };
  if (result.ok)
    return { state: { healthy: true, consecutiveFailures: 0, everPassed: true, last }, kill: false };
  const inGrace = !state.everPassed && times.nowMs - times.startedAtMs < policy.gracePeriodSeconds * 1000;
  if (inGrace) return { state: { ...state, last }, kill: false };
  const consecutiveFailures = state.consecutiveFailures + 1;
  return {
    state: { ...state, healthy: false, consecutiveFailures, last },
    kill: consecutiveFailures >= policy.maxConsecutiveFailures,
  };
}
