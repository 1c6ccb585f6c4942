/**
 * The life of job runs, as pure transitions of `JobsState` (time comes in as `nowMs`):
 *
 *   created (schedule, manual, dependency) ─→ waiting ─launch─→ launching ─RUNNING─→ running
 *        │ forbid policy, another run active          ↑ retry after backoff        │
 *        └─→ skipped                                 └──── attempt failed ←───────┤
 *                                                                                 ├─ FINISHED ─→ succeeded
 *   timeout, replaced ─→ killing ─→ (failed attempt | cancelled)                  └─ no retries ─→ failed
 *
 * Each transition returns the tasks to kill and the runs created; the caller writes the state
 * first and acts second.
 */
import { isTerminalState, type TaskStatus } from '../../core/v1/tasks.js';
import { MesoError } from '../../core/errors.js';
import type { Transition } from '../common/state-document.js';
import {
  activeRuns,
  type Attempt,
  currentTask,
  HISTORY_LIMIT,
  jobOf,
  type JobRecord,
  type JobsState,
  type Kill,
  type Run,
  type RunState,
  runKey,
  type Trigger,
} from './jobs-state.js';
import type { JobSpec } from './job-definition.js';
import type { Schedule } from './schedule/schedule.js';

export interface RunEffects {
  readonly kills: readonly Kill[];
  readonly created: readonly Run[];
}

const NONE: RunEffects = { kills: [], created: [] };
const merge = (a: RunEffects, b: RunEffects): RunEffects => ({
  kills: [...a.kills, ...b.kills],
  created: [...a.created, ...b.created],
});

/** Bounds the folding of missed occurrences (a per-second schedule down for a week). */
const MAX_FOLDED = 100_000;
/** Reconciliation answers meaning "the master never had this task". */
const NEVER_LAUNCHED = new Set(['TASK_LOST', 'TASK_GONE', 'TASK_UNKNOWN', 'TASK_DROPPED']);

const withJob = (state: JobsState, job: JobRecord): JobsState => ({
  ...state,
  jobs: { ...state.jobs, [job.spec.name]: job },
});
const withRun = (state: JobsState, run: Run): JobsState => ({
  ...state,
  runs: { ...state.runs, [runKey(run.job, run.number)]: run },
});

/** Moves `run` from the active runs to its job's history. */
function finish(state: JobsState, run: Run, outcome: RunState, nowMs: number, message?: string): JobsState {
  const { [runKey(run.job, run.number)]: _done, ...runs } = state.runs;
  const finished: Run = {
    ...run,
    state: outcome,
    finishedAtMs: nowMs,
    ...(message !== undefined && { message }),
  };
  const job = state.jobs[run.job];
  if (job === undefined) return { ...state, runs };
  return {
    ...state,
    runs,
    jobs: {
      ...state.jobs,
      [run.job]: { ...job, history: [finished, ...job.history].slice(0, HISTORY_LIMIT) },
    },
  };
}

/** Creates run N+1 of `name`, applying the job's concurrency policy to its active runs. */
function createRun(
  state: JobsState,
  name: string,
  trigger: Trigger,
  nowMs: number,
  occurrence: { scheduledForMs?: number; missedRuns?: number } = {},
): Transition<JobsState, RunEffects> {
  const job = jobOf(state, name);
  const number = job.runCount + 1;
  const run: Run = {
    job: name,
    number,
    trigger,
    createdAtMs: nowMs,
    state: 'waiting',
    attempts: [],
    missedRuns: 0,
    ...occurrence,
  };
  let next = withJob(state, { ...job, runCount: number });
  const active = activeRuns(state, name);
  if (active.length > 0 && job.spec.concurrencyPolicy === 'forbid') {
    const message = `run ${active.map((r) => r.number).join(', ')} still active (concurrency policy forbid)`;
    return { state: finish(withRun(next, run), run, 'skipped', nowMs, message), result: NONE };
  }
  let kills: Kill[] = [];
  if (job.spec.concurrencyPolicy === 'replace') {
    for (const old of active) {
      const task = currentTask(old);
      const reason = `replaced by run ${number}`;
      next =
        task.length === 0
          ? finish(next, old, 'cancelled', nowMs, reason)
          : withRun(next, { ...old, state: 'killing', killReason: reason });
      kills = [...kills, ...task];
    }
  }
  return { state: withRun(next, run), result: { kills, created: [run] } };
}

/**
 * Records a run for every job whose next occurrence is due, and moves its next occurrence on, in
 * one change. Occurrences missed while no scheduler ran are folded into that one run.
 */
