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
    const visited: AgentState[] = [];
    let agentsConsidered = 0;
    for (const agent of agents) {
      if (!agent.active) continue;
      agentsConsidered++;
      if (!this.state.isIdle(agent, this.nowMs)) visited.push(agent);
    }

    // Stage 1 trims offers to what guarantees miss, which changes as other agents are served; an
    // agent passed over then is not "idle" in the stable sense, so no idle marks in such cycles.
    const guaranteesPending = this.state.hasUnmetGuarantees();
    if (guaranteesPending) {
      for (const agent of visited) {
        this.visitAllocations = undefined;
        this.visitAgent(agent, 'quota-guarantees');
        if (this.visitAllocations !== undefined) this.stageOneAllocations.set(agent, this.visitAllocations);
      }
    }

    for (const agent of visited) {
      this.visitAllocations = this.stageOneAllocations.get(agent);
      this.visitStable = !guaranteesPending;
      this.visitIdleUntilMs = Infinity;
      const freeBefore = agent.free;
      this.visitAgent(agent, 'fair-share');
      if (this.visitStable && agent.free === freeBefore) this.state.markIdle(agent, this.visitIdleUntilMs);
    }
    return {
      allocations: this.allocations,
      stats: { agentsConsidered, agentsSkipped: agentsConsidered - visited.length },
    };
  }

  private visitAgent(agent: AgentState, stage: AllocationStage): void {
    for (const role of this.state.roleSorter.orderSnapshot()) {
      if (agent.free.isEmpty()) return;
      if (stage === 'quota-guarantees' && !hasUnmetGuarantees(role)) continue;
      this.offerToRole(agent, role, stage);
    }
  }

  /**
   * Offers the agent's resources usable by `role` until nothing allocatable is left or no framework
   * takes them. Usually one round: the first framework takes everything the role may use.
   */
  private offerToRole(agent: AgentState, role: RoleState, stage: AllocationStage): void {
    for (;;) {
      const usable = agent.free.usableBy(role.name);
      if (usable.isEmpty()) return;
      const offer = this.trimToQuota(usable, role, stage);
      if (offer.isEmpty() || !meetsAnyMinimum(offer.scalarQuantities(), this.state.minAllocatableMilli))
        return;
      const taker = this.firstTaker(agent, role, offer);
      if (taker === undefined) return;
      this.state.allocate(taker, agent, offer);
      this.record(taker, agent, offer);
    }
  }

  private trimToQuota(usable: Resources, role: RoleState, stage: AllocationStage): Resources {
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

  /**
   * The first framework of the role, in sorter order, that may be offered `offer` on the agent.
   * This is the hot loop of a cycle where most frameworks filter most agents, so each refusal is a
   * typed-array read and, usually, an identity comparison.
   */
  private firstTaker(agent: AgentState, role: RoleState, offer: Resources): RoleMembership | undefined {
    const clients = role.frameworks.orderedClients();
    for (let i = 0; i < clients.length; i++) {
      const membership = clients[i]!.payload;
      if (agent.hasGpus && !membership.framework.gpuAware) continue;
      const refusedUntilMs = agent.filters.refusedUntilMs(membership.slot, offer, this.nowMs);
      if (refusedUntilMs === undefined) return membership;
      if (refusedUntilMs < this.visitIdleUntilMs) this.visitIdleUntilMs = refusedUntilMs;
    }
    return undefined;
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
