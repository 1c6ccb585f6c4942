/**
 * The JSON the services REST API answers with, built from stored and runtime state. Pure.
 * Times are ISO 8601 strings; `healthy` is `null` while unknown.
 */
import { type OfferRound, offerRoundView } from '../common/offer-round.js';
import type { CheckState } from './health-state.js';
import type { AppPlan, LaunchBackoff, TaskPhase } from './reconciler.js';
import type { AppRecord, TaskRecord } from './service-state.js';

/** What the scheduler knows of a task beyond its stored record. */
export interface TaskRuntime {
  readonly phase: TaskPhase;
  /** The last Mesos state reported, `TASK_UNKNOWN` until the first update (e.g. after a failover). */
  readonly mesosState: string;
  readonly runningSinceMs: number | undefined;
  readonly killRequestedAtMs: number | undefined;
  /** Why we kill it; an `unhealthy` kill counts as a failure of the app. */
  readonly killReason: string | undefined;
  /** The agent's verdict on its COMMAND health check (`TaskStatus.healthy`), once it has one. */
  readonly agentHealthy: boolean | undefined;
}

export interface TaskFailure {
  readonly taskId: string;
  readonly state: string;
  readonly message: string;
  readonly atMs: number;
}

export interface AppViewInput {
  readonly app: AppRecord;
  readonly plan: AppPlan;
  readonly tasks: readonly {
    readonly id: string;
    readonly record: TaskRecord;
    readonly runtime: TaskRuntime | undefined;
    readonly healthy: boolean | undefined;
    readonly checks: readonly CheckState[];
  }[];
  readonly backoff: LaunchBackoff | undefined;
  readonly lastRound: OfferRound | undefined;
  readonly lastFailure: TaskFailure | undefined;
  readonly nowMs: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function appView(input: AppViewInput) {
  const { app, plan } = input;
  const live = input.tasks.filter((t) => t.runtime?.phase !== 'killing');
  return {
    id: app.spec.id,
    version: app.version,
    versionAt: iso(app.versionAtMs),
    instances: app.spec.instances,
    tasksRunning: live.filter((t) => t.runtime?.phase === 'running').length,
    tasksHealthy: live.filter((t) => t.healthy === true).length,
    tasksStaging: live.filter((t) => t.runtime?.phase !== 'running').length,
    tasks: input.tasks.map(taskView),
    deployment: plan.deploying ? deploymentView(input) : null,
    waiting: plan.waiting === undefined ? null : waitingView(input),
    definition: app.spec,
  };
}

function taskView(task: AppViewInput['tasks'][number]) {
  return {
    id: task.id,
    version: task.record.version,
    hostname: task.record.hostname,
    agentId: task.record.agentId,
    host: task.record.host,
    ports: task.record.ports,
    state: task.runtime?.mesosState ?? 'TASK_UNKNOWN',
    phase: task.runtime?.phase ?? 'unknown',
    healthy: task.healthy ?? null,
    healthChecks: task.checks.map((c) => ({
      healthy: c.healthy ?? null,
      consecutiveFailures: c.consecutiveFailures,
      lastResult:
        c.last === undefined ? null : { ok: c.last.ok, message: c.last.message, at: iso(c.last.atMs) },
    })),
    launchedAt: iso(task.record.launchedAtMs),
    ...(task.runtime?.killReason !== undefined && { killReason: task.runtime.killReason }),
  };
}

export function deploymentView(input: AppViewInput) {
  const { app, plan } = input;
  const live = input.tasks.filter((t) => t.runtime?.phase !== 'killing');
  const current = live.filter((t) => t.record.version === app.version);
  return {
    appId: app.spec.id,
    version: app.version,
    startedAt: iso(app.versionAtMs),
    targetInstances: app.spec.instances,
    currentVersionTasks: current.length,
    currentVersionHealthy: current.filter((t) => t.healthy === true).length,
    oldVersionTasks: live.length - current.length,
    killingTasks: input.tasks.length - live.length,
    minimumHealthy: plan.minHealthy,
    maximumTasks: plan.maxTotal,
  };
}

const WAITING_STATUS = {
  offers: 'waiting-for-offers',
  backoff: 'backing-off',
  capacity: 'waiting-for-capacity',
  health: 'waiting-for-health',
} as const;

/** "Why not placed": the answer to the most common question about a stuck deployment. */
export function waitingView(input: AppViewInput) {
  const { plan, backoff, lastRound, lastFailure } = input;
  const waiting = plan.waiting ?? 'offers';
  const backingOff = backoff !== undefined && input.nowMs < backoff.untilMs;
  return {
    appId: input.app.spec.id,
    status: WAITING_STATUS[waiting],
    tasksToLaunch: plan.launch,
    backoff:
      backoff === undefined
        ? null
        : { consecutiveFailures: backoff.failures, until: iso(backoff.untilMs), active: backingOff },
    lastFailure:
      lastFailure === undefined
        ? null
        : {
            taskId: lastFailure.taskId,
            state: lastFailure.state,
            message: lastFailure.message,
            at: iso(lastFailure.atMs),
          },
    lastOffers: offerRoundView(lastRound),
  };
}
