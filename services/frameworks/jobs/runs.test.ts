import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TaskState, TaskStatus } from '../../core/v1/tasks.js';
import { parseJobDefinition } from './job-definition.js';
import { EMPTY_JOBS_STATE, type JobsState, putJob, type Run } from './jobs-state.js';
import {
  applyUpdate,
  expireTimeouts,
  launchableRuns,
  manualRun,
  nextTaskId,
  recordDueRuns,
  recordLaunch,
} from './runs.js';
import { parseSchedule } from './schedule/schedule.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const scheduleOf = (spec: { schedule?: string | undefined; timeZone: string }) =>
  spec.schedule === undefined ? undefined : parseSchedule(spec.schedule, spec.timeZone);

function withJobs(nowMs: number, ...definitions: Record<string, unknown>[]): JobsState {
  let state = EMPTY_JOBS_STATE;
  for (const definition of definitions) {
    const spec = parseJobDefinition({ cmd: 'true', ...definition });
    state = putJob(state, spec, { replace: false, nowMs, schedule: scheduleOf(spec) }).state;
  }
  return state;
}

const status = (taskId: string, state: TaskState, extra: Partial<TaskStatus> = {}): TaskStatus => ({
  task_id: { value: taskId },
  state,
  agent_id: { value: 'a1' },
  ...extra,
});

/** Launches every launchable run; returns the task ids. */
function launchAll(state: JobsState, nowMs: number): { state: JobsState; taskIds: string[] } {
  const taskIds: string[] = [];
  for (const run of launchableRuns(state, nowMs)) {
    const taskId = nextTaskId(run);
    taskIds.push(taskId);
    state = recordLaunch(state, run, { taskId, agentId: 'a1', hostname: 'h1', launchedAtMs: nowMs });
  }
  return { state, taskIds };
}

const allRuns = (state: JobsState, job: string): Run[] => [
  ...Object.values(state.runs).filter((r) => r.job === job),
  ...(state.jobs[job]?.history ?? []),
];

describe('recordDueRuns', () => {
  it('records one run per due occurrence and moves the next one on, in one change', () => {
    let state = withJobs(T0, { name: 'a', schedule: 'R/2026-01-01T00:00:10Z/PT10S' });
    assert.equal(state.jobs['a']?.nextRunAtMs, T0 + 10_000);
    assert.equal(recordDueRuns(state, T0 + 9_999, scheduleOf).state, state, 'nothing due: no write');
    state = recordDueRuns(state, T0 + 10_000, scheduleOf).state;
    const [run] = Object.values(state.runs);
    assert.deepEqual([run?.number, run?.scheduledForMs, run?.trigger], [1, T0 + 10_000, 'schedule']);
    assert.equal(state.jobs['a']?.nextRunAtMs, T0 + 20_000);
  });

  it('folds occurrences missed while no scheduler ran into one run', () => {
    const state = recordDueRuns(
      withJobs(T0, { name: 'a', schedule: 'R/2026-01-01T00:00:10Z/PT10S' }),
      T0 + 45_000,
      scheduleOf,
    ).state;
    const runs = Object.values(state.runs);
    assert.equal(runs.length, 1);
    // Due at 10, 20, 30, 40: the run is for 40 and folds three.
    assert.deepEqual([runs[0]?.scheduledForMs, runs[0]?.missedRuns], [T0 + 40_000, 3]);
    assert.equal(state.jobs['a']?.nextRunAtMs, T0 + 50_000);
  });
});

