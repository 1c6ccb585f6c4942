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
 * Offers are refreshed every few seconds, tasks live: between the two, an offer just accepted may
 * still be listed. What is offered is capped at what the tasks leave, so the sum never exceeds
 * the total.
 * @param {Usage} usage
 * @returns {Usage}
 */
function capOffered(usage) {
  const offered = Object.fromEntries(
    Object.entries(usage.offered).map(([name, value]) => [
      name,
      Math.max(0, Math.min(value, (usage.total[name] ?? 0) - (usage.used[name] ?? 0))),
    ]),
  );
  return { ...usage, offered };
}

/**
 * @param {ClusterStore} store
 * @returns {Usage}
 */
export function clusterUsage(store) {
  const reachable = [...store.agents.values()].filter((a) => a.unreachableSince === undefined);
  return capOffered({
    total: sumScalars(reachable.map((a) => scalars(a.agent.total_resources))),
    used: sumScalars(holding(store).map((t) => scalars(t.resources))),
    offered: sumScalars(store.offers().map((o) => scalars(o.resources))),
  });
}

/**
 * @param {ClusterStore} store
 * @param {string} agentId
 * @returns {Usage}
 */
export function agentUsage(store, agentId) {
  const agent = store.agents.get(agentId)?.agent;
  return capOffered({
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
  });
}

/** The scalar resources worth showing: the usual four, gpus only when present. */
export const SHOWN_RESOURCES = ['cpus', 'mem', 'disk', 'gpus'];

const SAMPLE_EVERY_MS = 2000;
const MAX_SAMPLES = 90;

/** Allocation (used plus offered, over the total) of cpus and mem, sampled since the page opened. */
export class AllocationHistory {
  /** @param {ClusterStore} store */
  constructor(store) {
    this.store = store;
    /** @type {{cpus: number[], mem: number[]}} fractions, oldest first */
    this.samples = { cpus: [], mem: [] };
    /** @type {Set<() => void>} */
    this.listeners = new Set();
    setInterval(() => this.sample(), SAMPLE_EVERY_MS);
  }

  /**
   * Calls `listener` after each sample; returns the function that stops it.
   * @param {() => void} listener
   */
  onSample(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  sample() {
    if (this.store.connection !== 'live') return;
    const usage = clusterUsage(this.store);
    for (const name of /** @type {const} */ (['cpus', 'mem'])) {
      const total = usage.total[name] ?? 0;
      const fraction = total > 0 ? ((usage.used[name] ?? 0) + (usage.offered[name] ?? 0)) / total : 0;
      this.samples[name] = [...this.samples[name], fraction].slice(-MAX_SAMPLES);
    }
    for (const listener of this.listeners) listener();
  }
}
