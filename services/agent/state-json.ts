/**
 * Mesos's legacy agent JSON (`/state`, `/monitor/statistics`): hand-written shapes, not protobuf
 * JSON — ids are plain strings, resources collapse to `{"cpus":2,"mem":1024,...}`, attributes to
 * `{"rack":"r1"}`, times are seconds. Tools and UIs written for Mesos read these.
 */
import type { AgentId } from '../core/ids.js';
import { formatRanges } from '../core/ranges.js';
import type { Resources } from '../core/resources.js';
import { frameworkRoles } from '../core/v1/cluster.js';
import type { Attribute } from '../core/v1/common.js';
import { MESO_RELEASE, MESO_VERSION } from '../core/version.js';
import type { AgentConfig } from './agent-config.js';
import type { ResourceUsage } from './containerizer/containerizer.js';
import {
  type ExecutorEntry,
  type FrameworkEntry,
  isLive,
  type TaskEntry,
  type TaskRegistry,
} from './task-registry.js';

type Json = Record<string, unknown>;

export interface AgentStateInput {
  readonly config: AgentConfig;
  readonly agentId: AgentId | undefined;
  /** The port the HTTP API listens on. */
  readonly port: number;
  readonly startTimeMs: number;
  readonly masterHostname: string | undefined;
  readonly registry: TaskRegistry;
}

/** `/version`. */
export const versionJson = (): Json => ({ version: MESO_VERSION, meso_version: MESO_RELEASE });

export function agentStateJson(input: AgentStateInput): Json {
  const { config, registry } = input;
  const used = registry.usedResources();
  return {
    ...versionJson(),
    start_time: input.startTimeMs / 1000,
    id: input.agentId ?? '',
    pid: `slave(1)@${config.advertiseIp}:${input.port}`,
    hostname: config.hostname,
    resources: config.resources.toLegacyObject(),
    reserved_resources: reservedByRole(config.resources),
    unreserved_resources: config.resources.unreserved().toLegacyObject(),
    reserved_resources_allocated: reservedByRole(used),
    unreserved_resources_allocated: used.unreserved().toLegacyObject(),
    attributes: attributesJson(config.attributes),
    ...(input.masterHostname !== undefined && { master_hostname: input.masterHostname }),
    flags: config.flags,
    frameworks: [...registry.frameworks()].map(frameworkJson),
    completed_frameworks: registry.completedFrameworks().map(frameworkJson),
  };
}

/** `{"rack":"r1","level":10,"slots":"[1-4]"}`, as Mesos collapses attributes. */
export function attributesJson(attributes: readonly Attribute[]): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const a of attributes) {
    if (a.type === 'SCALAR') out[a.name] = a.scalar?.value ?? 0;
    else if (a.type === 'RANGES') out[a.name] = formatRanges(a.ranges?.range ?? []);
    else if (a.type === 'SET') out[a.name] = `{${(a.set?.item ?? []).join(', ')}}`;
    else out[a.name] = a.text?.value ?? '';
  }
  return out;
}

function reservedByRole(resources: Resources): Json {
  const out: Json = {};
  for (const role of resources.reservedRoles())
    out[role] = resources.filter((_, r) => r === role).toLegacyObject();
  return out;
}

function frameworkJson(framework: FrameworkEntry): Json {
  const { info } = framework;
  return {
    id: framework.id,
    name: info.name,
    user: info.user,
    failover_timeout: info.failover_timeout,
    checkpoint: info.checkpoint,
    role: frameworkRoles(info)[0] ?? '*',
    hostname: info.hostname ?? '',
    ...(info.principal !== undefined && { principal: info.principal }),
    capabilities: (info.capabilities ?? []).flatMap((c) => (c.type === undefined ? [] : [c.type])),
    executors: [...framework.executors.values()].map(executorJson),
    completed_executors: framework.completedExecutors.map(executorJson),
  };
}

function executorJson(executor: ExecutorEntry): Json {
  const tasks = [...executor.tasks.values()];
  return {
    id: executor.id,
    name: executor.name,
    source: executor.source,
    container: executor.containerId,
    directory: executor.directory,
    resources: tasks.reduce((sum, t) => sum.plus(t.resources), executor.resources).toLegacyObject(),
    ...(executor.info?.labels !== undefined && { labels: executor.info.labels.labels }),
    tasks: tasks.filter(isLive).map((t) => taskJson(t, executor)),
    queued_tasks: [],
    // Mesos lists terminated (not yet acknowledged) tasks with the completed ones.
    completed_tasks: [...tasks.filter((t) => !isLive(t)), ...executor.completedTasks].map((t) =>
      taskJson(t, executor),
    ),
  };
}

function taskJson(task: TaskEntry, executor: ExecutorEntry): Json {
  const { info } = task;
  return {
    id: task.taskId,
    name: info.name,
    framework_id: task.frameworkId,
    // Mesos leaves `executor_id` empty for command tasks.
    executor_id: executor.kind === 'command' ? '' : task.executorId,
    slave_id: task.agentId,
    state: task.state,
    resources: task.resources.toLegacyObject(),
    role: info.resources[0]?.allocation_info?.role ?? '*',
    statuses: task.statuses.map((s) => ({
      state: s.state,
      timestamp: s.timestamp,
      ...(s.container_status !== undefined && { container_status: s.container_status }),
    })),
    ...(info.labels !== undefined && { labels: info.labels.labels }),
    ...(info.discovery !== undefined && { discovery: info.discovery }),
    ...(info.container !== undefined && { container: info.container }),
    directory: task.sandboxDir,
  };
}

/** One executor's usage summed over its live containers, for `/monitor/statistics`. */
function executorStatisticsJson(executor: ExecutorEntry, usages: readonly ResourceUsage[]): Json {
  const sum = (pick: (u: ResourceUsage) => number): number => usages.reduce((total, u) => total + pick(u), 0);
  return {
    executor_id: executor.id,
    executor_name: executor.name,
    framework_id: executor.frameworkId,
    source: executor.source,
    statistics: {
      timestamp: Math.max(...usages.map((u) => u.timestampMs)) / 1000,
      cpus_user_time_secs: sum((u) => u.cpuUserSeconds),
      cpus_system_time_secs: sum((u) => u.cpuSystemSeconds),
      cpus_limit: sum((u) => u.cpusLimit),
      mem_rss_bytes: sum((u) => u.memRssBytes),
      mem_limit_bytes: sum((u) => u.memLimitBytes),
    },
  };
}

/**
 * `/monitor/statistics`: every executor with at least one live, launched container. A custom
 * executor's tasks share its container, which is counted once.
 */
export async function monitorStatisticsJson(registry: TaskRegistry): Promise<Json[]> {
  const entries: Json[] = [];
  for (const framework of registry.frameworks()) {
    for (const executor of framework.executors.values()) {
      const containers = new Map(
        [...executor.tasks.values()].filter((t) => t.launched && isLive(t)).map((t) => [t.containerId, t]),
      );
      const usages = await Promise.all(
        [...containers.values()].map((t) => t.containerizer?.usage(t.containerId).catch(() => undefined)),
      );
      const present = usages.filter((u): u is ResourceUsage => u !== undefined);
      if (present.length > 0) entries.push(executorStatisticsJson(executor, present));
    }
  }
  return entries;
}
