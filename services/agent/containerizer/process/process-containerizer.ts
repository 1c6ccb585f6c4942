/**
 * Runs a task's `CommandInfo` as a plain child process in its sandbox: no image, no isolation, no
 * resource enforcement (limits are reported, not applied). For development and tests without
 * Docker, like Mesos's containerizer without isolators.
 *
 * Each task is the leader of its own process group, so a kill reaches everything it started, and
 * when the leader exits whatever it left behind in its group is killed too (Mesos destroys the
 * whole container when the executor exits).
 *
 * NOTE: process tasks do not survive an agent restart. Children are started detached, so they
 * outlive an agent that crashes, but `recover` cannot re-attach to them (a child's exit status is
 * only observable by its parent): it reports every known container as lost. So that nothing keeps
 * running unaccounted for, each container is noted in `notesDir` (its group leader's pid and start
 * time) while it runs, and `recover` kills the process groups a crashed agent left behind. The
 * owner of this containerizer kills its tasks on an orderly shutdown instead.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { open, readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Clock } from '../../../core/clock.js';
import { MesoError } from '../../../core/errors.js';
import type { AgentId, ContainerId } from '../../../core/ids.js';
import type { CommandInfo, ContainerInfo } from '../../../core/v1/tasks.js';
import type { Logger } from '../../../log/logger.js';
import type {
  Containerizer,
  ContainerSpec,
  ExecOptions,
  ExecResult,
  LaunchOutcome,
  RecoverySummary,
  ResourceUsage,
  Termination,
} from '../containerizer.js';
import { z } from 'zod';
import { TEMP_PREFIX, writeFileAtomic } from '../../checkpoint/atomic-file.js';
import { groupLivesOn, processGroupUsage, processStartTicks } from './proc-stats.js';

export interface ProcessContainerizerDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * Environment every task starts from, below CommandInfo's and the agent's variables (Mesos
   * passes the agent's own environment when `--executor_environment_variables` is unset).
   * @default { PATH: standard system directories }
   */
  readonly baseEnv?: Readonly<Record<string, string>>;
  /**
   * Where running containers are noted (`<container id>.json`), for a restarted agent to kill what
   * a crashed one left running. Without it, such processes run on, unaccounted for.
   */
  readonly notesDir?: string;
}

/** What is noted of a running container: enough to tell its process group from a reused pid. */
const ContainerNoteSchema = z.object({
  agent_id: z.string(),
  pid: z.number().int().positive(),
  start_ticks: z.number().int().nonnegative(),
});
type ContainerNote = z.infer<typeof ContainerNoteSchema>;

const DEFAULT_BASE_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
};

/** Terminations kept for `wait` after their container ended; the oldest are forgotten first. */
const MAX_REMEMBERED_TERMINATIONS = 1000;

interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

interface ProcessContainer {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly spec: ContainerSpec;
  readonly exited: Promise<Termination>;
  termination: Termination | undefined;
  killRequested: boolean;
  readonly cancelKillTimers: Set<() => void>;
}

export class ProcessContainerizer implements Containerizer, AsyncDisposable {
  readonly name = 'process';
  /** See the module comment: a child's exit status is only observable by its parent. */
  readonly survivesAgentRestart = false;
  private readonly containers = new Map<ContainerId, ProcessContainer>();
  private readonly log: Logger;
  private readonly baseEnv: Readonly<Record<string, string>>;

  constructor(private readonly deps: ProcessContainerizerDeps) {
    this.log = deps.log.child({ component: 'agent.containerizer.process' });
    this.baseEnv = deps.baseEnv ?? DEFAULT_BASE_ENV;
  }

  /** Any task that does not name an image. */
  supports(spec: ContainerSpec): boolean {
    return !namesImage(spec.container);
  }

