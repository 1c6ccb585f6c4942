/**
 * Job definitions (Chronos-like), as clients write them in YAML or JSON, validated into `JobSpec`s
 * with defaults filled in. A job runs on a `schedule`, or after its `parents` succeed, or only when
 * asked (neither). Checks that need the other jobs (parents exist, no cycles) are in `jobs-state.ts`.
 */
import { z } from 'zod';
import { MesoError } from '../../core/errors.js';
import { parseWith } from '../../core/validation.js';
import { ConstraintSchema } from '../../scheduler/index.js';
import { requireCmdOrImage, runnableShape } from '../common/runnable.js';
import { parseSchedule } from './schedule/schedule.js';

const JOB_NAME = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;

export const CONCURRENCY_POLICIES = ['allow', 'forbid', 'replace'] as const;
export type ConcurrencyPolicy = (typeof CONCURRENCY_POLICIES)[number];

export const JobDefinitionSchema = z
  .object({
    name: z.string().regex(JOB_NAME, 'must be lowercase letters, digits, dots and dashes (at most 63)'),
    ...runnableShape,
    /** Cron (5 fields, or 6 with seconds) or an ISO 8601 repeating interval `R[n]/start/period`. */
    schedule: z.string().min(1).optional(),
    /** IANA time zone the schedule is read in. */
    timeZone: z.string().min(1).default('UTC'),
    /** Jobs that must all succeed (since this job's last such run) before it runs. */
    parents: z.array(z.string().min(1)).default([]),
    /** Further attempts after a failed one. */
    retries: z.number().int().nonnegative().default(0),
    /** Delay before retry k: retryBackoffSeconds × 2^(k−1). */
    retryBackoffSeconds: z.number().nonnegative().default(5),
    /** An attempt running longer than this is killed (and counts as failed). */
    timeoutSeconds: z.number().positive().optional(),
    /** What a run that comes due while another runs does: run too, be skipped, or replace it. */
    concurrencyPolicy: z.enum(CONCURRENCY_POLICIES).default('forbid'),
    constraints: z.array(ConstraintSchema).default([]),
  })
  .strict()
  .superRefine((job, ctx) => {
    requireCmdOrImage(job, ctx);
    if (job.schedule !== undefined && job.parents.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['parents'],
        message: 'a job runs on a schedule or after parents, not both',
      });
    }
    if (job.parents.includes(job.name)) {
      ctx.addIssue({ code: 'custom', path: ['parents'], message: 'a job cannot be its own parent' });
    }
    if (job.schedule === undefined) return;
    try {
      parseSchedule(job.schedule, job.timeZone);
    } catch (err) {
      const message = err instanceof MesoError ? err.message : String(err);
      ctx.addIssue({ code: 'custom', path: [/time zone/.test(message) ? 'timeZone' : 'schedule'], message });
    }
  });

export type JobSpec = z.infer<typeof JobDefinitionSchema>;

/** Validates a definition (parsed from YAML or JSON); throws INVALID_CALL naming the fields. */
export const parseJobDefinition = (raw: unknown): JobSpec =>
  parseWith(JobDefinitionSchema, raw, 'job definition');
