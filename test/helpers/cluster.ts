/**
 * Integration-test helpers that run the real `meso` binary (`dist/services/cmd/meso.js`, so build
 * first): masters and agents as child processes on free ports, each logging to a file under one
 * temp directory.
 *
 * Nothing outlives the test run: each process leads its own process group (so the tasks an agent
 * starts belong to it), `stopAll()` kills every group, and so does an exit hook should the test
 * process end without calling it. Children are unref'd: a forgotten `stopAll()` cannot keep the
 * test process alive.
 *
 *   after(() => cluster.stopAll());
 *   const master = await startMaster();
 *   const agent = await startAgent(master.url, { resources: 'cpus:2;mem:1024' });
 *   await agent.kill();                          // a crash: its tasks keep running
 *   const again = await cluster.restart(agent);  // same flags, port and work dir
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Flags passed as `--name=value`; `true` passes `--name`, `false` passes `--no-name`. */
export type Flags = Readonly<Record<string, string | number | boolean>>;

/** How long a process may take to answer `/health`. */
const STARTUP_TIMEOUT_MS = 20_000;
/** How long `stop()` waits after SIGTERM before it sends SIGKILL. */
const STOP_GRACE_MS = 10_000;
const POLL_INTERVAL_MS = 50;
const DEFAULT_AGENT_RESOURCES = 'cpus:2;mem:1024;disk:1024;ports:[31000-31099]';

/** Process groups started and not yet killed; the exit hook kills them if `stopAll()` did not. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** SIGKILLs a whole process group; a group that is already gone is fine. */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  liveGroups.delete(pgid);
}

function installExitHooks(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const pgid of liveGroups) killGroup(pgid);
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      // Let the default action (termination by the same signal) happen now that we are done.
      process.kill(process.pid, signal);
    });
  }
}

/** A port nobody listens on right now (the OS picks it; a race with other processes is possible but rare). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('could not allocate a port');
  return address.port;
}

/**
 * Polls `predicate` until it returns something other than `undefined`/`false` and returns that.
 * Errors thrown by the predicate count as "not yet"; the last one is quoted if time runs out.
 */