export function recordDueRuns(
  state: JobsState,
  nowMs: number,
  scheduleOf: (spec: JobSpec) => Schedule | undefined,
): Transition<JobsState, RunEffects> {
  let next = state;
  let effects = NONE;
  for (const name of Object.keys(state.jobs).sort()) {
    const job = next.jobs[name];
    const schedule = job === undefined ? undefined : scheduleOf(job.spec);
    if (job?.nextRunAtMs === undefined || job.nextRunAtMs > nowMs || schedule === undefined) continue;
    let due = job.nextRunAtMs;
    let following = schedule.next(due);
    let missedRuns = 0;
    while (following !== undefined && following <= nowMs && missedRuns < MAX_FOLDED) {
      missedRuns++;
      due = following;
      following = schedule.next(due);
    }
    if (following !== undefined && following <= nowMs) following = schedule.next(nowMs);
    const moved = withJob(next, { ...job, nextRunAtMs: following });
    const created = createRun(moved, name, 'schedule', nowMs, { scheduledForMs: due, missedRuns });
    next = created.state;
    effects = merge(effects, created.result);
  }
  return { state: next, result: effects };
}

/** A run asked for by hand. Under `forbid`, refused (ILLEGAL_STATE, 409) while a run is active. */
export function manualRun(state: JobsState, name: string, nowMs: number): Transition<JobsState, RunEffects> {
  const job = jobOf(state, name);
  if (job.spec.concurrencyPolicy === 'forbid' && activeRuns(state, name).length > 0) {
    throw new MesoError(
      'ILLEGAL_STATE',
      `job '${name}' has a run in progress and its concurrency policy is forbid`,
    );
  }
  return createRun(state, name, 'manual', nowMs);
}

/** Runs that need a task now, oldest first. */
export function launchableRuns(state: JobsState, nowMs: number): Run[] {
  return Object.values(state.runs)
    .filter((r) => r.state === 'waiting' && (r.notBeforeMs ?? 0) <= nowMs && state.jobs[r.job] !== undefined)
    .sort(
      (a, b) => a.createdAtMs - b.createdAtMs || (runKey(a.job, a.number) < runKey(b.job, b.number) ? -1 : 1),
    );
}

/** The next attempt's task id: `<job>.<run>.<attempt>`, unique for the job's lifetime. */
export const nextTaskId = (run: Run): string => `${run.job}.${run.number}.${run.attempts.length + 1}`;

/** Records an attempt about to be launched (written before the launch). */
export function recordLaunch(state: JobsState, run: Run, attempt: Omit<Attempt, 'state'>): JobsState {
  const current = state.runs[runKey(run.job, run.number)];
  if (current === undefined) return state;
  return withRun(state, {
    ...current,
    state: 'launching',
    notBeforeMs: undefined,
    attempts: [...current.attempts, { ...attempt, state: 'TASK_STAGING' }],
  });
}

/** Applies a status update of a run's task; tasks no run owns are to be killed. */
export function applyUpdate(
  state: JobsState,
  status: TaskStatus,
  nowMs: number,
): Transition<JobsState, RunEffects> {
  const taskId = status.task_id.value;
  const run = Object.values(state.runs).find((r) => r.attempts.some((a) => a.taskId === taskId));
  const index = run?.attempts.findIndex((a) => a.taskId === taskId) ?? -1;
  const attempt = run?.attempts[index];
  const terminal = isTerminalState(status.state);
  if (run === undefined || attempt === undefined || index !== run.attempts.length - 1) {
    const kills = terminal ? [] : [{ taskId, agentId: status.agent_id?.value ?? '' }];
    return { state, result: { kills, created: [] } };
  }
  const update = (a: Attempt): Run => ({ ...run, attempts: [...run.attempts.slice(0, index), a] });
  if (!terminal) {
    const running = status.state === 'TASK_RUNNING';
    const started = update({
      ...attempt,
      state: status.state,
      startedAtMs: attempt.startedAtMs ?? (running ? nowMs : undefined),
    });
    const phase: RunState = run.state === 'killing' ? 'killing' : running ? 'running' : 'launching';
    return { state: withRun(state, { ...started, state: phase }), result: NONE };
  }
  const lost =
    attempt.startedAtMs === undefined &&
    status.reason === 'REASON_RECONCILIATION' &&
    NEVER_LAUNCHED.has(status.state);
  const exitStatus = exitStatusOf(status);
  const ended = update({
    ...attempt,
    state: status.state,
    finishedAtMs: nowMs,
    ...(exitStatus !== undefined && { exitStatus }),
    // A timeout's own message says more than the executor's "killed by signal".
    ...((attempt.message ?? status.message) !== undefined && { message: attempt.message ?? status.message }),
    ...(lost && { notLaunched: true }),
  });
  if (run.killReason !== undefined)
    return { state: finish(state, ended, 'cancelled', nowMs, run.killReason), result: NONE };
  if (status.state === 'TASK_FINISHED') return succeeded(state, ended, nowMs);
  if (lost) return { state: withRun(state, { ...ended, state: 'waiting' }), result: NONE };
  return { state: failedAttempt(state, ended, nowMs), result: NONE };
}

