/**
 * The containerizer seam: how the agent runs a task's process. Implementations: `process` (a child
 * process in a sandbox directory) and `docker` (a sibling container through the Docker engine).
 * The agent tries them in the order of `--containerizers`; the first whose `supports` answers true
 * launches the task.
 */
import type { AgentId, ContainerId, ExecutorId, FrameworkId, TaskId } from '../../core/ids.js';
import type { CommandInfo, ContainerInfo } from '../../core/v1/tasks.js';

export interface ContainerLimits {
  readonly cpus: number;
  readonly memMiB: number;
  readonly diskMiB: number;
}

export interface ContainerSpec {
  readonly containerId: ContainerId;
  readonly agentId: AgentId;
  readonly frameworkId: FrameworkId;
  /** The task the container runs; absent for a custom executor's container, which runs several. */
  readonly taskId?: TaskId;
  readonly executorId?: ExecutorId;
  readonly command: CommandInfo;
  /** Present for tasks that name an image (`ContainerInfo.type` DOCKER, or MESOS with a docker image). */
  readonly container?: ContainerInfo;
  readonly limits: ContainerLimits;
  /** Host ports taken from the task's `ports` resources, in order. */
  readonly ports: readonly number[];
  /** Host directory for this run; `stdout` and `stderr` files are written inside it. */
  readonly sandboxDir: string;
  /** Environment added on top of CommandInfo's (MESOS_TASK_ID, PORT0, ...). */
  readonly env: Readonly<Record<string, string>>;
}

export interface Termination {
  /** Exit code when the process exited; `undefined` when it was killed by a signal or never started. */
  readonly exitCode?: number;
  readonly signal?: string;
  /** Why the container ended, when it was not a plain exit. */
  readonly reason?: 'killed' | 'oom' | 'launch-failed' | 'lost';
  readonly message: string;
}

export interface ResourceUsage {
  readonly cpuUserSeconds: number;
  readonly cpuSystemSeconds: number;
  readonly memRssBytes: number;
  readonly memLimitBytes: number;
  readonly cpusLimit: number;
  readonly timestampMs: number;
}

export interface RecoveredContainer {
  readonly containerId: ContainerId;
  /** Set when the container exited while the agent was down. */
  readonly termination?: Termination;
}

export interface RecoverySummary {
  readonly recovered: readonly RecoveredContainer[];
  /** Containers carrying our labels that no checkpointed task knows: destroyed. */
  readonly orphansDestroyed: readonly ContainerId[];
}

export type LaunchOutcome = 'launched' | 'already-launched';

export interface ExecOptions {
  /** When the command is killed (or abandoned), and `exec` resolves without an exit code. */
  readonly timeoutMs: number;
}

/** How a command run inside a container (`exec`) ended. */
export interface ExecResult {
  /** `undefined` when it did not exit by itself: killed, abandoned at its timeout, never started. */
  readonly exitCode: number | undefined;
  /** What happened, in words (`command exited with code 1`, `container is not running`, ...). */
  readonly message: string;
}

export interface Containerizer {
  readonly name: string;
  /**
   * True when `recover` re-attaches to containers after an agent restart (docker). The agent kills
   * the tasks of the other containerizers on a clean stop, since the next agent could only report
   * them lost. @default false
   */
  readonly survivesAgentRestart?: boolean;
  /** True when this implementation can run `spec` (e.g. the process containerizer refuses images). */
  supports(spec: ContainerSpec): boolean;
  /**
   * Re-attaches to containers started before an agent restart. Containers in `known` are adopted
   * (their `wait` resolves when they end); labelled containers not in `known` are destroyed.
   */
  recover(agentId: AgentId, known: ReadonlySet<ContainerId>): Promise<RecoverySummary>;
  /** Starts the container. Rejects with a `MesoError('CONTAINER_LAUNCH_FAILED')` carrying the reason. */
  launch(spec: ContainerSpec, onProgress?: (message: string) => void): Promise<LaunchOutcome>;
  /** Resolves once the container ends, every time with the same value; `undefined` if unknown. */
  wait(containerId: ContainerId): Promise<Termination | undefined>;
  /** Sends SIGTERM (or `docker stop`), then SIGKILL after `gracePeriodMs`. Resolves when it is gone. */
  kill(containerId: ContainerId, gracePeriodMs: number): Promise<void>;
  usage(containerId: ContainerId): Promise<ResourceUsage | undefined>;
  /**
   * Runs `command` (shell or argv, as the task's own command would be) inside the running
   * container, with the task's environment, and resolves once it ends; its output is discarded.
   * After `timeoutMs` it is killed (or, where it cannot be, abandoned) and resolves without an exit
   * code. Never rejects. Used for the built-in executors' health checks; absent where a
   * containerizer cannot do it.
   */
  exec?(containerId: ContainerId, command: CommandInfo, options: ExecOptions): Promise<ExecResult>;
}
