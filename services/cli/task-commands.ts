/**
 * `meso task logs <id> [--follow]` and `meso kill <task>`.
 *
 * Logs are read the way the Mesos CLI reads them: from the task's sandbox on its agent
 * (`/files/read`), stdout to stdout and stderr to stderr (`SandboxTail`).
 *
 * Mesos has no operator call to kill another framework's task. `meso kill` uses meso's operator
 * extension `KILL_TASK`: the master kills the task exactly as a KILL from its own scheduler would,
 * and the framework learns of it from the TASK_KILLED update. The alternative, subscribing as the
 * task's framework, would fail the real scheduler over and disconnect it.
 */
import type { Command } from 'commander';
import { durationFlag } from '../config/flags.js';
import type { Clock } from '../core/clock.js';
import { isTerminalState } from '../core/v1/tasks.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { describeError, sleep } from '../scheduler/index.js';
import { lastUpdate } from './cluster-commands.js';
import { clientCommand, commandAction, type CommandContext } from './command-support.js';
import { CliError, EXIT_FAILURE, notFound, usageError } from './exit-codes.js';
import type { OperatorClient } from './operator-client.js';
import { AgentsAnswer, TasksAnswer, type TaskView } from './operator-views.js';
import { writeJson } from './output.js';
import { SandboxTail } from './sandbox-tail.js';
import { EXIT_INTERRUPTED } from './task-exit.js';

/**
 * Real time whose timers keep the process alive (`cliClock`'s do not, so a command waiting on
 * nothing but a timer would simply exit).
 */
const cliClock: Clock = {
  nowMs: () => Date.now(),
  after(delayMs, fn) {
    const timer = setTimeout(fn, delayMs);
    return () => clearTimeout(timer);
  },
};

/** How often `--follow` and `kill` look at the task's state. */
const STATE_POLL_MS = 1000;
/** How often new output is read from the sandbox while following. */
const OUTPUT_POLL_MS = 500;

export function addTaskCommands(program: Command): void {
  const task = program.command('task').description('work with one task');
  clientCommand(task, 'logs <task-id>', "print a task's stdout and stderr from its sandbox")
    .option('-f, --follow', 'keep printing new output until the task ends (Ctrl-C stops)')
    .option('--framework <id>', "the task's framework, when several frameworks use the id")
    .action(commandAction(taskLogs));
  clientCommand(program, 'kill <task-id>', 'kill a task of any framework (meso operator extension KILL_TASK)')
    .option('--framework <id>', "the task's framework, when several frameworks use the id")
    .option('--no-wait', 'return once the kill is requested instead of waiting for the task to end')
    .option('--timeout <duration>', 'how long to wait for the task to end', '30secs')
    .action(commandAction(kill));
}

/**
 * The task with `taskId` (in `frameworkId` when given): the live one if any, else the latest that
 * ended. Throws "not found" (exit 3), or a usage error when several frameworks use the id.
 */
async function findTask(client: OperatorClient, taskId: string, frameworkId?: string): Promise<TaskView> {
  const answer = await client.get('GET_TASKS', TasksAnswer);
  const matches = [...answer.tasks, ...answer.unreachable_tasks, ...answer.completed_tasks].filter(
    (t) => t.task_id.value === taskId && (frameworkId === undefined || t.framework_id.value === frameworkId),
  );
  const frameworks = [...new Set(matches.map((t) => t.framework_id.value))];
  if (frameworks.length > 1)
    throw usageError(
      `task '${taskId}' exists in frameworks ${frameworks.join(', ')}; choose one with --framework`,
    );
  const live = matches.find((t) => !isTerminalState(t.state));
  const found = live ?? matches.sort((a, b) => lastUpdate(b) - lastUpdate(a))[0];
  if (found === undefined)
    throw notFound(`no task '${taskId}'${frameworkId === undefined ? '' : ` in framework '${frameworkId}'`}`);
  return found;
}

