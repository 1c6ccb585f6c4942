/**
 * Mesos's hierarchical allocator: quota guarantees first, then weighted DRF across roles and DRF
 * across the frameworks of each role. Events update incremental state (`AllocatorState`); a cycle
 * (`runAllocationCycle`) walks only agents that may have something to offer.
 *
 * Pure and deterministic: no I/O, clock, randomness or logging. Calls naming an unknown agent or
 * framework are ignored, as are repeated adds of the same id.
 */
import type { AgentId, FrameworkId } from '../core/ids.js';
import type { Resources } from '../core/resources.js';
import type {
  AgentDescriptor,
  Allocation,
  AllocationCycleStats,
  Allocator,
  AllocatorOptions,
  AllocatorShares,
  FrameworkDescriptor,
  Quota,
  UsedResources,
} from './allocator.js';
import { type AgentState, AllocatorState, type FrameworkState } from './allocator-state.js';
import { runAllocationCycle } from './allocation-cycle.js';
import { quotaToMilli } from './quota-headroom.js';

export class HierarchicalAllocator implements Allocator {
  private readonly state: AllocatorState;
  private lastStats: AllocationCycleStats = { agentsConsidered: 0, agentsSkipped: 0 };

  constructor(options: AllocatorOptions) {
    this.state = new AllocatorState(options);
  }

  addFramework(
    id: FrameworkId,
    descriptor: FrameworkDescriptor,
    used: readonly UsedResources[],
    active: boolean,
  ): void {
    const existing = this.state.frameworks.get(id);
    if (existing?.registered) return;
    // A placeholder already holds what agents reported in use for this id; it becomes the framework.
    const framework = existing ?? this.createFramework(id);
    framework.registered = true;
    framework.active = active;
    framework.gpuAware = descriptor.gpuAware;
    for (const role of descriptor.suppressedRoles) framework.suppressedRoles.add(role);
    this.subscribe(framework, descriptor.roles);
    for (const entry of used) {
      const agent = this.state.agents.get(entry.agentId);
      if (entry.frameworkId !== id || agent === undefined) continue;
      this.state.claimUsed(this.state.membership(framework, entry.role), agent, entry.resources);
    }
    this.refresh(framework);
  }

  updateFramework(id: FrameworkId, descriptor: FrameworkDescriptor): void {
    const framework = this.registeredFramework(id);
    if (framework === undefined) return;
    const unsuppressed = [...framework.suppressedRoles].filter(
      (role) => !descriptor.suppressedRoles.includes(role),
    );
    framework.suppressedRoles.clear();
    for (const role of descriptor.suppressedRoles) framework.suppressedRoles.add(role);
    // As in Mesos, a role leaving the suppressed list is a revive: its filters go too.
    this.clearFilters(framework, unsuppressed);
    framework.gpuAware = descriptor.gpuAware;
    this.subscribe(framework, descriptor.roles);
    this.refresh(framework);
    // Unsuppressed roles and a change of GPU awareness may let it take what it could not.
    for (const membership of framework.memberships.values()) this.state.wake(membership);
  }

  removeFramework(id: FrameworkId): void {
    const framework = this.state.frameworks.get(id);
    if (framework === undefined) return;
    for (const membership of [...framework.memberships.values()]) {
      for (const [agent, held] of [...membership.allocations]) this.state.recover(membership, agent, held);
      membership.subscribed = false;
      this.state.dropMembershipIfUnused(membership);
    }
    this.state.frameworks.delete(id);
  }

  activateFramework(id: FrameworkId): void {
    this.setFrameworkActive(id, true);
  }

  deactivateFramework(id: FrameworkId): void {
    this.setFrameworkActive(id, false);
  }

  addAgent(id: AgentId, agent: AgentDescriptor, used: readonly UsedResources[]): void {
    if (this.state.agents.has(id)) return;
    const added = this.state.addAgent(id, agent.total);
    for (const entry of used) {
      if (entry.agentId !== id) continue;
      // Tasks of a framework that has not re-subscribed yet still occupy the agent.
      const framework =
        this.state.frameworks.get(entry.frameworkId) ?? this.createFramework(entry.frameworkId);
      this.state.claimUsed(this.state.membership(framework, entry.role), added, entry.resources);
    }
  }

  removeAgent(id: AgentId): void {
    const agent = this.state.agents.get(id);
    if (agent === undefined) return;
    const holders = [...agent.holders].map((membership) => membership.framework);
    this.state.removeAgent(agent);
    for (const framework of holders) this.forgetIfPlaceholder(framework);
  }

  activateAgent(id: AgentId): void {
    const agent = this.state.agents.get(id);
    if (agent !== undefined) agent.active = true;
  }

  deactivateAgent(id: AgentId): void {
    const agent = this.state.agents.get(id);
    if (agent !== undefined) agent.active = false;
  }

  recoverResources(
    frameworkId: FrameworkId,
    agentId: AgentId,
    role: string,
    resources: Resources,
    refuseUntilMs?: number,
  ): void {
    const framework = this.state.frameworks.get(frameworkId);
    const agent = this.state.agents.get(agentId);
    const membership = framework?.memberships.get(role);
    if (framework === undefined || agent === undefined || membership === undefined) return;
    this.state.recover(membership, agent, resources);
    if (refuseUntilMs !== undefined) agent.filters.install(membership.slot, resources, refuseUntilMs);
    this.state.dropMembershipIfUnused(membership);
    this.forgetIfPlaceholder(framework);
  }

