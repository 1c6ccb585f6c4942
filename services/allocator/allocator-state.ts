/**
 * The allocator's incremental state and the accounting primitives that keep its parts consistent:
 * agents' free resources, the role and framework sorters, quota consumption, the available
 * headroom and offer filters. Every primitive costs work proportional to what it changes.
 */
import { invalidCall, MesoError } from '../core/errors.js';
import type { AgentId, FrameworkId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import { DrfSorter, ShareBasis } from './drf-sorter.js';
import { EligibilityLog } from './eligibility-log.js';
import { AgentOfferFilters } from './offer-filters.js';
import { addQuantities, type MilliQuantities, subtractQuantities, toMilliQuantities } from './quantities.js';
import {
  type QuotaMilli,
  type QuotaRoleView,
  hasUnmetGuarantees,
  requiredHeadroomMilli,
} from './quota-headroom.js';
import type { AllocatorOptions } from './allocator.js';

export interface AgentState {
  readonly id: AgentId;
  /** Addition order. Cycles visit agents in this order, which keeps them reproducible. */
  readonly sequence: number;
  readonly total: Resources;
  /** Not allocated to anyone; replaced, never mutated, so an unchanged agent keeps the same object. */
  free: Resources;
  active: boolean;
  /** Agents with gpus are offered only to GPU-aware frameworks (Mesos `--filter_gpu_resources`). */
  readonly hasGpus: boolean;
  /** Whether any of its resources are reserved; without, every role may use all of `free` as is. */
  readonly hasReservations: boolean;
  /** Memberships holding resources here, so removing the agent finds them without a scan. */
  readonly holders: Set<RoleMembership>;
  readonly filters: AgentOfferFilters;
  /**
   * Set when a cycle found that no eligible framework takes what this agent has, for reasons that
   * only a change of its free resources, the first blocking filter's expiry (`idleUntilMs`) or a
   * framework appended to the eligibility log since `idleSince` can lift. Until one of these
   * happens cycles skip the agent, or check only the newly eligible frameworks.
   */
  idleSince: number;
  idleUntilMs: number;
}

export interface FrameworkState {
  readonly id: FrameworkId;
  /** False for a placeholder holding what an agent reported in use before the framework was added. */
  registered: boolean;
  active: boolean;
  gpuAware: boolean;
  readonly suppressedRoles: Set<string>;
  readonly memberships: Map<string, RoleMembership>;
}

/** A framework's place in one role: its framework-sorter client, filter slot and allocations there. */
export interface RoleMembership {
  readonly framework: FrameworkState;
  readonly role: RoleState;
  /** Index into every agent's filter table, unique among live memberships. */
  readonly slot: number;
  /** False once the framework left the role; the membership lives on while it holds resources. */
  subscribed: boolean;
  readonly allocations: Map<AgentState, Resources>;
}

export interface RoleState extends QuotaRoleView {
  readonly name: string;
  readonly frameworks: DrfSorter<RoleMembership>;
  quota: QuotaMilli | undefined;
  readonly allocatedUnreservedMilli: MilliQuantities;
  readonly reservedMilli: MilliQuantities;
}

/** `idleSince` of an agent that the next cycle must look at in full. */
const NOT_IDLE = -1;
/** Beyond this many newly eligible frameworks, looking at an idle agent in full is as cheap. */
const MAX_WOKEN_CHECKS = 64;

const unreservedScalarsMilli = (resources: Resources): Map<string, number> =>
  resources.unreserved().scalarQuantities();

/** Scalar quantities of some resources, all and unreserved, computed once per change. */
interface Measured {
  readonly all: ReadonlyMap<string, number>;
  readonly unreserved: ReadonlyMap<string, number>;
}

function measure(resources: Resources, mayBeReserved: boolean): Measured {
  const all = resources.scalarQuantities();
  if (!mayBeReserved) return { all, unreserved: all };
  const unreserved = resources.unreserved();
  return { all, unreserved: unreserved === resources ? all : unreserved.scalarQuantities() };
}

/** The part of `held` that is also in `returned`, without copying in the usual whole-offer case. */
function overlap(held: Resources, returned: Resources): Resources {
  if (held === returned || returned.contains(held)) return held;
  if (held.contains(returned)) return returned;
  return held.minus(held.minus(returned));
}

export class AllocatorState {
  readonly basis: ShareBasis;
  readonly roleSorter: DrfSorter<RoleState>;
  readonly agents = new Map<AgentId, AgentState>();
  readonly frameworks = new Map<FrameworkId, FrameworkState>();
  readonly roles = new Map<string, RoleState>();
  readonly minAllocatableMilli: readonly MilliQuantities[];
  /** Unallocated unreserved scalars over all agents: what quota guarantees can still draw on. */
  readonly availableHeadroomMilli: MilliQuantities = new Map();
  private weights: ReadonlyMap<string, number> = new Map();
  private readonly quotaRoles = new Set<RoleState>();
  private requiredHeadroomCache: MilliQuantities | undefined;
  private readonly eligibilityLog = new EligibilityLog<RoleMembership>();
  private agentSequence = 0;
  private nextSlot = 0;
  private readonly recycledSlots: number[] = [];

  constructor(options: AllocatorOptions) {
    this.basis = new ShareBasis(options.fairnessExcludedResourceNames);
    this.roleSorter = new DrfSorter(this.basis);
    this.minAllocatableMilli = options.minAllocatable.map(toMilliQuantities);
  }

  /** Records that the membership may now take what it refused or could not take before. */
  wake(membership: RoleMembership): void {
    this.eligibilityLog.append(membership);
  }

  /**
   * For an idle agent, the memberships to check (those woken since it went idle, possibly none);
   * `undefined` when the agent must be looked at in full.
   */
  wokenSinceIdle(agent: AgentState, nowMs: number): readonly RoleMembership[] | undefined {
    if (agent.idleSince === NOT_IDLE || nowMs >= agent.idleUntilMs) return undefined;
    const woken = this.eligibilityLog.since(agent.idleSince);
    return woken !== undefined && woken.length <= MAX_WOKEN_CHECKS ? woken : undefined;
  }

  markIdle(agent: AgentState, untilMs: number): void {
    agent.idleSince = this.eligibilityLog.position;
    agent.idleUntilMs = untilMs;
  }

  addAgent(id: AgentId, total: Resources): AgentState {
    const agent: AgentState = {
      id,
      sequence: this.agentSequence++,
      total,
      free: total,
      active: true,
      hasGpus: total.scalarMilli('gpus') > 0,
      hasReservations: total.reservedRoles().size > 0,
      holders: new Set(),
      filters: new AgentOfferFilters(),
      idleSince: NOT_IDLE,
      idleUntilMs: 0,
    };
    this.agents.set(id, agent);
    this.basis.add(total.scalarQuantities());
    addQuantities(this.availableHeadroomMilli, unreservedScalarsMilli(total));
    this.adjustReservations(total, addQuantities);
    return agent;
  }

  /** Drops the agent with its allocations and filters; the frameworks keep nothing there. */
  removeAgent(agent: AgentState): void {
    for (const membership of [...agent.holders]) {
      const held = membership.allocations.get(agent);
      if (held !== undefined)
        this.account(membership, measure(this.release(membership, agent, held), true), 'unallocated');
      this.dropMembershipIfUnused(membership);
    }
    this.agents.delete(agent.id);
    this.basis.subtract(agent.total.scalarQuantities());
    subtractQuantities(this.availableHeadroomMilli, unreservedScalarsMilli(agent.free));
    this.adjustReservations(agent.total, subtractQuantities);
  }

  /** The role, created on first mention with its configured weight. */
  role(name: string): RoleState {
    let role = this.roles.get(name);
    if (role === undefined) {
      role = {
        name,
        // Keyed by filter slot, so scanning a role's order reads agents' filter tables directly.
        frameworks: new DrfSorter<RoleMembership>(this.basis, (membership) => membership.slot),
        quota: undefined,
        allocatedUnreservedMilli: new Map(),
        reservedMilli: new Map(),
      };
      this.roles.set(name, role);
      this.roleSorter.add(name, role, false, this.weights.get(name) ?? 1);
    }
    return role;
  }

  setWeights(weights: ReadonlyMap<string, number>): void {
    for (const [role, weight] of weights) {
      // Shares are divided by weights; the master validates UPDATE_WEIGHTS, so this is a bug guard.
      if (!(weight > 0) || !Number.isFinite(weight))
        throw invalidCall(`weight ${weight} of role '${role}' is not positive`);
    }
    this.weights = weights;
    for (const name of this.roles.keys()) this.roleSorter.setWeight(name, weights.get(name) ?? 1);
  }

  setQuota(role: RoleState, quota: QuotaMilli | undefined): void {
    role.quota = quota;
    if (quota === undefined) this.quotaRoles.delete(role);
    else this.quotaRoles.add(role);
    this.requiredHeadroomCache = undefined;
    this.forgetRoleIfUnused(role);
  }

  hasUnmetGuarantees(): boolean {
    for (const role of this.quotaRoles) if (hasUnmetGuarantees(role)) return true;
    return false;
  }

  /** Whether any role has a quota; without, offers are never trimmed. */
  get hasQuotas(): boolean {
    return this.quotaRoles.size > 0;
  }

  /** Σ of unmet guarantees; cached until some quota role's consumption or quota changes. */
  requiredHeadroomMilli(): ReadonlyMap<string, number> {
    this.requiredHeadroomCache ??= requiredHeadroomMilli(this.quotaRoles);
    return this.requiredHeadroomCache;
  }

  /** The framework's membership in `roleName`, created (inactive, with a fresh filter slot) if missing. */
  membership(framework: FrameworkState, roleName: string): RoleMembership {
    let membership = framework.memberships.get(roleName);
    if (membership === undefined) {
      const role = this.role(roleName);
      const slot = this.recycledSlots.pop() ?? this.nextSlot++;
      membership = { framework, role, slot, subscribed: false, allocations: new Map() };
      framework.memberships.set(roleName, membership);
      role.frameworks.add(framework.id, membership, false);
    }
    return membership;
  }

  /**
   * Puts the membership in or out of its role's order: it is offered resources only while the
   * framework is registered and active and subscribes to the role without suppressing it.
   */
  refreshMembership(membership: RoleMembership): void {
    const { framework, role } = membership;
    const eligible =
      framework.registered &&
      framework.active &&
      membership.subscribed &&
      !framework.suppressedRoles.has(role.name);
    const wasEligible = role.frameworks.isActive(framework.id);
    role.frameworks.setActive(framework.id, eligible);
    this.roleSorter.setActive(role.name, role.frameworks.activeCount > 0);
    if (eligible && !wasEligible) this.wake(membership);
  }

  /** Forgets a membership that neither subscribes nor holds anything, releasing its filter slot. */
  dropMembershipIfUnused(membership: RoleMembership): void {
    if (membership.subscribed || membership.allocations.size > 0) return;
    const { framework, role } = membership;
    this.clearFilters(membership);
    this.recycledSlots.push(membership.slot);
    framework.memberships.delete(role.name);
    role.frameworks.remove(framework.id);
    this.roleSorter.setActive(role.name, role.frameworks.activeCount > 0);
    this.forgetRoleIfUnused(role);
  }

  /** O(agents): a framework's filters are spread over agents with no per-framework index, by design. */
  clearFilters(membership: RoleMembership): void {
    for (const agent of this.agents.values()) agent.filters.clear(membership.slot);
  }

  /**
   * Records resources reported in use (by `addAgent` or `addFramework` after a failover). Reports
   * are idempotent: only the part not yet held by the membership is taken, and only as far as the
   * agent has it free, so the agent and the framework may both report the same task.
   */
  claimUsed(membership: RoleMembership, agent: AgentState, used: Resources): void {
    const held = membership.allocations.get(agent);
    const unheld = held === undefined ? used : used.minus(held);
    const claimed = overlap(agent.free, unheld);
    if (claimed.isEmpty()) return;
    this.allocate(membership, agent, claimed);
  }

  /** Allocates `resources`, which must be free on the agent, to the membership. */
  allocate(membership: RoleMembership, agent: AgentState, resources: Resources): void {
    const quantities = measure(resources, agent.hasReservations);
    agent.free = resources === agent.free ? Resources.EMPTY : agent.free.minus(resources);
    subtractQuantities(this.availableHeadroomMilli, quantities.unreserved);
    agent.idleSince = NOT_IDLE;
    const held = membership.allocations.get(agent);
    membership.allocations.set(agent, held === undefined ? resources : held.plus(resources));
    agent.holders.add(membership);
    this.account(membership, quantities, 'allocated');
  }

  /** Returns what the membership holds of `resources` on the agent to its free pool; returns that part. */
  recover(membership: RoleMembership, agent: AgentState, resources: Resources): Resources {
    const released = this.release(membership, agent, resources);
    if (released.isEmpty()) return released;
    const quantities = measure(released, agent.hasReservations);
    this.account(membership, quantities, 'unallocated');
    agent.free = agent.free.plus(released);
    addQuantities(this.availableHeadroomMilli, quantities.unreserved);
    agent.idleSince = NOT_IDLE;
    return released;
  }

  /** Drops the part of `resources` the membership holds on the agent from its holdings; returns it. */
  private release(membership: RoleMembership, agent: AgentState, resources: Resources): Resources {
    const held = membership.allocations.get(agent);
    if (held === undefined) return Resources.EMPTY;
    const released = overlap(held, resources);
    if (released.isEmpty()) return released;
    const left = released === held ? Resources.EMPTY : held.minus(released);
    if (left.isEmpty()) {
      membership.allocations.delete(agent);
      agent.holders.delete(membership);
    } else {
      membership.allocations.set(agent, left);
    }
    return released;
  }

  /** Moves the membership's shares and its role's quota consumption by `quantities`. */
  private account(
    membership: RoleMembership,
    quantities: Measured,
    change: 'allocated' | 'unallocated',
  ): void {
    const { framework, role } = membership;
    if (change === 'allocated') {
      this.roleSorter.allocated(role.name, quantities.all);
      role.frameworks.allocated(framework.id, quantities.all);
      addQuantities(role.allocatedUnreservedMilli, quantities.unreserved);
    } else {
      this.roleSorter.unallocated(role.name, quantities.all);
      role.frameworks.unallocated(framework.id, quantities.all);
      subtractQuantities(role.allocatedUnreservedMilli, quantities.unreserved);
    }
    if (role.quota !== undefined) this.requiredHeadroomCache = undefined;
  }

  private adjustReservations(
    total: Resources,
    apply: (target: MilliQuantities, delta: ReadonlyMap<string, number>) => void,
  ): void {
    for (const name of total.reservedRoles()) {
      const role = this.role(name);
      apply(role.reservedMilli, total.filter((_, reservedFor) => reservedFor === name).scalarQuantities());
      if (role.quota !== undefined) this.requiredHeadroomCache = undefined;
      this.forgetRoleIfUnused(role);
    }
  }

  /** Roles are kept while anything refers to them: a framework, a quota, or reserved resources. */
  private forgetRoleIfUnused(role: RoleState): void {
    if (role.frameworks.size > 0 || role.quota !== undefined || role.reservedMilli.size > 0) return;
    if (role.allocatedUnreservedMilli.size > 0) {
      throw new MesoError('ILLEGAL_STATE', `role '${role.name}' holds resources but has no frameworks`);
    }
    this.roles.delete(role.name);
    this.roleSorter.remove(role.name);
  }
}
