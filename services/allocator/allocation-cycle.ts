/**
 * One allocation cycle, as in Mesos's hierarchical allocator:
 *
 *   stage 1 (only while some role is below its quota guarantees)
 *     for each agent: for each role below its guarantees, lowest weighted share first:
 *       offer the role's reservations plus the unreserved resources its guarantees still miss
 *   stage 2
 *     for each agent: for each role, lowest weighted share first:
 *       offer what the role may use, trimmed to its limits and to other roles' headroom
 *
 * Within a role the whole offer goes to the first framework, lowest share first, that accepts it
 * (no GPU mismatch, no offer filter refusing it). Its share then rises, so the next agent sees the
 * re-sorted order. Agents are visited in the order they were added; Mesos shuffles them, but the
 * allocator must be deterministic.
 */
import type { Resources } from '../core/resources.js';
import type { Allocation, AllocationCycleStats } from './allocator.js';
import type { AgentState, AllocatorState, RoleMembership, RoleState } from './allocator-state.js';
import { meetsAnyMinimum } from './quantities.js';
import {
  type AllocationStage,
  capUnreservedScalars,
  hasUnmetGuarantees,
  unreservedCapsMilli,
} from './quota-headroom.js';

/** An agent to look at: in full, or (after it went idle) only for the memberships woken since. */
interface AgentVisit {
  readonly agent: AgentState;
  readonly woken: readonly RoleMembership[] | undefined;
}

interface VisitAllocation {
  readonly membership: RoleMembership;
  /** Position in the cycle's result. */
  readonly index: number;
}

export interface CycleResult {
  readonly allocations: Allocation[];
  readonly stats: AllocationCycleStats;
}

/**
 * Runs one cycle over `agents` (already in visiting order) at `nowMs`, applying every allocation to
 * `state`. Each returned allocation is for a distinct (framework, role, agent).
 */
export function runAllocationCycle(
  state: AllocatorState,
  nowMs: number,
  agents: Iterable<AgentState>,
): CycleResult {
  return new AllocationCycle(state, nowMs).run(agents);
}

class AllocationCycle {
  private readonly allocations: Allocation[] = [];
  /**
   * Allocations made on the agent under visit, so that a second piece for the same framework and
   * role merges into the first. Stage-1 pieces are kept per agent for the agent's stage-2 visit.
   */
  private visitAllocations: VisitAllocation[] | undefined;
  private readonly stageOneAllocations = new Map<AgentState, VisitAllocation[]>();
  /** Whether the agent under visit can be marked idle, and until when its filters hold. */
  private visitStable = true;
  private visitIdleUntilMs = Infinity;

  constructor(
    private readonly state: AllocatorState,
    private readonly nowMs: number,
  ) {}

  run(agents: Iterable<AgentState>): CycleResult {
    const visits: AgentVisit[] = [];
    let agentsConsidered = 0;
    for (const agent of agents) {
      if (!agent.active) continue;
      agentsConsidered++;
      const woken = this.state.wokenSinceIdle(agent, this.nowMs);
      if (woken === undefined || woken.length > 0) visits.push({ agent, woken });
    }

    // Stage 1 trims offers to what guarantees miss, which changes as other agents are served; an
    // agent passed over then is not "idle" in the stable sense, so no idle marks in such cycles.
    const guaranteesPending = this.state.hasUnmetGuarantees();
    if (guaranteesPending) {
      for (const visit of visits) {
        this.visitAllocations = undefined;
        this.visitAgent(visit, 'quota-guarantees');
        if (this.visitAllocations !== undefined)
          this.stageOneAllocations.set(visit.agent, this.visitAllocations);
      }
    }

    for (const visit of visits) {
      const { agent, woken } = visit;
      this.visitAllocations = this.stageOneAllocations.get(agent);
      this.visitStable = !guaranteesPending;
      // Frameworks not woken still refuse until the expiry found when the agent went idle.
      this.visitIdleUntilMs = woken === undefined ? Infinity : agent.idleUntilMs;
      const freeBefore = agent.free;
      this.visitAgent(visit, 'fair-share');
      if (this.visitStable && agent.free === freeBefore) this.state.markIdle(agent, this.visitIdleUntilMs);
    }
    return {
      allocations: this.allocations,
      stats: { agentsConsidered, agentsSkipped: agentsConsidered - visits.length },
    };
  }

  private visitAgent({ agent, woken }: AgentVisit, stage: AllocationStage): void {
    for (const role of this.state.roleSorter.orderSnapshot()) {
      if (agent.free.isEmpty()) return;
      if (stage === 'quota-guarantees' && !hasUnmetGuarantees(role)) continue;
      // On an idle agent, only roles with a newly eligible framework can have a taker.
      if (woken !== undefined && !woken.some((membership) => membership.role === role)) continue;
      this.offerToRole(agent, role, stage, woken);
    }
  }

