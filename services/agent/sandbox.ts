/**
 * Where a task runs and what it is told: Mesos's sandbox layout under the work dir, and the
 * environment variables tasks and tools expect. Pure.
 */
import path from 'node:path';
import { formatDuration } from '../core/duration.js';
import { invalidCall } from '../core/errors.js';
import type { AgentId, ContainerId, ExecutorId, FrameworkId, TaskId } from '../core/ids.js';
import { rangesSize, takeFromRanges } from '../core/ranges.js';
import type { Resources } from '../core/resources.js';

/** An id used as a directory name must stay one directory: no separators, no `.`/`..`. */
export function pathSegment(kind: string, id: string): string {
  if (id === '' || id === '.' || id === '..' || /[/\\\0]/.test(id)) {
    throw invalidCall(`${kind} id '${id}' cannot be used as a sandbox directory name`);
  }
  return id;
}

/**
 * `<workDir>/slaves/<agentId>/frameworks/<frameworkId>/executors/<executorId>/runs/<containerId>`,
 * Mesos's layout (tools and UIs build these paths). Throws INVALID_CALL for ids that would
 * escape their directory.
 */
export function executorSandboxDir(
  workDir: string,
  ids: { agentId: AgentId; frameworkId: FrameworkId; executorId: ExecutorId; containerId: ContainerId },
): string {
  return path.join(
    workDir,
    'slaves',
    pathSegment('agent', ids.agentId),
    'frameworks',
    pathSegment('framework', ids.frameworkId),
    'executors',
    pathSegment('executor', ids.executorId),
    'runs',
    pathSegment('container', ids.containerId),
  );
}

/** A task of a task group runs in `<executor sandbox>/tasks/<taskId>`, as Mesos's nested containers do. */
export const groupTaskSandboxDir = (executorDir: string, taskId: TaskId): string =>
  path.join(executorDir, 'tasks', pathSegment('task', taskId));

/** The host ports of a task's `ports` resources, lowest first. */
export function taskPorts(resources: Resources): number[] {
  const ranges = resources.rangesOf('ports');
  return takeFromRanges(ranges, rangesSize(ranges));
}

/** Where a container's process finds the agent, and who it runs for. */
export interface AgentEnvironmentInput {
  readonly agentId: AgentId;
  readonly frameworkId: FrameworkId;
  readonly executorId: ExecutorId;
  readonly sandboxDir: string;
  /** `ip:port` of the agent's HTTP API. */
  readonly agentEndpoint: string;
}

export interface TaskEnvironmentInput extends AgentEnvironmentInput {
  readonly taskId: TaskId;
  readonly ports: readonly number[];
}

/**
 * Mesos's executor environment (`MESOS_*`, with the legacy `SLAVE` spellings tools still read).
 * `MESOS_SANDBOX` is the host path here; a containerizer that mounts the sandbox elsewhere
 * overrides it.
 */
function agentEnvironment(input: AgentEnvironmentInput): Record<string, string> {
  return {
    MESOS_FRAMEWORK_ID: input.frameworkId,
    MESOS_EXECUTOR_ID: input.executorId,
    MESOS_AGENT_ID: input.agentId,
    MESOS_SLAVE_ID: input.agentId,
    MESOS_AGENT_ENDPOINT: input.agentEndpoint,
    MESOS_SLAVE_PID: `slave(1)@${input.agentEndpoint}`,
    MESOS_DIRECTORY: input.sandboxDir,
    MESOS_SANDBOX: input.sandboxDir,
  };
}

/** Variables a task finds: the executor environment plus `PORT0..n` and `PORTS` (as Marathon sets them). */
export function taskEnvironment(input: TaskEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = { MESOS_TASK_ID: input.taskId, ...agentEnvironment(input) };
  input.ports.forEach((port, i) => (env[`PORT${i}`] = String(port)));
  if (input.ports.length > 0) {
    env.PORT = String(input.ports[0]);
    env.PORTS = input.ports.join(',');
  }
  return env;
}

/** Mesos's `--recovery_timeout`: how long a checkpointing executor keeps trying to reach its agent. */
export const EXECUTOR_RECOVERY_TIMEOUT_MS = 15 * 60_000;

export interface ExecutorEnvironmentInput extends AgentEnvironmentInput {
  /** `FrameworkInfo.checkpoint`: whether the executor should outlive a lost agent connection. */
  readonly checkpoint: boolean;
  readonly shutdownGracePeriodMs: number;
  /** Largest delay between SUBSCRIBE attempts while the agent is away. */
  readonly subscriptionBackoffMaxMs: number;
}

/** What a custom executor is told (mesos-http-api.md §3.4); the executor library reads these. */
export function executorEnvironment(input: ExecutorEnvironmentInput): Record<string, string> {
  return {
    ...agentEnvironment(input),
    MESOS_CHECKPOINT: input.checkpoint ? '1' : '0',
    MESOS_HTTP_COMMAND_EXECUTOR: '0',
    MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD: formatDuration(input.shutdownGracePeriodMs),
    ...(input.checkpoint && {
      MESOS_RECOVERY_TIMEOUT: formatDuration(EXECUTOR_RECOVERY_TIMEOUT_MS),
      MESOS_SUBSCRIPTION_BACKOFF_MAX: formatDuration(input.subscriptionBackoffMaxMs),
    }),
    LIBPROCESS_PORT: '0',
  };
}
