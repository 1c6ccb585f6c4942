/**
 * Monotonic totals per group from cumulative readings of things that come and go: the CPU
 * seconds of containers, summed by framework and role. A plain sum over the live containers
 * would drop whenever one ends, which Prometheus's `rate()` reads as a counter reset; here a
 * container that ended keeps contributing its last reading to its group.
 *
 * Approximation: time a container used between its last reading and its end is not counted.
 */
type Labels = Readonly<Record<string, string>>;

export interface CumulativeReading<G extends Labels = Labels> {
  readonly group: G;
  readonly value: number;
}

const keyOf = (labels: Labels): string => JSON.stringify(Object.entries(labels).sort());

export class MonotonicTotals<G extends Labels> {
  /** What ended items contributed, by group key. */
  private readonly retired = new Map<string, { readonly group: G; value: number }>();
  private last = new Map<string, CumulativeReading<G>>();

  /**
   * Takes this round's readings by item id. Items in `alive` without a reading (it failed this
   * time) keep their previous one; items neither read nor alive have ended. Returns the total
   * of every group seen so far.
   */
  update(
    readings: ReadonlyMap<string, CumulativeReading<G>>,
    alive: ReadonlySet<string>,
  ): CumulativeReading<G>[] {
    const current = new Map<string, CumulativeReading<G>>();
    for (const [id, previous] of this.last) {
      const reading = readings.get(id);
      if (reading === undefined && alive.has(id)) current.set(id, previous);
      // An item gone, or read lower than before (its id was reused by a new item): bank the old reading.
      else if (reading === undefined || reading.value < previous.value) this.retire(previous);
    }
    for (const [id, reading] of readings) current.set(id, reading);
    this.last = current;
    const totals = new Map([...this.retired].map(([key, { group, value }]) => [key, { group, value }]));
    for (const { group, value } of current.values()) {
      const key = keyOf(group);
      const total = totals.get(key);
      if (total === undefined) totals.set(key, { group, value });
      else total.value += value;
    }
    return [...totals.values()];
  }

  private retire(reading: CumulativeReading<G>): void {
    const key = keyOf(reading.group);
    const banked = this.retired.get(key);
    if (banked === undefined) this.retired.set(key, { group: reading.group, value: reading.value });
    else banked.value += reading.value;
  }
}