/** The exit status Mesos's command executor reports in its message (`Command exited with status 3`). */
export function exitStatusOf(status: Pick<TaskStatus, 'state' | 'message'>): number | undefined {
  if (status.state === 'TASK_FINISHED') return 0;
  const match = /exited with status (\d+)/i.exec(status.message ?? '');
  return match === null ? undefined : Number(match[1]);
}

/** A retry after retryBackoffSeconds × 2^(k−1) if the job has retries left, else the run failed. */
function failedAttempt(state: JobsState, run: Run, nowMs: number): JobsState {
  const spec = state.jobs[run.job]?.spec;
  const counted = run.attempts.filter((a) => a.notLaunched !== true).length;
  const last = run.attempts[run.attempts.length - 1];
  const why = last?.message ?? last?.state ?? 'failed';
  if (spec !== undefined && counted <= spec.retries) {
    const delayMs = spec.retryBackoffSeconds * 1000 * 2 ** (counted - 1);
    return withRun(state, {
      ...run,
      state: 'waiting',
      notBeforeMs: nowMs + delayMs,
      message: `attempt ${counted} failed: ${why}; retrying`,
    });
  }
  return finish(state, run, 'failed', nowMs, `attempt ${counted} failed: ${why}`);
}

/** Finishes the run and starts every job whose parents have now all succeeded since it last ran. */
function succeeded(state: JobsState, run: Run, nowMs: number): Transition<JobsState, RunEffects> {
  const job = state.jobs[run.job];
  let next = finish(state, run, 'succeeded', nowMs);
  if (job === undefined) return { state: next, result: NONE };
  next = withJob(next, { ...jobOf(next, run.job), lastSuccessAtMs: nowMs });
  let effects = NONE;
  for (const child of Object.values(next.jobs).sort((a, b) => (a.spec.name < b.spec.name ? -1 : 1))) {
    if (!child.spec.parents.includes(run.job)) continue;
    const since = child.lastTriggeredAtMs ?? child.createdAtMs;
    const ready = child.spec.parents.every((p) => (next.jobs[p]?.lastSuccessAtMs ?? -Infinity) > since);
    if (!ready) continue;
    next = withJob(next, { ...child, lastTriggeredAtMs: nowMs });
    const created = createRun(next, child.spec.name, 'dependency', nowMs);
    next = created.state;
    effects = merge(effects, created.result);
  }
  return { state: next, result: effects };
}

/** Kills attempts that have run longer than their job's `timeoutSeconds`. */
export function expireTimeouts(state: JobsState, nowMs: number): Transition<JobsState, RunEffects> {
  let next = state;
  let kills: Kill[] = [];
  for (const run of Object.values(state.runs)) {
    const deadline = timeoutDeadline(state, run);
    if (run.state !== 'running' || deadline === undefined || nowMs < deadline) continue;
    const seconds = state.jobs[run.job]?.spec.timeoutSeconds ?? 0;
    const attempts = run.attempts.map((a, i) =>
      i === run.attempts.length - 1 ? { ...a, message: `timed out after ${seconds}s` } : a,
    );
    next = withRun(next, { ...run, state: 'killing', attempts });
    kills = [...kills, ...currentTask(run)];
  }
  return { state: next, result: { kills, created: [] } };
}

function timeoutDeadline(state: JobsState, run: Run): number | undefined {
  const seconds = state.jobs[run.job]?.spec.timeoutSeconds;
  const started = run.attempts[run.attempts.length - 1]?.startedAtMs;
  return seconds === undefined || started === undefined ? undefined : started + seconds * 1000;
}

/** When something next becomes due (an occurrence, a retry, a timeout), if anything will. */
export function nextWakeMs(state: JobsState): number | undefined {
  const times = [
    ...Object.values(state.jobs).map((j) => j.nextRunAtMs),
    ...Object.values(state.runs).map((r) => (r.state === 'waiting' ? r.notBeforeMs : undefined)),
    ...Object.values(state.runs).map((r) => (r.state === 'running' ? timeoutDeadline(state, r) : undefined)),
  ].filter((t): t is number => t !== undefined);
  return times.length === 0 ? undefined : Math.min(...times);
}
