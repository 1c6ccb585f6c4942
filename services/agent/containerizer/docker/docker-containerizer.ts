/**
 * The docker containerizer: each task runs as a sibling container through the Docker engine.
 *
 * Life of one container: `launch` checks the spec against the policy (`run-spec.ts`), makes the
 * image present (pulling it, with progress), opens the sandbox log files, creates and starts the
 * container, and returns. From then on a monitor waits for the exit with the engine's `wait`,
 * lets the output streams drain into the sandbox, reads the exit code and OOM flag, removes the
 * container and resolves `wait`. The sandbox files and the `Termination` are what remains; the
 * container itself is removed at once so the engine never accumulates exited containers.
 */
import type { Clock } from '../../../core/clock.js';
import { MesoError } from '../../../core/errors.js';
import type { AgentId, ContainerId } from '../../../core/ids.js';
import type { CommandInfo } from '../../../core/v1/tasks.js';
import type { Logger } from '../../../log/logger.js';
import type {
  Containerizer,
  ContainerSpec,
  ExecOptions,
  ExecResult,
  LaunchOutcome,
  RecoveredContainer,
  RecoverySummary,
  ResourceUsage,
  Termination,
} from '../containerizer.js';
import { DockerEngineError, type DockerApi } from './docker-api.js';
import type { DockerContainerState, DockerContainerSummary } from './docker-types.js';
import { agentSelector, Labels } from './labels.js';
import {
  DEFAULT_HOST_NETWORK,
  namespaceOwner,
  parseHostNetwork,
  resolveHostNetwork,
} from './host-network.js';
import type { SelfProbe } from './self-container.js';
import { buildRunSpec, execCommandOf, imageFor, type RunPolicy } from './run-spec.js';
import { SandboxLogs } from './sandbox-logs.js';
import { lostNetworkNamespace, terminationOf } from './termination.js';

export interface DockerContainerizerOptions {
  readonly api: DockerApi;
  readonly clock: Clock;
  readonly log: Logger;
  /** Image for tasks that name none; without it the containerizer supports only image tasks. */
  readonly defaultImage?: string;
  /** Host path prefixes that `ContainerInfo.volumes` may bind-mount. @default [] (none) */
  readonly volumeAllowList?: readonly string[];
  /** Maximum processes and threads per container. @default 4096 */
  readonly pidsLimit?: number;
  /** Cap of the engine's own json-file log per container, in bytes. @default 10 MiB */
  readonly logMaxBytes?: number;
  /** Whether `DockerInfo.privileged` is honoured; refused otherwise. @default false */
  readonly allowPrivileged?: boolean;
  /**
   * Network mode for tasks asking for HOST (`--docker_host_network`): `host`, `container:<id>`, or
   * `container:self` for the agent's own container, resolved at the first launch. @default 'host'
   */
  readonly hostNetwork?: string;
  /** How the agent finds its own container for `container:self`; replaced in tests. */
  readonly selfProbe?: SelfProbe;
  /** How many ended containers `wait` keeps answering for. @default 1000 */
  readonly retainedTerminations?: number;
  /** Delay between checks while the engine does not answer during a wait for an exit. @default 1000 */
  readonly engineRetryMs?: number;
}

/** Enough for a JVM or a Node worker pool; small enough to stop a fork bomb. */
const DEFAULT_PIDS_LIMIT = 4096;
/** The engine's log is only a buffer between the container and the sandbox files. */
const DEFAULT_LOG_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_RETAINED_TERMINATIONS = 1000;
const DEFAULT_ENGINE_RETRY_MS = 1000;
/** Grace for a task found cut off from its network: it cannot be serving anyone any more. */
const NETWORK_LOST_STOP_GRACE_MS = 1000;

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve: (value: T) => void = () => undefined;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** One container as the containerizer tracks it, from launch (or adoption) to its termination. */
interface Run {
  /** Resolves with the engine's id once the container exists, or `undefined` if the launch failed. */
  readonly started: Deferred<string | undefined>;
  readonly ended: Deferred<Termination>;
  readonly cpusLimit: number;
  termination?: Termination;
  /** Set by `kill`; the termination then says `killed`. */
  killGraceMs?: number;
  /** Set when an adopted container was found cut off from its network and stopped for that. */
  networkLost?: string;
}

const newRun = (cpusLimit: number): Run => ({ started: deferred(), ended: deferred(), cpusLimit });

