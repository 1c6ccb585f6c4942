/** `meso agent`: flags with Mesos's names (and `MESO_*` environment variables) → AgentConfigInput. */
import type { Command } from 'commander';
import { join } from 'node:path';
import { durationFlag, portFlag } from '../config/flags.js';
import type { Clock } from '../core/clock.js';
import { type Logger, silentLogger } from '../log/logger.js';
import {
  type AgentConfig,
  type AgentConfigInput,
  AgentInstrumentation,
  type Containerizer,
  DockerContainerizer,
  DockerodeApi,
  ProcessContainerizer,
} from '../agent/index.js';
import { ensureNetworkKeeper, KEEPER_MODE } from '../agent/containerizer/docker/network-keeper.js';
import { selfContainer } from '../agent/containerizer/docker/self-container.js';
import { flag } from './master-command.js';

export function addAgentFlags(command: Command, defaults: { master?: string } = {}): Command {
  return command
    .addOption(
      flag(
        '--master <url>',
        'the master: http://host:5050, host:5050 or zk://host:2181/path',
        defaults.master,
      ),
    )
    .addOption(
      flag(
        '--zk_session_timeout <duration>',
        'ZooKeeper session timeout, with a zk:// --master; also how long to wait for a new leader',
        '10secs',
      ),
    )
    .addOption(flag('--port <port>', 'port to listen on', '5051'))
    .addOption(flag('--ip <ip>', 'interface to bind', '0.0.0.0'))
    .addOption(flag('--advertise_ip <ip>', 'address the master and frameworks use to reach this agent'))
    .addOption(flag('--hostname <name>', 'AgentInfo.hostname (default: this host)'))
    .addOption(
      flag(
        '--work_dir <dir>',
        `sandboxes and checkpoints; ${CONTAINER_PLACEHOLDER} stands for the agent's own container name`,
        '/tmp/meso/agent',
      ),
    )
    .addOption(
      flag(
        '--resources <spec>',
        "e.g. 'cpus:4;mem:8192;disk:20000;ports:[31000-32000]' (detected when absent)",
      ),
    )
    .addOption(flag('--attributes <spec>', "e.g. 'rack:r1;zone:a'"))
    .addOption(flag('--containerizers <list>', 'containerizers to try, in order', 'process'))
    .addOption(
      flag(
        '--docker_socket <path>',
        'Docker engine socket (default: $DOCKER_HOST, else /var/run/docker.sock)',
      ),
    )
    .addOption(
      flag('--docker_default_image <image>', 'image for tasks that name none, when docker comes first'),
    )
    .addOption(
      flag('--docker_volume_allow_list <paths>', 'comma-separated host path prefixes tasks may bind-mount'),
    )
    .addOption(
      flag(
        '--docker_host_network <mode>',
        "network of HOST tasks: 'host', 'container:<name-or-id>', 'container:self' (the agent's container) or 'keeper' (a container that outlives the agent's)",
        'host',
      ),
    )
    .addOption(
      flag('--docker_stop_timeout <duration>', 'kill grace of docker tasks without a kill policy', '3secs'),
    )
    .addOption(
      flag('--executor_registration_timeout <duration>', 'time a custom executor has to subscribe', '1mins'),
    )
    .addOption(
      flag(
        '--executor_reregistration_timeout <duration>',
        'time to subscribe again after an agent restart',
        '2secs',
      ),
    )
    .addOption(
      flag(
        '--registration_backoff_factor <duration>',
        'upper bound of the first registration delay',
        '1secs',
      ),
    )
    .addOption(
      flag(
        '--executor_shutdown_grace_period <duration>',
        'time between SIGTERM and SIGKILL on shutdown',
        '5secs',
      ),
    )
    .addOption(
      flag(
        '--status_update_retry_interval <duration>',
        'first retry interval of unacknowledged updates',
        '1secs',
      ),
    )
    .addOption(flag('--log_level <level>', 'debug, info, warn or error', 'info'));
}

export type AgentFlags = Record<string, string | undefined>;

/** In `--work_dir`, replaced by the name of the container the agent runs in. */
export const CONTAINER_PLACEHOLDER = '{container}';

/**
 * `--work_dir` with `{container}` replaced by `containerName`, the agent's own container's name.
 * Scaled compose replicas share one volume and each keeps its checkpoint under its own container
 * name, which, unlike the container's id or hostname, survives the container being recreated (an
 * upgrade): the new agent finds the old checkpoint and adopts the task containers. Outside a
 * container the placeholder is an error, since there is no stable name to use.
 */
export function resolveWorkDir(workDir: string, containerName: string | undefined): string {
  if (!workDir.includes(CONTAINER_PLACEHOLDER)) return workDir;
  if (containerName === undefined) {
    throw new Error(
      `--work_dir ${workDir} names ${CONTAINER_PLACEHOLDER}, but the agent does not run in a container`,
    );
  }
  return workDir.replaceAll(CONTAINER_PLACEHOLDER, containerName);
}

/**
 * Flags that depend on the agent's own container, resolved through the engine `--docker_socket`
 * names: `{container}` in `--work_dir` (see `resolveWorkDir`), and `--docker_host_network keeper`,
 * which finds or starts the agent's network keeper, puts HOST tasks in its namespace and makes the
 * agent advertise it (`--advertise_ip` and `--hostname`, unless given). Other flags pass unchanged,
 * and the engine is not asked when neither is used.
 */
