/**
 * How a task's `ContainerSpec` becomes a Docker container: image, command, environment, network,
 * published ports, bind mounts and cgroup limits. Pure: no engine calls, no I/O. Everything the
 * policy refuses is a `MesoError('CONTAINER_LAUNCH_FAILED')` whose message names the offending field.
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { MesoError } from '../../../core/errors.js';
import type { CommandInfo, ContainerInfo } from '../../../core/v1/tasks.js';
import type { ContainerSpec } from '../containerizer.js';
import type { DockerBind, DockerCpuLimits, DockerPortBinding, DockerRunSpec } from './docker-types.js';
import { isContainerNetwork } from './host-network.js';
import { containerName, ownershipLabels } from './labels.js';

/** What the operator allows containers to do; fixed when the containerizer is built. */
export interface RunPolicy {
  /** Image for tasks that name none; without it such tasks are not supported. */
  readonly defaultImage?: string;
  /** Host path prefixes `ContainerInfo.volumes` may bind-mount; any other host path is refused. */
  readonly volumeAllowList: readonly string[];
  /** Maximum number of processes (and threads) in one container. */
  readonly pidsLimit: number;
  /** Cap of the engine's json-file log per container, in bytes. */
  readonly logMaxBytes: number;
  /** Whether `DockerInfo.privileged` is honoured; refused otherwise. */
  readonly allowPrivileged: boolean;
  /**
   * Network mode of tasks asking for HOST: `host`, or `container:<id>` to join that container's
   * namespace (the agent's own, when it runs in one). @default 'host'
   */
  readonly hostNetwork?: string;
}

/** The CFS period meso uses; Docker's default, so `cpus × period` is the familiar `--cpus` quota. */
export const CPU_PERIOD_US = 100_000;
/** CPU shares of one whole CPU, as in Mesos (`CPU_SHARES_PER_CPU`). */
export const CPU_SHARES_PER_CPU = 1024;
/** The smallest quota the kernel accepts (1 ms). */
const MIN_CPU_QUOTA_US = 1_000;
/** The smallest weight the kernel accepts. */
const MIN_CPU_SHARES = 2;
const MIB = 1024 * 1024;

const refuse = (message: string): MesoError => new MesoError('CONTAINER_LAUNCH_FAILED', message);

/** The image `container` names: `DockerInfo.image`, or a MESOS container's docker image. */
export function namedImage(container: ContainerInfo | undefined): string | undefined {
  if (container === undefined) return undefined;
  if (container.type === 'DOCKER') return container.docker?.image;
  const image = container.mesos?.image;
  return image?.type === 'APPC' ? undefined : image?.docker?.name;
}

/** The image `spec` runs in: the one it names, else the default; `undefined` when there is neither. */
export function imageFor(spec: ContainerSpec, policy: Pick<RunPolicy, 'defaultImage'>): string | undefined {
  return namedImage(spec.container) ?? policy.defaultImage;
}

/** Translates `spec` into the engine's terms. Throws `CONTAINER_LAUNCH_FAILED` for refused specs. */
export function buildRunSpec(spec: ContainerSpec, policy: RunPolicy): DockerRunSpec {
  const image = imageFor(spec, policy);
  if (image === undefined) throw refuse('the task names no docker image and no default image is configured');
  const docker = spec.container?.docker;
  if (docker?.parameters !== undefined && docker.parameters.length > 0) {
    const keys = docker.parameters.map((p) => p.key).join(', ');
    throw refuse(`docker parameters are not supported: ${keys}`);
  }
  if (docker?.privileged === true && !policy.allowPrivileged) {
    throw refuse('privileged containers are not allowed on this agent');
  }
  const requested = networkModeOf(spec.container);
  // Checked as HOST (no port mappings), then run in the configured namespace.
  const portBindings = portBindingsOf(spec, requested);
  const joined =
    requested === 'host' && policy.hostNetwork !== undefined && isContainerNetwork(policy.hostNetwork);
  const networkMode = joined ? (policy.hostNetwork ?? requested) : requested;
  return {
    name: containerName(spec),
    image,
    ...commandOf(spec),
    env: environmentOf(spec),
    labels: ownershipLabels(spec),
    user: spec.command.user,
    // The engine refuses a hostname (and published ports) for a container sharing another's network.
    hostname: joined ? undefined : spec.container?.hostname,
    networkMode,
    portBindings,
    binds: bindsOf(spec.container, policy.volumeAllowList),
    cpu: cpuLimitsOf(spec.limits.cpus),
    memoryBytes: spec.limits.memMiB > 0 ? Math.round(spec.limits.memMiB * MIB) : undefined,
    pidsLimit: policy.pidsLimit,
    logMaxBytes: policy.logMaxBytes,
    privileged: docker?.privileged === true,
  };
}

/**
 * As Mesos's docker containerizer: a shell command replaces the image's entrypoint with `/bin/sh -c`;
 * otherwise `value` and `arguments` become the CMD under the image's own entrypoint.
 */