export class DockerContainerizer implements Containerizer {
  readonly name = 'docker';
  /** Containers are the engine's, labelled with their owner: a restarted agent adopts them. */
  readonly survivesAgentRestart = true;
  private readonly api: DockerApi;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly policy: RunPolicy;
  private readonly hostNetworkMode: string;
  private readonly selfProbe: SelfProbe | undefined;
  /** `hostNetworkMode` resolved (once) to what the engine is told. */
  private resolvedHostNetwork: Promise<string> | undefined;
  private readonly retainedTerminations: number;
  private readonly engineRetryMs: number;
  private readonly runs = new Map<ContainerId, Run>();
  /** Ended containers, oldest first; trimmed to `retainedTerminations`. */
  private readonly endedOrder: ContainerId[] = [];

  constructor(options: DockerContainerizerOptions) {
    this.api = options.api;
    this.clock = options.clock;
    this.log = options.log.child({ component: 'agent.containerizer.docker' });
    this.policy = {
      defaultImage: options.defaultImage,
      volumeAllowList: options.volumeAllowList ?? [],
      pidsLimit: options.pidsLimit ?? DEFAULT_PIDS_LIMIT,
      logMaxBytes: options.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES,
      allowPrivileged: options.allowPrivileged ?? false,
    };
    this.hostNetworkMode = parseHostNetwork(options.hostNetwork ?? DEFAULT_HOST_NETWORK);
    this.selfProbe = options.selfProbe;
    // Resolved now, so a `container:self` fallback is logged at start; never rejects.
    void this.hostNetwork();
    this.retainedTerminations = options.retainedTerminations ?? DEFAULT_RETAINED_TERMINATIONS;
    this.engineRetryMs = options.engineRetryMs ?? DEFAULT_ENGINE_RETRY_MS;
  }

  /** Tasks that name a docker image, and, with a default image, tasks that name none. */
  supports(spec: ContainerSpec): boolean {
    return imageFor(spec, this.policy) !== undefined;
  }

  /**
   * Resolves once the container runs. A spec the policy refuses, an image that cannot be pulled or
   * an engine that refuses the container rejects with `CONTAINER_LAUNCH_FAILED` and the engine's
   * reason; `wait` then resolves with reason `launch-failed` and the id may be launched again.
   */
  async launch(spec: ContainerSpec, onProgress?: (message: string) => void): Promise<LaunchOutcome> {
    const { containerId } = spec;
    if (this.runs.has(containerId)) return 'already-launched';
    const run = newRun(spec.limits.cpus);
    this.runs.set(containerId, run);
    const log = this.log.child({ containerId, taskId: spec.taskId, frameworkId: spec.frameworkId });
    const startMs = this.clock.nowMs();
    try {
      const runSpec = buildRunSpec(spec, { ...this.policy, hostNetwork: await this.hostNetwork() });
      await this.api.ensureImage(
        runSpec.image,
        spec.container?.docker?.force_pull_image === true,
        onProgress,
      );
      const logs = await SandboxLogs.open(spec.sandboxDir, false);
      const dockerId = await this.api.run(runSpec).catch(async (err: unknown) => {
        await logs.close();
        throw err;
      });
      run.started.resolve(dockerId);
      log.info('container launched', {
        dockerId,
        image: runSpec.image,
        startupMs: this.clock.nowMs() - startMs,
      });
      void this.monitor(containerId, run, dockerId, logs.follow(this.api, dockerId, log), log);
      return 'launched';
    } catch (err) {
      const failure = launchFailure(err);
      this.runs.delete(containerId);
      run.started.resolve(undefined);
      run.ended.resolve({ reason: 'launch-failed', message: failure.message });
      log.error('container launch failed', { reason: failure.message });
      throw failure;
    }
  }

  /** The network mode HOST tasks get; `container:self` is resolved at the first call only. */
  hostNetwork(): Promise<string> {
    this.resolvedHostNetwork ??= resolveHostNetwork(this.hostNetworkMode, this.log, this.selfProbe);
    return this.resolvedHostNetwork;
  }

  async wait(containerId: ContainerId): Promise<Termination | undefined> {
    return this.runs.get(containerId)?.ended.promise;
  }

  /**
   * `docker stop` with the grace period (SIGTERM, then SIGKILL; the engine counts whole seconds,
   * so the grace is rounded up), falling back to SIGKILL when the stop call itself fails. Resolves
   * once the container has ended and been removed. A container still launching is stopped as soon
   * as it has started.
   */
  async kill(containerId: ContainerId, gracePeriodMs: number): Promise<void> {
    const run = this.runs.get(containerId);
    if (run === undefined) return;
    run.killGraceMs ??= gracePeriodMs;
    const dockerId = await run.started.promise;
    if (dockerId !== undefined && run.termination === undefined) {
      this.log.info('container stop requested', { containerId, dockerId, gracePeriodMs });
      await this.stopOrKill(dockerId, gracePeriodMs);
    }
    await run.ended.promise;
  }

