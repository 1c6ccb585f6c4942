#!/usr/bin/env node
/**
 * The `meso` command: the composition root. Only here are concrete implementations chosen and
 * wired (allocator, containerizers, leader election), flags parsed, and signals handled.
 */
import { Command } from 'commander';
import { systemClock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import { MESO_RELEASE } from '../core/version.js';
import { createLogger, type LogLevel } from '../log/logger.js';
import { startMaster } from '../master/index.js';
import { loadAgentConfig, ProcessContainerizer, startAgent } from '../agent/index.js';
import { addAgentFlags, agentConfigInputFromFlags, type AgentFlags } from './agent-command.js';
import { addMasterFlags, masterConfigFromFlags, type MasterFlags } from './master-command.js';

const program = new Command('meso')
  .description('Apache Mesos rebuilt in TypeScript: a two-level cluster manager')
  .version(MESO_RELEASE);

addMasterFlags(program.command('master').description('run a master (standalone, or contending through --zk)')).action(
  async (flags: MasterFlags) => {
    const config = masterConfigFromFlags(flags);
    const log = createLogger((flags['log_level'] ?? 'info') as LogLevel, { role: 'master' });
    const daemon = await startMaster(config, { clock: systemClock, log, listenHost: flags['listen'] ?? '0.0.0.0' });
    console.log(`meso master listening at ${daemon.url}`);
    stopOnSignals(() => daemon.stop());
  },
);

addAgentFlags(program.command('agent').description('run an agent that registers with --master')).action(
  async (flags: AgentFlags) => {
    const log = createLogger((flags['log_level'] ?? 'info') as LogLevel, { role: 'agent' });
    const config = await loadAgentConfig(agentConfigInputFromFlags(flags));
    const agent = await startAgent(config, {
      clock: systemClock,
      log,
      containerizers: [new ProcessContainerizer({ clock: systemClock, log })],
    });
    console.log(`meso agent listening at ${agent.url}, resources ${config.resources.toString()}`);
    stopOnSignals(() => agent.stop());
    await agent.stopped;
  },
);

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

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`meso: ${err instanceof MesoError || err instanceof Error ? err.message : String(err)}`);
  process.exit(err instanceof MesoError && err.code === 'INVALID_CALL' ? 2 : 1);
});
