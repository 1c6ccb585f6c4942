/**
 * The master's bookkeeping rendered as `mesos.v1` protobuf JSON for the operator API: ids as
 * `{"value": ...}`, resources as v1 `Resource` arrays, times as `TimeInfo` (`{"nanoseconds": ...}`).
 * Empty repeated fields are omitted and unset optional ones left out, as Mesos's converter does.
 *
 * meso extensions (keys Mesos does not send; Mesos clients ignore unknown keys) are marked as such
 * where they are added, and listed in `docs/operator.md`.
 */
import { fromMilli, Resources } from '../../core/resources.js';
import type { Resource } from '../../core/v1/common.js';
import type { FrameworkId } from '../../core/ids.js';
import type { Master } from '../master.js';
import type { AgentRecord, FrameworkRecord, OfferRecord, TaskRecord } from '../records.js';
import { agentActive, agentEndpoint, drainJson } from '../state-json.js';
import type { OfferCounts } from './offer-stats.js';

export type Json = Record<string, unknown>;

/** Seconds since the epoch as a `TimeInfo`. */
const timeInfo = (seconds: number): Json => ({ nanoseconds: Math.round(seconds * 1e9) });

/** Keeps the key only when the list is not empty (Mesos omits empty repeated fields). */
const list = <K extends string>(key: K, values: readonly unknown[]): Partial<Record<K, unknown[]>> =>
  values.length === 0 ? {} : ({ [key]: [...values] } as Record<K, unknown[]>);

/** `mesos.v1.Task`. */
export function v1Task(task: TaskRecord): Json {
  const { info } = task;
  return {
    name: info.name,
    task_id: { value: task.taskId },
    framework_id: { value: task.frameworkId },
    ...(task.executorId !== undefined && { executor_id: { value: task.executorId } }),
    agent_id: { value: task.agentId },
    state: task.state,
    ...list('resources', task.resources.toV1(task.role)),
    ...list('statuses', task.statuses),
    ...(task.latestStatus !== undefined && { status_update_state: task.latestStatus.state }),
    ...(task.latestStatus?.uuid !== undefined && { status_update_uuid: task.latestStatus.uuid }),
    ...(info.labels !== undefined && { labels: info.labels }),
    ...(info.discovery !== undefined && { discovery: info.discovery }),
    ...(info.container !== undefined && { container: info.container }),
    ...(info.health_check !== undefined && { health_check: info.health_check }),
    ...(info.kill_policy !== undefined && { kill_policy: info.kill_policy }),
  };
}

/** Resources of several holdings, summed per role and tagged with `allocation_info.role`. */
function byRole(holdings: Iterable<{ role: string; resources: Resources }>): Resource[] {
  const sums = new Map<string, Resources>();
  for (const { role, resources } of holdings)
    sums.set(role, (sums.get(role) ?? Resources.EMPTY).plus(resources));
  return [...sums].flatMap(([role, resources]) => resources.toV1(role));
}

/** `mesos.v1.Offer`, rebuilt from the master's record of it. */
function v1Offer(master: Master, offer: OfferRecord): Json {
  return {
    id: { value: offer.id },
    framework_id: { value: offer.frameworkId },
    agent_id: { value: offer.agentId },
    hostname: master.agents.get(offer.agentId)?.info.hostname ?? '',
    ...list('resources', offer.resources.toV1(offer.role)),
    allocation_info: { role: offer.role },
  };
}

function frameworkOffers(master: Master, fw: FrameworkRecord): OfferRecord[] {
  return [...fw.offers].flatMap((id) => {
    const offer = master.offers.get(id);
    return offer === undefined ? [] : [offer];
  });
}

/** Agents each framework filters now (see `Allocator.filteredAgentCounts`). */
export const filteredAgentCounts = (master: Master): ReadonlyMap<FrameworkId, number> =>
  master.policy.filteredAgentCounts(master.nowSec() * 1000);