  /** One stats sample from the engine; `undefined` once the container has ended or is unknown. */
  async usage(containerId: ContainerId): Promise<ResourceUsage | undefined> {
    const run = this.runs.get(containerId);
    if (run === undefined || run.termination !== undefined) return undefined;
    const dockerId = await run.started.promise;
    if (dockerId === undefined) return undefined;
    // A failed sample is logged by the adapter; usage is advisory, so it is simply absent.
    const stats = await this.api.stats(dockerId).catch(() => undefined);
    if (stats === undefined) return undefined;
    return { ...stats, cpusLimit: run.cpusLimit, timestampMs: this.clock.nowMs() };
  }

  /**
   * `docker exec` in the task's container (see `execCommandOf`). At `timeoutMs` the call is
   * abandoned: the engine cannot kill an exec'd process, so a hung command runs on in the container
   * until it ends or the container does.
   */
  async exec(containerId: ContainerId, command: CommandInfo, options: ExecOptions): Promise<ExecResult> {
    const run = this.runs.get(containerId);
    const dockerId = run?.termination === undefined ? await run?.started.promise : undefined;
    if (dockerId === undefined) return { exitCode: undefined, message: 'container is not running' };
    const abandon = new AbortController();
    const cancel = this.clock.after(options.timeoutMs, () => abandon.abort());
    try {
      const { argv, env } = execCommandOf(command);
      const exitCode = await this.api.exec(dockerId, argv, { env, signal: abandon.signal });
      const message =
        exitCode === undefined
          ? 'command ended without an exit code'
          : `command exited with code ${exitCode}`;
      return { exitCode, message };
    } catch (err) {
      const message = abandon.signal.aborted
        ? `command abandoned after ${options.timeoutMs} ms`
        : `command could not run: ${(err as Error).message}`;
      return { exitCode: undefined, message };
    } finally {
      cancel();
    }
  }

  /**
   * Lists the engine's containers labelled with `agentId`. Those in `known` are adopted: output
   * streaming resumes where the sandbox files end and `wait` resolves when they exit; those that
   * exited while the agent was down are reported with their real exit code (and OOM flag) and
   * removed. Labelled containers not in `known` are orphans: force-removed and reported.
   * Rejects only when the engine cannot list containers.
   */
  async recover(agentId: AgentId, known: ReadonlySet<ContainerId>): Promise<RecoverySummary> {
    const owned = await this.api.listByLabels(agentSelector(agentId));
    const recovered: RecoveredContainer[] = [];
    const orphansDestroyed: ContainerId[] = [];
    await Promise.all(
      owned.map(async (found) => {
        // Our own label, written at launch from a `ContainerId`.
        const containerId = found.labels[Labels.containerId] as ContainerId | undefined;
        if (containerId !== undefined && known.has(containerId)) {
          recovered.push(await this.adopt(containerId, found));
        } else if (await this.destroyOrphan(found)) {
          if (containerId !== undefined) orphansDestroyed.push(containerId);
        }
      }),
    );
    this.log.info('containers recovered', {
      agentId,
      adopted: recovered.filter((r) => r.termination === undefined).length,
      exitedWhileDown: recovered.filter((r) => r.termination !== undefined).length,
      orphansDestroyed: orphansDestroyed.length,
    });
    return { recovered, orphansDestroyed };
  }

  private async adopt(containerId: ContainerId, found: DockerContainerSummary): Promise<RecoveredContainer> {
    const existing = this.runs.get(containerId);
    if (existing !== undefined) return { containerId, termination: existing.termination };
    const { dockerId } = found;
    const log = this.log.child({ containerId, dockerId });
    const state = await this.api.inspect(dockerId);
    const run = newRun(state?.cpusLimit ?? 0);
    run.started.resolve(dockerId);
    this.runs.set(containerId, run);
    const monitoring = this.monitor(containerId, run, dockerId, this.resumeLogs(found, log), log);
    const networkLost = state?.running === true ? await this.lostNetwork(state) : undefined;
    if (state?.running === true && networkLost === undefined) {
      log.info('container adopted');
      return { containerId };
    }
    if (networkLost !== undefined) {
      // Reported as failed rather than left running unreachable, so its framework replaces it.
      run.networkLost = networkLost;
      log.warn('adopted container has lost its network; stopping it', { reason: networkLost });
      await this.stopOrKill(dockerId, NETWORK_LOST_STOP_GRACE_MS);
    }
    await monitoring;
    return { containerId, termination: run.termination };
  }

