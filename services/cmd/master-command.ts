/**
 * `meso master`: flags with Mesos's names (and `MESO_*` environment variables) → MasterConfig, and
 * the ZooKeeper coordination (election, detection, registry) for `--zk`.
 */
import { Command, Option } from 'commander';
import { hostname as osHostname } from 'node:os';
import {
  formatZkUrl,
  openZkRegistryStore,
  parseZkUrl,
  startZkMasterDetector,
  zkMasterContender,
  type ZkCoordinationOptions,
  type ZkUrl,
} from '../coordination/index.js';
import { durationFlag, minAllocatableFlag, portFlag, positiveIntFlag } from '../config/flags.js';
import type { Clock } from '../core/clock.js';
import { invalidCall } from '../core/errors.js';
import type { Logger } from '../log/logger.js';
import { decodeMasterRegistry, type MasterCoordination } from '../master/index.js';
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
    .addOption(
      flag(
        '--zk <url>',
        'ZooKeeper for leader election and the registry: zk://[user:password@]host:port[,host:port]/path',
      ),
    )
    .addOption(
      flag(
        '--zk_session_timeout <duration>',
        'ZooKeeper session timeout: how long a dead leader blocks the election',
        '10secs',
      ),
    )
    .addOption(flag('--quorum <n>', "Mesos's replicated-log quorum; accepted and checked, not used"))
    .addOption(flag('--work_dir <dir>', 'accepted for compatibility; the registry is in ZooKeeper or memory'))
    .addOption(
      flag(
        '--agent_reregister_timeout <duration>',
        'how long a new leader waits for known agents to re-register before marking them unreachable',
        '10mins',
      ),
    )
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
  const zk = value('zk');
  const cluster = value('cluster');
  return Object.freeze({
    ip: get('ip'),
    port: portFlag('port', get('port')),
    hostname: value('hostname') ?? osHostname(),
    allocationIntervalMs: durationFlag('allocation_interval', get('allocation_interval')),
    ...(offerTimeout !== undefined && { offerTimeoutMs: durationFlag('offer_timeout', offerTimeout) }),
    agentPingTimeoutMs: durationFlag('agent_ping_timeout', get('agent_ping_timeout')),
    maxAgentPingTimeouts: positiveIntFlag('max_agent_ping_timeouts', get('max_agent_ping_timeouts')),
    agentReregisterTimeoutMs: positiveDurationFlag(
      'agent_reregister_timeout',
      get('agent_reregister_timeout'),
    ),
    heartbeatIntervalMs: MASTER_DEFAULTS.heartbeatIntervalMs,
    minAllocatable: minAllocatableFlag(get('min_allocatable_resources')),
    maxCompletedFrameworks: positiveIntFlag('max_completed_frameworks', get('max_completed_frameworks')),
    maxCompletedTasksPerFramework: positiveIntFlag(
      'max_completed_tasks_per_framework',
      get('max_completed_tasks_per_framework'),
    ),
    defaultRefuseMs: MASTER_DEFAULTS.defaultRefuseMs,
    ...(cluster !== undefined && { cluster }),
    flags: Object.fromEntries(
      Object.entries({ ...flags, ...(zk !== undefined && { zk: formatZkUrl(parseZkUrl(zk)) }) }).filter(
        (e): e is [string, string] => e[1] !== undefined,
      ),
    ),
  });
}

/** ZooKeeper settings of a master started with `--zk`. */
export interface MasterZkSettings {
  readonly url: ZkUrl;
  readonly sessionTimeoutMs: number;
}

/**
 * `--zk` and `--zk_session_timeout`, validated (`undefined` without `--zk`); `--quorum` is checked
 * too, for Mesos command lines: meso's registry lives in ZooKeeper, whose own quorum protects it.
 */
export function zkSettingsFromFlags(flags: MasterFlags): MasterZkSettings | undefined {
  const quorum = flags['quorum'];
  if (quorum !== undefined) positiveIntFlag('quorum', quorum);
  const zk = flags['zk'];
  if (zk === undefined) return undefined;
  return {
    url: parseZkUrl(zk),
    sessionTimeoutMs: positiveDurationFlag('zk_session_timeout', flags['zk_session_timeout'] ?? '10secs'),
  };
}

/**
 * Opens the registry store and the leader detector and creates the contender, each with its own
 * ZooKeeper session. Rejects with a `CoordinationError` naming the URL when no ZooKeeper server
 * answers within the session timeout. The caller closes what it got once the master stopped.
 */
export async function openMasterCoordination(
  settings: MasterZkSettings,
  runtime: { readonly clock: Clock; readonly log: Logger },
): Promise<MasterCoordination & { close(): Promise<void> }> {
  const options: ZkCoordinationOptions = { ...settings, ...runtime };
  const registry = await openZkRegistryStore(options, decodeMasterRegistry);
  try {
    const detector = await startZkMasterDetector(options);
    return {
      contender: zkMasterContender(options),
      detector,
      registry,
      close: async () => {
        await detector.close();
        await registry[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await registry[Symbol.asyncDispose]();
    throw error;
  }
}

function positiveDurationFlag(name: string, value: string): number {
  const ms = durationFlag(name, value);
  if (ms <= 0) throw invalidCall(`--${name} must be longer than 0; received '${value}'`);
  return ms;
}
