/**
 * Turning placements into what the services framework stores and launches: one task record (the
 * durable note that the task exists) and one TaskInfo per placement, carrying the app's COMMAND
 * health check for the agent to run. Pure; task ids come from `newTaskId`.
 */
import type { OfferLaunch, Placement } from '../../scheduler/index.js';
import { groupByOffer, launchTask } from '../common/runnable.js';
import type { HealthCheck } from '../../core/v1/tasks.js';
import type { HealthCheckSpec } from './app-definition.js';
import { isAgentCheck } from './health-monitor.js';
import type { AppRecord, TaskRecord } from './service-state.js';

export interface AppLaunches {
  readonly records: Readonly<Record<string, TaskRecord>>;
  readonly launches: readonly OfferLaunch[];
}

/** `<app id>.<suffix>`: the app is readable from any task id. */
export const appTaskId = (appId: string, suffix: string): string => `${appId}.${suffix}`;

export function appLaunches(
  placements: readonly Placement[],
  apps: ReadonlyMap<string, AppRecord>,
  nowMs: number,
  newTaskId: (appId: string) => string,
): AppLaunches {
  const records: Record<string, TaskRecord> = {};
  const tasks = placements.flatMap((placement) => {
    const app = apps.get(placement.key);
    if (app === undefined) return [];
    const { offer } = placement;
    const taskId = newTaskId(app.spec.id);
    records[taskId] = {
      appId: app.spec.id,
      version: app.version,
      agentId: offer.agent_id.value,
      hostname: offer.hostname,
      host: offer.url?.address.ip ?? offer.hostname,
      ports: placement.ports,
      attributes: offer.attributes,
      launchedAtMs: nowMs,
    };
    const task = launchTask(app.spec, placement, {
      taskId,
      name: app.spec.id,
      labels: { 'meso.app': app.spec.id, 'meso.version': String(app.version) },
      killGracePeriodMs: app.spec.killGracePeriodSeconds * 1000,
    });
    const agentCheck = app.spec.healthChecks.find(isAgentCheck);
    return [
      {
        offer,
        task: agentCheck === undefined ? task : { ...task, health_check: mesosHealthCheck(agentCheck) },
      },
    ];
  });
  return { records, launches: groupByOffer(tasks) };
}

/**
 * A COMMAND check as the Mesos `HealthCheck` the agent runs in the task's container. The grace
 * period is the app's; checking starts at once (Marathon's choice for Mesos-run checks), and
 * the agent kills the task after `maxConsecutiveFailures`, as the scheduler would.
 */
export function mesosHealthCheck(check: HealthCheckSpec): HealthCheck {
  return {
    type: 'COMMAND',
    command: { value: check.command ?? '', shell: true },
    delay_seconds: 0,
    interval_seconds: check.intervalSeconds,
    timeout_seconds: check.timeoutSeconds,
    consecutive_failures: check.maxConsecutiveFailures,
    grace_period_seconds: check.gracePeriodSeconds,
  };
}
