/**
 * Runs the HTTP and TCP health checks of running tasks against their host and ports, on the
 * injected clock, and reports verdicts (see `health-state.ts` for the rules). COMMAND checks are
 * not run here: they travel in the TaskInfo and the agent runs them (`app-launches.ts`).
 */
import { connect } from 'node:net';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import { describeError } from '../../scheduler/index.js';
import type { HealthCheckSpec } from './app-definition.js';
import { type CheckResult, type CheckState, INITIAL_CHECK_STATE, recordResult } from './health-state.js';

export interface WatchedTask {
  readonly taskId: string;
  readonly host: string;
  readonly ports: readonly number[];
  readonly checks: readonly HealthCheckSpec[];
  readonly startedAtMs: number;
}

/** Probes `host:port` once; resolves (never rejects) with the result, failing when `signal` aborts. */
export type Prober = (
  check: HealthCheckSpec,
  host: string,
  port: number,
  signal: AbortSignal,
) => Promise<CheckResult>;

/** How soon after a task is watched its checks first run (a failure then is within the grace period). */
const FIRST_CHECK_DELAY_MS = 1000;

export const isSchedulerCheck = (check: HealthCheckSpec): boolean => check.protocol !== 'COMMAND';
/** COMMAND checks run on the agent, inside the task's container; verdicts come in status updates. */
export const isAgentCheck = (check: HealthCheckSpec): boolean => check.protocol === 'COMMAND';

interface Watch {
  readonly task: WatchedTask;
  readonly states: CheckState[];
  readonly cancels: Set<() => void>;
  /** Set once the task was reported unhealthy; no more checks or reports after that. */
  condemned: boolean;
}

export interface HealthMonitorDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** @default probes over HTTP (`fetch`) and TCP (`net.connect`) */
  readonly prober?: Prober;
  /** A task reached a check's failure limit; called once per task. */
  readonly onUnhealthy: (taskId: string, reason: string) => void;
  /** Some task's health changed. */
  readonly onChange: () => void;
}

export class HealthMonitor {
  private readonly watches = new Map<string, Watch>();
  private readonly prober: Prober;

  constructor(private readonly deps: HealthMonitorDeps) {
    this.prober = deps.prober ?? probe;
  }

  /** Starts checking `task` (idempotent per task id). */
  watch(task: WatchedTask): void {
    if (this.watches.has(task.taskId)) return;
    const checks = task.checks.filter(isSchedulerCheck);
    const watch: Watch = {
      task: { ...task, checks },
      states: checks.map(() => INITIAL_CHECK_STATE),
      cancels: new Set(),
      condemned: false,
    };
    this.watches.set(task.taskId, watch);
    checks.forEach((_, i) => this.schedule(watch, i, FIRST_CHECK_DELAY_MS));
  }

  unwatch(taskId: string): void {
    const watch = this.watches.get(taskId);
    if (watch === undefined) return;
    for (const cancel of watch.cancels) cancel();
    this.watches.delete(taskId);
  }

  /** True when every check passes now; false when one fails; `undefined` before verdicts or when unwatched. */
  isHealthy(taskId: string): boolean | undefined {
    const states = this.watches.get(taskId)?.states;
    if (states === undefined || states.some((s) => s.healthy === undefined)) return undefined;
    return states.every((s) => s.healthy === true);
  }

  /** The checks' states of a watched task, in the app's check order (scheduler-run checks only). */
  states(taskId: string): readonly CheckState[] {
    return this.watches.get(taskId)?.states ?? [];
  }

  stop(): void {
    for (const taskId of [...this.watches.keys()]) this.unwatch(taskId);
  }

  private schedule(watch: Watch, index: number, delayMs: number): void {
    const cancel = this.deps.clock.after(delayMs, () => {
      watch.cancels.delete(cancel);
      void this.runCheck(watch, index);
    });
    watch.cancels.add(cancel);
  }

  private async runCheck(watch: Watch, index: number): Promise<void> {
    const check = watch.task.checks[index];
    const port = check === undefined ? undefined : watch.task.ports[check.portIndex];
    if (check === undefined || port === undefined || watch.condemned) return;
    const aborter = new AbortController();
    const timeoutMs = check.timeoutSeconds * 1000;
    const cancelTimeout = this.deps.clock.after(timeoutMs, () => aborter.abort());
    const result = await this.prober(check, watch.task.host, port, aborter.signal);
    cancelTimeout();
    if (this.watches.get(watch.task.taskId) !== watch || watch.condemned) return;

    const before = watch.states[index] ?? INITIAL_CHECK_STATE;
    const outcome = recordResult(
      before,
      aborter.signal.aborted ? { ok: false, message: `timed out after ${timeoutMs}ms` } : result,
      check,
      {
        startedAtMs: watch.task.startedAtMs,
        nowMs: this.deps.clock.nowMs(),
      },
    );
    watch.states[index] = outcome.state;
    if (before.healthy !== outcome.state.healthy) {
      this.deps.log.info('task health changed', {
        taskId: watch.task.taskId,
        healthy: outcome.state.healthy,
        check: check.protocol,
        result: result.message,
      });
      this.deps.onChange();
    }
    if (outcome.kill) {
      watch.condemned = true;
      const reason = `${check.protocol} health check failed ${outcome.state.consecutiveFailures} times in a row (last: ${result.message})`;
      this.deps.onUnhealthy(watch.task.taskId, reason);
      return;
    }
    this.schedule(watch, index, check.intervalSeconds * 1000);
  }
}

/** The default prober: HTTP GET (200-399 is healthy) or a TCP connect. */
export const probe: Prober = (check, host, port, signal) =>
  check.protocol === 'HTTP'
    ? probeHttp(`http://${host}:${port}${check.path}`, signal)
    : probeTcp(host, port, signal);

async function probeHttp(url: string, signal: AbortSignal): Promise<CheckResult> {
  try {
    const response = await fetch(url, { signal, redirect: 'manual' });
    await response.body?.cancel();
    return { ok: response.status >= 200 && response.status < 400, message: `HTTP ${response.status}` };
  } catch (err) {
    return { ok: false, message: describeError(err) };
  }
}

function probeTcp(host: string, port: number, signal: AbortSignal): Promise<CheckResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (result: CheckResult): void => {
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => finish({ ok: false, message: 'aborted' });
    signal.addEventListener('abort', onAbort, { once: true });
    socket.once('connect', () => finish({ ok: true, message: 'connected' }));
    socket.once('error', (err) => finish({ ok: false, message: err.message }));
  });
}