export async function waitFor<T>(
  predicate: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await predicate();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const detail = lastError === undefined ? '' : ` (last error: ${String(lastError)})`;
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** A running `meso` process. */
export class MesoProcess implements AsyncDisposable {
  /** Resolves when the process has exited, with how it ended. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;

  constructor(
    private readonly child: ChildProcess,
    /** Base URL, e.g. `http://127.0.0.1:40123`. */
    readonly url: string,
    readonly port: number,
    /** Where the process's stdout and stderr go. */
    readonly logFile: string,
    /** How it was started, for `Cluster.restart`. */
    readonly started?: { readonly role: 'master' | 'agent'; readonly flags: Flags },
  ) {
    this.exited = once(child, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
    }));
  }

  /** Also the id of the process group holding the process and everything it started. */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Sends `signal` (SIGKILL by default, e.g. to simulate a crash) to the process alone and waits
   * for it to exit. What it started (an agent's tasks) keeps running, as after a real crash, until
   * `stop()` or `stopAll()`.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.running) this.child.kill(signal);
    await this.exited;
  }

  /**
   * SIGTERM, SIGKILL if the process has not exited within the grace period, then SIGKILL for
   * whatever is left in its process group. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
      killGroup(this.pid);
    }
  }

  /** The process's output so far, for assertion messages. */
  log(): Promise<string> {
    return readFile(this.logFile, 'utf8');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

/** The masters and agents of one test file, all stopped by `stopAll()`. */
export class Cluster implements AsyncDisposable {
  private readonly processes: MesoProcess[] = [];
  private tempDir: Promise<string> | undefined;

  /** `meso master --ip 127.0.0.1 --port <free>` plus `flags`; resolves once `/health` answers. */
  async startMaster(flags: Flags = {}): Promise<MesoProcess> {
    const port = await freePort();
    return this.start('master', port, { ip: '127.0.0.1', port, ...flags });
  }

  /**
   * `meso agent --master <url> --port <free> --work_dir <tmp>` plus `flags` (which may name the
   * port and work dir); resolves once `/health` answers.
   */
  async startAgent(masterUrl: string, flags: Flags = {}): Promise<MesoProcess> {
    const port = flags.port === undefined ? await freePort() : Number(flags.port);
    const workDir = await mkdtemp(join(await this.dir(), `agent-${port}-`));
    const defaults = {
      master: masterUrl,
      ip: '127.0.0.1',
      port,
      work_dir: workDir,
      resources: DEFAULT_AGENT_RESOURCES,
    };
    return this.start('agent', port, { ...defaults, ...flags });
  }

  /**
   * Starts `previous` (which must have exited, e.g. after `kill()`) again with the same flags: the
   * same port and, for an agent, the same work dir, so it recovers its checkpoint.
   */
  async restart(previous: MesoProcess): Promise<MesoProcess> {
    if (previous.started === undefined) throw new Error('restart needs a process started by this cluster');
    if (previous.running) throw new Error(`process ${previous.pid} is still running`);
    const { role, flags } = previous.started;
    return this.start(role, previous.port, flags);
  }

  /** The directory holding every process's log file (and agents' work dirs). */
  dir(): Promise<string> {
    this.tempDir ??= mkdtemp(join(tmpdir(), 'meso-test-'));
    return this.tempDir;
  }

  /** Stops every process (in parallel), then removes agents' work dirs; log files are kept. */
  async stopAll(): Promise<void> {
    await Promise.all(this.processes.splice(0).map((p) => p.stop()));
    if (this.tempDir === undefined) return;
    const dir = await this.tempDir;
    for (const entry of await readdir(dir)) {
      if (entry.startsWith('agent-')) await rm(join(dir, entry), { recursive: true, force: true });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stopAll();
  }

  private async start(role: 'master' | 'agent', port: number, flags: Flags): Promise<MesoProcess> {
    installExitHooks();
    const logFile = join(await this.dir(), `${role}-${port}.log`);
    const log = await open(logFile, 'a');
    const child = spawn(process.execPath, [mesoEntry(), role, ...toArgs(flags)], {
      stdio: ['ignore', log.fd, log.fd],
      detached: true,
    });
    await log.close();
    if (child.pid !== undefined) liveGroups.add(child.pid);
    child.unref();
    const started = new MesoProcess(child, `http://127.0.0.1:${port}`, port, logFile, { role, flags });
    this.processes.push(started);
    // Polling stops at once when the process dies, so a bad flag fails in milliseconds, not at the timeout.
    const outcome = await waitFor(
      async () => (started.running ? (await fetch(`${started.url}/health`)).ok && 'ready' : 'exited'),
      STARTUP_TIMEOUT_MS,
      `${role} on port ${port} to answer /health`,
    ).catch((err: unknown) => err as Error);
    if (outcome !== 'ready') {
      await started.stop();
      const reason =
        outcome === 'exited' ? `${role} on port ${port} exited before answering /health` : outcome.message;
      throw new Error(`${reason}\n--- ${logFile} ---\n${await started.log()}`);
    }
    return started;
  }
}

function toArgs(flags: Flags): string[] {
  return Object.entries(flags).map(([name, value]) => {
    if (value === true) return `--${name}`;
    if (value === false) return `--no-${name}`;
    return `--${name}=${value}`;
  });
}

/** `dist/services/cmd/meso.js` of the repository this file lives in (run from `test/` or `dist/test/`). */
function mesoEntry(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the repository root above test/helpers');
    dir = parent;
  }
  const entry = join(dir, 'dist', 'services', 'cmd', 'meso.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing; run \`npx tsc -p .\` first`);
  return entry;
}

/** The cluster of the current test file (node:test runs each file in its own process). */
export const cluster = new Cluster();
export const startMaster = (flags?: Flags): Promise<MesoProcess> => cluster.startMaster(flags);
export const startAgent = (masterUrl: string, flags?: Flags): Promise<MesoProcess> =>
  cluster.startAgent(masterUrl, flags);
