/**
 * Packing several groups of identical tasks into a batch of offers, honouring each group's
 * constraints and role, and saying for every group why each offer it could not use was refused.
 * Pure and deterministic: the same offers and requests always give the same plan.
 *
 * Groups are served in the order given (the caller decides priority); within a group each task
 * takes the first offer that fits, so tasks are packed unless constraints spread them. Several
 * tasks may share one offer: each placement feeds the offer's remaining resources to the next.
 */
import type { Offer } from '../core/v1/cluster.js';
import type { Resource } from '../core/v1/common.js';
import { checkConstraints, type Constraint, type PlacementSite } from './constraints.js';
import { fitTask, type TaskNeeds } from './offer-matching.js';

export interface PlacementRequest {
  /** Names the group in the plan (an app id, a job run). */
  readonly key: string;
  /** How many more tasks of this group to place. */
  readonly count: number;
  readonly needs: TaskNeeds;
  /** @default [] */
  readonly constraints?: readonly Constraint[];
  /** Where the group's tasks already run, for the constraints. @default [] */
  readonly placed?: readonly PlacementSite[];
  /** The role whose offers the group may use; any role when absent. */
  readonly role?: string;
}

/** One task placed: launch it on `offer` with these resources and host ports. */
export interface Placement {
  readonly key: string;
  readonly offer: Offer;
  readonly resources: Resource[];
  readonly ports: number[];
}

/** What happened to one offer for one group. */
export interface OfferConsideration {
  readonly offerId: string;
  readonly agentId: string;
  readonly hostname: string;
  /** `undefined` when the group placed a task on it; else why it did not. */
  readonly refusal: string | undefined;
}

export interface PlacementPlan {
  readonly placements: readonly Placement[];
  /** For every request, the offers it looked at, in offer order. */
  readonly considered: ReadonlyMap<string, readonly OfferConsideration[]>;
}

/** The host `offer` is for, as constraints see it. */
export const siteOf = (offer: Pick<Offer, 'hostname' | 'attributes'>): PlacementSite => ({
  hostname: offer.hostname,
  attributes: offer.attributes,
});

/** Places as many tasks of each request as the offers allow. */
export function planPlacements(
  offers: readonly Offer[],
  requests: readonly PlacementRequest[],
): PlacementPlan {
  const remaining = new Map<Offer, Resource[]>(offers.map((o) => [o, o.resources]));
  const placements: Placement[] = [];
  const considered = new Map<string, OfferConsideration[]>();

  for (const request of requests) {
    const placedSites = [...(request.placed ?? [])];
    const refusals = new Map<Offer, string>();
    const used = new Set<Offer>();
    for (let n = 0; n < request.count; n++) {
      let placedOne = false;
      for (const offer of offers) {
        const verdict = tryOffer(request, offer, remaining.get(offer) ?? [], placedSites);
        if (!verdict.fits) {
          if (!used.has(offer)) refusals.set(offer, verdict.reason);
          continue;
        }
        remaining.set(offer, verdict.remaining);
        placedSites.push(siteOf(offer));
        placements.push({ key: request.key, offer, resources: verdict.resources, ports: verdict.ports });
        used.add(offer);
        refusals.delete(offer);
        placedOne = true;
        break;
      }
      // Later tasks of the group need the same and see more placed siblings: they cannot fit either.
      if (!placedOne) break;
    }
    considered.set(
      request.key,
      offers.map((offer) => ({
        offerId: offer.id.value,
        agentId: offer.agent_id.value,
        hostname: offer.hostname,
        refusal: used.has(offer) ? undefined : (refusals.get(offer) ?? 'not needed: every task was placed'),
      })),
    );
  }
  return { placements, considered };
}

type Attempt =
  | {
      readonly fits: true;
      readonly resources: Resource[];
      readonly ports: number[];
      readonly remaining: Resource[];
    }
  | { readonly fits: false; readonly reason: string };

function tryOffer(
  request: PlacementRequest,
  offer: Offer,
  resources: Resource[],
  placed: readonly PlacementSite[],
): Attempt {
  const offerRole = offer.allocation_info?.role;
  if (request.role !== undefined && offerRole !== undefined && offerRole !== request.role) {
    return { fits: false, reason: `role: the offer is for role '${offerRole}', not '${request.role}'` };
  }
  const verdict = checkConstraints(request.constraints ?? [], siteOf(offer), placed);
  if (!verdict.ok) return { fits: false, reason: verdict.reason };
  const fit = fitTask({ resources, allocation_info: offer.allocation_info }, request.needs);
  return fit.fits
    ? { fits: true, resources: fit.resources, ports: fit.ports, remaining: fit.remaining }
    : fit;
}
