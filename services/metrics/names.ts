/**
 * Every metric meso exports, in one place: name, help, type, labels and (for histograms) buckets.
 * Daemons record only through these specs, so this file is the catalogue that `docs/metrics.md`,
 * the Grafana dashboard and the alerting rules are checked against.
 *
 * Conventions (Prometheus): base units (seconds, bytes, cores), `_total` only on counters,
 * `_seconds` on durations, and bounded label values: role, framework id, agent id, resource name,
 * task state and reason, HTTP endpoint (route pattern, never the raw path), method and status
 * code. Never a task id.
 *
 * Resource quantities are in base units: `cpus` in cores, `mem` and `disk` in bytes (Mesos counts
 * them in MiB), any other scalar (`gpus`, custom ones) as a plain count.
 */

export interface CounterSpec<L extends string = string> {
  readonly type: 'counter';
  readonly name: string;
  readonly help: string;
  readonly labels: readonly L[];
}

export interface GaugeSpec<L extends string = string> {
  readonly type: 'gauge';
  readonly name: string;
  readonly help: string;
  readonly labels: readonly L[];
}

export interface HistogramSpec<L extends string = string> {
  readonly type: 'histogram';
  readonly name: string;
  readonly help: string;
  readonly labels: readonly L[];
  /** Upper bounds, in the metric's unit. */
  readonly buckets: readonly number[];
  /**
   * When set, the most recent this-many observations are also kept, so a Mesos-style timer
   * (`/p50`, `/p99`, `/min`, `/max` over recent runs) can be derived for `/metrics/snapshot`.
   */
  readonly window?: number;
}

export type MetricSpec = CounterSpec | GaugeSpec | HistogramSpec;

const counter = <const L extends string = never>(
  name: string,
  help: string,
  labels: readonly L[] = [],
): CounterSpec<L> => ({ type: 'counter', name, help, labels });

const gauge = <const L extends string = never>(
  name: string,
  help: string,
  labels: readonly L[] = [],
): GaugeSpec<L> => ({ type: 'gauge', name, help, labels });

const histogram = <const L extends string = never>(
  name: string,
  help: string,
  labels: readonly L[],
  buckets: readonly number[],
  window?: number,
): HistogramSpec<L> => ({
  type: 'histogram',
  name,
  help,
  labels,
  buckets,
  ...(window !== undefined && { window }),
});

/** Mesos's timers summarise a time series of recent values; libprocess keeps 1000 of them. */
const TIMER_WINDOW = 1000;

const ALLOCATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const HTTP_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const LAUNCH_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const PULL_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** `mem` and `disk` are counted in MiB by Mesos and exported in bytes; other scalars as they are. */
export function inBaseUnits(resource: string, value: number): number {
  return resource === 'mem' || resource === 'disk' ? value * 1024 * 1024 : value;
}

/** The HTTP metrics every daemon with an HTTP API exports, under its own prefix. */
function httpMetrics<const D extends string>(daemon: D) {
  return {
    httpRequestsTotal: counter(
      `meso_${daemon}_http_requests_total`,
      'HTTP requests answered, by endpoint (route pattern), method and status code',
      ['endpoint', 'method', 'code'],
    ),
    httpRequestDurationSeconds: histogram(
      `meso_${daemon}_http_request_duration_seconds`,
      'Time from a request to its response headers (for event streams: until the stream opened)',
      ['endpoint', 'method'],
      HTTP_BUCKETS,
    ),
  };
}

export type HttpMetricSpecs = ReturnType<typeof httpMetrics>;

/** Resource gauges of one scope (cluster, role, framework or agent) on the master. */
function masterResources<const S extends string, const L extends string>(scope: S, labels: readonly L[]) {
  const prefix = scope === '' ? 'meso_master_resources' : `meso_master_${scope}_resources`;
  const of = scope === '' ? 'in the cluster' : `per ${scope}`;
  return {
    offered: gauge(`${prefix}_offered`, `Resources in outstanding offers ${of}`, [...labels, 'resource']),
    allocated: gauge(
      `${prefix}_allocated`,
      `Resources held by non-terminal tasks and their executors ${of} (Mesos calls this "used")`,
      [...labels, 'resource'],
    ),
    used: gauge(
      `${prefix}_used`,
      `Resources tasks really use ${of}, from the agents' usage reports: cpus in cores (CPU time per second), mem in bytes (resident set)`,
      [...labels, 'resource'],
    ),
  };
}

