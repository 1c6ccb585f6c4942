/** What a scheduler remembers of the offers it last considered for something it could not place. */
import type { OfferConsideration } from '../../scheduler/index.js';

export interface OfferRound {
  readonly atMs: number;
  readonly offers: readonly OfferConsideration[];
}

/** The API form: one entry per offer, `reason` saying why it was declined (`null` when used). */
export const offerRoundView = (round: OfferRound | undefined) =>
  round?.offers.map((o) => ({
    offerId: o.offerId,
    agentId: o.agentId,
    hostname: o.hostname,
    at: new Date(round.atMs).toISOString(),
    result: o.refusal === undefined ? 'used' : 'declined',
    reason: o.refusal ?? null,
  })) ?? [];
