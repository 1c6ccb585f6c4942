/** `meso jobs`: the jobs framework's scheduler daemon (see docs/frameworks.md). */
import type { Command } from 'commander';
import { frameworkDaemonCommand } from '../common/daemon-command.js';
import { createJobScheduler } from './job-scheduler.js';
import { decodeJobsState, EMPTY_JOBS_STATE } from './jobs-state.js';

export const jobsCommand = (): Command =>
  frameworkDaemonCommand({
    name: 'jobs',
    description: 'run the jobs framework: cron and batch jobs with retries and dependencies (like Chronos)',
    defaults: { port: 8091, frameworkName: 'meso-jobs' },
    definition: {
      kind: 'jobs',
      decode: decodeJobsState,
      empty: EMPTY_JOBS_STATE,
      create: createJobScheduler,
    },
  });
