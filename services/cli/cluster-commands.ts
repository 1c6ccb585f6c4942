/**
 * `meso cluster`, `meso agents`, `meso frameworks` and `meso tasks`: read-only views of the
 * cluster, each from one operator API snapshot (`GET_STATE`), as a table or as JSON.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { Resources } from '../core/resources.js';
import { TASK_STATES, type TaskState } from '../core/v1/tasks.js';
import { clientCommand, commandAction, type CommandContext } from './command-support.js';
import { usageError } from './exit-codes.js';
import {
  AgentsAnswer,
  type AgentView,
  FrameworksAnswer,
  type FrameworkView,
  frameworkRoles,
  MasterAnswer,
  TasksAnswer,
  type TaskView,
} from './operator-views.js';
import {
  formatAge,
  formatMem,
  formatNumber,
  formatPercent,
  formatTable,
  formatTime,
  writeJson,
} from './output.js';

const StateAnswer = z.looseObject({
  get_tasks: TasksAnswer,
  get_frameworks: FrameworksAnswer,
  get_agents: AgentsAnswer,
});
type State = z.infer<typeof StateAnswer>;

const allTasks = (state: State): TaskView[] => [
  ...state.get_tasks.tasks,
  ...state.get_tasks.unreachable_tasks,
  ...state.get_tasks.completed_tasks,
];

const SUMMED = ['cpus', 'mem', 'disk', 'gpus'] as const;

export function addClusterCommands(program: Command): void {
  clientCommand(
    program,
    'cluster',
    'the leading master, agents, frameworks, tasks and resources at a glance',
  ).action(commandAction(cluster));
  clientCommand(
    program,
    'agents',
    'agents with their resources, attributes and tasks (unreachable ones too)',
  ).action(commandAction(agents));
  clientCommand(program, 'frameworks', 'frameworks with their roles, shares, tasks and offers')
    .option('--all', 'include completed frameworks')
    .action(commandAction(frameworks));
  clientCommand(program, 'tasks', 'tasks, newest first; active ones unless --all or --state is given')
    .option('--state <states>', `only these states, comma-separated (e.g. running,failed)`)
    .option('--framework <id>', 'only tasks of this framework')
    .option('--agent <id>', 'only tasks on this agent')
    .option('--all', 'include completed tasks')
    .action(commandAction(tasks));
}

async function cluster(ctx: CommandContext): Promise<void> {
  const [master, state] = await Promise.all([
    ctx.client.get('GET_MASTER', MasterAnswer),
    ctx.client.get('GET_STATE', StateAnswer),
  ]);
  const agentsUp = state.get_agents.agents;
  const sum = (pick: (a: AgentView) => AgentView['total_resources']): Resources =>
    agentsUp.reduce((total, a) => total.plus(Resources.fromV1(pick(a))), Resources.EMPTY);
  const [total, used, offered] = [
    sum((a) => a.total_resources),
    sum((a) => a.allocated_resources),
    sum((a) => a.offered_resources),
  ];
  const taskCounts: Partial<Record<TaskState, number>> = {};
  for (const task of allTasks(state)) taskCounts[task.state] = (taskCounts[task.state] ?? 0) + 1;
  const summary = {
    master: master,
    agents: {
      active: agentsUp.filter((a) => a.active).length,
      unreachable: state.get_agents.unreachable_agents.length,
    },
    frameworks: {
      active: state.get_frameworks.frameworks.filter((f) => f.active).length,
      inactive: state.get_frameworks.frameworks.filter((f) => !f.active).length,
      completed: state.get_frameworks.completed_frameworks.length,
    },
    tasks: taskCounts,
    resources: Object.fromEntries(
      SUMMED.map((name) => [
        name,
        { total: total.scalar(name), used: used.scalar(name), offered: offered.scalar(name) },
      ]),
    ),
  };
  if (ctx.format === 'json') return writeJson(ctx.stdout, summary);
  const info = master.master_info;
  const uptime = Date.now() / 1000 - master.start_time;
  const rows: [string, string][] = [
    ['Leader', `${info.hostname}:${info.port} (${info.address?.ip ?? ''}) id ${info.id}`],
    [
      'Version',
      `${info.version}, up ${formatAge(uptime)}, elected ${formatTime(master.elected_time ?? master.start_time)}`,
    ],
    ['Agents', `${summary.agents.active} active, ${summary.agents.unreachable} unreachable`],
    [
      'Frameworks',
      `${summary.frameworks.active} active, ${summary.frameworks.inactive} inactive, ${summary.frameworks.completed} completed`,
    ],
    [
      'Tasks',
      Object.entries(taskCounts)
        .map(([s, n]) => `${n} ${s.replace('TASK_', '').toLowerCase()}`)
        .join(', ') || 'none',
    ],
    ...SUMMED.filter((name) => total.scalar(name) > 0).map((name): [string, string] => {
      const show = name === 'mem' || name === 'disk' ? formatMem : formatNumber;
      const fraction = used.scalar(name) / total.scalar(name);
      return [
        name,
        `${show(used.scalar(name))} of ${show(total.scalar(name))} used (${formatPercent(fraction)}), ${show(offered.scalar(name))} offered`,
      ];
    }),
  ];
  ctx.stdout.write(rows.map(([k, v]) => `${`${k}:`.padEnd(12)}${v}\n`).join(''));
}

async function agents(ctx: CommandContext): Promise<void> {
  const state = await ctx.client.get('GET_STATE', StateAnswer);
  const list = [...state.get_agents.agents, ...state.get_agents.unreachable_agents];
  if (ctx.format === 'json') return writeJson(ctx.stdout, list);
  const liveTasks = [...state.get_tasks.tasks, ...state.get_tasks.unreachable_tasks];
  const rows = list.map((agent) => {
    const total = Resources.fromV1(agent.total_resources);
    const used = Resources.fromV1(agent.allocated_resources);
    const id = agent.agent_info.id.value;
    const usage = (name: string, show: (n: number) => string): string =>
      `${show(used.scalar(name))}/${show(total.scalar(name))}`;
    return [
      id,
      agent.agent_info.hostname,
      agentStatus(agent),
      usage('cpus', formatNumber),
      usage('mem', formatMem),
      usage('disk', formatMem),
      String(liveTasks.filter((t) => t.agent_id.value === id).length),
      agent.agent_info.attributes.map(attributeText).join(','),
    ];
  });
  ctx.stdout.write(
    formatTable(['ID', 'HOSTNAME', 'STATE', 'CPUS', 'MEM', 'DISK', 'TASKS', 'ATTRIBUTES'], rows),
  );
}

/** Unreachable first; then an operator's drain or deactivation (DRAINING, DRAINED, deactivated). */
function agentStatus(agent: AgentView): string {
  if (agent.unreachable_time !== undefined) return 'unreachable';
  if (agent.drain_info !== undefined) return agent.drain_info.state.toLowerCase();
  if (agent.deactivated) return 'deactivated';
  return agent.active ? 'active' : 'inactive';
}

