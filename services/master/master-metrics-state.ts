/**
 * The master's scrape-time gauges, computed from its state in one pass over agents, frameworks,
 * tasks and offers: resources (capacity, offered, allocated, used) by cluster, role, framework
 * and agent; dominant shares; agents, frameworks and tasks by state. Nothing here is kept between
 * scrapes, so the gauges cannot drift from the state they describe.
 *
 * Cost: O(agents + tasks + offers + executors reporting usage) per scrape, with sums kept in
 * plain maps and written once per label set (see `bench/metrics-scrape.ts`).
 */
import type { AllocatorShares } from '../allocator/allocator.js';
import type { AgentId } from '../core/ids.js';
import { fromMilli, type Resources } from '../core/resources.js';
import {
  type GaugeSink,
  type GaugeSpec,
  inBaseUnits,
  type LabelValues,
  MasterMetrics,
} from '../metrics/index.js';
import type { ExecutorUsage } from './agent-usage-poller.js';
import type { Master } from './master.js';
import type { AgentRecord } from './records.js';

const m = MasterMetrics;

/** Live task states always exported (as 0 when no task is in them), so graphs drop to 0 rather than vanish. */
const TASK_STATES_ALWAYS_EXPORTED = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_UNREACHABLE',
] as const;

/** What the agents' usage reports measure. */
const USAGE_RESOURCES = ['cpus', 'mem'];

export interface MasterStateView {
  readonly master: Pick<Master, 'agents' | 'frameworks' | 'offers' | 'maintenance'>;
  readonly shares: AllocatorShares;
  readonly usage: ReadonlyMap<AgentId, readonly ExecutorUsage[]>;
}

/** Sums in base units by key (a role, framework or agent id; `''` for the cluster) and resource name. */
class Tally {
  readonly sums = new Map<string, Map<string, number>>();

  add(key: string, resource: string, value: number): void {
    const byResource = entry(this.sums, key, () => new Map<string, number>());
    byResource.set(resource, (byResource.get(resource) ?? 0) + value);
  }
}

/** A map's entry for `key`, created empty when missing. */
function entry<K, V>(map: Map<K, V>, key: K, create: () => V): V {
  let value = map.get(key);
  if (value === undefined) map.set(key, (value = create()));
  return value;
}

/** Role names cannot be empty, so '' stands for "no role" (usage of an executor the master no longer tracks). */
const NO_ROLE = '';

/**
 * One kind of resource figure (offered, allocated or used) in every scope at once. Items are
 * summed per framework, agent and role first (nested maps: no key strings to build and hash per
 * task) and rolled up into the four scopes at `write`.
 */
class ScopedTally {
  /** framework → agent → role → resource → sum */
  private readonly sums = new Map<string, Map<string, Map<string, Map<string, number>>>>();

  /** Cluster totals start at 0 for `resources`, so ratios read 0 rather than nothing when idle. */
  constructor(private readonly resources: Iterable<string>) {}

  add(framework: string, agent: string, role: string, resource: string, value: number): void {
    const sums = this.group(framework, agent, role);
    sums.set(resource, (sums.get(resource) ?? 0) + value);
  }

  addResources(framework: string, agent: string, role: string, resources: Resources): void {
    const sums = this.group(framework, agent, role);
    for (const [name, milli] of resources.scalarQuantities()) {
      sums.set(name, (sums.get(name) ?? 0) + inBaseUnits(name, fromMilli(milli)));
    }
  }

  write(sink: GaugeSink, kind: 'offered' | 'allocated' | 'used'): void {
    const [cluster, role, framework, agent] = [new Tally(), new Tally(), new Tally(), new Tally()];
    for (const resource of this.resources) cluster.add('', resource, 0);
    for (const [frameworkId, byAgent] of this.sums) {
      for (const [agentId, byRole] of byAgent) {
        for (const [roleName, sums] of byRole) {
          for (const [resource, value] of sums) {
            cluster.add('', resource, value);
            if (roleName !== NO_ROLE) role.add(roleName, resource, value);
            framework.add(frameworkId, resource, value);
            agent.add(agentId, resource, value);
          }
        }
      }
    }
    writeTally(sink, m.cluster[kind], cluster, (_, resource) => ({ resource }));
    writeTally(sink, m.role[kind], role, (role, resource) => ({ role, resource }));
    writeTally(sink, m.framework[kind], framework, (framework, resource) => ({ framework, resource }));
    writeTally(sink, m.agent[kind], agent, (agent, resource) => ({ agent, resource }));
  }

  private group(framework: string, agent: string, role: string): Map<string, number> {
    const byAgent = entry(this.sums, framework, () => new Map<string, Map<string, Map<string, number>>>());
    const byRole = entry(byAgent, agent, () => new Map<string, Map<string, number>>());
    return entry(byRole, role, () => new Map<string, number>());
  }
}

function writeTally<L extends string>(
  sink: GaugeSink,
  spec: GaugeSpec<L>,
  tally: Tally,
  labels: (key: string, resource: string) => LabelValues<L>,
): void {
  for (const [key, sums] of tally.sums) {
    for (const [resource, value] of sums) sink.set(spec, labels(key, resource), value);
  }
}

