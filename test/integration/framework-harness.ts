/**
 * Helpers for the framework integration tests: the scheduler daemons (`meso services`,
 * `meso jobs`) as child processes next to the cluster's masters and agents, and a small client
 * for their REST APIs. Daemons log to the cluster's temporary directory; each leads its own
 * process group and is killed when the test process exits, whatever happened.
 */
import { spawn } from 'node:child_process';
import { copyFile, open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cluster, type Flags, freePort, MesoProcess, waitFor } from '../helpers/cluster.js';

const STARTUP_TIMEOUT_MS = 20_000;
const MESO = fileURLToPath(new URL('../../services/cmd/meso.js', import.meta.url));

const started = new Set<MesoProcess>();
process.once('exit', () => {
  for (const daemon of started) {
    try {
      process.kill(-daemon.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

/**
 * `meso <kind> --port <free> --hostname 127.0.0.1` plus `flags`; resolves once `/health` answers,
 * and, with `leader`, once the instance leads and serves its API.
 */
export async function startFrameworkDaemon(
  kind: 'services' | 'jobs',
  flags: Flags,
  options: { readonly leader: boolean } = { leader: true },
): Promise<MesoProcess> {
  const port = await freePort();
  const logFile = join(await cluster.dir(), `${kind}-${port}.log`);
  const log = await open(logFile, 'a');
  const args = Object.entries({ port, hostname: '127.0.0.1', listen: '127.0.0.1', ...flags }).map(
    ([name, value]) => `--${name}=${value}`,
  );
  const child = spawn(process.execPath, [MESO, kind, ...args], {
    stdio: ['ignore', log.fd, log.fd],
    detached: true,
  });
  await log.close();
  child.unref();
  const daemon = new MesoProcess(child, `http://127.0.0.1:${port}`, port, logFile);
  started.add(daemon);
  try {
    await waitFor(
      async () => {
        if (!daemon.running) throw new Error('the daemon exited');
        const health = (await (await fetch(`${daemon.url}/health`)).json()) as { serving: boolean };
        return !options.leader || health.serving;
      },
      STARTUP_TIMEOUT_MS,
      `${kind} daemon on port ${port} to ${options.leader ? 'lead and serve' : 'answer /health'}`,
    );
  } catch (err) {
    await daemon.stop();
    throw new Error(`${(err as Error).message}\n--- ${logFile} ---\n${await daemon.log()}`);
  }
  return daemon;
}

export interface ApiAnswer<T> {
  readonly status: number;
  /** Parsed JSON, or the text for non-JSON answers (errors). */
  readonly body: T;
  readonly location: string | null;
}

/** One call to a daemon's REST API; redirects are reported, not followed. */
export async function api<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiAnswer<T>> {
  const response = await fetch(`${base}${path}`, {
    method,
    redirect: 'manual',
    ...(body !== undefined && {
      headers: { 'content-type': contentType },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    }),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json');
  return {
    status: response.status,
    body: (json ? JSON.parse(text) : text) as T,
    location: response.headers.get('location'),
  };
}

/** Copies the processes' logs to `kept-<name>`: `cluster.stopAll()` removes agents' files. */
export async function keepLogs(processes: readonly MesoProcess[]): Promise<void> {
  await Promise.all(
    processes.map((p) =>
      copyFile(p.logFile, join(dirname(p.logFile), `kept-${basename(p.logFile)}`)).catch(() => undefined),
    ),
  );
}