  /**
   * Nothing can be adopted (see the module comment): every known container is reported lost, and
   * the process groups noted for `agentId` that still run are killed; those of unknown containers
   * are reported as destroyed orphans.
   */
  async recover(agentId: AgentId, known: ReadonlySet<ContainerId>): Promise<RecoverySummary> {
    const killed = new Set<ContainerId>();
    for (const [containerId, note] of await this.readNotes(agentId)) {
      if (await groupLivesOn(note.pid, note.start_ticks)) {
        signalGroup(note.pid, 'SIGKILL');
        killed.add(containerId);
        this.log.warn('processes of a container left by the previous agent killed', {
          agentId,
          containerId,
          pid: note.pid,
        });
      }
      await this.forgetNote(containerId);
    }
    if (known.size > 0)
      this.log.warn('process containers lost across agent restart', { agentId, count: known.size });
    return {
      recovered: [...known].map((containerId) => ({
        containerId,
        termination: {
          reason: 'lost',
          message: killed.has(containerId)
            ? 'Process containers do not survive an agent restart; its processes were killed'
            : 'Process containers do not survive an agent restart',
        },
      })),
      orphansDestroyed: [...killed].filter((containerId) => !known.has(containerId)),
    };
  }

  /** Resolves once the process runs. There is no image to pull, so nothing is reported as progress. */
  async launch(spec: ContainerSpec): Promise<LaunchOutcome> {
    if (this.containers.has(spec.containerId)) return 'already-launched';
    const { file, args, argv0 } = commandLine(spec.command);
    const env = { ...this.baseEnv, ...commandEnvironment(spec.command), ...spec.env };
    if ((spec.command.uris?.length ?? 0) > 0) {
      // TODO(meso): a fetcher; until then tasks must not depend on URIs being downloaded.
      this.log.warn('command uris were not fetched', {
        containerId: spec.containerId,
        count: spec.command.uris?.length,
      });
    }
    const stdout = await openLog(spec, 'stdout');
    const stderr = await openLog(spec, 'stderr').catch(async (err: unknown) => {
      await stdout.close();
      throw err;
    });
    let child: ChildProcess;
    let exit: Promise<ProcessExit>;
    try {
      child = spawn(file, args, {
        argv0,
        cwd: spec.sandboxDir,
        env,
        detached: true,
        stdio: ['ignore', stdout.fd, stderr.fd],
      });
      // Listened for at once: a short task may exit while the descriptors below are being closed.
      exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      await spawned(child);
    } catch (err) {
      throw new MesoError(
        'CONTAINER_LAUNCH_FAILED',
        `Failed to launch '${file}': ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    } finally {
      // The child has its own copies of the descriptors.
      await Promise.all([stdout.close(), stderr.close()]);
    }
    const pid = child.pid as number;
    // Noted before `launch` resolves, so an agent crash from here on leaves nothing unaccounted for.
    const noted = this.writeNote(spec, pid);
    this.track(spec, child, pid, exit, noted);
    await noted;
    this.log.info('container launched', { containerId: spec.containerId, taskId: spec.taskId, pid });
    return 'launched';
  }

  async wait(containerId: ContainerId): Promise<Termination | undefined> {
    return this.containers.get(containerId)?.exited;
  }

  /** SIGTERM to the whole process group, SIGKILL after `gracePeriodMs`; resolves once the leader exited. */
  async kill(containerId: ContainerId, gracePeriodMs: number): Promise<void> {
    const container = this.containers.get(containerId);
    if (container === undefined || container.termination !== undefined) return;
    container.killRequested = true;
    signalGroup(container.pid, 'SIGTERM');
    const cancel = this.deps.clock.after(gracePeriodMs, () => {
      container.cancelKillTimers.delete(cancel);
      this.log.info('container did not stop within its grace period; killing', {
        containerId,
        gracePeriodMs,
      });
      signalGroup(container.pid, 'SIGKILL');
    });
    container.cancelKillTimers.add(cancel);
    await container.exited;
  }

  async usage(containerId: ContainerId): Promise<ResourceUsage | undefined> {
    const container = this.containers.get(containerId);
    if (container === undefined || container.termination !== undefined) return undefined;
    const group = await processGroupUsage(container.pid);
    return {
      ...group,
      cpusLimit: container.spec.limits.cpus,
      memLimitBytes: container.spec.limits.memMiB * 1024 * 1024,
      timestampMs: this.deps.clock.nowMs(),
    };
  }

  /**
   * Runs `command` the way tasks run (shell or argv), in the task's sandbox with the task's
   * environment plus the command's own variables, in a process group of its own that is killed
   * at `timeoutMs`, and when the command exits (with whatever it left behind).
   */
  async exec(containerId: ContainerId, command: CommandInfo, options: ExecOptions): Promise<ExecResult> {
    const container = this.containers.get(containerId);
    if (container === undefined || container.termination !== undefined) {
      return { exitCode: undefined, message: 'container is not running' };
    }
    const { spec } = container;
    let exit: Promise<ProcessExit>;
    let pid: number;
    try {
      const { file, args, argv0 } = commandLine(command);
      const env = {
        ...this.baseEnv,
        ...commandEnvironment(spec.command),
        ...spec.env,
        ...commandEnvironment(command),
      };
      const child = spawn(file, args, { argv0, cwd: spec.sandboxDir, env, detached: true, stdio: 'ignore' });
      exit = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      await spawned(child);
      pid = child.pid as number;
      // As for tasks: signals go through `process.kill`; this only keeps an unexpected error event from crashing.
      child.on('error', (err) => this.log.warn('check process error', { containerId, err: err.message }));
    } catch (err) {
      return { exitCode: undefined, message: `command could not run: ${(err as Error).message}` };
    }
    let timedOut = false;
    const cancel = this.deps.clock.after(options.timeoutMs, () => {
      timedOut = true;
      signalGroup(pid, 'SIGKILL');
    });
    const { code, signal } = await exit;
    cancel();
    signalGroup(pid, 'SIGKILL');
    if (timedOut) return { exitCode: undefined, message: `command killed after ${options.timeoutMs} ms` };
    if (code !== null) return { exitCode: code, message: `command exited with code ${code}` };
    return { exitCode: undefined, message: `command terminated with signal ${signal ?? 'unknown'}` };
  }

  /** Kills every running container (they cannot be recovered later) and waits for them to exit. */
  async killAll(gracePeriodMs: number): Promise<void> {
    await Promise.all([...this.containers.keys()].map((id) => this.kill(id, gracePeriodMs)));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.killAll(0);
  }

  /** A failed note is logged: the task runs regardless, only a crash would leave it unaccounted for. */
  private async writeNote(spec: ContainerSpec, pid: number): Promise<void> {
    const { notesDir } = this.deps;
    const startTicks = await processStartTicks(pid);
    if (notesDir === undefined || startTicks === undefined) return;
    const note: ContainerNote = {
      agent_id: spec.agentId,
      pid,
      start_ticks: startTicks,
    };
    await writeFileAtomic(path.join(notesDir, `${spec.containerId}.json`), JSON.stringify(note)).catch(
      (err: unknown) =>
        this.log.error('container note not written', { containerId: spec.containerId, err: String(err) }),
    );
  }

  private async forgetNote(containerId: ContainerId): Promise<void> {
    const { notesDir } = this.deps;
    if (notesDir === undefined) return;
    await rm(path.join(notesDir, `${containerId}.json`), { force: true }).catch((err: unknown) =>
      this.log.warn('container note not removed', { containerId, err: String(err) }),
    );
  }

  /** The notes of `agentId`'s containers; unreadable ones are logged and skipped. */
  private async readNotes(agentId: AgentId): Promise<[ContainerId, ContainerNote][]> {
    const { notesDir } = this.deps;
    if (notesDir === undefined) return [];
    const names = await readdir(notesDir).catch(() => []);
    const notes: [ContainerId, ContainerNote][] = [];
    for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith(TEMP_PREFIX))) {
      const containerId = name.slice(0, -'.json'.length) as ContainerId;
      const parsed = ContainerNoteSchema.safeParse(
        await readFile(path.join(notesDir, name), 'utf8').then(parseJson, () => undefined),
      );
      if (!parsed.success) {
        this.log.warn('unreadable container note ignored', { file: name });
        continue;
      }
      if (parsed.data.agent_id === agentId) notes.push([containerId, parsed.data]);
    }
    return notes;
  }

  private track(
    spec: ContainerSpec,
    child: ChildProcess,
    pid: number,
    exit: Promise<ProcessExit>,
    noted: Promise<void>,
  ): void {
    let resolveExited!: (t: Termination) => void;
    const container: ProcessContainer = {
      child,
      pid,
      spec,
      exited: new Promise((resolve) => (resolveExited = resolve)),
      termination: undefined,
      killRequested: false,
      cancelKillTimers: new Set(),
    };
    void exit.then(({ code, signal }) => {
      for (const cancel of container.cancelKillTimers) cancel();
      container.cancelKillTimers.clear();
      // Whatever the task left running in its group goes with it.
      signalGroup(pid, 'SIGKILL');
      void noted.then(() => this.forgetNote(spec.containerId));
      const termination = terminationOf(code, signal, container.killRequested);
      container.termination = termination;
      this.log.info('container exited', { containerId: spec.containerId, pid, message: termination.message });
      resolveExited(termination);
      this.forgetOldTerminations();
    });
    // Signals go through `process.kill`, so this only guards against a crash on an unexpected error event.
    child.on('error', (err) =>
      this.log.warn('container process error', { containerId: spec.containerId, err: err.message }),
    );
    this.containers.set(spec.containerId, container);
  }

  private forgetOldTerminations(): void {
    let excess = [...this.containers.values()].filter((c) => c.termination !== undefined).length;
    excess -= MAX_REMEMBERED_TERMINATIONS;
    for (const [id, c] of this.containers) {
      if (excess <= 0) break;
      if (c.termination === undefined) continue;
      this.containers.delete(id);
      excess--;
    }
  }
}

function namesImage(container: ContainerInfo | undefined): boolean {
  return container?.docker?.image !== undefined || container?.mesos?.image !== undefined;
}

/** `shell` (the default): `/bin/sh -c value`. Otherwise `value` is the executable and `arguments` the argv. */
function commandLine(command: CommandInfo): { file: string; args: string[]; argv0: string } {
  const value = command.value;
  if (value === undefined || value === '') {
    throw new MesoError('CONTAINER_LAUNCH_FAILED', "The task's command has no 'value' to run");
  }
  if (command.shell) return { file: '/bin/sh', args: ['-c', value], argv0: 'sh' };
  const [argv0 = value, ...args] = command.arguments ?? [];
  return { file: value, args, argv0 };
}

function commandEnvironment(command: CommandInfo): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of command.environment?.variables ?? []) {
    if (variable.type === 'SECRET') {
      throw new MesoError(
        'CONTAINER_LAUNCH_FAILED',
        `Secret environment variable '${variable.name}' is not supported`,
      );
    }
    env[variable.name] = variable.value ?? '';
  }
  return env;
}

async function openLog(spec: ContainerSpec, name: 'stdout' | 'stderr') {
  try {
    return await open(path.join(spec.sandboxDir, name), 'a');
  } catch (err) {
    throw new MesoError(
      'CONTAINER_LAUNCH_FAILED',
      `Failed to open ${name} in the sandbox: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
}

/** Resolves once the process exists, rejects when it could not be started (e.g. no such executable). */
function spawned(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', () => {
      child.removeListener('error', reject);
      resolve();
    });
    child.once('error', reject);
  });
}

/** JSON text as a value; `undefined` when it is not JSON (a note cut short by a crash). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function signalGroup(processGroupId: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-processGroupId, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}

function terminationOf(code: number | null, signal: NodeJS.Signals | null, killed: boolean): Termination {
  const reason = killed ? { reason: 'killed' as const } : {};
  if (code !== null) return { exitCode: code, ...reason, message: `Command exited with status ${code}` };
  return {
    signal: signal ?? 'unknown',
    ...reason,
    message: `Command terminated with signal ${signal ?? 'unknown'}`,
  };
}
