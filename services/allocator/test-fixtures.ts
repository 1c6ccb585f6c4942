/**
 * Builders shared by the allocator's tests, so each test states only what matters to it.
 * Not part of the module's public surface.
 */
import type { AgentId, FrameworkId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import type { Allocation, AllocatorOptions, FrameworkDescriptor, UsedResources } from './allocator.js';
import { HierarchicalAllocator } from './hierarchical-allocator.js';

export const frameworkId = (value: string): FrameworkId => value as FrameworkId;
export const agentId = (value: string): AgentId => value as AgentId;

/** Mesos's default `--min_allocatable_resources` (`cpus:0.01|mem:32`). */
export const MESOS_DEFAULT_OPTIONS: AllocatorOptions = {
  minAllocatable: [{ cpus: 0.01 }, { mem: 32 }],
  fairnessExcludedResourceNames: [],
};

export function newAllocator(options: Partial<AllocatorOptions> = {}): HierarchicalAllocator {
  return new HierarchicalAllocator({ ...MESOS_DEFAULT_OPTIONS, ...options });
}

export function subscriber(
  roles: readonly string[],
  extra: Partial<FrameworkDescriptor> = {},
): FrameworkDescriptor {
  return { roles, suppressedRoles: [], gpuAware: false, ...extra };
}

/** Adds an agent from the flag format, e.g. `addAgent(allocator, 'a1', 'cpus:4;mem:4096')`. */
export function addAgent(
  allocator: HierarchicalAllocator,
  id: string,
  resources: string,
  used: readonly UsedResources[] = [],
): AgentId {
  allocator.addAgent(agentId(id), { hostname: `${id}.example`, total: Resources.parse(resources) }, used);
  return agentId(id);
}

/** `framework@agent(role) resources`, sorted, so tests compare plain strings. */
export function describeAllocations(allocations: readonly Allocation[]): string[] {
  return allocations.map((a) => `${a.frameworkId}@${a.agentId}(${a.role}) ${a.resources.toString()}`).sort();
}

/** Gives every allocation back, optionally refusing it until `refuseUntilMs`. */
export function declineAll(
  allocator: HierarchicalAllocator,
  allocations: readonly Allocation[],
  refuseUntilMs?: number,
): void {
  for (const a of allocations) {
    allocator.recoverResources(a.frameworkId, a.agentId, a.role, a.resources, refuseUntilMs);
  }
}

/**
 * Plays frameworks that launch at most one task of a fixed size per offer and give back the rest
 * without a filter, one cycle at a time, until a cycle launches nothing. Returns tasks launched
 * per framework.
 */
export function runTaskSimulation(
  allocator: HierarchicalAllocator,
  taskSizes: ReadonlyMap<FrameworkId, Resources>,
  maxCycles = 100,
): Map<FrameworkId, number> {
  const launched = new Map<FrameworkId, number>([...taskSizes.keys()].map((id) => [id, 0]));
  for (let cycle = 0; cycle < maxCycles; cycle++) {
    let launchedThisCycle = 0;
    for (const offer of allocator.allocate(cycle)) {
      const task = taskSizes.get(offer.frameworkId);
      const fits = task !== undefined && offer.resources.contains(task);
      const rest = fits ? offer.resources.minus(task) : offer.resources;
      if (fits) {
        launched.set(offer.frameworkId, (launched.get(offer.frameworkId) ?? 0) + 1);
        launchedThisCycle++;
      }
      if (!rest.isEmpty()) allocator.recoverResources(offer.frameworkId, offer.agentId, offer.role, rest);
    }
    if (launchedThisCycle === 0) break;
  }
  return launched;
}
