#!/usr/bin/env node
/**
 * The `meso` command: the composition root. Only here are concrete implementations chosen and
 * wired (allocator, containerizers, leader election), flags parsed, and signals handled.
 */
import { Command } from 'commander';
import { parseZkUrl } from '../coordination/index.js';
import { durationFlag, hostPortFlag, portFlag } from '../config/flags.js';
import { systemClock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import { MESO_RELEASE } from '../core/version.js';
import { createLogger, silentLogger, type LogLevel } from '../log/logger.js';
import { startMaster } from '../master/index.js';
import { startTcpForwarder } from '../transport/tcp-forward.js';
import { loadAgentConfig, startAgent } from '../agent/index.js';
import {
  addAgentFlags,
  agentConfigInputFromFlags,
  agentRuntime,
  localContainerizers,
  withContainerFlags,
  type AgentFlags,
} from './agent-command.js';
import { addRunFlags, runOptionsFromFlags, type RunFlags } from '../cli/run-flags.js';
import { runOneOff } from '../cli/run.js';
import { jobsCommand } from '../frameworks/jobs/command.js';
import { servicesCommand } from '../frameworks/services/command.js';
import { addOperatorCommands } from '../cli/operator-commands.js';
import {
  addMasterFlags,
  flag,
  masterConfigFromFlags,
  openMasterCoordination,
  zkSettingsFromFlags,
  type MasterFlags,
} from './master-command.js';
import { agentMasterDetection, currentLeaderUrl } from './master-detection.js';

/**
 * Exit statuses: 1 a failure (e.g. no ZooKeeper server answered at start-up), 2 a usage error (a
 * bad flag), 3 a master that stopped leading and exited so that its supervisor restarts it as a
 * standby (see docs/high-availability.md).
 */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;
const EXIT_DEPOSED = 3;

const program = new Command('meso')
  .description('Apache Mesos rebuilt in TypeScript: a two-level cluster manager')
  .version(MESO_RELEASE);

addMasterFlags(
  program.command('master').description('run a master (standalone, or contending through --zk)'),
).action(async (flags: MasterFlags) => {
  const config = masterConfigFromFlags(flags);
  const zk = zkSettingsFromFlags(flags);
  const log = createLogger((flags['log_level'] ?? 'info') as LogLevel, { role: 'master' });
  const coordination =
    zk === undefined ? undefined : await openMasterCoordination(zk, { clock: systemClock, log });
  const daemon = await startMaster(config, {
    clock: systemClock,
    log,
    listenHost: flags['listen'] ?? '0.0.0.0',
    ...(coordination !== undefined && { coordination }),
    // Mesos's choice: a master that stopped leading exits, and its supervisor restarts it as a
    // fresh standby, so no stale state or timer of its reign can ever act again.
    onDeposed: (reason) => {
      console.error(`meso: this master stopped leading (${reason}); exiting to restart as a standby`);
      process.exit(EXIT_DEPOSED);
    },
  }).catch(async (err: unknown) => {
    await coordination?.close();
    throw err;
  });
  console.log(
    `meso master listening at ${daemon.url}${zk === undefined ? '' : ' (contending through ZooKeeper)'}`,
  );
  stopOnSignals(async () => {
    await daemon.stop();
    await coordination?.close();
  });
});

addRunFlags(
  program.command('run').description('run a one-off task; prints its output and exits with its status'),
).action(async (command: string[], flags: RunFlags) => {
  const aborted = new AbortController();
  process.once('SIGINT', () => aborted.abort());
  const master = flags.master?.startsWith('zk://')
    ? await currentLeaderUrl({ url: parseZkUrl(flags.master), clock: systemClock, log: silentLogger })
    : flags.master;
  process.exitCode = await runOneOff(runOptionsFromFlags({ ...flags, master }, command), {
    signal: aborted.signal,
  });
});

program
  .command('local')
  .description('run a master on :5050 and an agent on :5051 in this process (the embedded default)')
  .addOption(flag('--port <port>', 'master port', '5050'))
  .addOption(flag('--agent_port <port>', 'agent port', '5051'))
  .addOption(flag('--work_dir <dir>', 'agent work directory', '/tmp/meso/local'))
  .addOption(flag('--resources <spec>', 'agent resources (detected when absent)'))
  .addOption(flag('--log_level <level>', 'debug, info, warn or error', 'warn'))
  .option('--run <command>', 'once the cluster is up, run this command as a task and print its output')
  .action(async (flags: Record<string, string | undefined>) => {
    const log = createLogger((flags['log_level'] ?? 'warn') as LogLevel, { role: 'local' });
    const masterConfig = masterConfigFromFlags({
      ...defaultsOf(addMasterFlags(new Command())),
      port: flags['port'],
    });
    const master = await startMaster(masterConfig, { clock: systemClock, log, listenHost: '127.0.0.1' });
    const agentConfig = await loadAgentConfig(
      agentConfigInputFromFlags({
        ...defaultsOf(addAgentFlags(new Command())),
        master: master.url,
        port: flags['agent_port'],
        ip: '127.0.0.1',
        work_dir: flags['work_dir'],
        resources: flags['resources'],
        containerizers: await localContainerizers({
          clock: systemClock,
          log,
          dockerHost: process.env.DOCKER_HOST,
        }),
      }),
    );
    const agent = await startAgent(agentConfig, {
      clock: systemClock,
      log,
      ...agentRuntime(agentConfig, { clock: systemClock, log, dockerHost: process.env.DOCKER_HOST }),
    });
    console.log(
      `meso local: master ${master.url}  agent ${agent.url}  (resources ${agentConfig.resources.toString()})`,
    );
    console.log(`  state:  curl ${master.url}/master/state`);
    console.log(`  a task: npx meso run --master ${master.url} -- 'echo hello'`);
    const stopBoth = async (): Promise<void> => {
      await agent.stop();
      await master.stop();
    };
    stopOnSignals(stopBoth);
    const demo = flags['run'];
    if (demo !== undefined) {
      console.log(`\n$ meso run -- ${demo}`);
      const code = await runOneOff(runOptionsFromFlags({ master: master.url }, [demo]));
      console.log(`(exit status ${code}; the cluster keeps running, Ctrl-C stops it)`);
    }
  });

addAgentFlags(program.command('agent').description('run an agent that registers with --master')).action(
  async (flags: AgentFlags) => {
    const log = createLogger((flags['log_level'] ?? 'info') as LogLevel, { role: 'agent' });
    const resolved = await withContainerFlags(flags, { log, dockerHost: process.env.DOCKER_HOST });
    const config = await loadAgentConfig(agentConfigInputFromFlags(resolved));
    const detection = await agentMasterDetection(config.masterUrl, {
      sessionTimeoutMs: durationFlag('zk_session_timeout', flags['zk_session_timeout'] ?? '10secs'),
      jitterMs: config.registrationBackoffMs,
      random: Math.random,
      clock: systemClock,
      log,
    });
    const agent = await startAgent(config, {
      clock: systemClock,
      log,
      ...agentRuntime(config, {
        clock: systemClock,
        log,
        dockerHost: process.env.DOCKER_HOST,
      }),
      ...(detection.detectMaster !== undefined && { detectMaster: detection.detectMaster }),
    }).catch(async (err: unknown) => {
      await detection.close();
      throw err;
    });
    console.log(`meso agent listening at ${agent.url}, resources ${config.resources.toString()}`);
    // The agent's registration loop may be waiting on the detector: close it as the agent stops.
    const stopBoth = async (): Promise<void> => {
      const stopped = agent.stop();
      await detection.close();
      await stopped;
    };
    stopOnSignals(stopBoth);
    await agent.stopped;
    await detection.close();
  },
);

program
  .command('network-keeper')
  .description(
    "hold the network namespace of an agent's HOST tasks and forward the agent's port (started by `meso agent --docker_host_network keeper`)",
  )
  .requiredOption('--to <host:port>', 'the agent container, by name')
  .option('--port <port>', 'port to listen on and forward', '5051')
  .action(async (flags: { to: string; port: string }) => {
    const log = createLogger('info', { role: 'network-keeper' });
    const target = hostPortFlag('to', flags.to);
    const forwarder = await startTcpForwarder({
      listenHost: '0.0.0.0',
      listenPort: portFlag('port', flags.port),
      targetHost: target.host,
      targetPort: target.port,
      log,
    });
    console.log(`meso network-keeper forwarding port ${forwarder.port} to ${flags.to}`);
    stopOnSignals(() => forwarder.close());
  });

addOperatorCommands(program);

/** The default value of every option of `command`, keyed by flag name. */
function defaultsOf(command: Command): Record<string, string | undefined> {
  return Object.fromEntries(
    command.options.map((o) => [o.attributeName(), o.defaultValue as string | undefined]),
  );
}

/** Stops gracefully on SIGINT/SIGTERM; a second signal exits at once. */
function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) process.exit(1);
    stopping = true;
    void stop().finally(() => process.exit(0));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

program.addCommand(servicesCommand());
program.addCommand(jobsCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`meso: ${err instanceof MesoError || err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof MesoError && err.code === 'INVALID_CALL' ? EXIT_USAGE : EXIT_FAILURE);
});
