/**
 * The services framework's scheduler on the leading instance: the bridge between the pure
 * reconciler (`planApp`) and the world. It keeps apps and task records in the state document,
 * task phases and health in memory, and every second (and after every update) it plans each app,
 * kills what the plan says, and tells the runtime whether it wants offers. Offers are packed by
 * `planPlacements`; the record of each new task is written before its launch.
 */
import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import type { Clock } from '../../core/clock.js';
import { MesoError } from '../../core/errors.js';
import type { Offer } from '../../core/v1/cluster.js';
import { isTerminalState, type TaskStatus } from '../../core/v1/tasks.js';
import type { Logger } from '../../log/logger.js';
import {
  describeError,
  type OfferLaunch,
  type PlacementRequest,
  planPlacements,
  type ReconcileTask,
} from '../../scheduler/index.js';
import {
  KILL_RETRY_MS,
  type LeaderScheduler,
  type SchedulerContext,
  type TaskControl,
} from '../common/daemon.js';
import { needsOf } from '../common/runnable.js';
import type { StateDocument } from '../common/state-document.js';
import type { AppSpec } from './app-definition.js';
import type { OfferRound } from '../common/offer-round.js';
import { addDemand, type RoleDemand, type SchedulerGauges } from '../common/scheduler-metrics.js';
import { appLaunches, appTaskId } from './app-launches.js';
import { appView, deploymentView, type TaskFailure, type TaskRuntime, waitingView } from './app-views.js';
import { HealthMonitor, isAgentCheck, isSchedulerCheck } from './health-monitor.js';
import { servicesRouter } from './http-api.js';
import {
  afterFailure,
  type AppPlan,
  type LaunchBackoff,
  planApp,
  STABLE_AFTER_MS,
  type TaskView,
} from './reconciler.js';
import * as ops from './service-state.js';

/** How often every app is planned, besides after each status update. */
const TICK_MS = 1000;

type AppView = ReturnType<typeof appView>;

