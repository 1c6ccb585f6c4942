/**
 * Metrics for framework scheduler daemons. The schedulers themselves come with a later issue;
 * this is what they wire in, from their composition root:
 *
 *   const { metrics, server } = await startSchedulerMetrics({ host: '0.0.0.0', port: 9105 });
 *   metrics.inc(SchedulerMetrics.offersReceivedTotal, {}, offers.length);
 *   metrics.addCollector((sink) => sink.set(SchedulerMetrics.tasksQueued, { role }, queue.length));
 *
 * The daemon then answers `GET /metrics` for Prometheus on that port.
 */
import { type MetricsServer, startMetricsServer } from './http.js';
import type { Metrics } from './metrics.js';
import { SchedulerMetrics, specsOf } from './names.js';
import { PromMetrics } from './prom-metrics.js';

export interface SchedulerMetricsHandle {
  readonly metrics: Metrics;
  readonly server: MetricsServer;
}

/** A registry with every `SchedulerMetrics` spec, served on `host:port` (0 picks a free port). */
export async function startSchedulerMetrics(address: {
  readonly host: string;
  readonly port: number;
}): Promise<SchedulerMetricsHandle> {
  const metrics = new PromMetrics(specsOf(SchedulerMetrics));
  const server = await startMetricsServer({ ...address, registry: metrics });
  return { metrics, server };
}
