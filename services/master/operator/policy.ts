/**
 * Role weights and quota: the one place in the master that owns them. The operator API changes
 * them through `updateWeights` / `updateQuotas`, which validate the whole request first
 * (all-or-nothing), then hand the complete new policy to the persistence hook, and only once that
 * succeeded apply it to the allocator, the way Mesos's registrar stores an operation before the
 * master acts on it. After a failover the new leader calls `restore` with what the registry holds.
 *
 * What the registry stores is `RolePolicySnapshot` as JSON, e.g.
 *
 *   {"weights":[{"role":"eng","weight":2}],
 *    "quotas":[{"role":"eng","guarantees":{"cpus":1},"limits":{"cpus":4,"mem":4096}}]}
 */
import type { AllocatorShares, Quantities, Allocator } from '../../allocator/allocator.js';
import { invalidCall } from '../../core/errors.js';
import type { FrameworkId } from '../../core/ids.js';

export interface WeightInfo {
  readonly role: string;
  readonly weight: number;
}

export interface QuotaConfig {
  readonly role: string;
  /** Scalars the role is guaranteed; absent names are guaranteed nothing. */
  readonly guarantees: Quantities;
  /** Scalars the role may never exceed; absent names are unlimited. */
  readonly limits: Quantities;
}

/** Everything a failover must carry over: the registry's record of the role policy. */
export interface RolePolicySnapshot {
  readonly weights: readonly WeightInfo[];
  readonly quotas: readonly QuotaConfig[];
}

/**
 * Stores the complete policy that is about to take effect. Rejecting aborts the update: nothing is
 * applied and the operator's call fails.
 */
export type PolicyPersistence = (next: RolePolicySnapshot) => Promise<void>;

/** Resource names that are not scalars, so can carry no quota. */
const NON_SCALAR_RESOURCES = new Set(['ports']);
const RESOURCE_NAME = /^[A-Za-z0-9_.\-/]+$/;

export class RolePolicy {
  private weights = new Map<string, number>();
  private quotas = new Map<string, QuotaConfig>();
  private persist: PolicyPersistence = () => Promise.resolve();
  /** Updates run one after another, each computed from the state its predecessor left. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly allocator: Pick<Allocator, 'setWeights' | 'setQuota' | 'shares' | 'filteredAgentCounts'>,
  ) {}

  /** Sets where updates are stored before they take effect (the registry); in-memory by default. */
  usePersistence(persist: PolicyPersistence): void {
    this.persist = persist;
  }

  /** The weight of `role` (1 unless set). */
  weight(role: string): number {
    return this.weights.get(role) ?? 1;
  }

  quota(role: string): QuotaConfig | undefined {
    return this.quotas.get(role);
  }

  /** The current policy, roles sorted by name. */
  snapshot(): RolePolicySnapshot {
    return snapshotOf(this.weights, this.quotas);
  }

  /** Dominant shares as the allocator computes them. */
  shares(): AllocatorShares {
    return this.allocator.shares();
  }

  /** How many agents each framework holds offer filters for, as the allocator applies them now. */
  filteredAgentCounts(nowMs: number): ReadonlyMap<FrameworkId, number> {
    return this.allocator.filteredAgentCounts(nowMs);
  }

  /**
   * Replaces the whole policy with what the registry recovered, without storing it again. Call it
   * before the master serves operator calls as the new leader.
   */
  restore(snapshot: RolePolicySnapshot): void {
    this.apply(
      new Map(snapshot.weights.map((w) => [w.role, w.weight])),
      new Map(snapshot.quotas.map((q) => [q.role, q])),
    );
  }

  /** Sets the named roles' weights; other roles keep theirs. Throws INVALID_CALL naming the problem. */
  async updateWeights(infos: readonly WeightInfo[]): Promise<void> {
    requireDistinctRoles(infos, 'weight_infos');
    for (const { role, weight } of infos) {
      validateRole(role);
      if (!Number.isFinite(weight) || weight <= 0)
        throw invalidCall(`Invalid weight '${weight}' for role '${role}': weights must be positive`);
    }
    return this.enqueue(() => {
      const weights = new Map(this.weights);
      for (const { role, weight } of infos) weights.set(role, weight);
      return { weights, quotas: this.quotas };
    });
  }

