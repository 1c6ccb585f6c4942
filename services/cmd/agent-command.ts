/** `meso agent`: flags with Mesos's names (and `MESO_*` environment variables) → AgentConfigInput. */
import type { Command } from 'commander';
import { durationFlag, portFlag } from '../config/flags.js';
import type { AgentConfigInput } from '../agent/index.js';
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
    .addOption(flag('--work_dir <dir>', 'sandboxes and checkpoints', '/tmp/meso/agent'))
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
