/**
 * `--docker_host_network keeper`: HOST tasks of an agent that runs in a container get a network
 * namespace that outlives the agent's container. With `container:self` they join the agent's own
 * namespace, which the engine tears down whenever that container stops, so an agent upgrade
 * (compose recreates the container) cuts every HOST task off. A keeper is a small container of the
 * agent's image, `<agent container>-net`, on the agent's network: HOST tasks join its namespace,
 * and it forwards the agent's port to the agent container by name (`meso network-keeper`). The
 * agent advertises the keeper's address and name, so the master, frameworks and offered ports all
 * meet at one address that stays put while agent containers come and go.
 */
import type { Logger } from '../../../log/logger.js';
import type { DockerApi } from './docker-api.js';
import type { DockerContainerState, DockerRunSpec } from './docker-types.js';

export const KEEPER_MODE = 'keeper';

/** Label naming the agent container a keeper serves; `scripts/down.sh` finds keepers by it. */
export const KEEPER_LABEL = 'meso.network_keeper_for';
/** The compose project of that agent container, copied so a project's keepers can be removed with it. */
export const KEEPER_PROJECT_LABEL = 'meso.compose_project';
const COMPOSE_PROJECT_LABEL = 'com.docker.compose.project';

/** Enough for one forwarding process and the connections it serves. */
const KEEPER_PIDS_LIMIT = 64;
const KEEPER_LOG_MAX_BYTES = 1024 * 1024;

export const keeperName = (agentContainer: string): string => `${agentContainer}-net`;

/** The keeper of `agent` (the agent's own container), forwarding `agentPort` to it. */
export function keeperRunSpec(agent: DockerContainerState, agentPort: number): DockerRunSpec {
  const [network] = agent.networks;
  if (network === undefined) throw new Error(`the agent container ${agent.name} is on no network`);
  const project = agent.labels[COMPOSE_PROJECT_LABEL];
  return {
    name: keeperName(agent.name),
    image: agent.image,
    entrypoint: ['meso', 'network-keeper', '--port', String(agentPort), '--to', `${agent.name}:${agentPort}`],
    env: {},
    labels: { [KEEPER_LABEL]: agent.name, ...(project !== undefined && { [KEEPER_PROJECT_LABEL]: project }) },
    networkMode: network,
    portBindings: [],
    binds: [],
    pidsLimit: KEEPER_PIDS_LIMIT,
    logMaxBytes: KEEPER_LOG_MAX_BYTES,
    privileged: false,
  };
}

/**
 * The running keeper of `agent`: the one already there (HOST tasks of an earlier agent container
 * live in it), else a new one, replacing a stopped leftover (its namespace is gone anyway).
 */
export async function ensureNetworkKeeper(
  api: Pick<DockerApi, 'inspect' | 'run' | 'remove'>,
  agent: DockerContainerState,
  agentPort: number,
  log: Logger,
): Promise<DockerContainerState> {
  const name = keeperName(agent.name);
  const existing = await api.inspect(name);
  if (existing?.running === true) {
    log.info('HOST-network tasks stay in the existing network keeper', {
      keeper: name,
      ip: existing.ipAddress,
    });
    return existing;
  }
  if (existing !== undefined) await api.remove(existing.dockerId);
  const keeper = await api.inspect(await api.run(keeperRunSpec(agent, agentPort)));
  if (keeper?.running !== true) throw new Error(`the network keeper ${name} did not stay up`);
  log.info('network keeper started for HOST-network tasks', { keeper: name, ip: keeper.ipAddress });
  return keeper;
}