export const MasterMetrics = {
  ...httpMetrics('master'),
  startTimeSeconds: gauge(
    'meso_master_start_time_seconds',
    'Start time of the master, seconds since the Unix epoch',
  ),
  elected: gauge('meso_master_elected', '1 while this master is the elected leader, else 0'),
  zookeeperSessionState: gauge(
    'meso_master_zookeeper_session_state',
    "1 for the state of the master's ZooKeeper session (connected, disconnected, expired), 0 for the others; absent without ZooKeeper",
    ['state'],
  ),
  leadershipChangesTotal: counter(
    'meso_master_leadership_changes_total',
    'Times this master became or stopped being the leader',
  ),
  eventLoopDelaySeconds: gauge(
    'meso_master_event_loop_delay_seconds',
    "99th percentile of the master's event loop delay over the last 10 s: how long ready work (requests, timers, events) waited to run",
  ),
  resourcesCapacity: gauge(
    'meso_master_resources_capacity',
    'Resources of agents that are registered and not unreachable',
    ['resource'],
  ),
  cluster: masterResources('', []),
  role: masterResources('role', ['role']),
  framework: masterResources('framework', ['framework']),
  agent: masterResources('agent', ['agent']),
  agentResourcesCapacity: gauge(
    'meso_master_agent_resources_capacity',
    'Resources of each agent that is registered and not unreachable',
    ['agent', 'resource'],
  ),
  agentInfo: gauge('meso_master_agent_info', 'Always 1: joins agent ids to hostnames', ['agent', 'hostname']),
  frameworkInfo: gauge('meso_master_framework_info', 'Always 1: joins framework ids to names', [
    'framework',
    'name',
  ]),
  roleDominantShare: gauge(
    'meso_master_role_dominant_share',
    "Weighted dominant share of each role, as the allocator's DRF sorter sees it",
    ['role'],
  ),
  frameworkDominantShare: gauge(
    'meso_master_framework_dominant_share',
    'Dominant share of each framework within each of its roles',
    ['framework', 'role'],
  ),
  agents: gauge(
    'meso_master_agents',
    'Agents known to the master, by state, each counted once: active, deactivated (by the operator: no offers), draining, drained (DRAIN_AGENT), disconnected, unreachable',
    ['state'],
  ),
  agentRegistrationsTotal: counter(
    'meso_master_agent_registrations_total',
    'Agent registrations: kind="new" for a new agent id, "reregistered" for a known one',
    ['kind'],
  ),
  agentsMarkedUnreachableTotal: counter(
    'meso_master_agents_marked_unreachable_total',
    'Agents marked unreachable after missing their pings',
  ),
  frameworks: gauge(
    'meso_master_frameworks',
    'Frameworks by state: active (subscribed) or inactive (disconnected, or recovered from agents and not yet subscribed)',
    ['state'],
  ),
  schedulerStreams: gauge('meso_master_scheduler_streams', 'Open scheduler API event streams'),
  tasks: gauge('meso_master_tasks', 'Non-terminal tasks, by state (unreachable tasks included)', ['state']),
  tasksTerminatedTotal: counter(
    'meso_master_tasks_terminated_total',
    'Tasks that reached a terminal state, by state and reason',
    ['state', 'reason'],
  ),
  offersOutstanding: gauge(
    'meso_master_offers_outstanding',
    'Offers sent and not yet accepted, declined or rescinded',
  ),
  offersSentTotal: counter('meso_master_offers_sent_total', 'Offers sent to frameworks', ['role']),
  offersAcceptedTotal: counter('meso_master_offers_accepted_total', 'Offers accepted by frameworks', [
    'role',
  ]),
  offersDeclinedTotal: counter('meso_master_offers_declined_total', 'Offers declined by frameworks', [
    'role',
  ]),
  offersRescindedTotal: counter(
    'meso_master_offers_rescinded_total',
    'Offers rescinded by the master (timeout, agent or framework gone, invalid accept)',
    ['role'],
  ),
  allocationRunDurationSeconds: histogram(
    'meso_master_allocation_run_duration_seconds',
    'Wall time of one allocation run; trigger="periodic" for the interval\'s full run, "event" for a batch of triggers',
    ['trigger'],
    ALLOCATION_BUCKETS,
    TIMER_WINDOW,
  ),
  allocationsTotal: counter(
    'meso_master_allocations_total',
    'Allocations (offers to be) made by allocation runs',
  ),
  usagePollsTotal: counter(
    'meso_master_usage_polls_total',
    "Polls of agents' /monitor/statistics for the *_resources_used gauges, by outcome (ok, failed)",
    ['outcome'],
  ),
} as const;

