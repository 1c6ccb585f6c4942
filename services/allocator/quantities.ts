/**
 * Scalar quantities in integer milli-units keyed by resource name (`cpus` → 1500 means 1.5 cpus):
 * the currency of shares, quota and headroom. They are plain `Map`s mutated in place by their
 * owner, because the allocator adjusts them on every allocation and building a fresh map each time
 * would dominate a cycle's cost.
 */
import { toMilli } from '../core/resources.js';
import type { Quantities } from './allocator.js';

export type MilliQuantities = Map<string, number>;

/** Adds `delta` into `target`. */
export function addQuantities(target: MilliQuantities, delta: ReadonlyMap<string, number>): void {
  for (const [name, milli] of delta) target.set(name, (target.get(name) ?? 0) + milli);
}

/**
 * Subtracts `delta` from `target`, never going below zero; names that reach zero are deleted so
 * that an empty map means "nothing".
 */
export function subtractQuantities(target: MilliQuantities, delta: ReadonlyMap<string, number>): void {
  for (const [name, milli] of delta) {
    const left = (target.get(name) ?? 0) - milli;
    if (left > 0) target.set(name, left);
    else target.delete(name);
  }
}

/** Converts the API's unit quantities (`{ cpus: 0.5 }`) to milli-units, dropping non-positive values. */
export function toMilliQuantities(quantities: Quantities): MilliQuantities {
  const out: MilliQuantities = new Map();
  for (const [name, value] of Object.entries(quantities)) {
    const milli = toMilli(value);
    if (milli > 0) out.set(name, milli);
  }
  return out;
}

/**
 * True when the quantities read through `milliOf` reach every name of at least one alternative
 * (Mesos `--min_allocatable_resources` semantics). With no alternatives every non-empty chunk
 * qualifies; callers check emptiness themselves. Takes a lookup rather than a map so that the
 * per-offer check allocates nothing.
 */
export function meetsAnyMinimum(
  milliOf: (name: string) => number,
  alternatives: readonly ReadonlyMap<string, number>[],
): boolean {
  if (alternatives.length === 0) return true;
  return alternatives.some((minimum) => {
    for (const [name, milli] of minimum) if (milliOf(name) < milli) return false;
    return true;
  });
}
