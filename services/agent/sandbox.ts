/**
 * Where a task runs and what it is told: Mesos's sandbox layout under the work dir, and the
 * environment variables tasks and tools expect. Pure.
 */
import path from 'node:path';
import { invalidCall } from '../core/errors.js';
import type { AgentId, ContainerId, ExecutorId, FrameworkId, TaskId } from '../core/ids.js';
import { rangesSize, takeFromRanges } from '../core/ranges.js';
import type { Resources } from '../core/resources.js';

/** An id used as a directory name must stay one directory: no separators, no `.`/`..`. */
function segment(kind: string, id: string): string {
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
    segment('agent', ids.agentId),
    'frameworks',
    segment('framework', ids.frameworkId),
    'executors',
    segment('executor', ids.executorId),
    'runs',
    segment('container', ids.containerId),
  );
}

/** A task of a task group runs in `<executor sandbox>/tasks/<taskId>`, as Mesos's nested containers do. */
export const groupTaskSandboxDir = (executorDir: string, taskId: TaskId): string =>
  path.join(executorDir, 'tasks', segment('task', taskId));

/** The host ports of a task's `ports` resources, lowest first. */
export function taskPorts(resources: Resources): number[] {
  const ranges = resources.rangesOf('ports');
  return takeFromRanges(ranges, rangesSize(ranges));
}

export interface TaskEnvironmentInput {
  readonly agentId: AgentId;
  readonly frameworkId: FrameworkId;
  readonly executorId: ExecutorId;
  readonly taskId: TaskId;
  readonly sandboxDir: string;
  readonly ports: readonly number[];
  /** `ip:port` of the agent's HTTP API. */
  readonly agentEndpoint: string;
}

/**
 * Variables a task finds: Mesos's executor environment (`MESOS_*`, with the legacy `SLAVE`
 * spellings tools still read) plus `PORT0..n` and `PORTS` (as Marathon sets them). `MESOS_SANDBOX`
 * is the host path here; a containerizer that mounts the sandbox elsewhere overrides it.
 */
export function taskEnvironment(input: TaskEnvironmentInput): Record<string, string> {
  const env: Record<string, string> = {
    MESOS_TASK_ID: input.taskId,
    MESOS_FRAMEWORK_ID: input.frameworkId,
    MESOS_EXECUTOR_ID: input.executorId,
    MESOS_AGENT_ID: input.agentId,
    MESOS_SLAVE_ID: input.agentId,
    MESOS_AGENT_ENDPOINT: input.agentEndpoint,
    MESOS_SLAVE_PID: `slave(1)@${input.agentEndpoint}`,
    MESOS_DIRECTORY: input.sandboxDir,
    MESOS_SANDBOX: input.sandboxDir,
  };
  input.ports.forEach((port, i) => (env[`PORT${i}`] = String(port)));
  if (input.ports.length > 0) {
    env.PORT = String(input.ports[0]);
    env.PORTS = input.ports.join(',');
  }
  return env;
}
