/** `meso master`: flags with Mesos's names (and `MESO_*` environment variables) → MasterConfig. */
import { Command, Option } from 'commander';
import { hostname as osHostname } from 'node:os';
import { durationFlag, minAllocatableFlag, portFlag, positiveIntFlag } from '../config/flags.js';
import { MASTER_DEFAULTS, type MasterConfig } from '../master/master-config.js';

/** A flag whose value may also come from `MESO_<NAME>` in the environment. */
export const flag = (spec: string, description: string, defaultValue?: string): Option => {
  const name = /--([a-z0-9_]+)/.exec(spec)?.[1] ?? '';
  const option = new Option(spec, description).env(`MESO_${name.toUpperCase()}`);
  return defaultValue === undefined ? option : option.default(defaultValue);
};

export function addMasterFlags(command: Command): Command {
  return command
    .addOption(flag('--ip <ip>', 'IP address advertised to agents and frameworks', '127.0.0.1'))
    .addOption(flag('--port <port>', 'port to listen on', String(MASTER_DEFAULTS.port)))
    .addOption(flag('--hostname <name>', 'hostname advertised in MasterInfo (default: this host)'))
    .addOption(flag('--listen <host>', 'interface to bind', '0.0.0.0'))
    .addOption(flag('--zk <url>', 'ZooKeeper URL for leader election, zk://host:port[,host:port]/path'))
    .addOption(flag('--zk_session_timeout <duration>', 'ZooKeeper session timeout', '10secs'))
    .addOption(flag('--quorum <n>', 'size of the master quorum (for the registry)'))
    .addOption(flag('--work_dir <dir>', 'directory for the master registry in standalone mode'))
    .addOption(flag('--allocation_interval <duration>', 'period of batch allocation', '1secs'))
    .addOption(
      flag('--offer_timeout <duration>', 'rescind offers not answered within this time (default: never)'),
    )
    .addOption(flag('--agent_ping_timeout <duration>', 'expected interval between agent pings', '15secs'))
    .addOption(flag('--max_agent_ping_timeouts <n>', 'missed pings before an agent is unreachable', '5'))
    .addOption(flag('--min_allocatable_resources <spec>', 'smallest offerable chunk', 'cpus:0.01|mem:32'))
    .addOption(flag('--max_completed_frameworks <n>', 'completed frameworks kept', '50'))
    .addOption(flag('--max_completed_tasks_per_framework <n>', 'completed tasks kept per framework', '1000'))
    .addOption(flag('--cluster <name>', 'human-readable cluster name'))
    .addOption(flag('--log_level <level>', 'debug, info, warn or error', 'info'));
}

export type MasterFlags = Record<string, string | undefined>;

export function masterConfigFromFlags(flags: MasterFlags): MasterConfig {
  const value = (name: string): string | undefined => flags[name];
  const get = (name: string): string => {
    const v = value(name);
    if (v === undefined) throw new Error(`--${name} is required`);
    return v;
  };
  const offerTimeout = value('offer_timeout');
  const cluster = value('cluster');
  return Object.freeze({
    ip: get('ip'),
    port: portFlag('port', get('port')),
    hostname: value('hostname') ?? osHostname(),
    allocationIntervalMs: durationFlag('allocation_interval', get('allocation_interval')),
    ...(offerTimeout !== undefined && { offerTimeoutMs: durationFlag('offer_timeout', offerTimeout) }),
    agentPingTimeoutMs: durationFlag('agent_ping_timeout', get('agent_ping_timeout')),
    maxAgentPingTimeouts: positiveIntFlag('max_agent_ping_timeouts', get('max_agent_ping_timeouts')),
    heartbeatIntervalMs: MASTER_DEFAULTS.heartbeatIntervalMs,
    minAllocatable: minAllocatableFlag(get('min_allocatable_resources')),
    maxCompletedFrameworks: positiveIntFlag('max_completed_frameworks', get('max_completed_frameworks')),
    maxCompletedTasksPerFramework: positiveIntFlag(
      'max_completed_tasks_per_framework',
      get('max_completed_tasks_per_framework'),
    ),
    defaultRefuseMs: MASTER_DEFAULTS.defaultRefuseMs,
    ...(cluster !== undefined && { cluster }),
    flags: Object.fromEntries(Object.entries(flags).filter((e): e is [string, string] => e[1] !== undefined)),
  });
}