  /**
   * Sets the named roles' quota (empty guarantees and limits remove it). With `capacity`, the sum
   * of all guarantees afterwards must fit in it (Mesos's check that `force` skips).
   */
  async updateQuotas(configs: readonly QuotaConfig[], capacity?: Quantities): Promise<void> {
    requireDistinctRoles(configs, 'quota_configs');
    for (const config of configs) validateQuotaConfig(config);
    return this.enqueue(() => {
      const quotas = new Map(this.quotas);
      for (const config of configs) {
        const empty = Object.keys(config.guarantees).length === 0 && Object.keys(config.limits).length === 0;
        if (empty) quotas.delete(config.role);
        else quotas.set(config.role, config);
      }
      if (capacity !== undefined) requireGuaranteesFit(quotas, capacity);
      return { weights: this.weights, quotas };
    });
  }

  private enqueue(
    next: () => { weights: Map<string, number>; quotas: Map<string, QuotaConfig> },
  ): Promise<void> {
    const run = this.queue.then(async () => {
      const { weights, quotas } = next();
      await this.persist(snapshotOf(weights, quotas));
      this.apply(weights, quotas);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private apply(weights: Map<string, number>, quotas: Map<string, QuotaConfig>): void {
    for (const role of this.quotas.keys()) if (!quotas.has(role)) this.allocator.setQuota(role, undefined);
    for (const quota of quotas.values()) this.allocator.setQuota(quota.role, quota);
    this.allocator.setWeights(weights);
    this.weights = weights;
    this.quotas = quotas;
  }
}

function snapshotOf(
  weights: ReadonlyMap<string, number>,
  quotas: ReadonlyMap<string, QuotaConfig>,
): RolePolicySnapshot {
  const byRole = <T extends { role: string }>(a: T, b: T): number => (a.role < b.role ? -1 : 1);
  return {
    weights: [...weights].map(([role, weight]) => ({ role, weight })).sort(byRole),
    quotas: [...quotas.values()].sort(byRole),
  };
}

/** Mesos's role name rules (`roles::validate`), hierarchical roles included. */
function validateRole(role: string): void {
  const fail = (why: string): never => {
    throw invalidCall(`Invalid role '${role}': ${why}`);
  };
  if (role === '') fail('must not be empty');
  if (role === '*') return;
  for (const part of role.split('/')) {
    if (part === '') fail("must not contain empty path components ('//', leading or trailing '/')");
    if (part === '.' || part === '..') fail("must not contain '.' or '..' as a path component");
    if (part.startsWith('-')) fail("components must not start with '-'");
    if (part === '*') fail("'*' is only valid as the whole role");
  }
  // Mesos forbids whitespace, control characters and backslash in role names.
  // eslint-disable-next-line no-control-regex
  if (/[\s\x00-\x1f\x7f\\]/.test(role)) fail('must not contain whitespace, control characters or backslash');
}

function requireDistinctRoles(entries: readonly { role: string }[], field: string): void {
  const seen = new Set<string>();
  for (const { role } of entries) {
    if (seen.has(role)) throw invalidCall(`'${field}' names role '${role}' more than once`);
    seen.add(role);
  }
}

function validateQuotaConfig(config: QuotaConfig): void {
  validateRole(config.role);
  if (config.role === '*') throw invalidCall("Invalid role '*': quota cannot be set for the default role");
  for (const [field, quantities] of [
    ['guarantees', config.guarantees],
    ['limits', config.limits],
  ] as const) {
    for (const [name, value] of Object.entries(quantities)) {
      if (!RESOURCE_NAME.test(name))
        throw invalidCall(`Invalid ${field} of role '${config.role}': '${name}' is not a resource name`);
      if (NON_SCALAR_RESOURCES.has(name))
        throw invalidCall(
          `Invalid ${field} of role '${config.role}': '${name}' is not a scalar resource; quota applies to scalars only`,
        );
      if (!Number.isFinite(value) || value < 0)
        throw invalidCall(
          `Invalid ${field} of role '${config.role}': '${name}' must be a non-negative number; received ${value}`,
        );
    }
  }
  for (const [name, guarantee] of Object.entries(config.guarantees)) {
    const limit = config.limits[name];
    if (limit !== undefined && limit < guarantee)
      throw invalidCall(
        `Invalid quota of role '${config.role}': the limit of '${name}' (${limit}) is below its guarantee (${guarantee})`,
      );
  }
}

function requireGuaranteesFit(quotas: ReadonlyMap<string, QuotaConfig>, capacity: Quantities): void {
  const total = new Map<string, number>();
  for (const quota of quotas.values())
    for (const [name, value] of Object.entries(quota.guarantees))
      total.set(name, (total.get(name) ?? 0) + value);
  for (const [name, guaranteed] of total) {
    const available = capacity[name] ?? 0;
    if (guaranteed > available)
      throw invalidCall(
        `Total quota guarantees of '${name}' (${guaranteed}) exceed the cluster's capacity (${available}); set 'force' to bypass this check`,
      );
  }
}