  /** `docker stop` with `graceMs`, falling back to SIGKILL when the stop call itself fails. */
  private async stopOrKill(dockerId: string, graceMs: number): Promise<void> {
    await this.api.stop(dockerId, graceMs).catch(() => this.api.kill(dockerId).catch(() => undefined));
  }

  /** See `lostNetworkNamespace`; an engine that cannot answer about the owner leaves the task be. */
  private async lostNetwork(state: DockerContainerState): Promise<string | undefined> {
    const owner = namespaceOwner(state.networkMode);
    if (owner === undefined) return undefined;
    try {
      return lostNetworkNamespace(state, await this.api.inspect(owner));
    } catch {
      return undefined;
    }
  }

  private async resumeLogs(found: DockerContainerSummary, log: Logger): Promise<void> {
    const sandboxDir = found.labels[Labels.sandboxDir];
    if (sandboxDir === undefined) {
      log.warn('container has no sandbox label; its output is not streamed');
      return;
    }
    try {
      const logs = await SandboxLogs.open(sandboxDir, true);
      await logs.follow(this.api, found.dockerId, log);
    } catch (err) {
      log.warn('sandbox log files could not be opened', { sandboxDir, err: String(err) });
    }
  }

  /** True when the orphan is gone; a failed removal is logged and left for the next recovery. */
  private async destroyOrphan(found: DockerContainerSummary): Promise<boolean> {
    const fields = {
      dockerId: found.dockerId,
      name: found.name,
      containerId: found.labels[Labels.containerId],
    };
    try {
      await this.api.remove(found.dockerId);
      this.log.warn('orphan container destroyed', { ...fields, reason: 'not among the known containers' });
      return true;
    } catch (err) {
      this.log.error('orphan container could not be destroyed', { ...fields, err: String(err) });
      return false;
    }
  }

  /**
   * Waits for the exit, lets the output drain, records the termination and removes the container.
   * Never rejects: while the engine does not answer it keeps checking every `engineRetryMs`.
   */
  private async monitor(
    containerId: ContainerId,
    run: Run,
    dockerId: string,
    logsDone: Promise<void>,
    log: Logger,
  ): Promise<void> {
    const state = await this.awaitExit(dockerId);
    await logsDone;
    // A failed removal is logged by the adapter; the next recovery destroys the leftover.
    await this.api.remove(dockerId).catch(() => undefined);
    const ending = terminationOf(state, run.killGraceMs);
    const termination: Termination =
      run.networkLost === undefined
        ? ending
        : { ...ending, reason: 'lost', message: `stopped: ${run.networkLost}; ${ending.message}` };
    run.termination = termination;
    run.ended.resolve(termination);
    this.retain(containerId);
    log.info('container ended', {
      dockerId,
      exitCode: termination.exitCode,
      signal: termination.signal,
      reason: termination.reason,
    });
  }

  private async awaitExit(dockerId: string): Promise<DockerContainerState | undefined> {
    for (;;) {
      // A failed wait (engine restarting, connection reset) is logged by the adapter; `inspect`
      // then tells an exit from a lost connection.
      await this.api.waitExit(dockerId).catch(() => undefined);
      try {
        const state = await this.api.inspect(dockerId);
        if (state?.running !== true) return state;
      } catch {
        // The engine does not answer (logged by the adapter): check again after a pause.
      }
      await new Promise<void>((resolve) => this.clock.after(this.engineRetryMs, resolve));
    }
  }

  /** Keeps the termination for later `wait` calls, forgetting the oldest beyond the retention cap. */
  private retain(containerId: ContainerId): void {
    this.endedOrder.push(containerId);
    while (this.endedOrder.length > this.retainedTerminations) {
      const oldest = this.endedOrder.shift();
      if (oldest !== undefined) this.runs.delete(oldest);
    }
  }
}

function launchFailure(err: unknown): MesoError {
  if (err instanceof MesoError) return err;
  if (err instanceof DockerEngineError) {
    // No status (a broken connection) or a 5xx (registry unreachable) may pass; a 4xx will not.
    const retryable = err.statusCode === undefined || err.statusCode >= 500;
    return new MesoError('CONTAINER_LAUNCH_FAILED', err.message, { cause: err, retryable });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new MesoError('CONTAINER_LAUNCH_FAILED', `container launch failed: ${reason}`, { cause: err });
}
