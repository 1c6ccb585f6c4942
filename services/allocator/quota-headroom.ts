/**
 * Quota arithmetic (Mesos quota v2): what a role consumes, what the cluster must hold back for
 * guarantees not yet met (the headroom), and how far an offer's unreserved scalars are trimmed.
 *
 * A role consumes its reservations, allocated or not, plus the unreserved resources allocated to
 * it. Limits therefore only ever trim unreserved resources: offering a role its own reservations
 * does not change what it consumes.
 */
import { fromMilli, Resources } from '../core/resources.js';
import type { Quota } from './allocator.js';
import { type MilliQuantities, toMilliQuantities } from './quantities.js';

export interface QuotaMilli {
  readonly guarantees: ReadonlyMap<string, number>;
  readonly limits: ReadonlyMap<string, number>;
}

/** What quota arithmetic reads from a role. */
export interface QuotaRoleView {
  readonly quota: QuotaMilli | undefined;
  /** Unreserved scalars allocated (offered or used) to the role. */
  readonly allocatedUnreservedMilli: ReadonlyMap<string, number>;
  /** Scalars reserved for the role on all agents, allocated or not. */
  readonly reservedMilli: ReadonlyMap<string, number>;
}

/**
 * `quota-guarantees` (stage 1) serves roles below their guarantees with at most what is missing;
 * `fair-share` (stage 2) serves every role, bounded by limits and by other roles' headroom.
 */
export type AllocationStage = 'quota-guarantees' | 'fair-share';

export function quotaToMilli(quota: Quota): QuotaMilli {
  return { guarantees: toMilliQuantities(quota.guarantees), limits: toMilliQuantities(quota.limits) };
}

export function consumedMilli(role: QuotaRoleView, name: string): number {
  return (role.allocatedUnreservedMilli.get(name) ?? 0) + (role.reservedMilli.get(name) ?? 0);
}

/** max(0, guarantee − consumed) for `name`; 0 for roles without a guarantee on it. */
export function unmetGuaranteeMilli(role: QuotaRoleView, name: string): number {
  const guarantee = role.quota?.guarantees.get(name) ?? 0;
  return Math.max(0, guarantee - consumedMilli(role, name));
}

export function hasUnmetGuarantees(role: QuotaRoleView): boolean {
  for (const name of role.quota?.guarantees.keys() ?? [])
    if (unmetGuaranteeMilli(role, name) > 0) return true;
  return false;
}

/**
 * Headroom the cluster must keep unallocated and unreserved so every role can still reach its
 * guarantee: Σ over roles of max(0, guarantee − consumed), per name. Names with nothing required
 * are absent.
 */
export function requiredHeadroomMilli(roles: Iterable<QuotaRoleView>): MilliQuantities {
  const required: MilliQuantities = new Map();
  for (const role of roles) {
    for (const name of role.quota?.guarantees.keys() ?? []) {
      const unmet = unmetGuaranteeMilli(role, name);
      if (unmet > 0) required.set(name, (required.get(name) ?? 0) + unmet);
    }
  }
  return required;
}

/**
 * Per-name ceilings on the unreserved scalars one offer to `role` may carry; `undefined` when
 * nothing is capped (the common case without quota, kept allocation-free).
 *
 * - limit: at most `limit − consumed`, so the role never exceeds its limit.
 * - headroom: giving `x` to the role lowers the available headroom by `x` and the required
 *   headroom by `min(x, own unmet)`, so it stays sufficient while
 *   `x ≤ own unmet + max(0, available − required)`.
 * - stage 1: a guaranteed name is offered only up to what the guarantee still misses; other
 *   names pass if headroom allows.
 */
export function unreservedCapsMilli(
  role: QuotaRoleView,
  stage: AllocationStage,
  requiredMilli: ReadonlyMap<string, number>,
  availableMilli: ReadonlyMap<string, number>,
): MilliQuantities | undefined {
  let caps: MilliQuantities | undefined;
  const tighten = (name: string, ceiling: number): void => {
    caps ??= new Map();
    caps.set(name, Math.min(caps.get(name) ?? Infinity, Math.max(0, ceiling)));
  };
  for (const [name, limit] of role.quota?.limits ?? []) tighten(name, limit - consumedMilli(role, name));
  for (const [name, required] of requiredMilli) {
    const surplus = Math.max(0, (availableMilli.get(name) ?? 0) - required);
    tighten(name, unmetGuaranteeMilli(role, name) + surplus);
  }
  if (stage === 'quota-guarantees') {
    for (const name of role.quota?.guarantees.keys() ?? []) tighten(name, unmetGuaranteeMilli(role, name));
  }
  return caps;
}

/** `resources` with each unreserved scalar reduced to its cap; reserved and non-scalar parts untouched. */
export function capUnreservedScalars(
  resources: Resources,
  capsMilli: ReadonlyMap<string, number>,
): Resources {
  const unreserved = resources.unreserved();
  let capped = resources;
  for (const [name, cap] of capsMilli) {
    const excess = unreserved.scalarMilli(name) - cap;
    if (excess > 0) capped = capped.minus(Resources.scalars({ [name]: fromMilli(excess) }));
  }
  return capped;
}