/** `http://10.0.0.3:5051` from an agent's pid `slave(1)@10.0.0.3:5051`. */
async function agentUrlOf(client: OperatorClient, agentId: string): Promise<string> {
  const answer = await client.get('GET_AGENTS', AgentsAnswer);
  const agent = [...answer.agents, ...answer.unreachable_agents].find(
    (a) => a.agent_info.id.value === agentId,
  );
  const address = /@(.+):(\d+)$/.exec(agent?.pid ?? '');
  if (agent === undefined || address === null)
    throw new CliError(
      EXIT_FAILURE,
      `agent '${agentId}' is no longer known to the master; its sandbox cannot be read`,
    );
  return `http://${address[1]}:${address[2]}`;
}

/** Reports only what the user should know: output that could not be copied. */
function stderrLogger(ctx: CommandContext): Logger {
  return {
    ...silentLogger,
    warn: (message, fields) =>
      ctx.stderr.write(`meso: ${message}${fields?.['err'] ? `: ${String(fields['err'])}` : ''}\n`),
    child: () => stderrLogger(ctx),
  };
}

async function taskLogs(
  ctx: CommandContext,
  taskId: string,
  flags: { follow?: boolean; framework?: string },
): Promise<number> {
  const task = await findTask(ctx.client, taskId, flags.framework);
  const tail = new SandboxTail({
    agentUrl: await agentUrlOf(ctx.client, task.agent_id.value),
    frameworkId: task.framework_id.value,
    taskId,
    stdout: ctx.stdout,
    stderr: ctx.stderr,
    clock: cliClock,
    pollIntervalMs: OUTPUT_POLL_MS,
    log: stderrLogger(ctx),
  });
  if (flags.follow !== true || isTerminalState(task.state)) {
    await tail.finish();
    return 0;
  }
  const interrupted = new AbortController();
  const onSigint = (): void => interrupted.abort();
  process.once('SIGINT', onSigint);
  tail.start();
  try {
    await waitForEnd(ctx.client, task, interrupted.signal);
  } finally {
    process.off('SIGINT', onSigint);
    await tail.finish();
  }
  return interrupted.signal.aborted ? EXIT_INTERRUPTED : 0;
}

/** Polls until the task reaches a terminal state; returns it, or `undefined` when `signal` aborts first. */
async function waitForEnd(
  client: OperatorClient,
  task: TaskView,
  signal: AbortSignal,
): Promise<TaskView | undefined> {
  while (!signal.aborted) {
    await sleep(cliClock, STATE_POLL_MS, signal);
    if (signal.aborted) break;
    const now = await findTask(client, task.task_id.value, task.framework_id.value).catch((err: unknown) => {
      if (err instanceof CliError && err.exitCode !== EXIT_FAILURE) throw err;
      return undefined; // the master may be failing over: try again
    });
    if (now !== undefined && isTerminalState(now.state)) return now;
  }
  return undefined;
}

async function kill(
  ctx: CommandContext,
  taskId: string,
  flags: { framework?: string; wait: boolean; timeout: string },
): Promise<number> {
  const timeoutMs = durationFlag('timeout', flags.timeout);
  const task = await findTask(ctx.client, taskId, flags.framework);
  await ctx.client.call('KILL_TASK', {
    kill_task: { task_id: task.task_id, framework_id: task.framework_id },
  });
  if (!flags.wait) {
    ctx.stderr.write(`meso: kill of task ${taskId} requested\n`);
    return 0;
  }
  const ended = await waitForEnd(ctx.client, task, AbortSignal.timeout(timeoutMs)).catch((err: unknown) => {
    throw new CliError(EXIT_FAILURE, `kill of task ${taskId} requested; ${describeError(err)}`);
  });
  if (ended === undefined)
    throw new CliError(
      EXIT_FAILURE,
      `kill of task ${taskId} requested, but it has not ended after ${flags.timeout}`,
    );
  if (ctx.format === 'json') writeJson(ctx.stdout, ended);
  else ctx.stdout.write(`${taskId} ${ended.state}\n`);
  return 0;
}
