/**
 * Mesos's `/metrics/snapshot`: a flat JSON object of doubles under Mesos's key names, derived
 * from the same registry `/metrics` renders, so the two views never disagree. Tools written for
 * Mesos (dashboards, autoscalers, `mesos-ps`) read these keys.
 *
 * Mesos's vocabulary differs from ours in one place: its `*_used` keys count what tasks hold,
 * which meso calls *allocated*; those keys are filled from the allocated gauges. Mesos counts
 * `mem` and `disk` in MB, so the bytes are converted back. Timers expand as in libprocess:
 * `<name>` (the latest value), `/count`, `/min`, `/max`, `/p50` ... `/p9999`, over the window of
 * recent observations, and are absent until the first one.
 */
import { availableParallelism, freemem, loadavg, totalmem } from 'node:os';
import { AgentMetrics, type GaugeSpec, type HistogramSpec, MasterMetrics } from './names.js';
import type { Readings } from './readings.js';

export type Snapshot = Record<string, number>;

/** The scalar resources Mesos always reports, present or not. */
const SNAPSHOT_RESOURCES = ['cpus', 'mem', 'disk', 'gpus'] as const;
const BYTES_PER_MB = 1024 * 1024;
const PERCENTILES: readonly (readonly [string, number])[] = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p999', 0.999],
  ['p9999', 0.9999],
];

/** Tasks states Mesos reports as gauges (live tasks) and as counters (terminal transitions). */
const LIVE_TASK_STATES = ['staging', 'starting', 'running', 'killing', 'unreachable'] as const;
const TERMINAL_TASK_STATES = [
  'finished',
  'failed',
  'killed',
  'lost',
  'error',
  'dropped',
  'gone',
  'gone_by_operator',
];

const fromBaseUnits = (resource: string, value: number): number =>
  resource === 'mem' || resource === 'disk' ? value / BYTES_PER_MB : value;

const taskState = (state: string): string => `TASK_${state.toUpperCase()}`;