function attributeText(attribute: AgentView['agent_info']['attributes'][number]): string {
  const value = attribute['scalar'] ?? attribute['text'] ?? attribute['ranges'] ?? attribute['set'];
  const inner = typeof value === 'object' && value !== null ? Object.values(value)[0] : value;
  return `${attribute.name}=${typeof inner === 'object' ? JSON.stringify(inner) : String(inner)}`;
}

async function frameworks(ctx: CommandContext, flags: { all?: boolean }): Promise<void> {
  const state = await ctx.client.get('GET_STATE', StateAnswer);
  const completed = flags.all === true ? state.get_frameworks.completed_frameworks : [];
  const list = [...state.get_frameworks.frameworks, ...completed];
  if (ctx.format === 'json') return writeJson(ctx.stdout, list);
  const liveTasks = [...state.get_tasks.tasks, ...state.get_tasks.unreachable_tasks];
  const status = (fw: FrameworkView): string =>
    completed.includes(fw)
      ? 'completed'
      : fw.active
        ? fw.connected
          ? 'active'
          : 'disconnected'
        : 'inactive';
  const rows = list.map((fw) => {
    const used = Resources.fromV1(fw.allocated_resources);
    const id = fw.framework_info.id.value;
    const share = Math.max(0, ...fw.dominant_shares.map((s) => s.share));
    return [
      id,
      fw.framework_info.name,
      frameworkRoles(fw).join(','),
      status(fw),
      String(liveTasks.filter((t) => t.framework_id.value === id).length),
      formatNumber(used.scalar('cpus')),
      formatMem(used.scalar('mem')),
      String(fw.offer_stats?.outstanding ?? 0),
      String(fw.offer_stats?.declined ?? 0),
      formatPercent(share),
    ];
  });
  const headers = ['ID', 'NAME', 'ROLES', 'STATE', 'TASKS', 'CPUS', 'MEM', 'OFFERS', 'DECLINED', 'SHARE'];
  ctx.stdout.write(formatTable(headers, rows));
}

