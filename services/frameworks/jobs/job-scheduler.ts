/**
 * The jobs framework's scheduler on the leading instance: the bridge between the pure run
 * transitions (`runs.ts`) and the world. It wakes when something is due (an occurrence, a retry,
 * a timeout; at least every second), writes each transition to the state document, and only then
 * acts on it: launches, kills, offer demand.
 */
import type { Router } from 'express';
import type { Clock } from '../../core/clock.js';
import { MesoError } from '../../core/errors.js';
import type { Offer } from '../../core/v1/cluster.js';
import type { TaskStatus } from '../../core/v1/tasks.js';
import type { Logger } from '../../log/logger.js';
import {
  describeError,
  type OfferLaunch,
  planPlacements,
  type ReconcileTask,
} from '../../scheduler/index.js';
import {
  KILL_RETRY_MS,
  type LeaderScheduler,
  type SchedulerContext,
  type TaskControl,
} from '../common/daemon.js';
import type { OfferRound } from '../common/offer-round.js';
import { groupByOffer, launchTask, needsOf } from '../common/runnable.js';
import { addDemand, type RoleDemand, type SchedulerGauges } from '../common/scheduler-metrics.js';
import type { StateDocument, Transition } from '../common/state-document.js';
import type { JobSpec } from './job-definition.js';
import { jobView, runView } from './job-views.js';
import { jobsRouter } from './http-api.js';
import { activeRuns, currentTask, deleteJob, jobOf, type JobsState, putJob, runKey } from './jobs-state.js';
import {
  applyUpdate,
  expireTimeouts,
  launchableRuns,
  manualRun,
  nextTaskId,
  nextWakeMs,
  recordDueRuns,
  recordLaunch,
  type RunEffects,
} from './runs.js';
import { parseSchedule, type Schedule } from './schedule/schedule.js';

/** The longest the scheduler sleeps: kill retries and demand are checked at least this often. */
const MAX_SLEEP_MS = 1000;

type JobView = ReturnType<typeof jobView>;