export async function withContainerFlags(
  flags: AgentFlags,
  env: Pick<AgentRuntimeEnv, 'log' | 'dockerHost'>,
): Promise<AgentFlags> {
  const workDir = flags['work_dir'];
  const keeper = flags['docker_host_network']?.trim() === KEEPER_MODE;
  if (!keeper && workDir?.includes(CONTAINER_PLACEHOLDER) !== true) return flags;
  const api = new DockerodeApi({ socketPath: flags['docker_socket'], dockerHost: env.dockerHost }, env.log);
  const self = await selfContainer(api);
  const resolved =
    workDir === undefined ? flags : { ...flags, work_dir: resolveWorkDir(workDir, self?.name) };
  if (!keeper) return resolved;
  if (self === undefined)
    throw new Error('--docker_host_network keeper: the agent does not run in a container');
  const port = portFlag('port', flags['port'] ?? '5051');
  const kept = await ensureNetworkKeeper(api, self, port, env.log);
  return {
    ...resolved,
    docker_host_network: `container:${kept.dockerId}`,
    advertise_ip: flags['advertise_ip'] ?? kept.ipAddress,
    hostname: flags['hostname'] ?? kept.name,
  };
}

export function agentConfigInputFromFlags(flags: AgentFlags): AgentConfigInput {
  const master = flags['master'];
  if (master === undefined) throw new Error('--master is required (e.g. --master http://127.0.0.1:5050)');
  const optional = (name: string, key: keyof AgentConfigInput): Partial<AgentConfigInput> => {
    const value = flags[name];
    return value === undefined ? {} : { [key]: value };
  };
  return {
    masterUrl: master,
    workDir: flags['work_dir'] ?? '/tmp/meso/agent',
    port: portFlag('port', flags['port'] ?? '5051'),
    ip: flags['ip'] ?? '0.0.0.0',
    ...optional('advertise_ip', 'advertiseIp'),
    ...optional('hostname', 'hostname'),
    ...optional('resources', 'resources'),
    ...optional('attributes', 'attributes'),
    containerizers: flags['containerizers'] ?? 'process',
    ...optional('docker_socket', 'dockerSocket'),
    ...optional('docker_default_image', 'dockerDefaultImage'),
    ...optional('docker_volume_allow_list', 'dockerVolumeAllowList'),
    ...optional('docker_host_network', 'dockerHostNetwork'),
    dockerStopTimeoutMs: durationFlag('docker_stop_timeout', flags['docker_stop_timeout'] ?? '3secs'),
    executorRegistrationTimeoutMs: durationFlag(
      'executor_registration_timeout',
      flags['executor_registration_timeout'] ?? '1mins',
    ),
    executorReregistrationTimeoutMs: durationFlag(
      'executor_reregistration_timeout',
      flags['executor_reregistration_timeout'] ?? '2secs',
    ),
    registrationBackoffMs: Math.max(
      1,
      durationFlag('registration_backoff_factor', flags['registration_backoff_factor'] ?? '1secs'),
    ),
    executorShutdownGracePeriodMs: durationFlag(
      'executor_shutdown_grace_period',
      flags['executor_shutdown_grace_period'] ?? '5secs',
    ),
    statusUpdateRetryMinMs: durationFlag(
      'status_update_retry_interval',
      flags['status_update_retry_interval'] ?? '1secs',
    ),
  };
}

export interface AgentRuntimeEnv {
  readonly clock: Clock;
  readonly log: Logger;
  /** The `DOCKER_HOST` environment variable; `--docker_socket` wins over it. */
  readonly dockerHost: string | undefined;
}

/**
 * The containerizers `--containerizers` names, and the metrics that also record the docker
 * engine's image pulls: what `startAgent` takes besides the config. On a clean stop the agent kills
 * process tasks (they cannot be re-attached) and leaves docker containers for the next agent.
 */
export function agentRuntime(
  config: AgentConfig,
  env: AgentRuntimeEnv,
): { containerizers: Containerizer[]; metrics: AgentInstrumentation } {
  const { clock, log } = env;
  const metrics = new AgentInstrumentation({ clock });
  const containerizers = config.containerizers.map((name): Containerizer => {
    if (name === 'process') {
      return new ProcessContainerizer({
        clock,
        log,
        notesDir: join(config.workDir, 'meta', 'process-containers'),
      });
    }
    const api = new DockerodeApi({ socketPath: config.dockerSocket, dockerHost: env.dockerHost }, log);
    return new DockerContainerizer({
      api: metrics.instrumentDockerApi(api),
      clock,
      log,
      defaultImage: config.dockerDefaultImage,
      volumeAllowList: config.dockerVolumeAllowList,
      hostNetwork: config.dockerHostNetwork,
    });
  });
  return { containerizers, metrics };
}

/** How long `meso local` waits for a Docker engine to answer before it runs tasks as processes. */
const DOCKER_PROBE_TIMEOUT_MS = 2000;

/** `docker,process` when a Docker engine answers at `socketPath`/`dockerHost`, else `process`. */
export async function localContainerizers(
  env: AgentRuntimeEnv & { readonly socketPath?: string },
): Promise<string> {
  // The probe's failure is expected and reported below; the adapter's own warning would be noise.
  const api = new DockerodeApi({ socketPath: env.socketPath, dockerHost: env.dockerHost }, silentLogger);
  let cancel: () => void = () => undefined;
  const timeout = new Promise<never>((_, reject) => {
    cancel = env.clock.after(DOCKER_PROBE_TIMEOUT_MS, () => reject(new Error('no answer')));
  });
  try {
    await Promise.race([api.version(), timeout]);
    return 'docker,process';
  } catch (err) {
    env.log.info('no docker engine answered; tasks run as processes', { err: (err as Error).message });
    return 'process';
  } finally {
    cancel();
  }
}
