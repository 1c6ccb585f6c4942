/**
 * The allocator decides which framework is offered which resources. It is pure and deterministic:
 * no I/O, no clock reads (time is passed in), no randomness; the same sequence of calls yields the
 * same allocations. It keeps incremental state (per-agent free resources, sorter shares, filters)
 * so one event costs work proportional to what changed.
 *
 * Accounting: resources returned by `allocate` count as allocated to (framework, role) until the
 * master gives them back with `recoverResources` (declined, unused part of an accepted offer,
 * rescinded offer, finished task). Offered and used resources are therefore treated alike, as in
 * Mesos's hierarchical allocator.
 *
 * Ordering rules: an agent or framework must be added before any call naming it; calls naming an
 * unknown agent or framework are ignored (the master may race with removals).
 */
import type { AgentId, FrameworkId } from '../core/ids.js';
import type { Resources } from '../core/resources.js';

export interface FrameworkDescriptor {
  /** Roles the framework subscribes with (at least one). */
  readonly roles: readonly string[];
  /** Roles for which the framework wants no offers (SUPPRESS). */
  readonly suppressedRoles: readonly string[];
  /** GPU_RESOURCES: without it, agents that have gpus are not offered (Mesos `--filter_gpu_resources`). */
  readonly gpuAware: boolean;
}

export interface AgentDescriptor {
  readonly hostname: string;
  readonly total: Resources;
}

/** Resources already in use when a framework or agent is (re-)added, e.g. after a master failover. */
export interface UsedResources {
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly role: string;
  readonly resources: Resources;
}

export interface Allocation {
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly role: string;
  readonly resources: Resources;
}

/** Scalar quantities by resource name, e.g. `{ cpus: 4, mem: 4096 }`. */
export type Quantities = Readonly<Record<string, number>>;

export interface Quota {
  /** Resources the role is guaranteed, allocated before any fair sharing. */
  readonly guarantees: Quantities;
  /** Resources the role may never exceed (offered plus used). Absent names are unlimited. */
  readonly limits: Quantities;
}

export interface AllocatorOptions {
  /**
   * A chunk smaller than every one of these alternatives is not offered (Mesos
   * `--min_allocatable_resources`, default `cpus:0.01|mem:32`).
   */
  readonly minAllocatable: readonly Quantities[];
  /** Resource names left out of dominant share computation (Mesos `--fair_sharing_excluded_resource_names`). */
  readonly fairnessExcludedResourceNames: readonly string[];
}

export interface AllocatorShares {
  /** Weighted dominant share per role, in [0, 1/weight]. */
  readonly roles: ReadonlyMap<string, number>;
  /** Dominant share of each framework within its role(s), keyed by framework id then role. */
  readonly frameworks: ReadonlyMap<FrameworkId, ReadonlyMap<string, number>>;
}

/** What one `allocate` call looked at, for metrics and logs. */
export interface AllocationCycleStats {
  /** Active agents within the call's scope. */
  readonly agentsConsidered: number;
  /**
   * Of those, agents passed over without a look: nothing about them changed since a cycle found
   * every eligible framework filtering them (or nothing free on them).
   */
  readonly agentsSkipped: number;
}

export interface Allocator {
  addFramework(
    id: FrameworkId,
    framework: FrameworkDescriptor,
    used: readonly UsedResources[],
    active: boolean,
  ): void;
  /** Changes roles or suppressed roles; allocations in dropped roles stay until recovered. */
  updateFramework(id: FrameworkId, framework: FrameworkDescriptor): void;
  /** Forgets the framework, its filters and its allocations. */
  removeFramework(id: FrameworkId): void;
  activateFramework(id: FrameworkId): void;
  /** A deactivated framework is offered nothing until re-activated (e.g. its scheduler disconnected). */
  deactivateFramework(id: FrameworkId): void;

  addAgent(id: AgentId, agent: AgentDescriptor, used: readonly UsedResources[]): void;
  /** Forgets the agent, its resources and every filter naming it. */
  removeAgent(id: AgentId): void;
  activateAgent(id: AgentId): void;
  deactivateAgent(id: AgentId): void;

  /**
   * Gives back resources allocated to (framework, role) on an agent. With `refuseUntilMs` the
   * framework is not offered those resources on that agent again before that time (an offer filter).
   */
  recoverResources(
    frameworkId: FrameworkId,
    agentId: AgentId,
    role: string,
    resources: Resources,
    refuseUntilMs?: number,
  ): void;

  /** Stops offers to the framework in `roles` (all of its roles when `undefined`). */
  suppressRoles(frameworkId: FrameworkId, roles?: readonly string[]): void;
  /** Resumes offers in `roles` (all when `undefined`) and clears the framework's filters for them. */
  reviveRoles(frameworkId: FrameworkId, roles?: readonly string[]): void;

  /** Sets role weights; roles not named go back to weight 1. */
  setWeights(weights: ReadonlyMap<string, number>): void;
  /** Sets or (with `undefined`) removes a role's quota. */
  setQuota(role: string, quota: Quota | undefined): void;

  /**
   * Runs one allocation cycle at `nowMs` over `agentIds` (every agent when `undefined`): quota
   * guarantees first, then weighted DRF across roles and frameworks. Each returned allocation is
   * for one (framework, role, agent). Filters that expired by `nowMs` no longer apply.
   */
  allocate(nowMs: number, agentIds?: Iterable<AgentId>): Allocation[];

  shares(): AllocatorShares;

  /**
   * For each framework, the agents whose resources it refused with a filter still in force at
   * `nowMs` (in any of its roles): what operators see as "filtered". Frameworks filtering nothing
   * are absent. One pass over the agents' filter tables, for operator reads, not cycles.
   */
  filteredAgentCounts(nowMs: number): ReadonlyMap<FrameworkId, number>;

  /** Statistics of the most recent `allocate` call; optional so that simple fakes may omit it. */
  lastCycleStats?(): AllocationCycleStats;
}
