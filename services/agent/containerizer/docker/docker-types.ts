/**
 * The Docker engine's vocabulary in meso's own types: what the containerizer asks the engine to run
 * and what the engine reports back. The `DockerApi` port (`docker-api.ts`) speaks only these, so no
 * dockerode type reaches the containerizer.
 */
/** A port published from the host to the container (`-p hostPort:containerPort/protocol`). */
export interface DockerPortBinding {
  readonly hostPort: number;
  readonly containerPort: number;
  readonly protocol: 'tcp' | 'udp';
}

/** A host path bind-mounted into the container (`-v hostPath:containerPath[:ro]`). */
export interface DockerBind {
  readonly hostPath: string;
  readonly containerPath: string;
  readonly readOnly: boolean;
}

/** CFS bandwidth and weight for the container's CPU cgroup. */
export interface DockerCpuLimits {
  /** Microseconds of CPU time per period (`--cpu-quota`). */
  readonly quotaUs: number;
  /** Length of one CFS period in microseconds (`--cpu-period`). */
  readonly periodUs: number;
  /** Relative weight under contention (`--cpu-shares`). */
  readonly shares: number;
}

/** Everything needed to create and start one container. */
export interface DockerRunSpec {
  readonly name: string;
  readonly image: string;
  /** Replaces the image's ENTRYPOINT when set. */
  readonly entrypoint?: readonly string[];
  /** Replaces the image's CMD when set. */
  readonly cmd?: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly user?: string;
  readonly hostname?: string;
  /** `host`, `bridge`, `none`, or the name of a user-defined network. */
  readonly networkMode: string;
  readonly portBindings: readonly DockerPortBinding[];
  readonly binds: readonly DockerBind[];
  readonly cpu?: DockerCpuLimits;
  /** Hard memory limit; swap is set to the same value, so the container gets no extra swap. */
  readonly memoryBytes?: number;
  readonly pidsLimit: number;
  /** Size cap of the engine's json-file log for this container (one file, no rotation history). */
  readonly logMaxBytes: number;
  readonly privileged: boolean;
}

/** What the engine knows about one container, from `docker inspect`. */
export interface DockerContainerState {
  readonly dockerId: string;
  /** The container's name, without the engine's leading `/`. */
  readonly name: string;
  readonly running: boolean;
  readonly exitCode: number;
  readonly oomKilled: boolean;
  /** The engine's error text for the container (e.g. why it could not start); empty when none. */
  readonly error: string;
  readonly labels: Readonly<Record<string, string>>;
  /** CPU quota ÷ period; 0 when the container has no CPU quota. */
  readonly cpusLimit: number;
  /** `HostConfig.NetworkMode`: `bridge`, `host`, a network's name, or `container:<id>`. */
  readonly networkMode: string;
  /** When the engine last started the container, in Unix milliseconds; 0 when it never ran. */
  readonly startedAtMs: number;
  /** The image as the container was created from it (`Config.Image`). */
  readonly image: string;
  /** Names of the networks it is attached to, and its address on the first one ('' when none). */
  readonly networks: readonly string[];
  readonly ipAddress: string;
}

/** One row of `docker ps -a`. */
export interface DockerContainerSummary {
  readonly dockerId: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly running: boolean;
}

/** One sample of `docker stats --no-stream`. */
export interface DockerStats {
  readonly cpuUserSeconds: number;
  readonly cpuSystemSeconds: number;
  /** Anonymous memory (cgroup v1 `rss`, v2 `anon`); total usage when the engine reports neither. */
  readonly memRssBytes: number;
  readonly memLimitBytes: number;
}

export type DockerLogStream = 'stdout' | 'stderr';
