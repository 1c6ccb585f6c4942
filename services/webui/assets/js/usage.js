// @ts-check
/**
 * What resources are used (by live tasks) and offered (outstanding offers), cluster-wide or per
 * agent, computed from the live model so it follows task events without a refresh.
 */
import { scalars, sumScalars } from './dom.js';

/** @typedef {import('./store.js').ClusterStore} ClusterStore */
/** @typedef {{used: Record<string, number>, offered: Record<string, number>, total: Record<string, number>}} Usage */

/** Tasks holding resources: live ones, except those on unreachable agents (released by the master). */
const holding = (/** @type {ClusterStore} */ store) =>
  store.liveTasks().filter((t) => t.state !== 'TASK_UNREACHABLE');

/**
 * @param {ClusterStore} store
 * @returns {Usage}
 */
export function clusterUsage(store) {
  const reachable = [...store.agents.values()].filter((a) => a.unreachableSince === undefined);
  return {
    total: sumScalars(reachable.map((a) => scalars(a.agent.total_resources))),
    used: sumScalars(holding(store).map((t) => scalars(t.resources))),
    offered: sumScalars(store.offers().map((o) => scalars(o.resources))),
  };
}

/**
 * @param {ClusterStore} store
 * @param {string} agentId
 * @returns {Usage}
 */
export function agentUsage(store, agentId) {
  const agent = store.agents.get(agentId)?.agent;
  return {
    total: scalars(agent?.total_resources),
    used: sumScalars(
      holding(store)
        .filter((t) => t.agent_id.value === agentId)
        .map((t) => scalars(t.resources)),
    ),
    offered: sumScalars(
      store
        .offers()
        .filter((o) => o.agent_id.value === agentId)
        .map((o) => scalars(o.resources)),
    ),
  };
}

/** The scalar resources worth showing: the usual four, gpus only when present. */
export const SHOWN_RESOURCES = ['cpus', 'mem', 'disk', 'gpus'];
