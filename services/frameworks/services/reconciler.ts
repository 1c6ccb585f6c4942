/**
 * The services framework's decision core: for one app, from what should run and what runs, which
 * tasks to launch and which to kill right now. Pure: no I/O, no clock (time comes in as `nowMs`).
 *
 * Vocabulary: a task is *live* unless it is being killed; *current* when it runs the app's current
 * version, *old* otherwise; *healthy* when running and passing its health checks (or running
 * without any); *spent* when it is known to provide nothing: still staging, or running and failing
 * a check. A task whose state or health is not known yet (adopted after a failover, before
 * reconciliation or its first check) is neither healthy nor spent: it is waited for. With
 * N = `instances`:
 *
 *   minHealthy = ceil(N × minimumHealthCapacity)   healthy tasks never go below this by our kills
 *   maxTotal   = N + floor(N × maximumOverCapacity) tasks alive (killing ones included) at most,
 *                raised to minHealthy + 1 when the strategy would otherwise deadlock (for instance
 *                min 1, over 0: nothing could be killed and nothing launched)
 *
 * Rules, applied in order:
 *   1. current tasks beyond N are killed (scale down): the not healthy first, then the newest;
 *   2. old spent tasks are killed (losing them costs no healthy capacity);
 *   3. old healthy tasks are killed, oldest first, while healthy stays ≥ minHealthy;
 *   4. current tasks are launched up to N, within maxTotal, unless the app is backing off.
 * Replacing failed tasks is rule 4: a task that ended is simply no longer in `tasks`.
 */

export type TaskPhase = 'staging' | 'running' | 'killing';

export interface TaskView {
  readonly taskId: string;
  readonly version: number;
  /** `unknown` until the first status update (e.g. after a failover, before reconciliation). */
  readonly phase: TaskPhase | 'unknown';
  /**
   * For running tasks: passing every health check (`true` as well when the app has none),
   * failing one (`false`), or not checked yet (`undefined`).
   */
  readonly healthy: boolean | undefined;
  readonly launchedAtMs: number;
}

const isHealthy = (t: TaskView): boolean => t.phase === 'running' && t.healthy === true;
const isSpent = (t: TaskView): boolean =>
  t.phase === 'staging' || (t.phase === 'running' && t.healthy === false);

export interface UpgradeStrategy {
  readonly minimumHealthCapacity: number;
  readonly maximumOverCapacity: number;
}

export interface AppPlanInput {
  readonly instances: number;
  readonly version: number;
  readonly strategy: UpgradeStrategy;
  readonly tasks: readonly TaskView[];
  /** Until when launches are held back after failures; `undefined` when not backing off. */
  readonly backoffUntilMs: number | undefined;
  readonly nowMs: number;
}

export type KillReason = 'scale-down' | 'upgrade';

/** Why an app with missing instances is not launching them right now. */
export type Waiting =
  /** Tasks are wanted; the next fitting offer gets them. */
  | 'offers'
  /** Tasks failed recently; launches resume at `backoffUntilMs`. */
  | 'backoff'
  /** The upgrade strategy's over-capacity bound holds launches until old tasks are gone. */
  | 'capacity'
  /** Launched tasks are starting or not yet healthy. */
  | 'health';

export interface AppPlan {
  /** Tasks of the current version to launch now. */
  readonly launch: number;
  readonly kill: readonly { readonly taskId: string; readonly reason: KillReason }[];
  /** An upgrade or scaling is in progress: the app is not N healthy current tasks. */
  readonly deploying: boolean;
  /** Set when fewer than N current tasks are healthy. */
  readonly waiting: Waiting | undefined;
  readonly minHealthy: number;
  readonly maxTotal: number;
}

/** Newest first (a scale-down sheds what was added last); ties broken by id for a total order. */
const newestFirst = (a: TaskView, b: TaskView): number =>
  b.launchedAtMs - a.launchedAtMs || (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0);

export function planApp(input: AppPlanInput): AppPlan {
  const n = input.instances;
  const minHealthy = Math.ceil(n * input.strategy.minimumHealthCapacity);
  const maxTotal = Math.max(n + Math.floor(n * input.strategy.maximumOverCapacity), minHealthy + 1);
  const live = input.tasks.filter((t) => t.phase !== 'killing');
  const alreadyKilling = input.tasks.length - live.length;
  const current = live.filter((t) => t.version === input.version);
  const old = live.filter((t) => t.version !== input.version);
  const kill: { taskId: string; reason: KillReason }[] = [];

  // 1. Scale down: the not healthy first, then the newest.
  const excess = [...current]
    .sort((a, b) => Number(isHealthy(a)) - Number(isHealthy(b)) || newestFirst(a, b))
    .slice(0, Math.max(0, current.length - n));
  for (const t of excess) kill.push({ taskId: t.taskId, reason: 'scale-down' });

  // 2-3. Old tasks: the spent cost nothing; healthy ones only down to minHealthy; others wait.
  let healthy = live.filter((t) => isHealthy(t) && !excess.includes(t)).length;
  const oldestFirst = [...old].sort((a, b) => newestFirst(b, a));
  for (const t of [...oldestFirst.filter(isSpent), ...oldestFirst.filter(isHealthy)]) {
    if (isHealthy(t)) {
      if (healthy - 1 < minHealthy) break;
      healthy--;
    }
    kill.push({ taskId: t.taskId, reason: 'upgrade' });
  }

  // 4. Launch, within maxTotal, unless backing off.
  // Tasks being killed (now or before) hold their place until they have ended.
  const keptCurrent = current.length - excess.length;
  const alive = live.length + alreadyKilling;
  const wanted = Math.max(0, n - keptCurrent);
  const room = Math.max(0, maxTotal - alive);
  const backingOff = input.backoffUntilMs !== undefined && input.nowMs < input.backoffUntilMs;
  const launch = backingOff ? 0 : Math.min(wanted, room);

  const healthyCurrent = current.filter(isHealthy).length;
  const settled = old.length === 0 && current.length === n && healthyCurrent === n && alreadyKilling === 0;
  return {
    launch,
    kill,
    deploying: !settled,
    waiting: healthyCurrent >= n ? undefined : waitingReason(wanted, launch, backingOff),
    minHealthy,
    maxTotal,
  };
}

function waitingReason(wanted: number, launch: number, backingOff: boolean): Waiting {
  if (wanted === 0) return 'health';
  if (backingOff) return 'backoff';
  return launch > 0 ? 'offers' : 'capacity';
}

/** The crash-loop brake of one app: consecutive failures and when launches may resume. */
export interface LaunchBackoff {
  readonly failures: number;
  readonly untilMs: number;
}

export interface BackoffPolicy {
  readonly backoffSeconds: number;
  readonly backoffFactor: number;
  readonly maxLaunchDelaySeconds: number;
}

/**
 * After a task failed at `nowMs`: the k-th consecutive failure holds launches for
 * min(backoffSeconds × backoffFactor^(k−1), maxLaunchDelaySeconds).
 */
export function afterFailure(
  previous: LaunchBackoff | undefined,
  policy: BackoffPolicy,
  nowMs: number,
): LaunchBackoff {
  const failures = (previous?.failures ?? 0) + 1;
  const delaySeconds = Math.min(
    policy.backoffSeconds * policy.backoffFactor ** (failures - 1),
    policy.maxLaunchDelaySeconds,
  );
  return { failures, untilMs: nowMs + delaySeconds * 1000 };
}

/** A task healthy for this long proves the app works: its backoff is forgotten. */
export const STABLE_AFTER_MS = 60_000;
