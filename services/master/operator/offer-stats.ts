/**
 * Per-framework offer counters, from the master's offer events: what an operator needs to see at
 * once whether a framework is being offered anything and what it does with its offers. Counts
 * start when the master starts and are dropped with the framework.
 */
import type { FrameworkId } from '../../core/ids.js';
import type { MasterEventBus } from '../master-events.js';

export interface OfferCounts {
  sent: number;
  accepted: number;
  /** Declined offers; each one installs an offer filter unless it was declined with `refuse_seconds: 0`. */
  declined: number;
  /** Rescinded by the master (offer timeout, agent lost, framework failed over). */
  rescinded: number;
}

export class OfferStats {
  private readonly counts = new Map<FrameworkId, OfferCounts>();

  /** Counts for as long as the bus lives (the master's lifetime). */
  constructor(events: MasterEventBus) {
    events.subscribe((event) => {
      switch (event.type) {
        case 'OFFER_SENT':
          return void this.of(event.offer.frameworkId).sent++;
        case 'OFFER_ACCEPTED':
          return void this.of(event.offer.frameworkId).accepted++;
        case 'OFFER_DECLINED':
          return void this.of(event.offer.frameworkId).declined++;
        case 'OFFER_RESCINDED':
          return void this.of(event.offer.frameworkId).rescinded++;
        case 'FRAMEWORK_REMOVED':
          return void this.counts.delete(event.framework.id);
      }
    });
  }

  /** The framework's counts, `undefined` when it was never offered anything. */
  get(id: FrameworkId): Readonly<OfferCounts> | undefined {
    return this.counts.get(id);
  }

  private of(id: FrameworkId): OfferCounts {
    let counts = this.counts.get(id);
    if (counts === undefined) {
      counts = { sent: 0, accepted: 0, declined: 0, rescinded: 0 };
      this.counts.set(id, counts);
    }
    return counts;
  }
}
