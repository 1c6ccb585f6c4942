/**
 * `meso deactivate|drain|reactivate <agent-id>`: Mesos's DEACTIVATE_AGENT, DRAIN_AGENT and
 * REACTIVATE_AGENT, top-level like `meso kill` (`meso agent` runs the agent daemon). Each prints
 * the agent's resulting state (`<id> DEACTIVATED`, `<id> DRAINING`, `<id> ACTIVE`, ...), or with
 * `-o json` the agent as GET_AGENTS returns it.
 */
import type { Command } from 'commander';
import { durationFlag } from '../config/flags.js';
import { clientCommand, commandAction, type CommandContext } from './command-support.js';
import { CliError, EXIT_FAILURE } from './exit-codes.js';
import { AgentsAnswer, type AgentView } from './operator-views.js';
import { writeJson } from './output.js';

export function addAgentCommands(program: Command): void {
  clientCommand(
    program,
    'deactivate <agent-id>',
    "stop offering the agent's resources; its tasks keep running (DEACTIVATE_AGENT)",
  ).action(commandAction((ctx, id: string) => change(ctx, id, 'DEACTIVATE_AGENT', {})));
  clientCommand(program, 'drain <agent-id>', 'deactivate the agent and kill all its tasks (DRAIN_AGENT)')
    .option('--max_grace_period <duration>', "cap on each task's kill grace period, e.g. 30secs")
    .action(
      commandAction((ctx, id: string, flags: { max_grace_period?: string }) => {
        const maxMs =
          flags.max_grace_period === undefined
            ? undefined
            : durationFlag('max_grace_period', flags.max_grace_period);
        return change(ctx, id, 'DRAIN_AGENT', {
          ...(maxMs !== undefined && { max_grace_period: { nanoseconds: maxMs * 1e6 } }),
        });
      }),
    );
  clientCommand(
    program,
    'reactivate <agent-id>',
    'offer the agent again after deactivate or a finished drain (REACTIVATE_AGENT)',
  ).action(commandAction((ctx, id: string) => change(ctx, id, 'REACTIVATE_AGENT', {})));
}

async function change(ctx: CommandContext, id: string, type: string, fields: Record<string, unknown>) {
  await ctx.client.call(type, { [type.toLowerCase()]: { agent_id: { value: id }, ...fields } });
  const answer = await ctx.client.get('GET_AGENTS', AgentsAnswer);
  const agent = answer.agents.find((a) => a.agent_info.id.value === id);
  // The call succeeded; an agent known only from the registry (after a failover) is not listed yet.
  if (agent === undefined)
    throw new CliError(EXIT_FAILURE, `${type} done, but agent '${id}' is not registered`);
  if (ctx.format === 'json') return writeJson(ctx.stdout, agent);
  ctx.stdout.write(`${id} ${stateOf(agent)}\n`);
}

const stateOf = (agent: AgentView): string =>
  agent.drain_info?.state ?? (agent.deactivated ? 'DEACTIVATED' : agent.active ? 'ACTIVE' : 'DISCONNECTED');