  /**
   * Offers the agent's resources usable by `role` until nothing allocatable is left or no framework
   * takes them. Usually one round: the first framework takes everything the role may use.
   */
  private offerToRole(
    agent: AgentState,
    role: RoleState,
    stage: AllocationStage,
    woken: readonly RoleMembership[] | undefined,
  ): void {
    for (;;) {
      const usable = agent.hasReservations ? agent.free.usableBy(role.name) : agent.free;
      if (usable.isEmpty()) return;
      const offer = this.trimToQuota(usable, role, stage);
      if (offer.isEmpty()) return;
      if (!meetsAnyMinimum((name) => offer.scalarMilli(name), this.state.minAllocatableMilli)) return;
      const taker =
        woken === undefined
          ? this.firstTaker(agent, role, offer)
          : this.firstWokenTaker(agent, role, offer, woken);
      if (taker === undefined) return;
      this.state.allocate(taker, agent, offer);
      this.record(taker, agent, offer);
    }
  }

  private trimToQuota(usable: Resources, role: RoleState, stage: AllocationStage): Resources {
    if (!this.state.hasQuotas) return usable;
    const caps = unreservedCapsMilli(
      role,
      stage,
      this.state.requiredHeadroomMilli(),
      this.state.availableHeadroomMilli,
    );
    if (caps === undefined) return usable;
    const trimmed = capUnreservedScalars(usable, caps);
    // What quota lets through depends on other agents and roles, so a trimmed agent may offer
    // more later without any change of its own.
    if (trimmed !== usable) this.visitStable = false;
    return trimmed;
  }

  /** The first framework of the role, in sorter order, that may be offered `offer` on the agent. */
  private firstTaker(agent: AgentState, role: RoleState, offer: Resources): RoleMembership | undefined {
    const frameworks = role.frameworks;
    const slots = frameworks.orderedKeys();
    const count = frameworks.activeCount;
    // GPU agents need each framework's capability, so they take the per-framework path.
    if (agent.hasGpus) {
      for (let position = 0; position < count; position++) {
        const membership = frameworks.clientAt(position).payload;
        if (this.accepts(membership, agent, offer)) return membership;
      }
      return undefined;
    }
    const position = agent.filters.firstUnrefused(slots, count, offer, this.nowMs);
    this.visitIdleUntilMs = Math.min(this.visitIdleUntilMs, agent.filters.refusalsEndMs);
    return position < 0 ? undefined : frameworks.clientAt(position).payload;
  }

  /**
   * `firstTaker` for an idle agent: every framework but the woken ones still refuses it, so the
   * taker is the woken one that accepts and comes first in sorter order.
   */
  private firstWokenTaker(
    agent: AgentState,
    role: RoleState,
    offer: Resources,
    woken: readonly RoleMembership[],
  ): RoleMembership | undefined {
    let taker: RoleMembership | undefined;
    for (const membership of woken) {
      const { framework } = membership;
      // The log may name memberships since dropped or deactivated.
      if (membership.role !== role || framework.memberships.get(role.name) !== membership) continue;
      if (!role.frameworks.isActive(framework.id) || !this.accepts(membership, agent, offer)) continue;
      if (taker === undefined || role.frameworks.precedes(framework.id, taker.framework.id))
        taker = membership;
    }
    return taker;
  }

  /** Whether the membership may be offered `offer` on the agent; notes when a refusal ends. */
  private accepts(membership: RoleMembership, agent: AgentState, offer: Resources): boolean {
    if (agent.hasGpus && !membership.framework.gpuAware) return false;
    const refusedUntilMs = agent.filters.refusedUntilMs(membership.slot, offer, this.nowMs);
    if (refusedUntilMs === undefined) return true;
    if (refusedUntilMs < this.visitIdleUntilMs) this.visitIdleUntilMs = refusedUntilMs;
    return false;
  }

  private record(membership: RoleMembership, agent: AgentState, resources: Resources): void {
    const earlier = this.visitAllocations?.find((allocation) => allocation.membership === membership);
    if (earlier !== undefined) {
      const merged = this.allocations[earlier.index]!;
      this.allocations[earlier.index] = { ...merged, resources: merged.resources.plus(resources) };
      return;
    }
    const index = this.allocations.push({
      frameworkId: membership.framework.id,
      agentId: agent.id,
      role: membership.role.name,
      resources,
    });
    (this.visitAllocations ??= []).push({ membership, index: index - 1 });
  }
}
