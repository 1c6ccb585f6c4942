/**
 * What the jobs framework keeps in ZooKeeper: jobs with their next due time and bounded run
 * history, and every run not finished yet with its attempts. A run is written *before* anything
 * is launched for it and the job's next due time moves in the same write, so a successor scheduler
 * finds each due occurrence either not yet started (and starts it) or started (and resumes it):
 * none is skipped or run twice.
 *
 * This file holds the schema and the changes to jobs; changes to runs are in `runs.ts`.
 */
import { z } from 'zod';
import { invalidCall, MesoError } from '../../core/errors.js';
import { parseWith } from '../../core/validation.js';
import type { Transition } from '../common/state-document.js';
import { JobDefinitionSchema, type JobSpec } from './job-definition.js';
import type { Schedule } from './schedule/schedule.js';

const AttemptSchema = z.object({
  taskId: z.string(),
  agentId: z.string(),
  hostname: z.string(),
  launchedAtMs: z.number(),
  startedAtMs: z.number().optional(),
  finishedAtMs: z.number().optional(),
  /** The last Mesos task state reported. */
  state: z.string(),
  exitStatus: z.number().int().optional(),
  message: z.string().optional(),
  /** The master never heard of it (the launch was lost): it does not count as an attempt. */
  notLaunched: z.boolean().optional(),
});
export type Attempt = z.infer<typeof AttemptSchema>;

export const RUN_STATES = [
  /** Needs a task launched: new, or retrying once `notBeforeMs` has passed. */
  'waiting',
  /** The current attempt's task was launched (or is about to be); no update yet. */
  'launching',
  'running',
  /** Its task is being killed (timeout, replaced by a newer run, job deleted). */
  'killing',
  'succeeded',
  'failed',
  /** Came due while another run was active under the `forbid` policy. */
  'skipped',
  /** Ended by the scheduler: replaced by a newer run (`replace` policy). */
  'cancelled',
] as const;
export type RunState = (typeof RUN_STATES)[number];

export const TRIGGERS = ['schedule', 'manual', 'dependency'] as const;
export type Trigger = (typeof TRIGGERS)[number];

const RunSchema = z.object({
  job: z.string(),
  /** 1, 2, ... per job: "run N of job X". */
  number: z.number().int().positive(),
  trigger: z.enum(TRIGGERS),
  /** The occurrence a scheduled run is for. */
  scheduledForMs: z.number().optional(),
  /** Earlier occurrences that came due while no scheduler led, folded into this run. */
  missedRuns: z.number().int().nonnegative().default(0),
  createdAtMs: z.number(),
  state: z.enum(RUN_STATES),
  attempts: z.array(AttemptSchema).default([]),
  /** A waiting retry launches no earlier than this. */
  notBeforeMs: z.number().optional(),
  /** Why the scheduler kills the current attempt (`timeout`, `replaced by run 7`, ...). */
  killReason: z.string().optional(),
  finishedAtMs: z.number().optional(),
  message: z.string().optional(),
});
export type Run = z.infer<typeof RunSchema>;

