/**
 * The agent's bookkeeping as `mesos.v1` protobuf JSON, for the agent's operator API (`/api/v1`):
 * ids as `{"value": ...}`, resources as v1 `Resource` arrays; empty repeated fields are omitted.
 */
import type { FileInfoJson } from './files.js';
import { monitorStatisticsJson, type AgentStateInput } from './state-json.js';
import { type ExecutorEntry, type FrameworkEntry, isLive, type TaskEntry } from './task-registry.js';

type Json = Record<string, unknown>;

const list = <K extends string>(key: K, values: readonly unknown[]): Partial<Record<K, unknown[]>> =>
  values.length === 0 ? {} : ({ [key]: [...values] } as Record<K, unknown[]>);

/** `mesos.v1.Task`. */
function v1Task(task: TaskEntry): Json {
  const role = task.info.resources[0]?.allocation_info?.role ?? '*';
  return {
    name: task.info.name,
    task_id: { value: task.taskId },
    framework_id: { value: task.frameworkId },
    executor_id: { value: task.executorId },
    agent_id: { value: task.agentId },
    state: task.state,
    ...list('resources', task.resources.toV1(role)),
    ...list('statuses', task.statuses),
    ...(task.info.labels !== undefined && { labels: task.info.labels }),
    ...(task.info.container !== undefined && { container: task.info.container }),
  };
}

/** The executor's `ExecutorInfo`; command tasks' executors have none, so one is described. */
function executorInfo(executor: ExecutorEntry): Json {
  return {
    ...executor.info,
    executor_id: { value: executor.id },
    framework_id: { value: executor.frameworkId },
    name: executor.name,
    source: executor.source,
    ...list('resources', executor.resources.toV1()),
  };
}

const allExecutors = (framework: FrameworkEntry): ExecutorEntry[] => [
  ...framework.executors.values(),
  ...framework.completedExecutors,
];

/** `GET_TASKS`: live (`launched_tasks`), ended but unacknowledged (`terminated_tasks`), completed. */
export function v1AgentTasks(state: AgentStateInput): Json {
  const { registry } = state;
  const frameworks = [...registry.frameworks(), ...registry.completedFrameworks()];
  const current = frameworks.flatMap((f) => [...f.executors.values()].flatMap((e) => [...e.tasks.values()]));
  return {
    ...list('launched_tasks', current.filter(isLive).map(v1Task)),
    ...list('terminated_tasks', current.filter((t) => !isLive(t)).map(v1Task)),
    ...list(
      'completed_tasks',
      frameworks.flatMap((f) => allExecutors(f).flatMap((e) => e.completedTasks)).map(v1Task),
    ),
  };
}

export function v1AgentExecutors(state: AgentStateInput): Json {
  const { registry } = state;
  const active = [...registry.frameworks()];
  return {
    ...list(
      'executors',
      active.flatMap((f) => [...f.executors.values()]).map((e) => ({ executor_info: executorInfo(e) })),
    ),
    ...list(
      'completed_executors',
      [
        ...active.flatMap((f) => f.completedExecutors),
        ...registry.completedFrameworks().flatMap(allExecutors),
      ].map((e) => ({ executor_info: executorInfo(e) })),
    ),
  };
}

export function v1AgentFrameworks(state: AgentStateInput): Json {
  const { registry } = state;
  return {
    ...list(
      'frameworks',
      [...registry.frameworks()].map((f) => ({ framework_info: { ...f.info, id: { value: f.id } } })),
    ),
    ...list(
      'completed_frameworks',
      registry.completedFrameworks().map((f) => ({ framework_info: { ...f.info, id: { value: f.id } } })),
    ),
  };
}

/** `GET_AGENT`'s `agent_info`. */
export function v1AgentInfo(state: AgentStateInput): Json {
  const { config } = state;
  return {
    ...(state.agentId !== undefined && { id: { value: state.agentId } }),
    hostname: config.hostname,
    port: state.port,
    ...list('resources', config.resources.toV1()),
    ...list('attributes', config.attributes),
  };
}

/** `GET_CONTAINERS`: the container of every executor with live tasks, with its usage when known. */
export async function v1AgentContainers(state: AgentStateInput): Promise<Json> {
  const statistics = await monitorStatisticsJson(state.registry);
  const usageOf = (executor: ExecutorEntry): unknown =>
    statistics.find((s) => s['executor_id'] === executor.id && s['framework_id'] === executor.frameworkId)?.[
      'statistics'
    ];
  const containers = [...state.registry.frameworks()]
    .flatMap((f) => [...f.executors.values()])
    .filter((e) => [...e.tasks.values()].some(isLive))
    .map((e) => {
      const usage = usageOf(e);
      return {
        framework_id: { value: e.frameworkId },
        executor_id: { value: e.id },
        executor_name: e.name,
        container_id: { value: e.containerId },
        ...(usage !== undefined && { resource_statistics: usage }),
      };
    });
  return list('containers', containers);
}

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

/** `mesos.v1.FileInfo`: `mode` as the `st_mode` number, `mtime` as a `TimeInfo`. */
export function v1FileInfo(info: FileInfoJson): Json {
  const permissions = [...info.mode.slice(1)].reduce(
    (bits, c, i) => (c === '-' ? bits : bits | (1 << (8 - i))),
    0,
  );
  return {
    path: info.path,
    nlink: info.nlink,
    size: info.size,
    mtime: { nanoseconds: Math.round(info.mtime * 1e9) },
    mode: (info.mode.startsWith('d') ? S_IFDIR : S_IFREG) | permissions,
    uid: info.uid,
    gid: info.gid,
  };
}
