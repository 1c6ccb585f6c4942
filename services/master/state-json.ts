/**
 * Mesos's legacy (unversioned) JSON views: `/master/state`, `/master/state-summary`,
 * `/master/frameworks`, `/master/slaves`, `/master/tasks`. These are hand-shaped in Mesos (ids as
 * plain strings, resources collapsed into `{"cpus":2,"mem":1024,...}`), and tools read them as is.
 */
import { Resources } from '../core/resources.js';
import { hasCapability, type MasterInfo } from '../core/v1/cluster.js';
import { MESO_RELEASE, MESO_VERSION } from '../core/version.js';
import type { DrainInfo } from './agent-maintenance.js';
import type { Master } from './master.js';
import type { AgentRecord, FrameworkRecord, OfferRecord, TaskRecord } from './records.js';

type Json = Record<string, unknown>;

const SUMMARY_STATES = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_KILLED',
  'TASK_FAILED',
  'TASK_LOST',
  'TASK_ERROR',
  'TASK_UNREACHABLE',
] as const;

export function taskJson(task: TaskRecord): Json {
  return {
    id: task.taskId,
    name: task.info.name,
    framework_id: task.frameworkId,
    executor_id: task.executorId ?? '',
    slave_id: task.agentId,
    agent_id: task.agentId,
    state: task.state,
    role: task.role,
    resources: task.resources.toLegacyObject(),
    statuses: task.statuses.map((s) => ({
      state: s.state,
      timestamp: s.timestamp,
      ...(s.healthy !== undefined && { healthy: s.healthy }),
      ...(s.container_status !== undefined && { container_status: s.container_status }),
    })),
    ...(task.info.labels !== undefined && { labels: task.info.labels.labels }),
    ...(task.info.container !== undefined && { container: task.info.container }),
    ...(task.info.health_check !== undefined && { health_check: task.info.health_check }),
    ...(task.info.discovery !== undefined && { discovery: task.info.discovery }),
    ...(task.unreachableTimeSec !== undefined && { unreachable_time: task.unreachableTimeSec }),
  };
}

function offerJson(offer: OfferRecord): Json {
  return {
    id: offer.id,
    framework_id: offer.frameworkId,
    slave_id: offer.agentId,
    allocation_info: { role: offer.role },
    resources: offer.resources.toLegacyObject(),
  };
}

function usedResources(fw: FrameworkRecord): Resources {
  return [...fw.tasks.values()].reduce((sum, t) => sum.plus(t.resources), Resources.EMPTY);
}

function offeredResources(master: Master, fw: FrameworkRecord): Resources {
  let sum = Resources.EMPTY;
  for (const id of fw.offers) sum = sum.plus(master.offers.get(id)?.resources ?? Resources.EMPTY);
  return sum;
}

export function frameworkJson(master: Master, fw: FrameworkRecord, withTasks = true): Json {
  const used = usedResources(fw);
  const offered = offeredResources(master, fw);
  const multiRole = hasCapability(fw.info, 'MULTI_ROLE');
  return {
    id: fw.id,
    name: fw.info.name,
    user: fw.info.user,
    hostname: fw.info.hostname ?? '',
    webui_url: fw.info.webui_url ?? '',
    principal: fw.info.principal,
    failover_timeout: fw.info.failover_timeout,
    checkpoint: fw.info.checkpoint,
    capabilities: (fw.info.capabilities ?? []).map((c) => c.type).filter((t) => t !== undefined),
    active: fw.state === 'subscribed',
    connected: fw.connection !== undefined,
    recovered: fw.state === 'recovered',
    registered_time: fw.registeredTimeSec,
    ...(fw.reregisteredTimeSec !== undefined && { reregistered_time: fw.reregisteredTimeSec }),
    unregistered_time: fw.unregisteredTimeSec ?? 0,
    ...(multiRole ? { roles: fw.roles } : { role: fw.roles[0] ?? '*' }),
    used_resources: used.toLegacyObject(),
    offered_resources: offered.toLegacyObject(),
    resources: used.plus(offered).toLegacyObject(),
    ...(fw.info.labels !== undefined && { labels: fw.info.labels.labels }),
    ...(withTasks && {
      tasks: [...fw.tasks.values()].map(taskJson),
      unreachable_tasks: [...fw.unreachableTasks.values()].map(taskJson),
      completed_tasks: fw.completedTasks.map(taskJson),
      offers: [...fw.offers].flatMap((id) => {
        const offer = master.offers.get(id);
        return offer === undefined ? [] : [offerJson(offer)];
      }),
      executors: [...fw.executors.entries()].map(([executorId, e]) => ({
        executor_id: executorId,
        name: e.info.name ?? '',
        framework_id: fw.id,
        slave_id: e.agentId,
        resources: Resources.fromV1(e.info.resources).toLegacyObject(),
        type: e.info.type ?? 'DEFAULT',
      })),
    }),
  };
}