export function collectMasterState(sink: GaugeSink, view: MasterStateView): void {
  const { master } = view;
  const resources = collectAgents(sink, master);
  const rolesOfExecutors = collectFrameworks(sink, master, resources);
  const offered = new ScopedTally(resources);
  for (const offer of master.offers.values()) {
    offered.addResources(offer.frameworkId, offer.agentId, offer.role, offer.resources);
  }
  offered.write(sink, 'offered');
  sink.set(m.offersOutstanding, {}, master.offers.size);

  const used = new ScopedTally(USAGE_RESOURCES.filter((name) => resources.has(name)));
  for (const [agent, executors] of view.usage) {
    for (const executor of executors) {
      // An executor whose tasks the master no longer tracks still uses the agent; it has no role here.
      const role = rolesOfExecutors.get(executor.frameworkId)?.get(executor.executorId) ?? NO_ROLE;
      used.add(executor.frameworkId, agent, role, 'cpus', executor.cpus);
      used.add(executor.frameworkId, agent, role, 'mem', executor.memBytes);
    }
  }
  used.write(sink, 'used');

  for (const [role, share] of view.shares.roles) sink.set(m.roleDominantShare, { role }, share);
  for (const [framework, byRole] of view.shares.frameworks) {
    for (const [role, share] of byRole) sink.set(m.frameworkDominantShare, { framework, role }, share);
  }
}

/** Frameworks, tasks and allocated resources; returns each framework's executors' roles. */
function collectFrameworks(
  sink: GaugeSink,
  master: MasterStateView['master'],
  resources: ReadonlySet<string>,
): Map<string, Map<string, string>> {
  const rolesOfExecutors = new Map<string, Map<string, string>>();
  const allocated = new ScopedTally(resources);
  const tasks = new Map<string, number>(TASK_STATES_ALWAYS_EXPORTED.map((state) => [state, 0]));
  let active = 0;
  let streams = 0;
  for (const fw of master.frameworks.values()) {
    if (fw.state === 'subscribed') active++;
    if (fw.connection !== undefined) streams++;
    sink.set(m.frameworkInfo, { framework: fw.id, name: fw.info.name }, 1);
    const executorRoles = entry(rolesOfExecutors, fw.id, () => new Map<string, string>());
    for (const task of fw.tasks.values()) {
      tasks.set(task.state, (tasks.get(task.state) ?? 0) + 1);
      // A command task's executor id is its task id on the agent.
      executorRoles.set(task.executorId ?? task.taskId, task.role);
      if (!task.resourcesReleased) {
        allocated.addResources(fw.id, task.agentId, task.role, task.resources);
      }
    }
    for (const task of fw.unreachableTasks.values()) tasks.set(task.state, (tasks.get(task.state) ?? 0) + 1);
  }
  allocated.write(sink, 'allocated');
  for (const [state, count] of tasks) sink.set(m.tasks, { state }, count);
  sink.set(m.frameworks, { state: 'active' }, active);
  sink.set(m.frameworks, { state: 'inactive' }, master.frameworks.size - active);
  sink.set(m.schedulerStreams, {}, streams);
  return rolesOfExecutors;
}

/** Every value of `meso_master_agents`' state label, always exported so graphs drop to 0 rather than vanish. */
const AGENT_STATES = ['active', 'deactivated', 'draining', 'drained', 'disconnected', 'unreachable'] as const;

/**
 * The one state an agent is counted in: its connection first (an agent that is not connected is
 * offered nothing anyway), then what the operator made of it.
 */
function agentState(master: MasterStateView['master'], agent: AgentRecord): (typeof AGENT_STATES)[number] {
  if (agent.state !== 'active') return agent.state;
  const drain = master.maintenance.drainInfo(agent.id);
  if (drain !== undefined) return drain.state === 'DRAINING' ? 'draining' : 'drained';
  return master.maintenance.isDeactivated(agent.id) ? 'deactivated' : 'active';
}

/** Agents by state and their capacity; returns the scalar resource names the cluster has. */
function collectAgents(sink: GaugeSink, master: MasterStateView['master']): Set<string> {
  const states = new Map<string, number>(AGENT_STATES.map((state) => [state, 0]));
  const capacity = new Tally();
  for (const agent of master.agents.all()) {
    const state = agentState(master, agent);
    states.set(state, (states.get(state) ?? 0) + 1);
    if (agent.state === 'unreachable') continue;
    sink.set(m.agentInfo, { agent: agent.id, hostname: agent.info.hostname }, 1);
    for (const [name, milli] of agent.total.scalarQuantities()) {
      const value = inBaseUnits(name, fromMilli(milli));
      capacity.add('', name, value);
      sink.set(m.agentResourcesCapacity, { agent: agent.id, resource: name }, value);
    }
  }
  for (const [state, count] of states) sink.set(m.agents, { state }, count);
  writeTally(sink, m.resourcesCapacity, capacity, (_, resource) => ({ resource }));
  return new Set(capacity.sums.get('')?.keys());
}
