/**
 * What the agent asks a containerizer to run: a task's own container (built-in executors) or a
 * custom executor's container, and which containerizer takes it. Pure.
 */
import { MesoError } from '../core/errors.js';
import type { AgentId } from '../core/ids.js';
import type { Resources } from '../core/resources.js';
import type { FrameworkInfo } from '../core/v1/cluster.js';
import type { CommandInfo } from '../core/v1/tasks.js';
import type { Containerizer, ContainerSpec } from './containerizer/containerizer.js';
import { executorEnvironment, taskEnvironment, taskPorts } from './sandbox.js';
import type { ExecutorEntry, TaskEntry } from './task-registry.js';

const limitsOf = (resources: Resources): ContainerSpec['limits'] => ({
  cpus: resources.scalar('cpus'),
  memMiB: resources.scalar('mem'),
  diskMiB: resources.scalar('disk'),
});

/** A task run by the command or default executor: its command in a container of its own. */
export function taskContainerSpec(task: TaskEntry, agentEndpoint: string): ContainerSpec {
  const ports = taskPorts(task.resources);
  return {
    containerId: task.containerId,
    agentId: task.agentId,
    frameworkId: task.frameworkId,
    taskId: task.taskId,
    executorId: task.executorId,
    command: task.info.command ?? { shell: true },
    ...(task.info.container !== undefined && { container: task.info.container }),
    limits: limitsOf(task.resources),
    ports,
    sandboxDir: task.sandboxDir,
    env: taskEnvironment({ ...task, ports, agentEndpoint }),
  };
}

export interface ExecutorSpecOptions {
  readonly agentId: AgentId;
  readonly framework: FrameworkInfo;
  /** The tasks it starts with: their resources are the container's, on top of the executor's own. */
  readonly tasks: readonly TaskEntry[];
  readonly agentEndpoint: string;
  readonly shutdownGracePeriodMs: number;
  readonly subscriptionBackoffMaxMs: number;
}

/** A custom executor's container: its `ExecutorInfo.command` (and container), told how to reach the agent. */
export function executorContainerSpec(executor: ExecutorEntry, options: ExecutorSpecOptions): ContainerSpec {
  const resources = options.tasks.reduce((sum, task) => sum.plus(task.resources), executor.resources);
  const command: CommandInfo = executor.info?.command ?? { shell: true };
  return {
    containerId: executor.containerId,
    agentId: options.agentId,
    frameworkId: executor.frameworkId,
    executorId: executor.id,
    command,
    ...(executor.info?.container !== undefined && { container: executor.info.container }),
    limits: limitsOf(resources),
    ports: taskPorts(resources),
    sandboxDir: executor.directory,
    env: executorEnvironment({
      agentId: options.agentId,
      frameworkId: executor.frameworkId,
      executorId: executor.id,
      sandboxDir: executor.directory,
      agentEndpoint: options.agentEndpoint,
      checkpoint: options.framework.checkpoint,
      shutdownGracePeriodMs: options.shutdownGracePeriodMs,
      subscriptionBackoffMaxMs: options.subscriptionBackoffMaxMs,
    }),
  };
}

/** The first containerizer (in `--containerizers` order) that supports `spec`. Throws CONTAINER_LAUNCH_FAILED. */
export function pickContainerizer(
  containerizers: readonly Containerizer[],
  spec: ContainerSpec,
): Containerizer {
  const containerizer = containerizers.find((c) => c.supports(spec));
  if (containerizer !== undefined) return containerizer;
  const tried = containerizers.map((c) => c.name).join(', ');
  throw new MesoError(
    'CONTAINER_LAUNCH_FAILED',
    `No containerizer supports this task (tried: ${tried || 'none'})`,
  );
}
