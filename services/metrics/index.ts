/**
 * The metrics module: every metric's spec (`names.ts`), the `Metrics` seam with its no-op and
 * prom-client implementations, Mesos's `/metrics/snapshot` keys, and the HTTP endpoints. Only
 * `prom-metrics.ts` imports prom-client; daemons record through the interfaces exported here.
 */
export {
  AgentMetrics,
  type Catalogue,
  type CounterSpec,
  type GaugeSpec,
  type HistogramSpec,
  type HttpMetricSpecs,
  inBaseUnits,
  MasterMetrics,
  type MetricSpec,
  SchedulerMetrics,
  specsOf,
} from './names.js';
export {
  type CollectedSpec,
  type Collector,
  type GaugeSink,
  type LabelValues,
  type Metrics,
  type MetricsRegistry,
  noopMetrics,
} from './metrics.js';
export { PromMetrics } from './prom-metrics.js';
export type { Readings } from './readings.js';
export { agentSnapshot, hostReadings, masterSnapshot, type Snapshot } from './mesos-snapshot.js';
export {
  metricsMiddleware,
  type MetricsEndpointOptions,
  type MetricsServer,
  type Middleware,
  startMetricsServer,
} from './http.js';
export { type CumulativeReading, MonotonicTotals } from './monotonic-totals.js';
export { type SchedulerMetricsHandle, startSchedulerMetrics } from './scheduler-metrics.js';