function commandOf(spec: ContainerSpec): Pick<DockerRunSpec, 'entrypoint' | 'cmd'> {
  const { value, shell } = spec.command;
  if (shell) {
    if (value === undefined || value === '') throw refuse('a shell command needs a value');
    return { entrypoint: ['/bin/sh', '-c'], cmd: [value] };
  }
  const argv = [...(value === undefined ? [] : [value]), ...(spec.command.arguments ?? [])];
  return argv.length === 0 ? {} : { cmd: argv };
}

/** CommandInfo's variables, then the agent's (`MESOS_TASK_ID`, `PORT0`, ...), which win on conflict. */
function environmentOf(spec: ContainerSpec): Readonly<Record<string, string>> {
  return { ...variablesOf(spec.command), ...spec.env };
}

function variablesOf(command: CommandInfo): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of command.environment?.variables ?? []) {
    if (variable.type === 'SECRET')
      throw refuse(`secret environment variable '${variable.name}' is not supported`);
    env[variable.name] = variable.value ?? '';
  }
  return env;
}

/**
 * A command to run in a running container (`docker exec`, for health checks): `/bin/sh -c value`
 * for a shell command, else `value` and `arguments` as the argv, the way `commandOf` runs a task's
 * command; its own variables on top of the container's environment, which the engine keeps.
 */
export function execCommandOf(command: CommandInfo): {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
} {
  const { value, shell } = command;
  if (value === undefined || value === '') throw refuse('a command to run needs a value');
  const argv = shell ? ['/bin/sh', '-c', value] : [value, ...(command.arguments ?? [])];
  return { argv, env: variablesOf(command) };
}

/** `DockerInfo.network`, HOST by default as in Mesos; USER takes the first `network_infos` name. */
function networkModeOf(container: ContainerInfo | undefined): string {
  const userNetwork = container?.network_infos?.[0]?.name;
  const network = container?.docker?.network ?? (userNetwork === undefined ? 'HOST' : 'USER');
  if (network !== 'USER') return network.toLowerCase();
  if (userNetwork === undefined || userNetwork === '')
    throw refuse('network USER needs a network_infos name');
  return userNetwork;
}

/**
 * Explicit mappings (DockerInfo's, else the first network's) must use host ports the task was
 * offered. A BRIDGE task without mappings gets each of its host ports published to the same port
 * inside the container, so a task listening on `$PORT0` is reachable as it would be on the host.
 */
function portBindingsOf(spec: ContainerSpec, networkMode: string): readonly DockerPortBinding[] {
  const mappings =
    spec.container?.docker?.port_mappings ?? spec.container?.network_infos?.[0]?.port_mappings ?? [];
  if (mappings.length === 0) {
    if (networkMode !== 'bridge') return [];
    return spec.ports.map((port) => ({ hostPort: port, containerPort: port, protocol: 'tcp' }));
  }
  if (networkMode === 'host' || networkMode === 'none') {
    throw refuse(`port mappings need a BRIDGE or USER network, not ${networkMode.toUpperCase()}`);
  }
  return mappings.map((mapping) => {
    if (!spec.ports.includes(mapping.host_port)) {
      throw refuse(`host port ${mapping.host_port} is not among the task's port resources`);
    }
    const protocol = (mapping.protocol ?? 'tcp').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp')
      throw refuse(`port mapping protocol '${protocol}' is not supported`);
    return { hostPort: mapping.host_port, containerPort: mapping.container_port, protocol };
  });
}

/** Bind mounts, each host path checked against the allow-list after resolving `..` segments. */
function bindsOf(container: ContainerInfo | undefined, allowList: readonly string[]): readonly DockerBind[] {
  return (container?.volumes ?? []).map((volume) => {
    const hostPath = volume.host_path;
    if (hostPath === undefined || !isAbsolute(hostPath)) {
      throw refuse(
        `volume '${volume.container_path}' needs an absolute host_path (sandbox volumes are not supported)`,
      );
    }
    const resolved = resolve(hostPath);
    if (!allowList.some((prefix) => isWithin(resolved, resolve(prefix)))) {
      throw refuse(`host path '${hostPath}' is not allowed for volumes on this agent`);
    }
    return { hostPath: resolved, containerPath: volume.container_path, readOnly: volume.mode === 'RO' };
  });
}

function isWithin(path: string, prefix: string): boolean {
  const rel = relative(prefix, path);
  return !isAbsolute(rel) && rel.split(sep)[0] !== '..';
}

/** cpus → CFS quota over a 100 ms period, plus proportional shares; no limits for 0 cpus. */
function cpuLimitsOf(cpus: number): DockerCpuLimits | undefined {
  if (cpus <= 0) return undefined;
  return {
    quotaUs: Math.max(MIN_CPU_QUOTA_US, Math.round(cpus * CPU_PERIOD_US)),
    periodUs: CPU_PERIOD_US,
    shares: Math.max(MIN_CPU_SHARES, Math.round(cpus * CPU_SHARES_PER_CPU)),
  };
}
