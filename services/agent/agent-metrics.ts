/**
 * The agent's instrumentation: the adapter between the agent and the metrics module. Launches,
 * recoveries and image pulls are recorded by wrapping the containerizers and the Docker engine
 * port (the agent's code contains no metrics calls); everything else is computed at scrape time
 * from the agent's state and its containers' usage. It also serves `/metrics` and Mesos's
 * `/metrics/snapshot`, and counts and times every HTTP request, as a middleware of the agent's
 * HTTP API.
 *
 *   const metrics = new AgentInstrumentation({ clock });
 *   const containerizer = metrics.instrument(new DockerContainerizer({ api: metrics.instrumentDockerApi(api), ... }));
 *   const http = await startAgentHttp({ ..., middleware: metrics.middleware });
 *   metrics.attach(agent);
 */
import type { Clock } from '../core/clock.js';
import type { AgentId, ContainerId } from '../core/ids.js';
import type { Resources } from '../core/resources.js';
import { fromMilli } from '../core/resources.js';
import {
  AgentMetrics,
  agentSnapshot,
  hostReadings,
  type CumulativeReading,
  type GaugeSink,
  type GaugeSpec,
  inBaseUnits,
  type Metrics,
  metricsMiddleware,
  type MetricsRegistry,
  type Middleware,
  MonotonicTotals,
  PromMetrics,
  specsOf,
} from '../metrics/index.js';
import type { AgentState } from './agent.js';
import type {
  Containerizer,
  ContainerSpec,
  LaunchOutcome,
  RecoverySummary,
} from './containerizer/containerizer.js';
import type { DockerApi } from './containerizer/docker/index.js';
import type { AgentStateInput } from './state-json.js';
import { isLive, type TaskEntry, type TaskRegistry } from './task-registry.js';

const a = AgentMetrics;

type ContainerGroup = Readonly<{ framework: string; role: string }>;

/** What the instrumentation reads from the running agent. */
export interface InstrumentedAgent {
  readonly state: AgentState;
  describe(): AgentStateInput;
  /** Status updates queued and not yet acknowledged. */
  pendingStatusUpdates(): number;
}

export interface AgentInstrumentationOptions {
  readonly clock: Clock;
  /** @default a prom-client registry holding every `AgentMetrics` spec */
  readonly registry?: MetricsRegistry;
}

export class AgentInstrumentation {
  readonly registry: MetricsRegistry;
  /** Serves `/metrics` and `/metrics/snapshot`, and counts and times every request. */
  readonly middleware: Middleware;
  private readonly cpuSeconds = new MonotonicTotals<ContainerGroup>();

  constructor(private readonly options: AgentInstrumentationOptions) {
    const registry = options.registry ?? new PromMetrics(specsOf(AgentMetrics));
    this.registry = registry;
    this.middleware = metricsMiddleware({
      registry,
      http: a,
      snapshot: async () =>
        agentSnapshot(await registry.read(), options.clock.nowMs() / 1000, hostReadings()),
    });
  }

  /** The same containerizer, recording launch durations and recovery results. */
  instrument(containerizer: Containerizer): Containerizer {
    return new InstrumentedContainerizer(containerizer, this.registry, this.options.clock);
  }

  /** The same Docker engine port, recording image pulls (an image already present is not a pull). */
  instrumentDockerApi(api: DockerApi): DockerApi {
    const { registry } = this;
    const { clock } = this.options;
    return {
      version: () => api.version(),
      async ensureImage(image, forcePull, onProgress) {
        const startMs = clock.nowMs();
        // Only a pull reports progress: no progress means the image was present.
        let pulled = false;
        try {
          await api.ensureImage(image, forcePull, (message) => {
            pulled = true;
            onProgress?.(message);
          });
        } catch (err) {
          registry.inc(a.imagePullsTotal, { outcome: 'failed' });
          throw err;
        }
        if (!pulled) return;
        registry.inc(a.imagePullsTotal, { outcome: 'succeeded' });
        registry.observe(a.imagePullDurationSeconds, {}, (clock.nowMs() - startMs) / 1000);
      },
      run: (spec) => api.run(spec),
      waitExit: (dockerId) => api.waitExit(dockerId),
      inspect: (dockerId) => api.inspect(dockerId),
      stop: (dockerId, graceMs) => api.stop(dockerId, graceMs),
      kill: (dockerId) => api.kill(dockerId),
      remove: (dockerId) => api.remove(dockerId),
      listByLabels: (labels) => api.listByLabels(labels),
      stats: (dockerId) => api.stats(dockerId),
      exec: (dockerId, argv, options) => api.exec(dockerId, argv, options),
      followLogs: (dockerId, stream, sink, sinceSeconds) =>
        api.followLogs(dockerId, stream, sink, sinceSeconds),
    };
  }