/** Linear interpolation between the closest ranks, as libprocess's `Statistics` does. */
function percentile(sorted: readonly number[], p: number): number {
  const position = p * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

/** A libprocess timer in milliseconds, from a window of observations in seconds. */
export function timerKeys(key: string, recentSeconds: readonly number[]): Snapshot {
  if (recentSeconds.length === 0) return {};
  const ms = recentSeconds.map((s) => s * 1000);
  const sorted = [...ms].sort((a, b) => a - b);
  const out: Snapshot = {
    [key]: ms[ms.length - 1]!,
    [`${key}/count`]: ms.length,
    [`${key}/min`]: sorted[0]!,
    [`${key}/max`]: sorted[sorted.length - 1]!,
  };
  for (const [suffix, p] of PERCENTILES) out[`${key}/${suffix}`] = percentile(sorted, p);
  return out;
}

/** `<prefix>/<r>_total|used|percent` for each resource, plus Mesos's revocable keys (always 0 here). */
function resourceKeys(
  prefix: string,
  readings: Readings,
  total: GaugeSpec<'resource'>,
  used: GaugeSpec<'resource'>,
) {
  const out: Snapshot = {};
  for (const resource of SNAPSHOT_RESOURCES) {
    const totalValue = fromBaseUnits(resource, readings.sum(total, { resource }));
    const usedValue = fromBaseUnits(resource, readings.sum(used, { resource }));
    out[`${prefix}/${resource}_total`] = totalValue;
    out[`${prefix}/${resource}_used`] = usedValue;
    out[`${prefix}/${resource}_percent`] = totalValue > 0 ? usedValue / totalValue : 0;
    for (const suffix of ['total', 'used', 'percent']) out[`${prefix}/${resource}_revocable_${suffix}`] = 0;
  }
  return out;
}

function uptime(readings: Readings, startSpec: GaugeSpec<never>, nowSec: number): number {
  const start = readings.sum(startSpec);
  return start > 0 ? Math.max(0, nowSec - start) : 0;
}

function liveTaskKeys(
  prefix: string,
  readings: Readings,
  spec: GaugeSpec<'state'>,
  states: readonly string[],
) {
  return Object.fromEntries(
    states.map((state) => [`${prefix}/tasks_${state}`, readings.sum(spec, { state: taskState(state) })]),
  );
}

function timer(key: string, readings: Readings, spec: HistogramSpec<string>): Snapshot {
  return timerKeys(key, readings.recent(spec));
}

/** The machine a daemon runs on, as Mesos's `system/*` keys describe it. */
export interface HostReadings {
  readonly cpus: number;
  /** 1, 5 and 15 minute load averages. */
  readonly loadAverage: readonly [number, number, number];
  readonly memFreeBytes: number;
  readonly memTotalBytes: number;
}

/** This machine, now (`os` answers from the kernel; the values are cheap to read). */
export const hostReadings = (): HostReadings => {
  const [one = 0, five = 0, fifteen = 0] = loadavg();
  return {
    cpus: availableParallelism(),
    loadAverage: [one, five, fifteen],
    memFreeBytes: freemem(),
    memTotalBytes: totalmem(),
  };
};

export function systemKeys(host: HostReadings): Snapshot {
  return {
    'system/cpus_total': host.cpus,
    'system/load_1min': host.loadAverage[0],
    'system/load_5min': host.loadAverage[1],
    'system/load_15min': host.loadAverage[2],
    'system/mem_free_bytes': host.memFreeBytes,
    'system/mem_total_bytes': host.memTotalBytes,
  };
}

export function masterSnapshot(readings: Readings, nowSec: number, host?: HostReadings): Snapshot {
  const m = MasterMetrics;
  const agents = (state: string): number => readings.sum(m.agents, { state });
  // Mesos counts an agent the operator deactivated or drained as connected but not active.
  const deactivated = agents('deactivated') + agents('draining') + agents('drained');
  const frameworks = (state: string): number => readings.sum(m.frameworks, { state });
  const out: Snapshot = {
    'master/elected': readings.sum(m.elected),
    'master/uptime_secs': uptime(readings, m.startTimeSeconds, nowSec),
    ...resourceKeys('master', readings, m.resourcesCapacity, m.cluster.allocated),
    'master/slaves_active': agents('active'),
    'master/slaves_inactive': agents('disconnected') + deactivated,
    'master/slaves_connected': agents('active') + deactivated,
    'master/slaves_disconnected': agents('disconnected'),
    'master/slaves_unreachable': agents('unreachable'),
    'master/slave_registrations': readings.sum(m.agentRegistrationsTotal, { kind: 'new' }),
    'master/slave_reregistrations': readings.sum(m.agentRegistrationsTotal, { kind: 'reregistered' }),
    'master/slave_unreachable_completed': readings.sum(m.agentsMarkedUnreachableTotal),
    'master/frameworks_active': frameworks('active'),
    'master/frameworks_inactive': frameworks('inactive'),
    'master/frameworks_connected': frameworks('active'),
    'master/frameworks_disconnected': frameworks('inactive'),
    'master/outstanding_offers': readings.sum(m.offersOutstanding),
    ...liveTaskKeys('master', readings, m.tasks, LIVE_TASK_STATES),
    'allocator/mesos/allocation_runs': readings.count(m.allocationRunDurationSeconds),
    ...timer('allocator/mesos/allocation_run_ms', readings, m.allocationRunDurationSeconds),
    ...(host !== undefined && systemKeys(host)),
  };
  for (const state of TERMINAL_TASK_STATES) {
    out[`master/tasks_${state}`] = readings.sum(m.tasksTerminatedTotal, { state: taskState(state) });
  }
  for (const resource of ['cpus', 'mem', 'disk']) {
    const prefix = `allocator/mesos/resources/${resource}`;
    const held =
      readings.sum(m.cluster.offered, { resource }) + readings.sum(m.cluster.allocated, { resource });
    out[`${prefix}/total`] = fromBaseUnits(resource, readings.sum(m.resourcesCapacity, { resource }));
    out[`${prefix}/offered_or_allocated`] = fromBaseUnits(resource, held);
  }
  for (const [role, share] of readings.by(m.roleDominantShare, 'role')) {
    out[`allocator/mesos/roles/${role}/shares/dominant`] = share;
  }
  return out;
}

export function agentSnapshot(readings: Readings, nowSec: number, host?: HostReadings): Snapshot {
  const a = AgentMetrics;
  return {
    'slave/registered': readings.sum(a.registered),
    'slave/uptime_secs': uptime(readings, a.startTimeSeconds, nowSec),
    ...resourceKeys('slave', readings, a.resourcesCapacity, a.resourcesAllocated),
    ...liveTaskKeys('slave', readings, a.tasks, ['staging', 'starting', 'running', 'killing']),
    'slave/frameworks_active': readings.sum(a.frameworks),
    'slave/executors_running': readings.sum(a.executors),
    'slave/container_launch_errors': readings.count(a.containerLaunchDurationSeconds, { outcome: 'failed' }),
    'slave/recovery_errors': readings.sum(a.recoveryFailuresTotal),
    ...timer('containerizer/docker/image_pull_ms', readings, a.imagePullDurationSeconds),
    ...(host !== undefined && systemKeys(host)),
  };
}
