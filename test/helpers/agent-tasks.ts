/**
 * Helpers for end-to-end tests of tasks on a real agent: TaskInfos built from an offer (docker
 * images, ports, kill policies, custom executors), and what the agent's own endpoints say about a
 * task (its sandbox in `/state`, its files through `/files/read`).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { LaunchTaskInput } from '../../services/scheduler/index.js';
import type { Offer } from '../../services/core/v1/cluster.js';
import type { ContainerInfo, ExecutorInfo } from '../../services/core/v1/tasks.js';
import { BUSYBOX } from './docker.js';

const run = promisify(execFile);

export interface TaskOptions {
  /** `cpus:0.5;mem:64`-style scalars. @default cpus:0.1;mem:32 */
  readonly resources?: string;
  /** Host ports taken from the offer's `ports`. */
  readonly ports?: readonly number[];
  /** @default a DOCKER container running `meso/busybox`; `null` for a plain command */
  readonly container?: ContainerInfo | null;
  readonly killGraceSeconds?: number;
  /** A custom executor; `command` then goes in `TaskInfo.data` (a task names a command or an executor). */
  readonly executor?: ExecutorInfo;
}

/**
 * A task using a slice of `offer`: by default `command` under `/bin/sh -c` in `meso/busybox`; with
 * an executor, for the executor to run (as `examples/executor` does).
 */
export function agentTask(
  offer: Offer,
  id: string,
  command: string,
  options: TaskOptions = {},
): LaunchTaskInput {
  const role = offer.allocation_info?.role ?? '*';
  const allocation = { allocation_info: { role } };
  const scalars = (options.resources ?? 'cpus:0.1;mem:32').split(';').map((part) => {
    const [name, value] = part.split(':') as [string, string];
    return { name, type: 'SCALAR' as const, scalar: { value: Number(value) }, ...allocation };
  });
  const ports = (options.ports ?? []).map((port) => ({
    name: 'ports',
    type: 'RANGES' as const,
    ranges: { range: [{ begin: port, end: port }] },
    ...allocation,
  }));
  const container =
    options.container === undefined
      ? { type: 'DOCKER' as const, docker: { image: BUSYBOX } }
      : options.container;
  const commandInfo = { value: command, shell: true };
  return {
    name: id,
    task_id: { value: id },
    resources: [...scalars, ...ports],
    ...(options.executor === undefined
      ? { command: commandInfo }
      : { executor: options.executor, data: Buffer.from(command).toString('base64') }),
    ...(container !== null && options.executor === undefined && { container }),
    ...(options.killGraceSeconds !== undefined && {
      kill_policy: { grace_period: { nanoseconds: options.killGraceSeconds * 1e9 } },
    }),
  };
}

interface StateTask {
  readonly id: string;
}
interface StateExecutor {
  readonly directory: string;
  readonly tasks: readonly StateTask[];
  readonly completed_tasks: readonly StateTask[];
}
interface StateFramework {
  readonly executors: readonly StateExecutor[];
  readonly completed_executors: readonly StateExecutor[];
}
export interface AgentStateJson {
  readonly id: string;
  readonly frameworks: readonly StateFramework[];
  readonly completed_frameworks: readonly StateFramework[];
}

export async function agentState(agentUrl: string): Promise<AgentStateJson> {
  return (await (await fetch(`${agentUrl}/state`)).json()) as AgentStateJson;
}

/** The sandbox of the executor that runs (or ran) `taskId`, from the agent's `/state`. */
export async function sandboxOf(agentUrl: string, taskId: string): Promise<string> {
  const state = await agentState(agentUrl);
  const executors = [...state.frameworks, ...state.completed_frameworks].flatMap((f) => [
    ...f.executors,
    ...f.completed_executors,
  ]);
  const executor = executors.find((e) => [...e.tasks, ...e.completed_tasks].some((t) => t.id === taskId));
  if (executor === undefined) throw new Error(`task ${taskId} is not in ${agentUrl}/state`);
  return executor.directory;
}

/** A whole file through the agent's `/files/read` (files under 64 KiB). */
export async function readAgentFile(agentUrl: string, path: string): Promise<string> {
  const response = await fetch(`${agentUrl}/files/read?path=${encodeURIComponent(path)}&offset=0`);
  if (!response.ok) throw new Error(`/files/read ${path}: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: string }).data;
}

/** Ids of the containers (running or not) labelled with `label=value`, through the docker CLI. */
export async function containersLabelled(label: string, value: string): Promise<string[]> {
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=${label}=${value}`]);
  return stdout.split('\n').filter((line) => line !== '');
}
