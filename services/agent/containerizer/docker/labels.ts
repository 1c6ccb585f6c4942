/**
 * Ownership marks on the containers meso starts: labels that say which agent, framework, task and
 * container a Docker container belongs to, and the container's name. Recovery lists containers by
 * the agent label to adopt its own and destroy orphans; operators can filter `docker ps` the same way.
 */
import type { AgentId } from '../../../core/ids.js';
import type { ContainerSpec } from '../containerizer.js';

export const Labels = {
  agentId: 'meso.agent_id',
  frameworkId: 'meso.framework_id',
  taskId: 'meso.task_id',
  executorId: 'meso.executor_id',
  containerId: 'meso.container_id',
  /** Host path of the run's sandbox, so a recovering agent knows where to resume log streaming. */
  sandboxDir: 'meso.sandbox_dir',
} as const;

/** The labels every container launched for `spec` carries. */
export function ownershipLabels(spec: ContainerSpec): Readonly<Record<string, string>> {
  return {
    [Labels.agentId]: spec.agentId,
    [Labels.frameworkId]: spec.frameworkId,
    ...(spec.taskId === undefined ? {} : { [Labels.taskId]: spec.taskId }),
    ...(spec.executorId === undefined ? {} : { [Labels.executorId]: spec.executorId }),
    [Labels.containerId]: spec.containerId,
    [Labels.sandboxDir]: spec.sandboxDir,
  };
}

/** The label selector for every container owned by `agentId`. */
export function agentSelector(agentId: AgentId): Readonly<Record<string, string>> {
  return { [Labels.agentId]: agentId };
}

/**
 * `meso-<agentId>-<containerId>`, with every character Docker refuses in names replaced by `_`
 * (names must match `[a-zA-Z0-9][a-zA-Z0-9_.-]*`; the `meso-` prefix supplies the first character).
 */
export function containerName(spec: Pick<ContainerSpec, 'agentId' | 'containerId'>): string {
  const sanitize = (part: string): string => part.replace(/[^a-zA-Z0-9_.-]/g, '_');
  return `meso-${sanitize(spec.agentId)}-${sanitize(spec.containerId)}`;
}
