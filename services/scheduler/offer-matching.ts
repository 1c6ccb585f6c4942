/**
 * Fitting a task into an offer: pure functions that carve a task's cpus, mem, disk, gpus and ports
 * out of an offer's v1 resources and return both the task's `Resource[]` and what is left, so several
 * tasks can be packed into one offer by feeding `remaining` back in.
 *
 * The task's resources are copies of the offer's resource objects with smaller quantities, so they
 * keep the offer's reservation and `allocation_info` exactly as the master expects them back.
 * Resources reserved for a role are used before unreserved ones, leaving the shared pool to others.
 */
import { fromMilli, toMilli, UNRESERVED } from '../core/resources.js';
import { normalizeRanges, type Range, rangesSize, subtractRanges, takeFromRanges } from '../core/ranges.js';
import type { Offer } from '../core/v1/cluster.js';
import type { Resource } from '../core/v1/common.js';

/** What one task asks for. Scalars in Mesos units; `ports` is how many host ports to pick. */
export interface TaskNeeds {
  readonly cpus: number;
  readonly memMiB: number;
  /** @default 0 */
  readonly diskMiB?: number;
  /** @default 0 */
  readonly gpus?: number;
  /** @default 0 */
  readonly ports?: number;
}

/** The part of an offer that matching reads. */
export type OfferResources = Pick<Offer, 'resources' | 'allocation_info'>;

export type FitResult =
  | {
      readonly fits: true;
      /** Resources for the TaskInfo, each tagged with the offer's `allocation_info`. */
      readonly resources: Resource[];
      /** The host ports picked, lowest first. */
      readonly ports: number[];
      /** The offer's resources minus the task's. */
      readonly remaining: Resource[];
    }
  | {
      readonly fits: false;
      /** Human-readable, e.g. `not enough mem: 64 needed, 32 offered`. */
      readonly reason: string;
    };

/** Mesos resource names for each need, scalars in the order shortfalls are reported. */
const SCALAR_NEEDS = [
  ['cpus', (n: TaskNeeds) => n.cpus],
  ['mem', (n: TaskNeeds) => n.memMiB],
  ['disk', (n: TaskNeeds) => n.diskMiB ?? 0],
  ['gpus', (n: TaskNeeds) => n.gpus ?? 0],
] as const;

/**
 * Carves `needs` out of `offer.resources`. Deterministic: the same offer and needs always give the
 * same resources and ports. Revocable resources are never used (they may be taken back at any time).
 */
export function fitTask(offer: OfferResources, needs: TaskNeeds): FitResult {
  const usable = orderByPreference(offer.resources.filter((r) => r.revocable === undefined));
  const taken = new Map<Resource, Resource>();

  for (const [name, amount] of SCALAR_NEEDS) {
    let neededMilli = toMilli(amount(needs));
    const candidates = usable.filter((r) => r.name === name && r.type === 'SCALAR');
    const offeredMilli = candidates.reduce((sum, r) => sum + toMilli(r.scalar?.value ?? 0), 0);
    if (offeredMilli < neededMilli) {
      return {
        fits: false,
        reason: `not enough ${name}: ${fromMilli(neededMilli)} needed, ${fromMilli(offeredMilli)} offered`,
      };
    }
    for (const r of candidates) {
      if (neededMilli <= 0) break;
      const takeMilli = Math.min(neededMilli, toMilli(r.scalar?.value ?? 0));
      if (takeMilli > 0) taken.set(r, { ...r, scalar: { value: fromMilli(takeMilli) } });
      neededMilli -= takeMilli;
    }
  }

  const portsNeeded = needs.ports ?? 0;
  const ports: number[] = [];
  for (const r of usable.filter((r) => r.name === 'ports' && r.type === 'RANGES')) {
    if (ports.length >= portsNeeded) break;
    const picked = takeFromRanges(normalizeRanges(r.ranges?.range ?? []), portsNeeded - ports.length);
    if (picked.length > 0) taken.set(r, { ...r, ranges: { range: toRanges(picked) } });
    ports.push(...picked);
  }
  if (ports.length < portsNeeded) {
    return { fits: false, reason: `not enough ports: ${portsNeeded} needed, ${ports.length} offered` };
  }

  return {
    fits: true,
    resources: [...taken.values()].map((r) => withAllocation(r, offer)),
    ports,
    remaining: offer.resources.flatMap((r) => {
      const part = taken.get(r);
      return part === undefined ? [r] : subtract(r, part);
    }),
  };
}

/** Reserved resources first, then unreserved; otherwise the offer's order (stable sort). */
function orderByPreference(resources: readonly Resource[]): Resource[] {
  const isReserved = (r: Resource): boolean =>
    (r.reservations?.length ?? 0) > 0 || (r.role ?? UNRESERVED) !== UNRESERVED;
  return [...resources].sort((a, b) => Number(isReserved(b)) - Number(isReserved(a)));
}

function withAllocation(r: Resource, offer: OfferResources): Resource {
  return r.allocation_info === undefined && offer.allocation_info !== undefined
    ? { ...r, allocation_info: offer.allocation_info }
    : r;
}

function toRanges(points: readonly number[]): Range[] {
  return normalizeRanges(points.map((p) => ({ begin: p, end: p })));
}

/** `whole` minus `part` (a piece of it); empty results vanish. */
function subtract(whole: Resource, part: Resource): Resource[] {
  if (whole.type === 'RANGES') {
    const left = subtractRanges(normalizeRanges(whole.ranges?.range ?? []), part.ranges?.range ?? []);
    return rangesSize(left) === 0 ? [] : [{ ...whole, ranges: { range: left } }];
  }
  const leftMilli = toMilli(whole.scalar?.value ?? 0) - toMilli(part.scalar?.value ?? 0);
  return leftMilli <= 0 ? [] : [{ ...whole, scalar: { value: fromMilli(leftMilli) } }];
}