export class ServiceScheduler implements LeaderScheduler {
  private readonly runtime = new Map<string, TaskRuntime>();
  private readonly backoffs = new Map<string, LaunchBackoff>();
  private readonly rounds = new Map<string, OfferRound>();
  private readonly failures = new Map<string, TaskFailure>();
  private readonly health: HealthMonitor;
  private readonly state: StateDocument<ops.ServiceState>;
  private readonly control: TaskControl;
  private readonly clock: Clock;
  private readonly log: Logger;
  private cancelTick: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly context: SchedulerContext<ops.ServiceState>) {
    this.state = context.state;
    this.control = context.control;
    this.clock = context.clock;
    this.log = context.log.child({ component: 'frameworks.services.scheduler' });
    this.health = new HealthMonitor({
      clock: this.clock,
      log: this.log,
      onUnhealthy: (taskId, reason) => this.kill(taskId, `unhealthy: ${reason}`),
      onChange: () => this.tick(),
    });
    this.scheduleTick();
  }

  router(): Router {
    return servicesRouter(this);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelTick?.();
    this.health.stop();
  }

  /** Totals per role (apps are never labels), tasks by phase, and apps held back by a backoff. */
  gauges(): SchedulerGauges {
    const now = this.clock.nowMs();
    const byRole = new Map<string, RoleDemand>();
    const tasksByState: Record<string, number> = { staging: 0, running: 0, killing: 0, unknown: 0 };
    for (const taskId of Object.keys(this.state.value.tasks)) {
      const phase = this.runtime.get(taskId)?.phase ?? 'unknown';
      tasksByState[phase] = (tasksByState[phase] ?? 0) + 1;
    }
    for (const app of Object.values(this.state.value.apps)) {
      const running = this.tasksOf(app.spec.id).filter(([id]) => this.runtime.get(id)?.phase === 'running');
      addDemand(byRole, app.spec.role ?? this.context.role, {
        wanted: app.spec.instances,
        running: running.length,
        queued: this.plan(app, now).launch,
      });
    }
    if (byRole.size === 0) addDemand(byRole, this.context.role, {});
    const launchBackoffs = [...this.backoffs.values()].filter((b) => b.untilMs > now).length;
    return { roles: [...byRole.values()], tasksByState, launchBackoffs };
  }

  // --- FrameworkHandlers -------------------------------------------------------------------

  wantsOffers(): boolean {
    const now = this.clock.nowMs();
    return Object.values(this.state.value.apps).some((app) => this.plan(app, now).launch > 0);
  }

  knownTasks(): readonly ReconcileTask[] {
    return Object.entries(this.state.value.tasks).map(([id, t]) => ({
      task_id: { value: id },
      agent_id: { value: t.agentId },
    }));
  }

  onSubscribed(frameworkId: string, failover: boolean): void {
    this.log.info('subscribed', {
      frameworkId,
      failover,
      recordedTasks: Object.keys(this.state.value.tasks).length,
    });
  }

  async onOffers(offers: readonly Offer[]): Promise<readonly OfferLaunch[]> {
    const now = this.clock.nowMs();
    const requests: PlacementRequest[] = [];
    const apps = new Map<string, ops.AppRecord>();
    for (const app of this.sortedApps()) {
      const count = this.plan(app, now).launch;
      if (count === 0) continue;
      const { spec } = app;
      const placed = this.tasksOf(spec.id)
        .filter(([id]) => this.runtime.get(id)?.phase !== 'killing')
        .map(([, t]) => ({ hostname: t.hostname, attributes: t.attributes }));
      const needs = needsOf(spec, spec.ports.length);
      const role = spec.role ?? this.context.role;
      requests.push({ key: spec.id, count, needs, constraints: spec.constraints, placed, role });
      apps.set(spec.id, app);
    }
    if (requests.length === 0) return [];
    const plan = planPlacements(offers, requests);
    for (const [appId, considered] of plan.considered)
      this.rounds.set(appId, { atMs: now, offers: considered });
    const { records, launches } = appLaunches(plan.placements, apps, now, (appId) =>
      appTaskId(appId, randomUUID()),
    );
    // Recorded before launching: a successor must know every task we may have started.
    await this.state.update((s) => ops.addTasks(s, records));
    for (const taskId of Object.keys(records))
      this.setRuntime(taskId, { phase: 'staging', mesosState: 'TASK_STAGING' });
    return launches;
  }

  async onUpdate(status: TaskStatus): Promise<void> {
    const taskId = status.task_id.value;
    const record = this.state.value.tasks[taskId];
    if (record === undefined) {
      // Not launched by this framework's state (an app deleted long ago, a lost write): remove it.
      if (!isTerminalState(status.state)) await this.killUntracked(taskId, status.agent_id?.value);
      return;
    }
    const previous = this.runtime.get(taskId);
    if (isTerminalState(status.state)) {
      await this.taskEnded(taskId, record, status, previous);
    } else {
      const running = status.state === 'TASK_RUNNING';
      this.setRuntime(taskId, {
        phase: previous?.phase === 'killing' ? 'killing' : running ? 'running' : 'staging',
        mesosState: status.state,
        runningSinceMs: running ? (previous?.runningSinceMs ?? this.clock.nowMs()) : undefined,
        agentHealthy: status.healthy ?? previous?.agentHealthy,
      });
      const app = this.state.value.apps[record.appId];
      if (running && app !== undefined && previous?.phase !== 'killing') {
        this.health.watch({
          taskId,
          host: record.host,
          ports: record.ports,
          checks: app.spec.healthChecks,
          startedAtMs: record.launchedAtMs,
        });
      }
    }
    this.tick();
  }

  // --- operations behind the REST API ------------------------------------------------------

  async putApp(spec: AppSpec, replace: boolean): Promise<AppView> {
    const before = this.state.value.apps[spec.id]?.version;
    const app = await this.state.transact((s) => ops.putApp(s, spec, { replace, nowMs: this.clock.nowMs() }));
    if (app.version !== before) this.newVersion(app, before === undefined ? 'created' : 'updated');
    this.tick();
    return this.view(app);
  }

  async scaleApp(appId: string, instances: number): Promise<AppView> {
    const app = await this.state.transact((s) => ops.scaleApp(s, appId, instances));
    this.log.info('app scaled', { appId, instances });
    this.tick();
    return this.view(app);
  }

  async restartApp(appId: string): Promise<AppView> {
    const app = await this.state.transact((s) => ops.restartApp(s, appId, this.clock.nowMs()));
    this.newVersion(app, 'restarted');
    this.tick();
    return this.view(app);
  }

  async deleteApp(appId: string): Promise<void> {
    await this.state.transact((s) => ops.deleteApp(s, appId));
    this.log.info('app deleted', { appId });
    for (const perApp of [this.backoffs, this.rounds, this.failures]) perApp.delete(appId);
    this.tick();
  }

  listApps(): AppView[] {
    return this.sortedApps().map((app) => this.view(app));
  }

  getApp(appId: string): AppView {
    const app = this.state.value.apps[appId];
    if (app === undefined) throw new MesoError('NOT_FOUND', `app '${appId}' does not exist`);
    return this.view(app);
  }

  deployments(): ReturnType<typeof deploymentView>[] {
    return this.sortedApps().flatMap((app) => {
      const input = this.viewInput(app);
      return input.plan.deploying ? [deploymentView(input)] : [];
    });
  }

  /** Every app missing instances, with the reason (Marathon's launch queue, with answers). */
  queue(): ReturnType<typeof waitingView>[] {
    return this.sortedApps().flatMap((app) => {
      const input = this.viewInput(app);
      return input.plan.waiting === undefined ? [] : [waitingView(input)];
    });
  }

  // --- internals ---------------------------------------------------------------------------

  private sortedApps(): ops.AppRecord[] {
    return Object.values(this.state.value.apps).sort((a, b) => (a.spec.id < b.spec.id ? -1 : 1));
  }

  private tasksOf(appId: string): [string, ops.TaskRecord][] {
    return Object.entries(this.state.value.tasks).filter(([, t]) => t.appId === appId);
  }

  /**
   * See `TaskView.healthy`: `undefined` while a running task awaits its first verdict, from the
   * scheduler's own checks or (COMMAND) from the agent's status updates; false once one fails.
   */
  private healthOf(taskId: string, app: ops.AppRecord): boolean | undefined {
    const runtime = this.runtime.get(taskId);
    if (runtime?.phase !== 'running') return undefined;
    const checks = app.spec.healthChecks;
    const verdicts = [
      checks.some(isSchedulerCheck) ? this.health.isHealthy(taskId) : true,
      checks.some(isAgentCheck) ? runtime.agentHealthy : true,
    ];
    if (verdicts.includes(false)) return false;
    return verdicts.includes(undefined) ? undefined : true;
  }

  private isHealthy(taskId: string, app: ops.AppRecord): boolean {
    return this.healthOf(taskId, app) === true;
  }

  private plan(app: ops.AppRecord, nowMs: number): AppPlan {
    const tasks: TaskView[] = this.tasksOf(app.spec.id).map(([taskId, t]) => ({
      taskId,
      version: t.version,
      phase: this.runtime.get(taskId)?.phase ?? 'unknown',
      healthy: this.healthOf(taskId, app),
      launchedAtMs: t.launchedAtMs,
    }));
    return planApp({
      instances: app.spec.instances,
      version: app.version,
      strategy: app.spec.upgradeStrategy,
      tasks,
      backoffUntilMs: this.backoffs.get(app.spec.id)?.untilMs,
      nowMs,
    });
  }

  private viewInput(app: ops.AppRecord) {
    const now = this.clock.nowMs();
    return {
      app,
      plan: this.plan(app, now),
      tasks: this.tasksOf(app.spec.id).map(([id, record]) => ({
        id,
        record,
        runtime: this.runtime.get(id),
        healthy: this.healthOf(id, app),
        checks: this.health.states(id),
      })),
      backoff: this.backoffs.get(app.spec.id),
      lastRound: this.rounds.get(app.spec.id),
      lastFailure: this.failures.get(app.spec.id),
      nowMs: now,
    };
  }

  private view(app: ops.AppRecord): AppView {
    return appView(this.viewInput(app));
  }

  private newVersion(app: ops.AppRecord, what: string): void {
    // A new version deserves a fresh start: the old one's crash loop says nothing about it.
    this.backoffs.delete(app.spec.id);
    this.log.info(`app ${what}`, { appId: app.spec.id, version: app.version, instances: app.spec.instances });
  }

  private async taskEnded(
    taskId: string,
    record: ops.TaskRecord,
    status: TaskStatus,
    previous: TaskRuntime | undefined,
  ): Promise<void> {
    this.health.unwatch(taskId);
    this.runtime.delete(taskId);
    await this.state.update((s) => ops.removeTask(s, taskId));
    const app = this.state.value.apps[record.appId];
    const intended = previous?.phase === 'killing' && !(previous.killReason ?? '').startsWith('unhealthy');
    this.log.info('task ended', {
      taskId,
      appId: record.appId,
      state: status.state,
      intended,
      message: status.message,
    });
    if (intended || app === undefined || app.version !== record.version) return;
    const now = this.clock.nowMs();
    const backoff = afterFailure(this.backoffs.get(record.appId), app.spec, now);
    this.backoffs.set(record.appId, backoff);
    const message = previous?.killReason ?? status.message ?? status.reason ?? '';
    this.failures.set(record.appId, { taskId, state: status.state, message, atMs: now });
    this.log.warn('task failed; relaunching after backoff', {
      taskId,
      appId: record.appId,
      failures: backoff.failures,
      delayMs: backoff.untilMs - now,
    });
  }

  private setRuntime(taskId: string, change: Partial<TaskRuntime>): void {
    const previous = this.runtime.get(taskId);
    this.runtime.set(taskId, {
      phase: 'staging',
      mesosState: 'TASK_UNKNOWN',
      runningSinceMs: undefined,
      killRequestedAtMs: undefined,
      killReason: undefined,
      agentHealthy: undefined,
      ...previous,
      ...change,
    });
  }

  private kill(taskId: string, reason: string): void {
    const record = this.state.value.tasks[taskId];
    const grace =
      record === undefined ? undefined : this.state.value.apps[record.appId]?.spec.killGracePeriodSeconds;
    this.setRuntime(taskId, { phase: 'killing', killRequestedAtMs: this.clock.nowMs(), killReason: reason });
    this.health.unwatch(taskId);
    this.log.info('killing task', { taskId, reason });
    this.control
      .kill(taskId, record?.agentId, grace === undefined ? undefined : grace * 1000)
      .catch((err: unknown) =>
        this.log.warn('kill failed; it will be retried', { taskId, err: describeError(err) }),
      );
  }

  private async killUntracked(taskId: string, agentId: string | undefined): Promise<void> {
    this.log.warn('killing a task this framework does not track', { taskId });
    await this.control
      .kill(taskId, agentId)
      .catch((err: unknown) => this.log.warn('kill failed', { taskId, err: describeError(err) }));
  }

  private scheduleTick(): void {
    this.cancelTick = this.clock.after(TICK_MS, () => {
      this.tick();
      if (!this.stopped) this.scheduleTick();
    });
  }

  /** Plans every app and acts: kills, kill retries, backoff resets, offer demand. */
  private tick(): void {
    if (this.stopped) return;
    const now = this.clock.nowMs();
    const { apps, tasks } = this.state.value;
    for (const app of this.sortedApps()) {
      for (const { taskId, reason } of this.plan(app, now).kill) this.kill(taskId, reason);
      const stable = this.tasksOf(app.spec.id).some(([id]) => {
        const since = this.runtime.get(id)?.runningSinceMs;
        return since !== undefined && now - since >= STABLE_AFTER_MS && this.isHealthy(id, app);
      });
      if (stable && this.backoffs.delete(app.spec.id))
        this.log.info('app is stable; backoff reset', { appId: app.spec.id });
    }
    for (const [taskId, record] of Object.entries(tasks)) {
      const runtime = this.runtime.get(taskId);
      if (runtime?.phase === 'killing') {
        if (now - (runtime.killRequestedAtMs ?? now) >= KILL_RETRY_MS)
          this.kill(taskId, runtime.killReason ?? 'retry');
      } else if (apps[record.appId] === undefined) {
        this.kill(taskId, 'app deleted');
      }
    }
    this.control.demandChanged();
  }
}

export const createServiceScheduler = (context: SchedulerContext<ops.ServiceState>): ServiceScheduler =>
  new ServiceScheduler(context);