export class JobScheduler implements LeaderScheduler {
  private readonly state: StateDocument<JobsState>;
  private readonly control: TaskControl;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly schedules = new Map<string, Schedule>();
  private readonly rounds = new Map<string, OfferRound>();
  private readonly killsSent = new Map<string, number>();
  private cancelWake: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly context: SchedulerContext<JobsState>) {
    this.state = context.state;
    this.control = context.control;
    this.clock = context.clock;
    this.log = context.log.child({ component: 'frameworks.jobs.scheduler' });
    this.scheduleWake();
  }

  router(): Router {
    return jobsRouter(this);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelWake?.();
  }

  /**
   * Totals of the job runs that want a task (waiting, launching, running), runs by state, and
   * waiting runs held back by a retry backoff. Jobs are never labels.
   */
  gauges(): SchedulerGauges {
    const now = this.clock.nowMs();
    const runs = Object.values(this.state.value.runs);
    const tasksByState: Record<string, number> = { waiting: 0, launching: 0, running: 0, killing: 0 };
    for (const run of runs)
      if (run.state in tasksByState) tasksByState[run.state] = (tasksByState[run.state] ?? 0) + 1;
    const byRole = new Map<string, RoleDemand>();
    addDemand(byRole, this.context.role, {
      wanted: runs.filter((r) => r.state === 'waiting' || r.state === 'launching' || r.state === 'running')
        .length,
      running: tasksByState.running ?? 0,
      queued: launchableRuns(this.state.value, now).length,
    });
    const launchBackoffs = runs.filter((r) => r.state === 'waiting' && (r.notBeforeMs ?? 0) > now).length;
    return { roles: [...byRole.values()], tasksByState, launchBackoffs };
  }

  // --- FrameworkHandlers -------------------------------------------------------------------

  wantsOffers(): boolean {
    return launchableRuns(this.state.value, this.clock.nowMs()).length > 0;
  }

  knownTasks(): readonly ReconcileTask[] {
    return Object.values(this.state.value.runs)
      .flatMap(currentTask)
      .map((t) => ({ task_id: { value: t.taskId }, agent_id: { value: t.agentId } }));
  }

  onSubscribed(frameworkId: string, failover: boolean): void {
    this.log.info('subscribed', {
      frameworkId,
      failover,
      activeRuns: Object.keys(this.state.value.runs).length,
    });
  }

  /** Plans and records the launches in one transition: a run's attempt is stored before its task starts. */
  onOffers(offers: readonly Offer[]): Promise<readonly OfferLaunch[]> {
    return this.state.transact((state) => {
      const now = this.clock.nowMs();
      const runs = launchableRuns(state, now);
      const plan = planPlacements(
        offers,
        runs.map((run) => {
          const { spec } = jobOf(state, run.job);
          return {
            key: runKey(run.job, run.number),
            count: 1,
            needs: needsOf(spec),
            constraints: spec.constraints,
            role: this.context.role,
          };
        }),
      );
      for (const [key, offersConsidered] of plan.considered)
        this.rounds.set(key, { atMs: now, offers: offersConsidered });
      let next = state;
      const tasks = plan.placements.flatMap((placement) => {
        const run = runs.find((r) => runKey(r.job, r.number) === placement.key);
        if (run === undefined) return [];
        const taskId = nextTaskId(run);
        const { offer } = placement;
        next = recordLaunch(next, run, {
          taskId,
          agentId: offer.agent_id.value,
          hostname: offer.hostname,
          launchedAtMs: now,
        });
        this.rounds.delete(placement.key);
        const task = launchTask(jobOf(state, run.job).spec, placement, {
          taskId,
          name: `${run.job} run ${run.number}`,
          labels: { 'meso.job': run.job, 'meso.run': String(run.number) },
        });
        return [{ offer, task }];
      });
      return { state: next, result: groupByOffer(tasks) };
    });
  }

  async onUpdate(status: TaskStatus): Promise<void> {
    this.killsSent.delete(status.task_id.value);
    await this.apply((s) => applyUpdate(s, status, this.clock.nowMs()));
  }

  // --- operations behind the REST API ------------------------------------------------------

  async putJob(spec: JobSpec, replace: boolean): Promise<JobView> {
    const schedule = this.scheduleOf(spec);
    const job = await this.state.transact((s) =>
      putJob(s, spec, { replace, nowMs: this.clock.nowMs(), schedule }),
    );
    this.log.info(replace ? 'job saved' : 'job created', { job: spec.name, nextRunAtMs: job.nextRunAtMs });
    this.scheduleWake();
    return this.getJob(spec.name);
  }

  async deleteJob(name: string): Promise<void> {
    const kills = await this.state.transact((s) => deleteJob(s, name));
    this.log.info('job deleted', { job: name, killedTasks: kills.length });
    this.act({ kills, created: [] });
  }

  /** Starts a run now (ILLEGAL_STATE, 409, under `forbid` while one is active); resolves with it. */
  async runNow(name: string): Promise<ReturnType<typeof runView>> {
    const effects = await this.apply((s) => manualRun(s, name, this.clock.nowMs()));
    const [run] = effects.created;
    if (run === undefined) throw new MesoError('ILLEGAL_STATE', `no run of job '${name}' was created`);
    return runView(run);
  }

  listJobs(): JobView[] {
    return Object.keys(this.state.value.jobs)
      .sort()
      .map((name) => this.getJob(name));
  }

  getJob(name: string): JobView {
    const state = this.state.value;
    return jobView(jobOf(state, name), activeRuns(state, name), (run) =>
      this.rounds.get(runKey(run.job, run.number)),
    );
  }

  runs(name: string): ReturnType<typeof runView>[] {
    const state = this.state.value;
    const job = jobOf(state, name);
    return [...activeRuns(state, name).reverse(), ...job.history].map(runView);
  }

  // --- internals ---------------------------------------------------------------------------

  /** Parsed schedules, cached per expression and zone (definitions were validated already). */
  private scheduleOf(spec: JobSpec): Schedule | undefined {
    if (spec.schedule === undefined) return undefined;
    const key = `${spec.timeZone} ${spec.schedule}`;
    let schedule = this.schedules.get(key);
    if (schedule === undefined) {
      schedule = parseSchedule(spec.schedule, spec.timeZone);
      this.schedules.set(key, schedule);
    }
    return schedule;
  }

  private async apply(change: (s: JobsState) => Transition<JobsState, RunEffects>): Promise<RunEffects> {
    const effects = await this.state.transact(change);
    this.act(effects);
    return effects;
  }

  private act(effects: RunEffects): void {
    for (const run of effects.created)
      this.log.info('run created', {
        job: run.job,
        run: run.number,
        trigger: run.trigger,
        missedRuns: run.missedRuns,
      });
    for (const { taskId, agentId } of effects.kills) this.kill(taskId, agentId);
    this.control.demandChanged();
    this.scheduleWake();
  }

  private kill(taskId: string, agentId: string): void {
    this.killsSent.set(taskId, this.clock.nowMs());
    this.log.info('killing task', { taskId });
    this.control
      .kill(taskId, agentId === '' ? undefined : agentId)
      .catch((err: unknown) =>
        this.log.warn('kill failed; it will be retried', { taskId, err: describeError(err) }),
      );
  }

  private scheduleWake(): void {
    if (this.stopped) return;
    this.cancelWake?.();
    const now = this.clock.nowMs();
    const due = nextWakeMs(this.state.value);
    const delayMs = Math.max(0, Math.min(MAX_SLEEP_MS, (due ?? Infinity) - now));
    this.cancelWake = this.clock.after(delayMs, () => {
      this.cancelWake = undefined;
      void this.wake().finally(() => this.scheduleWake());
    });
  }

  /** Records due runs, expires timeouts, resends stale kills. */
  private async wake(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.apply((s) => recordDueRuns(s, this.clock.nowMs(), (spec) => this.scheduleOf(spec)));
      await this.apply((s) => expireTimeouts(s, this.clock.nowMs()));
    } catch (err) {
      this.log.error('recording due runs failed', { err: describeError(err) });
    }
    const now = this.clock.nowMs();
    for (const run of Object.values(this.state.value.runs)) {
      if (run.state !== 'killing') continue;
      for (const { taskId, agentId } of currentTask(run)) {
        if (now - (this.killsSent.get(taskId) ?? -Infinity) >= KILL_RETRY_MS) this.kill(taskId, agentId);
      }
    }
  }
}

export const createJobScheduler = (context: SchedulerContext<JobsState>): JobScheduler =>
  new JobScheduler(context);