  /** Computes the agent's gauges at every scrape. Returns the function that stops it. */
  attach(agent: InstrumentedAgent): () => void {
    return this.registry.addCollector(async (sink) => {
      const { config, registry, startTimeMs } = agent.describe();
      sink.set(a.registered, {}, agent.state === 'registered' ? 1 : 0);
      sink.set(a.startTimeSeconds, {}, startTimeMs / 1000);
      sink.set(a.statusUpdatesPending, {}, agent.pendingStatusUpdates());
      writeResources(sink, a.resourcesCapacity, config.resources);
      // Every resource the agent has is reported allocated, 0 included, so ratios read 0 when idle.
      for (const [resource] of config.resources.scalarQuantities())
        sink.set(a.resourcesAllocated, { resource }, 0);
      writeResources(sink, a.resourcesAllocated, registry.usedResources());
      collectTasks(sink, registry);
      await this.collectContainers(sink, registry);
    });
  }

  /** Usage of every running task container, summed by framework and role. */
  private async collectContainers(sink: GaugeSink, registry: TaskRegistry): Promise<void> {
    // One entry per container: a custom executor's tasks share its container.
    const running = [
      ...new Map(
        [...registry.tasks()].filter((task) => task.launched && isLive(task)).map((t) => [t.containerId, t]),
      ).values(),
    ];
    const usages = await Promise.all(
      running.map((task) => task.containerizer?.usage(task.containerId).catch(() => undefined)),
    );
    const cpuReadings = new Map<string, CumulativeReading<ContainerGroup>>();
    running.forEach((task, i) => {
      const group = { framework: task.frameworkId, role: roleOf(task) };
      const usage = usages[i];
      sink.add(a.containers, group, 1);
      if (usage === undefined) return;
      cpuReadings.set(task.containerId, { group, value: usage.cpuUserSeconds + usage.cpuSystemSeconds });
      sink.add(a.containerCpusLimit, group, usage.cpusLimit);
      sink.add(a.containerMemoryUsedBytes, group, usage.memRssBytes);
      sink.add(a.containerMemoryLimitBytes, group, usage.memLimitBytes);
    });
    const alive = new Set<string>(running.map((task) => task.containerId));
    for (const { group, value } of this.cpuSeconds.update(cpuReadings, alive)) {
      sink.set(a.containerCpuSecondsTotal, group, value);
    }
  }
}

/** The role a task's resources are allocated to (Mesos puts it on every resource). */
const roleOf = (task: TaskEntry): string => task.info.resources[0]?.allocation_info?.role ?? '*';

function writeResources(sink: GaugeSink, spec: GaugeSpec<'resource'>, resources: Resources): void {
  for (const [resource, milli] of resources.scalarQuantities()) {
    sink.set(spec, { resource }, inBaseUnits(resource, fromMilli(milli)));
  }
}

function collectTasks(sink: GaugeSink, registry: TaskRegistry): void {
  let frameworks = 0;
  let executors = 0;
  for (const framework of registry.frameworks()) {
    frameworks++;
    executors += framework.executors.size;
    for (const task of framework.tasks.values()) sink.add(a.tasks, { state: task.state }, 1);
  }
  sink.set(a.frameworks, {}, frameworks);
  sink.set(a.executors, {}, executors);
}

/** A containerizer that records launch durations and recovery results, and otherwise delegates. */
class InstrumentedContainerizer implements Containerizer {
  readonly name: string;
  readonly survivesAgentRestart: boolean | undefined;
  /** Present exactly when the inner containerizer has it: its absence means health checks cannot run. */
  readonly exec: Containerizer['exec'];

  constructor(
    private readonly inner: Containerizer,
    private readonly metrics: Metrics,
    private readonly clock: Clock,
  ) {
    this.name = inner.name;
    this.survivesAgentRestart = inner.survivesAgentRestart;
    this.exec = inner.exec?.bind(inner);
  }

  supports(spec: ContainerSpec): boolean {
    return this.inner.supports(spec);
  }

  async recover(agentId: AgentId, known: ReadonlySet<ContainerId>): Promise<RecoverySummary> {
    const containerizer = this.name;
    let summary: RecoverySummary;
    try {
      summary = await this.inner.recover(agentId, known);
    } catch (err) {
      this.metrics.inc(a.recoveryFailuresTotal, { containerizer });
      throw err;
    }
    const exited = summary.recovered.filter((r) => r.termination !== undefined).length;
    const results = {
      adopted: summary.recovered.length - exited,
      exited,
      orphan_destroyed: summary.orphansDestroyed.length,
    };
    for (const [result, count] of Object.entries(results)) {
      this.metrics.inc(a.recoveredContainersTotal, { containerizer, result }, count);
    }
    return summary;
  }

  async launch(spec: ContainerSpec, onProgress?: (message: string) => void): Promise<LaunchOutcome> {
    const startMs = this.clock.nowMs();
    let outcome = 'failed';
    try {
      const launched = await this.inner.launch(spec, onProgress);
      outcome = launched === 'launched' ? 'launched' : 'already_launched';
      return launched;
    } finally {
      const seconds = (this.clock.nowMs() - startMs) / 1000;
      this.metrics.observe(a.containerLaunchDurationSeconds, { containerizer: this.name, outcome }, seconds);
    }
  }

  wait(containerId: ContainerId) {
    return this.inner.wait(containerId);
  }

  kill(containerId: ContainerId, gracePeriodMs: number): Promise<void> {
    return this.inner.kill(containerId, gracePeriodMs);
  }

  usage(containerId: ContainerId) {
    return this.inner.usage(containerId);
  }
}
