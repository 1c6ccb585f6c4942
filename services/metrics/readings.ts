/**
 * A registry's values at one instant, in meso's own types (no prom-client objects), with the
 * lookups `/metrics/snapshot` needs: sums over matching label sets, values by one label, a
 * histogram's count and its window of recent observations.
 */
import type { HistogramSpec, MetricSpec } from './names.js';

export interface Sample {
  /** The series name: the metric's, or for histograms `<name>_bucket`, `_sum` or `_count`. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricReading {
  readonly name: string;
  readonly samples: readonly Sample[];
  /** A histogram's most recent observations, oldest first (only for specs with a `window`). */
  readonly recent: readonly number[];
}

type LabelFilter = Readonly<Record<string, string>>;

const matches = (sample: Sample, where: LabelFilter): boolean =>
  Object.entries(where).every(([label, value]) => sample.labels[label] === value);

export class Readings {
  private readonly byName: ReadonlyMap<string, MetricReading>;

  constructor(readings: readonly MetricReading[]) {
    this.byName = new Map(readings.map((r) => [r.name, r]));
  }

  /** Sum of the counter's or gauge's series whose labels include `where`; 0 when there is none. */
  sum(spec: MetricSpec, where: LabelFilter = {}): number {
    return this.seriesSum(spec.name, spec.name, where);
  }

  /** The spec's values summed by one label, e.g. dominant share by `role`. */
  by(spec: MetricSpec, label: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const sample of this.byName.get(spec.name)?.samples ?? []) {
      const key = sample.labels[label];
      if (sample.name === spec.name && key !== undefined) out.set(key, (out.get(key) ?? 0) + sample.value);
    }
    return out;
  }

  /** Observations of a histogram whose labels include `where`. */
  count(spec: HistogramSpec, where: LabelFilter = {}): number {
    return this.seriesSum(spec.name, `${spec.name}_count`, where);
  }

  /** A windowed histogram's recent observations, oldest first. */
  recent(spec: HistogramSpec): readonly number[] {
    return this.byName.get(spec.name)?.recent ?? [];
  }

  private seriesSum(metric: string, series: string, where: LabelFilter): number {
    let total = 0;
    for (const sample of this.byName.get(metric)?.samples ?? []) {
      if (sample.name === series && matches(sample, where)) total += sample.value;
    }
    return total;
  }
}
