/** The JSON the jobs REST API answers with. Pure; times are ISO 8601 strings, absent ones `null`. */
import { type OfferRound, offerRoundView } from '../common/offer-round.js';
import type { JobRecord, Run } from './jobs-state.js';

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());

/** How many finished runs the job list shows per job (`/v1/jobs/:name/runs` has them all). */
const LAST_RUNS_LISTED = 5;

export function runView(run: Run) {
  return {
    job: run.job,
    number: run.number,
    trigger: run.trigger,
    state: run.state,
    scheduledFor: iso(run.scheduledForMs),
    missedRuns: run.missedRuns,
    createdAt: iso(run.createdAtMs),
    finishedAt: iso(run.finishedAtMs),
    retryAt: run.state === 'waiting' ? iso(run.notBeforeMs) : null,
    message: run.message ?? null,
    attempts: run.attempts.map((a) => ({
      taskId: a.taskId,
      hostname: a.hostname,
      state: a.state,
      exitStatus: a.exitStatus ?? null,
      launchedAt: iso(a.launchedAtMs),
      startedAt: iso(a.startedAtMs),
      finishedAt: iso(a.finishedAtMs),
      message: a.message ?? null,
      counted: a.notLaunched !== true,
    })),
  };
}

export function jobView(
  job: JobRecord,
  active: readonly Run[],
  lastRound: (run: Run) => OfferRound | undefined,
) {
  return {
    name: job.spec.name,
    schedule: job.spec.schedule ?? null,
    timeZone: job.spec.timeZone,
    parents: job.spec.parents,
    nextRunAt: iso(job.nextRunAtMs),
    lastSuccessAt: iso(job.lastSuccessAtMs),
    activeRuns: active.map((run) => ({
      ...runView(run),
      // Why a waiting run has no task yet: the offers last considered for it.
      lastOffers: run.state === 'waiting' ? offerRoundView(lastRound(run)) : [],
    })),
    lastRuns: job.history.slice(0, LAST_RUNS_LISTED).map(runView),
    definition: job.spec,
  };
}