/** A tiny deterministic PRNG (mulberry32), so a failing case can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('failover', () => {
  /**
   * Second by second for 150 s, a job due every 10 s whose tasks run 3 s. At random moments the
   * leader dies: the step's work is lost unless its write landed (a coin flip), and no scheduler
   * runs for 0-14 s; the successor starts from the stored state and reconciles the tasks it finds.
   * Every occurrence must be accounted for exactly once: by its own run or folded into a later one.
   */
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`neither skips nor doubles an occurrence (seed ${seed})`, () => {
      const random = prng(seed);
      let stored = withJobs(T0, {
        name: 'a',
        schedule: 'R/2026-01-01T00:00:10Z/PT10S',
        concurrencyPolicy: 'allow',
      });
      const finishAt = new Map<string, number>();
      let downUntil = 0;
      for (let s = 1; s <= 150; s++) {
        const now = T0 + s * 1000;
        if (now < downUntil) continue;
        let working = recordDueRuns(stored, now, scheduleOf).state;
        const launched = launchAll(working, now);
        working = launched.state;
        for (const id of launched.taskIds) finishAt.set(id, now + 3000);
        for (const [id, at] of finishAt) {
          if (at <= now && Object.values(working.runs).some((r) => r.attempts.some((a) => a.taskId === id))) {
            working = applyUpdate(working, status(id, 'TASK_FINISHED'), now).state;
          }
        }
        const dies = random() < 0.15;
        if (!dies || random() < 0.5) stored = working;
        if (dies) downUntil = now + Math.floor(random() * 15) * 1000;
      }
      const runs = allRuns(stored, 'a');
      const scheduledFor = runs.map((r) => r.scheduledForMs);
      assert.equal(new Set(scheduledFor).size, runs.length, 'an occurrence got two runs');
      const accounted = runs.reduce((sum, r) => sum + 1 + r.missedRuns, 0);
      const dueSoFar = Math.floor((stored.jobs['a']?.nextRunAtMs ?? 0) - T0 - 10_000) / 10_000;
      assert.equal(accounted, dueSoFar, 'an occurrence was skipped or counted twice');
    });
  }

  it('relaunches, without counting it, an attempt the master never received', () => {
    let state = withJobs(T0, { name: 'a' });
    state = manualRun(state, 'a', T0).state;
    const first = launchAll(state, T0);
    const lost = status(first.taskIds[0] ?? '', 'TASK_LOST', {
      reason: 'REASON_RECONCILIATION',
      source: 'SOURCE_MASTER',
    });
    state = applyUpdate(first.state, lost, T0 + 1000).state;
    const [run] = launchableRuns(state, T0 + 1000);
    assert.equal(run?.state, 'waiting');
    assert.equal(nextTaskId(run!), 'a.1.2', 'a fresh task id');
    assert.equal(run?.attempts[0]?.notLaunched, true);
  });
});

describe('retries', () => {
  it('retries a failing run with a doubling backoff, then fails it', () => {
    let state = withJobs(T0, { name: 'a', retries: 2, retryBackoffSeconds: 1 });
    state = manualRun(state, 'a', T0).state;
    let now = T0;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 3; attempt++) {
      const launched = launchAll(state, now);
      assert.equal(launched.taskIds.length, 1, `attempt ${attempt} launches`);
      state = applyUpdate(
        launched.state,
        status(launched.taskIds[0] ?? '', 'TASK_FAILED', { message: 'Command exited with status 3' }),
        now,
      ).state;
      const waiting = Object.values(state.runs)[0];
      if (waiting !== undefined) {
        delays.push((waiting.notBeforeMs ?? 0) - now);
        assert.deepEqual(launchableRuns(state, now), [], 'not before the backoff');
        now = waiting.notBeforeMs ?? now;
      }
    }
    assert.deepEqual(delays, [1000, 2000]);
    const [failed] = state.jobs['a']?.history ?? [];
    assert.equal(failed?.state, 'failed');
    assert.deepEqual(
      failed?.attempts.map((a) => a.exitStatus),
      [3, 3, 3],
    );
    assert.equal(failed?.message, 'attempt 3 failed: Command exited with status 3');
  });

  it('kills an attempt past its timeout and counts it as failed', () => {
    let state = withJobs(T0, { name: 'a', timeoutSeconds: 5, retries: 1, retryBackoffSeconds: 0 });
    state = manualRun(state, 'a', T0).state;
    const launched = launchAll(state, T0);
    const taskId = launched.taskIds[0] ?? '';
    state = applyUpdate(launched.state, status(taskId, 'TASK_RUNNING'), T0).state;
    assert.deepEqual(expireTimeouts(state, T0 + 4999).result.kills, []);
    const expired = expireTimeouts(state, T0 + 5000);
    assert.deepEqual(expired.result.kills, [{ taskId, agentId: 'a1' }]);
    state = applyUpdate(expired.state, status(taskId, 'TASK_KILLED'), T0 + 5100).state;
    const [run] = launchableRuns(state, T0 + 5100);
    assert.equal(run?.message, 'attempt 1 failed: timed out after 5s; retrying');
  });
});

