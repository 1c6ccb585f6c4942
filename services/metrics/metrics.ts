/**
 * The metrics seam. Counters and histograms are recorded where things happen (the seams: the
 * allocation loop's callback, the master's event bus, a containerizer wrapper, the HTTP layer);
 * gauges are computed at scrape time by collectors that read the daemon's state, so no
 * bookkeeping is duplicated and a gauge can never drift from the state it describes. Pure code
 * (the allocator, the master's rules) never records: it returns stats or emits events.
 *
 * `noopMetrics` records nothing, so code handed no registry never needs a null check.
 */
import type { CounterSpec, GaugeSpec, HistogramSpec } from './names.js';
import { Readings } from './readings.js';

/** One value per label of the spec, e.g. `{ role: 'web', resource: 'cpus' }`. */
export type LabelValues<L extends string> = Readonly<Record<L, string>>;

/** What a collector may write: gauges, and counters whose total is read from state (e.g. CPU seconds). */
export type CollectedSpec<L extends string> = GaugeSpec<L> | CounterSpec<L>;

/** Where a collector writes this scrape's values. Label sets nobody writes are dropped from the output. */
export interface GaugeSink {
  /** Sets the value; a later `set` for the same labels replaces it. */
  set<L extends string>(spec: CollectedSpec<L>, labels: LabelValues<L>, value: number): void;
  /** Adds to the value (starting from 0), for sums over many items. */
  add<L extends string>(spec: CollectedSpec<L>, labels: LabelValues<L>, value: number): void;
}

/** Computes gauges from state at scrape time. May be async (e.g. it asks containers for usage). */
export type Collector = (sink: GaugeSink) => void | Promise<void>;

export interface Metrics {
  /** Adds `by` (default 1, never negative) to a counter. */
  inc<L extends string>(spec: CounterSpec<L>, labels: LabelValues<L>, by?: number): void;
  /** Records one observation in the histogram's unit (seconds for durations). */
  observe<L extends string>(spec: HistogramSpec<L>, labels: LabelValues<L>, value: number): void;
  /**
   * Registers a collector, run before every scrape. A spec is written either by collectors or
   * by `inc`, never both. Returns the function that unregisters it.
   */
  addCollector(collector: Collector): () => void;
}

/** A daemon's registry: records, and renders what it holds. */
export interface MetricsRegistry extends Metrics {
  /** The `Content-Type` of `exposition()`. */
  readonly contentType: string;
  /** Runs the collectors, then renders every metric in the Prometheus text format. */
  exposition(): Promise<string>;
  /** Runs the collectors, then reads every series (for `/metrics/snapshot`). */
  read(): Promise<Readings>;
}

/** Prometheus text format 0.0.4, which every Prometheus version reads. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export const noopMetrics: MetricsRegistry = {
  inc: () => undefined,
  observe: () => undefined,
  addCollector: () => () => undefined,
  contentType: PROMETHEUS_CONTENT_TYPE,
  exposition: () => Promise.resolve(''),
  read: () => Promise.resolve(new Readings([])),
};