const JobRecordSchema = z.object({
  spec: JobDefinitionSchema,
  createdAtMs: z.number(),
  /** The next scheduled occurrence no run was recorded for yet. */
  nextRunAtMs: z.number().optional(),
  /** The number the latest run got. */
  runCount: z.number().int().nonnegative().default(0),
  lastSuccessAtMs: z.number().optional(),
  /** When the parents last triggered this job (only parent successes after it count). */
  lastTriggeredAtMs: z.number().optional(),
  /** Finished runs, newest first, at most `HISTORY_LIMIT`. */
  history: z.array(RunSchema).default([]),
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

export const JobsStateSchema = z.object({
  frameworkId: z.string().optional(),
  jobs: z.record(z.string(), JobRecordSchema).default({}),
  /** Runs not finished, keyed by `runKey`. */
  runs: z.record(z.string(), RunSchema).default({}),
});
export type JobsState = z.infer<typeof JobsStateSchema>;

export const EMPTY_JOBS_STATE: JobsState = { jobs: {}, runs: {} };
export const HISTORY_LIMIT = 20;

export const decodeJobsState = (json: unknown): JobsState =>
  parseWith(JobsStateSchema, json, 'stored jobs state');

export const runKey = (job: string, number: number): string => `${job}#${number}`;

/** Tasks the scheduler asks of the master: one per run attempt. */
export type Kill = { readonly taskId: string; readonly agentId: string };

export function jobOf(state: JobsState, name: string): JobRecord {
  const job = state.jobs[name];
  if (job === undefined) throw new MesoError('NOT_FOUND', `job '${name}' does not exist`);
  return job;
}

/** Unfinished runs of `job`. */
export const activeRuns = (state: JobsState, job: string): Run[] =>
  Object.values(state.runs).filter((r) => r.job === job);

/** Creates or replaces a job; checks its parents exist and that no cycle forms. */
export function putJob(
  state: JobsState,
  spec: JobSpec,
  options: { readonly replace: boolean; readonly nowMs: number; readonly schedule: Schedule | undefined },
): Transition<JobsState, JobRecord> {
  const existing = state.jobs[spec.name];
  if (existing !== undefined && !options.replace)
    throw new MesoError('ILLEGAL_STATE', `job '${spec.name}' already exists`);
  spec.parents.forEach((parent, i) => {
    if (state.jobs[parent] === undefined) throw invalidCall(`parents[${i}]: job '${parent}' does not exist`);
    if (dependsOn(state, parent, spec.name))
      throw invalidCall(`parents[${i}]: '${parent}' depends on '${spec.name}'; that would be a cycle`);
  });
  const sameSchedule =
    existing !== undefined &&
    existing.spec.schedule === spec.schedule &&
    existing.spec.timeZone === spec.timeZone;
  const record: JobRecord = {
    ...(existing ?? { createdAtMs: options.nowMs, runCount: 0, history: [] }),
    spec,
    nextRunAtMs: sameSchedule ? existing.nextRunAtMs : options.schedule?.next(options.nowMs),
  };
  return { state: { ...state, jobs: { ...state.jobs, [spec.name]: record } }, result: record };
}

/** Whether `job` has `ancestor` among its parents, transitively. */
function dependsOn(state: JobsState, job: string, ancestor: string): boolean {
  const seen = new Set<string>();
  const walk = (name: string): boolean => {
    if (name === ancestor) return true;
    if (seen.has(name)) return false;
    seen.add(name);
    return (state.jobs[name]?.spec.parents ?? []).some(walk);
  };
  return walk(job);
}

/** Removes a job and its unfinished runs; their running tasks are to be killed. */
export function deleteJob(state: JobsState, name: string): Transition<JobsState, Kill[]> {
  jobOf(state, name);
  const dependents = Object.values(state.jobs)
    .filter((j) => j.spec.parents.includes(name))
    .map((j) => j.spec.name);
  if (dependents.length > 0) {
    throw new MesoError(
      'ILLEGAL_STATE',
      `job '${name}' is a parent of ${dependents.join(', ')}; delete or change those first`,
    );
  }
  const { [name]: _deleted, ...jobs } = state.jobs;
  const runs = Object.fromEntries(Object.entries(state.runs).filter(([, r]) => r.job !== name));
  const kills = activeRuns(state, name).flatMap(currentTask);
  return { state: { ...state, jobs, runs }, result: kills };
}

/** The task of a run's current attempt, when one may be alive. */
export function currentTask(run: Run): Kill[] {
  const attempt = run.attempts[run.attempts.length - 1];
  if (attempt === undefined || attempt.finishedAtMs !== undefined) return [];
  return [{ taskId: attempt.taskId, agentId: attempt.agentId }];
}