describe('dependencies', () => {
  const family = () => withJobs(T0, { name: 'a' }, { name: 'b' }, { name: 'c', parents: ['a', 'b'] });

  /** Runs `job` by hand to the end state given; returns the runs that creates. */
  function finish(state: JobsState, job: string, end: TaskState, nowMs: number) {
    state = manualRun(state, job, nowMs).state;
    const launched = launchAll(state, nowMs);
    const run = Object.values(launched.state.runs).find((r) => r.job === job);
    const taskId = run?.attempts[0]?.taskId ?? '';
    return applyUpdate(launched.state, status(taskId, end), nowMs);
  }

  it('runs a child only once every parent has succeeded', () => {
    let step = finish(family(), 'a', 'TASK_FINISHED', T0 + 1000);
    assert.deepEqual(step.result.created, [], 'b has not succeeded yet');
    step = finish(step.state, 'b', 'TASK_FAILED', T0 + 2000);
    assert.deepEqual(step.result.created, [], 'a failure triggers nothing');
    step = finish(step.state, 'b', 'TASK_FINISHED', T0 + 3000);
    assert.deepEqual(
      step.result.created.map((r) => [r.job, r.trigger]),
      [['c', 'dependency']],
    );
    // Both parents must succeed again before c runs again.
    step = finish(step.state, 'a', 'TASK_FINISHED', T0 + 4000);
    assert.deepEqual(step.result.created, []);
  });

  it('refuses unknown parents and cycles, naming the field', () => {
    const state = family();
    const spec = (def: Record<string, unknown>) => parseJobDefinition({ cmd: 'true', ...def });
    assert.throws(
      () =>
        putJob(state, spec({ name: 'd', parents: ['a', 'zz'] }), {
          replace: false,
          nowMs: T0,
          schedule: undefined,
        }),
      /parents\[1\]: job 'zz' does not exist/,
    );
    assert.throws(
      () =>
        putJob(state, spec({ name: 'a', parents: ['c'] }), { replace: true, nowMs: T0, schedule: undefined }),
      /parents\[0\]: 'c' depends on 'a'/,
    );
  });
});

describe('concurrency policy', () => {
  const started = (policy: string) => {
    let state = withJobs(T0, { name: 'a', concurrencyPolicy: policy });
    state = manualRun(state, 'a', T0).state;
    const launched = launchAll(state, T0);
    return applyUpdate(launched.state, status(launched.taskIds[0] ?? '', 'TASK_RUNNING'), T0).state;
  };

  it('forbid: a manual run is refused while one is active', () => {
    assert.throws(() => manualRun(started('forbid'), 'a', T0 + 1000), /forbid/);
  });

  it('forbid: a scheduled occurrence is recorded as skipped', () => {
    let state = withJobs(T0, { name: 'a', schedule: 'R/2026-01-01T00:00:10Z/PT10S' });
    state = recordDueRuns(state, T0 + 10_000, scheduleOf).state;
    state = recordDueRuns(launchAll(state, T0 + 10_000).state, T0 + 20_000, scheduleOf).state;
    assert.equal(Object.keys(state.runs).length, 1);
    assert.equal(state.jobs['a']?.history[0]?.state, 'skipped');
  });

  it('replace: the active run is killed and cancelled', () => {
    const next = manualRun(started('replace'), 'a', T0 + 1000);
    assert.deepEqual(next.result.kills, [{ taskId: 'a.1.1', agentId: 'a1' }]);
    const state = applyUpdate(next.state, status('a.1.1', 'TASK_KILLED'), T0 + 1100).state;
    assert.deepEqual(
      [state.jobs['a']?.history[0]?.state, state.jobs['a']?.history[0]?.message],
      ['cancelled', 'replaced by run 2'],
    );
  });

  it('allow: both run', () => {
    const next = manualRun(started('allow'), 'a', T0 + 1000);
    assert.deepEqual(next.result.kills, []);
    assert.equal(Object.keys(next.state.runs).length, 2);
  });
});

describe('updates for unknown tasks', () => {
  it('asks to kill a live task no run owns', () => {
    const result = applyUpdate(EMPTY_JOBS_STATE, status('ghost.1.1', 'TASK_RUNNING'), T0).result;
    assert.deepEqual(result.kills, [{ taskId: 'ghost.1.1', agentId: 'a1' }]);
  });
});