/**
 * `GetFrameworks.Framework`, plus two meso extensions: `offer_stats` (offers outstanding, sent,
 * accepted, declined and rescinded since the master started, and the agents it filters now) and
 * `dominant_shares` per role.
 */
export function v1Framework(
  master: Master,
  fw: FrameworkRecord,
  counts: OfferCounts | undefined,
  filteredAgents: number,
): Json {
  const offers = frameworkOffers(master, fw);
  const shares = master.policy.shares().frameworks.get(fw.id);
  return {
    framework_info: fw.info,
    active: fw.state === 'subscribed',
    connected: fw.connection !== undefined,
    recovered: fw.state === 'recovered',
    registered_time: timeInfo(fw.registeredTimeSec),
    ...(fw.reregisteredTimeSec !== undefined && { reregistered_time: timeInfo(fw.reregisteredTimeSec) }),
    ...(fw.unregisteredTimeSec !== undefined && { unregistered_time: timeInfo(fw.unregisteredTimeSec) }),
    ...list(
      'offers',
      offers.map((o) => v1Offer(master, o)),
    ),
    ...list('allocated_resources', byRole(fw.tasks.values())),
    ...list('offered_resources', byRole(offers)),
    offer_stats: {
      outstanding: offers.length,
      sent: counts?.sent ?? 0,
      accepted: counts?.accepted ?? 0,
      declined: counts?.declined ?? 0,
      rescinded: counts?.rescinded ?? 0,
      filtered_agents: filteredAgents,
    },
    ...list(
      'dominant_shares',
      [...(shares ?? [])].map(([role, share]) => ({ role, share })),
    ),
  };
}

/**
 * `GetAgents.Agent`. Unreachable agents (which Mesos leaves out of `GET_AGENTS`) get the meso
 * extension `unreachable_time`.
 */
export function v1Agent(master: Master, agent: AgentRecord): Json {
  const { port, pid } = agentEndpoint(agent);
  const offers = [...master.offers.values()].filter((o) => o.agentId === agent.id);
  return {
    agent_info: { ...agent.info, port },
    active: agentActive(master, agent),
    deactivated: master.maintenance.isDeactivated(agent.id),
    version: agent.version ?? master.info.version,
    pid,
    registered_time: timeInfo(agent.registeredTimeSec),
    ...(agent.reregisteredTimeSec !== undefined && {
      reregistered_time: timeInfo(agent.reregisteredTimeSec),
    }),
    ...list('total_resources', agent.total.toV1()),
    ...list('allocated_resources', byRole(agent.tasks.values())),
    ...list('offered_resources', byRole(offers)),
    capabilities: [{ type: 'MULTI_ROLE' }, { type: 'HIERARCHICAL_ROLE' }],
    ...(agent.unreachableTimeSec !== undefined && { unreachable_time: timeInfo(agent.unreachableTimeSec) }),
    ...drainJson(master, agent, (seconds) => ({ estimated_drain_start_time: timeInfo(seconds) })),
  };
}

/** `GET_AGENTS`: registered agents, plus the meso extension `unreachable_agents`. */
export function v1Agents(master: Master): Json {
  const agents = [...master.agents.all()];
  return {
    ...list(
      'agents',
      agents.filter((a) => a.state !== 'unreachable').map((a) => v1Agent(master, a)),
    ),
    ...list(
      'unreachable_agents',
      agents.filter((a) => a.state === 'unreachable').map((a) => v1Agent(master, a)),
    ),
  };
}

export function v1Frameworks(master: Master, counts: (fw: FrameworkRecord) => OfferCounts | undefined): Json {
  const filtered = filteredAgentCounts(master);
  return {
    ...list(
      'frameworks',
      [...master.frameworks.values()].map((fw) =>
        v1Framework(master, fw, counts(fw), filtered.get(fw.id) ?? 0),
      ),
    ),
    ...list(
      'completed_frameworks',
      master.completedFrameworks.map((fw) => v1Framework(master, fw, undefined, 0)),
    ),
  };
}

