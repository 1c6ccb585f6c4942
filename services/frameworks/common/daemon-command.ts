/**
 * The command line of a framework scheduler daemon (`meso services`, `meso jobs`): flags with
 * Mesos-style names, each also read from `MESO_<NAME>`, parsed once into a frozen `DaemonConfig`.
 * This is a composition root: it picks the system clock and the JSON logger, handles signals and
 * sets the exit code.
 */
import { Command, Option } from 'commander';
import { hostname as osHostname } from 'node:os';
import { durationFlag, portFlag } from '../../config/flags.js';
import { systemClock } from '../../core/clock.js';
import { invalidCall } from '../../core/errors.js';
import { createLogger, type LogLevel } from '../../log/logger.js';
import { type DaemonConfig, type FrameworkDaemonDefinition, startFrameworkDaemon } from './daemon.js';

interface FlagSpec {
  readonly spec: string;
  readonly help: string;
  readonly defaultValue?: string;
}

const flagsOf = (defaults: { port: number; frameworkName: string }): readonly FlagSpec[] => [
  { spec: '--master <url>', help: 'the master: http://host:5050 or zk://host:2181/mesos' },
  {
    spec: '--zk <url>',
    help: 'state and leader election among instances: zk://host:2181/path (in memory when absent)',
  },
  { spec: '--zk_session_timeout <duration>', help: 'ZooKeeper session timeout', defaultValue: '10secs' },
  { spec: '--port <port>', help: 'REST API port', defaultValue: String(defaults.port) },
  { spec: '--listen <host>', help: 'interface the REST API binds', defaultValue: '0.0.0.0' },
  {
    spec: '--hostname <host>',
    help: 'host other instances and clients reach this one at (default: this host)',
  },
  { spec: '--framework_name <name>', help: 'FrameworkInfo.name', defaultValue: defaults.frameworkName },
  { spec: '--user <user>', help: 'FrameworkInfo.user: the user tasks run as', defaultValue: 'root' },
  { spec: '--role <role>', help: 'the role the framework subscribes with', defaultValue: '*' },
  {
    spec: '--failover_timeout <duration>',
    help: 'how long the master keeps tasks of a disconnected scheduler',
    defaultValue: '1weeks',
  },
  { spec: '--log_level <level>', help: 'debug, info, warn or error', defaultValue: 'info' },
];

type Flags = Readonly<Record<string, string | undefined>>;

export function daemonConfigFromFlags(flags: Flags): DaemonConfig {
  const get = (name: string): string => {
    const value = flags[name];
    if (value === undefined) throw invalidCall(`--${name} is required`);
    return value;
  };
  return Object.freeze({
    master: get('master'),
    zk: flags['zk'],
    zkSessionTimeoutMs: durationFlag('zk_session_timeout', get('zk_session_timeout')),
    port: portFlag('port', get('port')),
    listenHost: get('listen'),
    advertiseHost: flags['hostname'] ?? osHostname(),
    frameworkName: get('framework_name'),
    frameworkUser: get('user'),
    role: get('role'),
    failoverTimeoutSeconds: durationFlag('failover_timeout', get('failover_timeout')) / 1000,
  });
}

/**
 * `meso <name>`: runs one scheduler instance until SIGINT/SIGTERM (exit 0) or until it stops
 * leading or the master removes the framework (exit 1, for a supervisor to restart it).
 */
export function frameworkDaemonCommand<S extends { readonly frameworkId?: string }>(options: {
  readonly name: string;
  readonly description: string;
  readonly defaults: { readonly port: number; readonly frameworkName: string };
  readonly definition: FrameworkDaemonDefinition<S>;
}): Command {
  const command = new Command(options.name).description(options.description);
  for (const f of flagsOf(options.defaults)) {
    const name = /--([a-z0-9_]+)/.exec(f.spec)?.[1] ?? '';
    const option = new Option(f.spec, f.help).env(`MESO_${name.toUpperCase()}`);
    command.addOption(f.defaultValue === undefined ? option : option.default(f.defaultValue));
  }
  return command.action(async (flags: Flags) => {
    const config = daemonConfigFromFlags(flags);
    const log = createLogger((flags['log_level'] ?? 'info') as LogLevel, { role: options.name });
    const daemon = await startFrameworkDaemon(config, options.definition, { clock: systemClock, log });
    log.info('scheduler daemon started', { port: daemon.port, master: config.master, zk: config.zk });
    let signalled = false;
    const onSignal = (): void => {
      if (signalled) process.exit(1);
      signalled = true;
      void daemon.stop();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const end = await daemon.ended;
    await daemon.stop();
    process.exit(end === 'stopped' ? 0 : 1);
  });
}
