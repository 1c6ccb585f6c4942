/**
 * The prom-client implementation of `MetricsRegistry`, and the only file that imports prom-client.
 * Each daemon owns one instance (its own prom-client `Registry`), so a master and an agent in one
 * process (`meso local`, tests) never share series.
 *
 * Scrapes: collectors write into a buffer first; once all of them are done, every collected spec
 * is reset and the buffer applied in one synchronous step. A scrape therefore never sees a
 * half-written state, and a label set that no collector wrote this time (a framework that left)
 * disappears. Concurrent scrapes share one collection.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import {
  type CollectedSpec,
  type Collector,
  type GaugeSink,
  type LabelValues,
  type MetricsRegistry,
  PROMETHEUS_CONTENT_TYPE,
} from './metrics.js';
import type { CounterSpec, GaugeSpec, HistogramSpec, MetricSpec } from './names.js';
import { type MetricReading, Readings } from './readings.js';

type Labels = Record<string, string>;

/** The last `capacity` observations, in a ring. */
class SampleWindow {
  private readonly values: number[] = [];
  private next = 0;

  constructor(private readonly capacity: number) {}

  push(value: number): void {
    if (this.values.length < this.capacity) this.values.push(value);
    else this.values[this.next] = value;
    this.next = (this.next + 1) % this.capacity;
  }

  /** Oldest first. */
  ordered(): number[] {
    return this.values.length < this.capacity
      ? [...this.values]
      : [...this.values.slice(this.next), ...this.values.slice(0, this.next)];
  }
}

interface Pending {
  readonly spec: CollectedSpec<string>;
  readonly values: Map<string, { readonly labels: Labels; value: number }>;
}

/** Buffers one collection's writes, keyed by spec name and label values. */
class CollectionBuffer implements GaugeSink {
  readonly pending = new Map<string, Pending>();

  set<L extends string>(spec: CollectedSpec<L>, labels: LabelValues<L>, value: number): void {
    this.entry(spec, labels).value = value;
  }

  add<L extends string>(spec: CollectedSpec<L>, labels: LabelValues<L>, value: number): void {
    this.entry(spec, labels).value += value;
  }

  private entry<L extends string>(spec: CollectedSpec<L>, labels: LabelValues<L>) {
    let pending = this.pending.get(spec.name);
    if (pending === undefined) this.pending.set(spec.name, (pending = { spec, values: new Map() }));
    const key = spec.labels.map((label) => labels[label]).join('\u0000');
    let entry = pending.values.get(key);
    if (entry === undefined) pending.values.set(key, (entry = { labels, value: 0 }));
    return entry;
  }
}

export class PromMetrics implements MetricsRegistry {
  readonly contentType = PROMETHEUS_CONTENT_TYPE;
  private readonly registry = new Registry();
  private readonly counters = new Map<string, Counter>();
  private readonly gauges = new Map<string, Gauge>();
  private readonly histograms = new Map<string, Histogram>();
  private readonly windows = new Map<string, SampleWindow>();
  private readonly collectors = new Set<Collector>();
  /** Specs collectors have written, reset at every collection. */
  private readonly collected = new Set<string>();
  private collecting: Promise<void> | undefined;

  /** Declares `specs` up front, so every metric appears (HELP and TYPE) before its first value. */
  constructor(specs: Iterable<MetricSpec>) {
    for (const spec of specs) {
      if (spec.type === 'counter') this.counter(spec);
      else if (spec.type === 'gauge') this.gauge(spec);
      else this.histogram(spec);
    }
  }

  inc<L extends string>(spec: CounterSpec<L>, labels: LabelValues<L>, by = 1): void {
    this.counter(spec).inc(labels as Labels, Math.max(0, by));
  }

  observe<L extends string>(spec: HistogramSpec<L>, labels: LabelValues<L>, value: number): void {
    this.histogram(spec).observe(labels as Labels, value);
    this.windows.get(spec.name)?.push(value);
  }

  addCollector(collector: Collector): () => void {
    this.collectors.add(collector);
    return () => this.collectors.delete(collector);
  }

  async exposition(): Promise<string> {
    await this.collect();
    return this.registry.metrics();
  }

  async read(): Promise<Readings> {
    await this.collect();
    const metrics = await this.registry.getMetricsAsJSON();
    return new Readings(
      metrics.map((metric): MetricReading => ({
        name: metric.name,
        samples: metric.values.map((v) => ({
          name: (v as { metricName?: string }).metricName ?? metric.name,
          labels: Object.fromEntries(Object.entries(v.labels).map(([k, value]) => [k, String(value)])),
          value: v.value,
        })),
        recent: this.windows.get(metric.name)?.ordered() ?? [],
      })),
    );
  }

  private collect(): Promise<void> {
    this.collecting ??= this.runCollectors().finally(() => (this.collecting = undefined));
    return this.collecting;
  }

  private async runCollectors(): Promise<void> {
    const buffer = new CollectionBuffer();
    await Promise.all([...this.collectors].map((collector) => collector(buffer)));
    for (const name of buffer.pending.keys()) this.collected.add(name);
    for (const name of this.collected) (this.gauges.get(name) ?? this.counters.get(name))?.reset();
    for (const { spec, values } of buffer.pending.values()) {
      for (const { labels, value } of values.values()) {
        if (spec.type === 'gauge') this.gauge(spec).set(labels, value);
        else this.counter(spec).inc(labels, Math.max(0, value));
      }
    }
  }

  private counter(spec: CounterSpec<string>): Counter {
    return this.getOrCreate(this.counters, spec, () => new Counter(this.config(spec)));
  }

  private gauge(spec: GaugeSpec<string>): Gauge {
    return this.getOrCreate(this.gauges, spec, () => new Gauge(this.config(spec)));
  }

  private histogram(spec: HistogramSpec<string>): Histogram {
    return this.getOrCreate(this.histograms, spec, () => {
      if (spec.window !== undefined) this.windows.set(spec.name, new SampleWindow(spec.window));
      return new Histogram({ ...this.config(spec), buckets: [...spec.buckets] });
    });
  }

  private config(spec: MetricSpec) {
    return { name: spec.name, help: spec.help, labelNames: [...spec.labels], registers: [this.registry] };
  }

  private getOrCreate<M>(map: Map<string, M>, spec: MetricSpec, create: () => M): M {
    let metric = map.get(spec.name);
    if (metric === undefined) map.set(spec.name, (metric = create()));
    return metric;
  }
}