export const AgentMetrics = {
  ...httpMetrics('agent'),
  startTimeSeconds: gauge(
    'meso_agent_start_time_seconds',
    'Start time of the agent, seconds since the Unix epoch',
  ),
  registered: gauge('meso_agent_registered', '1 while the agent is registered with a master, else 0'),
  resourcesCapacity: gauge('meso_agent_resources_capacity', 'Resources the agent offers', ['resource']),
  resourcesAllocated: gauge(
    'meso_agent_resources_allocated',
    'Resources held by non-terminal tasks and their executors',
    ['resource'],
  ),
  tasks: gauge(
    'meso_agent_tasks',
    'Tasks not yet completed (terminal ones wait for acknowledgement), by state',
    ['state'],
  ),
  frameworks: gauge('meso_agent_frameworks', 'Frameworks with tasks or executors on the agent'),
  executors: gauge('meso_agent_executors', 'Executors on the agent'),
  containers: gauge('meso_agent_containers', 'Running task containers, by framework and role', [
    'framework',
    'role',
  ]),
  containerCpuSecondsTotal: counter(
    'meso_agent_container_cpu_seconds_total',
    'CPU time (user + system) used by task containers, by framework and role',
    ['framework', 'role'],
  ),
  containerCpusLimit: gauge(
    'meso_agent_container_cpus_limit',
    'CPU limit (cores) of running task containers, by framework and role',
    ['framework', 'role'],
  ),
  containerMemoryUsedBytes: gauge(
    'meso_agent_container_memory_used_bytes',
    'Resident memory of running task containers, by framework and role',
    ['framework', 'role'],
  ),
  containerMemoryLimitBytes: gauge(
    'meso_agent_container_memory_limit_bytes',
    'Memory limit of running task containers, by framework and role',
    ['framework', 'role'],
  ),
  containerLaunchDurationSeconds: histogram(
    'meso_agent_container_launch_duration_seconds',
    'Time to launch a container (image pull included), by containerizer and outcome (launched, already_launched, failed)',
    ['containerizer', 'outcome'],
    LAUNCH_BUCKETS,
  ),
  statusUpdatesPending: gauge(
    'meso_agent_status_updates_pending',
    'Task status updates queued and not yet acknowledged by their framework',
  ),
  imagePullsTotal: counter(
    'meso_agent_image_pulls_total',
    'Docker image pulls, by outcome (succeeded, failed)',
    ['outcome'],
  ),
  imagePullDurationSeconds: histogram(
    'meso_agent_image_pull_duration_seconds',
    'Time to pull a docker image',
    [],
    PULL_BUCKETS,
    TIMER_WINDOW,
  ),
  recoveredContainersTotal: counter(
    'meso_agent_recovered_containers_total',
    'Containers found by recovery after an agent restart, by containerizer and result (adopted, exited, orphan_destroyed)',
    ['containerizer', 'result'],
  ),
  recoveryFailuresTotal: counter(
    'meso_agent_recovery_failures_total',
    'Container recoveries that failed (e.g. the engine could not list containers), by containerizer',
    ['containerizer'],
  ),
} as const;

/**
 * For framework schedulers (`meso services` and `meso jobs` serve these on their REST ports; other
 * schedulers can use `startSchedulerMetrics`): what they want,
 * what runs, and how fast offers turn into running tasks.
 */
export const SchedulerMetrics = {
  subscribed: gauge('meso_scheduler_subscribed', '1 while the scheduler is subscribed to a master, else 0'),
  tasksWanted: gauge('meso_scheduler_tasks_wanted', 'Tasks the scheduler wants running, by role', ['role']),
  tasksRunning: gauge('meso_scheduler_tasks_running', 'Tasks the scheduler knows to be running, by role', [
    'role',
  ]),
  tasksQueued: gauge('meso_scheduler_tasks_queued', 'Tasks waiting for a suitable offer, by role', ['role']),
  tasks: gauge(
    'meso_scheduler_tasks',
    'Tasks the scheduler tracks, by state (staging, running, killing, unknown; for jobs also waiting)',
    ['state'],
  ),
  launchBackoffs: gauge(
    'meso_scheduler_launch_backoffs',
    'Apps or job runs whose next launch is held back by a backoff after failures',
  ),
  offersReceivedTotal: counter('meso_scheduler_offers_received_total', 'Offers received from the master'),
  offersDeclinedTotal: counter(
    'meso_scheduler_offers_declined_total',
    'Offers declined, by reason (no_demand, unsuitable, surplus, error)',
    ['reason'],
  ),
  tasksLaunchedTotal: counter(
    'meso_scheduler_tasks_launched_total',
    'Tasks sent to the master in ACCEPT calls',
  ),
  taskLaunchLatencySeconds: histogram(
    'meso_scheduler_task_launch_latency_seconds',
    'Time from accepting an offer for a task to its TASK_RUNNING update',
    [],
    LAUNCH_BUCKETS,
  ),
} as const;

/** A catalogue above: specs, or groups of specs one level deep (the master's resource scopes). */
export type Catalogue = Readonly<Record<string, MetricSpec | Readonly<Record<string, MetricSpec>>>>;

const isSpec = (entry: MetricSpec | Readonly<Record<string, MetricSpec>>): entry is MetricSpec =>
  typeof entry.type === 'string';

/** Every spec of a catalogue, groups flattened. */
export function specsOf(catalogue: Catalogue): MetricSpec[] {
  return Object.values(catalogue).flatMap((entry) => (isSpec(entry) ? [entry] : Object.values(entry)));
}
