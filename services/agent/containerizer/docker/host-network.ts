/**
 * `--docker_host_network`: what a task asking for HOST networking gets. `host` is the engine host's
 * network; `container:<name-or-id>` joins that container's network namespace; `container:self`
 * joins the agent's own container, found once at start from `/proc/self/mountinfo` (the engine
 * bind-mounts `/etc/hostname` and friends from `.../docker/containers/<id>/`), else
 * `/proc/self/cgroup` (`/docker/<id>` on cgroup v1), else the hostname (Docker's default hostname
 * is the short id) when `/.dockerenv` says we are in a container at all.
 */
import { access, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { Logger } from '../../../log/logger.js';

export const DEFAULT_HOST_NETWORK = 'host';
export const SELF = 'container:self';

const CONTAINER_PREFIX = 'container:';
const MOUNTINFO_ID = /\/docker\/containers\/([0-9a-f]{64})\//;
const CGROUP_ID = /\/docker\/([0-9a-f]{64})(?:[^0-9a-f]|$)/;

/** Checks a `--docker_host_network` value: `host`, `container:self` or `container:<name-or-id>`. */
export function parseHostNetwork(value: string): string {
  const mode = value.trim();
  if (mode === DEFAULT_HOST_NETWORK) return mode;
  if (mode.startsWith(CONTAINER_PREFIX) && mode.length > CONTAINER_PREFIX.length) return mode;
  throw new Error(`--docker_host_network must be 'host' or 'container:<name-or-id|self>', not '${value}'`);
}

/** Whether `mode` (as parsed) puts HOST tasks in another container's network namespace. */
export const isContainerNetwork = (mode: string): boolean => mode.startsWith(CONTAINER_PREFIX);

/** The container id in `/proc/self/mountinfo` text, if any mount comes from the engine's container dir. */
export function containerIdFromMountinfo(text: string): string | undefined {
  return MOUNTINFO_ID.exec(text)?.[1];
}

/** The container id in `/proc/self/cgroup` text (cgroup v1 or a v2 host with docker's cgroup paths). */
export function containerIdFromCgroup(text: string): string | undefined {
  return CGROUP_ID.exec(text)?.[1];
}

/** What self-detection reads; replaced in tests. */
export interface SelfProbe {
  readonly readText: (path: string) => Promise<string | undefined>;
  readonly exists: (path: string) => Promise<boolean>;
  readonly hostname: () => string;
}

export const procSelfProbe: SelfProbe = {
  readText: (path) => readFile(path, 'utf8').catch(() => undefined),
  exists: (path) =>
    access(path).then(
      () => true,
      () => false,
    ),
  hostname,
};

/** The agent's own container id (or hostname), or `undefined` when the agent is not in a container. */
export async function detectSelfContainer(probe: SelfProbe = procSelfProbe): Promise<string | undefined> {
  const fromMounts = containerIdFromMountinfo((await probe.readText('/proc/self/mountinfo')) ?? '');
  if (fromMounts !== undefined) return fromMounts;
  const fromCgroup = containerIdFromCgroup((await probe.readText('/proc/self/cgroup')) ?? '');
  if (fromCgroup !== undefined) return fromCgroup;
  return (await probe.exists('/.dockerenv')) ? probe.hostname() : undefined;
}

/**
 * The network mode HOST tasks get: `mode` itself, or for `container:self` the agent's container,
 * falling back to `host` (with a warning) when the agent does not run in one.
 */
export async function resolveHostNetwork(
  mode: string,
  log: Logger,
  probe: SelfProbe = procSelfProbe,
): Promise<string> {
  if (mode !== SELF) return mode;
  const self = await detectSelfContainer(probe);
  if (self === undefined) {
    log.warn('docker_host_network container:self: the agent is not in a container; HOST tasks use host');
    return DEFAULT_HOST_NETWORK;
  }
  log.info('HOST-network tasks join the agent container', { container: self });
  return `${CONTAINER_PREFIX}${self}`;
}