interface TaskFlags {
  readonly state?: string;
  readonly framework?: string;
  readonly agent?: string;
  readonly all?: boolean;
}

/** `running,TASK_FAILED` → `['TASK_RUNNING', 'TASK_FAILED']`; an unknown state is a usage error. */
function parseStates(text: string): TaskState[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      const state = (
        s.toUpperCase().startsWith('TASK_') ? s.toUpperCase() : `TASK_${s.toUpperCase()}`
      ) as TaskState;
      if (!TASK_STATES.includes(state))
        throw usageError(`--state: unknown task state '${s}'; expected one of ${TASK_STATES.join(', ')}`);
      return state;
    });
}

/** Time of a task's latest status, seconds since the epoch (0 when it has none). */
export const lastUpdate = (task: TaskView): number => task.statuses.at(-1)?.timestamp ?? 0;

async function tasks(ctx: CommandContext, flags: TaskFlags): Promise<void> {
  const states = flags.state === undefined ? undefined : parseStates(flags.state);
  const state = await ctx.client.get('GET_STATE', StateAnswer);
  const candidates =
    flags.all === true || states !== undefined
      ? allTasks(state)
      : [...state.get_tasks.tasks, ...state.get_tasks.unreachable_tasks];
  const list = candidates
    .filter(
      (t) =>
        (states === undefined || states.includes(t.state)) &&
        (flags.framework === undefined || t.framework_id.value === flags.framework) &&
        (flags.agent === undefined || t.agent_id.value === flags.agent),
    )
    .sort((a, b) => lastUpdate(b) - lastUpdate(a));
  if (ctx.format === 'json') return writeJson(ctx.stdout, list);
  const hostnames = new Map(
    [...state.get_agents.agents, ...state.get_agents.unreachable_agents].map((a) => [
      a.agent_info.id.value,
      a.agent_info.hostname,
    ]),
  );
  const now = Date.now() / 1000;
  const rows = list.map((t) => {
    const resources = Resources.fromV1(t.resources);
    return [
      t.task_id.value,
      t.name,
      t.state,
      t.framework_id.value,
      hostnames.get(t.agent_id.value) ?? t.agent_id.value,
      formatNumber(resources.scalar('cpus')),
      formatMem(resources.scalar('mem')),
      lastUpdate(t) === 0 ? '-' : `${formatAge(now - lastUpdate(t))} ago`,
    ];
  });
  ctx.stdout.write(formatTable(['ID', 'NAME', 'STATE', 'FRAMEWORK', 'HOST', 'CPUS', 'MEM', 'UPDATED'], rows));
}