/** The agent's port and libprocess-style pid (`slave(1)@10.0.0.3:5051`). */
export function agentEndpoint(agent: AgentRecord): { port: number; pid: string } {
  const url = new URL(agent.url);
  const port = Number(url.port || 5051);
  return { port, pid: `slave(1)@${url.hostname}:${port}` };
}

/** `mesos.v1.DrainInfo` as Mesos renders it, in `/master/state` and in the v1 operator API alike. */
function drainInfoJson(drain: DrainInfo): Json {
  const { maxGracePeriodNs, markGone } = drain.config;
  return {
    state: drain.state,
    config: {
      ...(maxGracePeriodNs !== undefined && { max_grace_period: { nanoseconds: maxGracePeriodNs } }),
      mark_gone: markGone,
    },
  };
}

/** Mesos's `active`: connected and not deactivated by the operator. */
export const agentActive = (master: Master, agent: AgentRecord): boolean =>
  agent.state === 'active' && !master.maintenance.isDeactivated(agent.id);

export function agentJson(master: Master, agent: AgentRecord): Json {
  const used = [...agent.tasks.values()].reduce((sum, t) => sum.plus(t.resources), Resources.EMPTY);
  let offered = Resources.EMPTY;
  for (const offer of master.offers.values())
    if (offer.agentId === agent.id) offered = offered.plus(offer.resources);
  const reserved: Record<string, Json> = {};
  for (const role of agent.total.reservedRoles()) {
    reserved[role] = agent.total.filter((_, r) => r === role).toLegacyObject();
  }
  return {
    id: agent.id,
    hostname: agent.info.hostname,
    ...agentEndpoint(agent),
    attributes: Object.fromEntries(
      agent.attributes.map((a) => [
        a.name,
        a.type === 'SCALAR'
          ? (a.scalar?.value ?? 0)
          : a.type === 'TEXT'
            ? (a.text?.value ?? '')
            : JSON.stringify(a.ranges ?? a.set),
      ]),
    ),
    registered_time: agent.registeredTimeSec,
    ...(agent.reregisteredTimeSec !== undefined && { reregistered_time: agent.reregisteredTimeSec }),
    resources: agent.total.toLegacyObject(),
    used_resources: used.toLegacyObject(),
    offered_resources: offered.toLegacyObject(),
    reserved_resources: reserved,
    unreserved_resources: agent.total.unreserved().toLegacyObject(),
    active: agentActive(master, agent),
    deactivated: master.maintenance.isDeactivated(agent.id),
    version: agent.version ?? MESO_VERSION,
    capabilities: ['MULTI_ROLE', 'HIERARCHICAL_ROLE'],
    ...drainJson(master, agent, (seconds) => ({ estimated_drain_start_time_seconds: seconds })),
  };
}

/**
 * `drain_info` and the estimated drain start time of a draining or drained agent (nothing for
 * others), the time rendered by `startTime` as the caller's format wants it.
 */
export function drainJson(master: Master, agent: AgentRecord, startTime: (seconds: number) => Json): Json {
  const drain = master.maintenance.drainInfo(agent.id);
  if (drain === undefined) return {};
  const startSec = master.maintenance.drainStartTimeSec(agent.id);
  return { drain_info: drainInfoJson(drain), ...(startSec !== undefined && startTime(startSec)) };
}

export function versionJson(): Json {
  return {
    version: MESO_VERSION,
    meso_version: MESO_RELEASE,
    build_user: 'meso',
    build_date: '',
    build_time: 0,
  };
}