  suppressRoles(frameworkId: FrameworkId, roles?: readonly string[]): void {
    const framework = this.registeredFramework(frameworkId);
    if (framework === undefined) return;
    for (const role of roles ?? this.subscribedRoles(framework)) framework.suppressedRoles.add(role);
    this.refresh(framework);
  }

  reviveRoles(frameworkId: FrameworkId, roles?: readonly string[]): void {
    const framework = this.registeredFramework(frameworkId);
    if (framework === undefined) return;
    const revived = roles ?? this.subscribedRoles(framework);
    for (const role of revived) framework.suppressedRoles.delete(role);
    this.clearFilters(framework, revived);
    this.refresh(framework);
    for (const role of revived) {
      const membership = framework.memberships.get(role);
      if (membership !== undefined) this.state.wake(membership);
    }
  }

  setWeights(weights: ReadonlyMap<string, number>): void {
    this.state.setWeights(weights);
  }

  setQuota(role: string, quota: Quota | undefined): void {
    this.state.setQuota(this.state.role(role), quota === undefined ? undefined : quotaToMilli(quota));
  }

  allocate(nowMs: number, agentIds?: Iterable<AgentId>): Allocation[] {
    const agents = agentIds === undefined ? this.state.agents.values() : this.agentsInVisitingOrder(agentIds);
    const { allocations, stats } = runAllocationCycle(this.state, nowMs, agents);
    this.lastStats = stats;
    return allocations;
  }

  filteredAgentCounts(nowMs: number): ReadonlyMap<FrameworkId, number> {
    const frameworkOfSlot = new Map<number, FrameworkId>();
    for (const framework of this.state.frameworks.values()) {
      for (const membership of framework.memberships.values())
        frameworkOfSlot.set(membership.slot, framework.id);
    }
    const counts = new Map<FrameworkId, number>();
    for (const agent of this.state.agents.values()) {
      const filtering = new Set<FrameworkId>();
      for (const slot of agent.filters.slotsInForce(nowMs)) {
        const id = frameworkOfSlot.get(slot);
        if (id !== undefined) filtering.add(id);
      }
      for (const id of filtering) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  shares(): AllocatorShares {
    const roles = new Map<string, number>();
    for (const name of this.state.roles.keys()) roles.set(name, this.state.roleSorter.share(name));
    const frameworks = new Map<FrameworkId, ReadonlyMap<string, number>>();
    for (const framework of this.state.frameworks.values()) {
      const byRole = new Map<string, number>();
      for (const [name, membership] of framework.memberships) {
        byRole.set(name, membership.role.frameworks.share(framework.id));
      }
      frameworks.set(framework.id, byRole);
    }
    return { roles, frameworks };
  }

  lastCycleStats(): AllocationCycleStats {
    return this.lastStats;
  }

  private createFramework(id: FrameworkId): FrameworkState {
    const framework: FrameworkState = {
      id,
      registered: false,
      active: false,
      gpuAware: false,
      suppressedRoles: new Set(),
      memberships: new Map(),
    };
    this.state.frameworks.set(id, framework);
    return framework;
  }

  private registeredFramework(id: FrameworkId): FrameworkState | undefined {
    const framework = this.state.frameworks.get(id);
    return framework?.registered === true ? framework : undefined;
  }

  /** A placeholder is forgotten once it holds nothing: it only ever stood for reported resources. */
  private forgetIfPlaceholder(framework: FrameworkState): void {
    if (!framework.registered && framework.memberships.size === 0) this.state.frameworks.delete(framework.id);
  }

  private subscribedRoles(framework: FrameworkState): string[] {
    return [...framework.memberships.values()].filter((m) => m.subscribed).map((m) => m.role.name);
  }

  /** Subscribes to exactly `roles`; memberships of roles left stay while they hold resources. */
  private subscribe(framework: FrameworkState, roles: readonly string[]): void {
    for (const membership of [...framework.memberships.values()]) {
      if (roles.includes(membership.role.name)) continue;
      membership.subscribed = false;
      this.state.refreshMembership(membership);
      this.state.dropMembershipIfUnused(membership);
    }
    for (const role of roles) this.state.membership(framework, role).subscribed = true;
  }

  private clearFilters(framework: FrameworkState, roles: Iterable<string>): void {
    for (const role of roles) {
      const membership = framework.memberships.get(role);
      if (membership !== undefined) this.state.clearFilters(membership);
    }
  }

  private refresh(framework: FrameworkState): void {
    for (const membership of framework.memberships.values()) this.state.refreshMembership(membership);
  }

  private setFrameworkActive(id: FrameworkId, active: boolean): void {
    const framework = this.registeredFramework(id);
    if (framework === undefined || framework.active === active) return;
    framework.active = active;
    this.refresh(framework);
  }

  /** The named agents that exist, each once, in addition order whatever order the caller used. */
  private agentsInVisitingOrder(agentIds: Iterable<AgentId>): AgentState[] {
    const agents = new Set<AgentState>();
    for (const id of agentIds) {
      const agent = this.state.agents.get(id);
      if (agent !== undefined) agents.add(agent);
    }
    return [...agents].sort((a, b) => a.sequence - b.sequence);
  }
}
