/**
 * `meso weights [set role=weight ...]` and `meso quota [set <role> ... | remove <role>]`: read and
 * change role weights and quota through `GET_WEIGHTS`/`UPDATE_WEIGHTS` and
 * `GET_QUOTA`/`UPDATE_QUOTA`. The master validates the whole request and applies all or nothing.
 */
import type { Command } from 'commander';
import { clientCommand, commandAction, type CommandContext } from './command-support.js';
import { usageError } from './exit-codes.js';
import { QuotaAnswer, WeightsAnswer } from './operator-views.js';
import { formatNumber, formatTable, writeJson } from './output.js';

export function addPolicyCommands(program: Command): void {
  clientCommand(
    program,
    'weights [action] [assignments...]',
    'show role weights, or `set role=weight ...`',
  ).action(commandAction(weights));
  clientCommand(
    program,
    'quota [action] [role]',
    'show quota, or `set <role> --guarantee/--limit`, or `remove <role>`',
  )
    .option('--guarantee <quantities>', 'guaranteed scalars, e.g. cpus=2,mem=4096')
    .option('--limit <quantities>', 'upper bounds, e.g. cpus=8,mem=16384')
    .option('--force', "skip the check that all guarantees fit in the cluster's capacity")
    .action(commandAction(quota));
}

/** `name=number` pairs, separated by commas or given as separate words. */
function parseAssignments(words: readonly string[], what: string): [string, number][] {
  return words
    .flatMap((w) => w.split(','))
    .filter((w) => w.trim() !== '')
    .map((word) => {
      const match = /^([^=\s]+)=(.+)$/.exec(word.trim());
      const value = Number(match?.[2]);
      if (match === null || !Number.isFinite(value))
        throw usageError(`${what}: '${word}' is not of the form name=number`);
      return [match[1] as string, value];
    });
}

async function weights(
  ctx: CommandContext,
  action: string | undefined,
  assignments: string[],
): Promise<void> {
  if (action === 'set') {
    const pairs = parseAssignments(assignments, 'weights set');
    if (pairs.length === 0) throw usageError('weights set: give at least one role=weight');
    await ctx.client.call('UPDATE_WEIGHTS', {
      update_weights: { weight_infos: pairs.map(([role, weight]) => ({ role, weight })) },
    });
  } else if (action !== undefined) {
    throw usageError(`weights: unknown action '${action}'; expected 'set'`);
  }
  const answer = await ctx.client.get('GET_WEIGHTS', WeightsAnswer);
  if (ctx.format === 'json') return writeJson(ctx.stdout, answer.weight_infos);
  ctx.stdout.write(
    formatTable(
      ['ROLE', 'WEIGHT'],
      answer.weight_infos.map((w) => [w.role, formatNumber(w.weight)]),
    ),
  );
}

interface QuotaFlags {
  readonly guarantee?: string;
  readonly limit?: string;
  readonly force?: boolean;
}

const scalarMap = (pairs: [string, number][]): Record<string, { value: number }> =>
  Object.fromEntries(pairs.map(([name, value]) => [name, { value }]));

async function quota(
  ctx: CommandContext,
  action: string | undefined,
  role: string | undefined,
  flags: QuotaFlags,
): Promise<void> {
  if (action === 'set' || action === 'remove') {
    if (role === undefined) throw usageError(`quota ${action}: name the role`);
    const set = action === 'set';
    const guarantees = set ? parseAssignments([flags.guarantee ?? ''], '--guarantee') : [];
    const limits = set ? parseAssignments([flags.limit ?? ''], '--limit') : [];
    if (set && guarantees.length === 0 && limits.length === 0)
      throw usageError('quota set: give --guarantee and/or --limit (use `quota remove` to remove a quota)');
    await ctx.client.call('UPDATE_QUOTA', {
      update_quota: {
        force: flags.force === true,
        quota_configs: [{ role, guarantees: scalarMap(guarantees), limits: scalarMap(limits) }],
      },
    });
  } else if (action !== undefined) {
    throw usageError(`quota: unknown action '${action}'; expected 'set' or 'remove'`);
  }
  const answer = await ctx.client.get('GET_QUOTA', QuotaAnswer);
  const configs = answer.status.configs;
  if (ctx.format === 'json') return writeJson(ctx.stdout, configs);
  const text = (map: Record<string, { value: number }>): string =>
    Object.entries(map)
      .map(([name, { value }]) => `${name}=${formatNumber(value)}`)
      .join(',') || '-';
  ctx.stdout.write(
    formatTable(
      ['ROLE', 'GUARANTEES', 'LIMITS'],
      configs.map((c) => [c.role, text(c.guarantees), text(c.limits)]),
    ),
  );
}