/** Agents a newly elected master awaits (from its registry) that have not re-registered yet. */
export function recoveredAgentsJson(master: Master): Json[] {
  return [...master.agents.recovered.values()].map((agent) => {
    const url = new URL(agent.url);
    const port = Number(url.port || 5051);
    return { id: agent.id, hostname: agent.hostname, port, pid: `slave(1)@${url.hostname}:${port}` };
  });
}

/**
 * `/master/state`. Standbys answer it too, with their (empty) view and `leader` / `leader_info`
 * naming the leader, as Mesos does; `elected_time` only appears on the leader.
 */
export function stateJson(
  master: Master,
  election: { readonly leader: MasterInfo | undefined; readonly electedTimeSec: number | undefined },
): Json {
  const agents = [...master.agents.all()];
  const { leader, electedTimeSec } = election;
  return {
    ...versionJson(),
    start_time: master.startTimeSec,
    ...(electedTimeSec !== undefined && { elected_time: electedTimeSec }),
    id: master.info.id,
    pid: master.info.pid,
    hostname: master.info.hostname,
    capabilities: master.info.capabilities.map((c) => c.type),
    // Mesos: deactivated_slaves counts every registered agent that is not active (disconnected or
    // deactivated by the operator).
    activated_slaves: agents.filter((a) => agentActive(master, a)).length,
    deactivated_slaves: agents.filter((a) => a.state !== 'unreachable' && !agentActive(master, a)).length,
    unreachable_slaves: agents.filter((a) => a.state === 'unreachable').length,
    ...(leader !== undefined && { leader: leader.pid, leader_info: leader }),
    ...(master.config.cluster !== undefined && { cluster: master.config.cluster }),
    flags: master.config.flags,
    slaves: agents.filter((a) => a.state !== 'unreachable').map((a) => agentJson(master, a)),
    recovered_slaves: recoveredAgentsJson(master),
    frameworks: [...master.frameworks.values()].map((fw) => frameworkJson(master, fw)),
    completed_frameworks: master.completedFrameworks.map((fw) => frameworkJson(master, fw)),
    orphan_tasks: [],
    unregistered_frameworks: [],
  };
}

function countStates(tasks: Iterable<TaskRecord>): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(SUMMARY_STATES.map((s) => [s, 0]));
  for (const task of tasks) if (task.state in counts) counts[task.state]! += 1;
  return counts;
}

export function stateSummaryJson(master: Master): Json {
  const frameworks = [...master.frameworks.values()];
  const allTasks = (fw: FrameworkRecord): TaskRecord[] => [
    ...fw.tasks.values(),
    ...fw.unreachableTasks.values(),
    ...fw.completedTasks,
  ];
  return {
    hostname: master.info.hostname,
    ...(master.config.cluster !== undefined && { cluster: master.config.cluster }),
    slaves: [...master.agents.all()]
      .filter((a) => a.state !== 'unreachable')
      .map((agent) => {
        const tasks = frameworks.flatMap(allTasks).filter((t) => t.agentId === agent.id);
        return {
          ...agentJson(master, agent),
          ...countStates(tasks),
          framework_ids: [...new Set(tasks.map((t) => t.frameworkId))],
        };
      }),
    frameworks: frameworks.map((fw) => ({
      ...frameworkJson(master, fw, false),
      ...countStates(allTasks(fw)),
      slave_ids: [...new Set(allTasks(fw).map((t) => t.agentId))],
    })),
  };
}

/** `/master/tasks`: active, unreachable and completed tasks, newest first, paged. */
export function tasksJson(
  master: Master,
  query: { frameworkId?: string; taskId?: string; limit: number; offset: number; order: 'asc' | 'desc' },
): Json {
  const frameworks = [...master.frameworks.values(), ...master.completedFrameworks].filter(
    (fw) => query.frameworkId === undefined || fw.id === query.frameworkId,
  );
  const tasks = frameworks
    .flatMap((fw) => [...fw.tasks.values(), ...fw.unreachableTasks.values(), ...fw.completedTasks])
    .filter((t) => query.taskId === undefined || t.taskId === query.taskId)
    .sort((a, b) => (a.statuses.at(-1)?.timestamp ?? 0) - (b.statuses.at(-1)?.timestamp ?? 0));
  if (query.order === 'desc') tasks.reverse();
  return { tasks: tasks.slice(query.offset, query.offset + query.limit).map(taskJson) };
}