/** `GET_TASKS`: active, unreachable and completed tasks of active and completed frameworks. */
export function v1Tasks(master: Master): Json {
  const frameworks = [...master.frameworks.values(), ...master.completedFrameworks];
  return {
    ...list(
      'tasks',
      frameworks.flatMap((fw) => [...fw.tasks.values()].map(v1Task)),
    ),
    ...list(
      'unreachable_tasks',
      frameworks.flatMap((fw) => [...fw.unreachableTasks.values()].map(v1Task)),
    ),
    ...list(
      'completed_tasks',
      frameworks.flatMap((fw) => fw.completedTasks.map(v1Task)),
    ),
  };
}

/** `GET_EXECUTORS`: executors the master knows of (command tasks have none). */
export function v1Executors(master: Master): Json {
  return list(
    'executors',
    [...master.frameworks.values()].flatMap((fw) =>
      [...fw.executors.values()].map((e) => ({
        executor_info: { ...e.info, framework_id: { value: fw.id } },
        agent_id: { value: e.agentId },
      })),
    ),
  );
}

/** `GET_STATE`, also the snapshot inside the operator stream's `SUBSCRIBED` event. */
export function v1State(master: Master, counts: (fw: FrameworkRecord) => OfferCounts | undefined): Json {
  return {
    get_tasks: v1Tasks(master),
    get_executors: v1Executors(master),
    get_frameworks: v1Frameworks(master, counts),
    get_agents: v1Agents(master),
  };
}

/** `{"cpus": {"value": 1}}`, Mesos's `map<string, Value.Scalar>`. */
export const scalarMap = (quantities: Readonly<Record<string, number>>): Json =>
  Object.fromEntries(Object.entries(quantities).map(([name, value]) => [name, { value }]));

/**
 * `GET_ROLES`: every role that has frameworks, allocations, offers, a weight or a quota. Besides
 * Mesos's `name`, `weight`, `frameworks` and `resources` (allocated plus offered), each role has
 * `allocated`, `offered`, `quota` (`{role, guarantees, limits, consumed}`, as in Mesos's `/roles`)
 * and the meso extension `dominant_share`.
 */
export function v1Roles(master: Master): Json {
  const { policy } = master;
  const frameworks = [...master.frameworks.values()];
  const offers = [...master.offers.values()];
  const tasks = frameworks.flatMap((fw) => [...fw.tasks.values()]);
  const policySnapshot = policy.snapshot();
  const names = new Set([
    ...frameworks.flatMap((fw) => fw.roles),
    ...tasks.map((t) => t.role),
    ...offers.map((o) => o.role),
    ...policySnapshot.weights.map((w) => w.role),
    ...policySnapshot.quotas.map((q) => q.role),
  ]);
  const shares = policy.shares().roles;
  const sum = (holdings: { role: string; resources: Resources }[], role: string): Resources =>
    holdings.filter((h) => h.role === role).reduce((total, h) => total.plus(h.resources), Resources.EMPTY);
  const roles = [...names].sort().map((name) => {
    const allocated = sum(tasks, name);
    const offered = sum(offers, name);
    const quota = policy.quota(name);
    const consumed = Object.fromEntries(
      [...allocated.plus(offered).scalarQuantities()].map(([n, milli]) => [n, fromMilli(milli)]),
    );
    return {
      name,
      weight: policy.weight(name),
      ...list(
        'frameworks',
        frameworks.filter((fw) => fw.roles.includes(name)).map((fw) => ({ value: fw.id })),
      ),
      ...list('resources', allocated.plus(offered).toV1(name)),
      ...list('allocated', allocated.toV1(name)),
      ...list('offered', offered.toV1(name)),
      ...(quota !== undefined && {
        quota: {
          role: name,
          guarantees: scalarMap(quota.guarantees),
          limits: scalarMap(quota.limits),
          consumed: scalarMap(consumed),
        },
      }),
      dominant_share: shares.get(name) ?? 0,
    };
  });
  return list('roles', roles);
}
