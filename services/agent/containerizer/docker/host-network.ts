/**
 * `--docker_host_network`: what a task asking for HOST networking gets. `host` is the engine host's
 * network; `container:<name-or-id>` joins that container's network namespace; `container:self`
 * joins the agent's own container (see self-container.ts); `keeper` joins a container kept for
 * the purpose, which outlives the agent's (see network-keeper.ts).
 */
import type { Logger } from '../../../log/logger.js';
import { detectSelfContainer, procSelfProbe, type SelfProbe } from './self-container.js';

export const DEFAULT_HOST_NETWORK = 'host';
export const SELF = 'container:self';

const CONTAINER_PREFIX = 'container:';

/** Checks a `--docker_host_network` value: `host`, `container:self` or `container:<name-or-id>`. */
export function parseHostNetwork(value: string): string {
  const mode = value.trim();
  if (mode === DEFAULT_HOST_NETWORK) return mode;
  if (mode.startsWith(CONTAINER_PREFIX) && mode.length > CONTAINER_PREFIX.length) return mode;
  throw new Error(`--docker_host_network must be 'host' or 'container:<name-or-id|self>', not '${value}'`);
}

/** Whether `mode` (as parsed) puts HOST tasks in another container's network namespace. */
export const isContainerNetwork = (mode: string): boolean => mode.startsWith(CONTAINER_PREFIX);

/** The container whose network namespace a `container:<name-or-id>` network mode joins. */
export const namespaceOwner = (mode: string): string | undefined =>
  isContainerNetwork(mode) ? mode.slice(CONTAINER_PREFIX.length) : undefined;

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
