/**
 * Shared pieces of the Docker integration tests and the launch benchmark: a real engine (see
 * .ci/install-docker.sh), the locally seeded `meso/busybox` image (scripts/seed-images.sh), task
 * specs with their own sandbox directories, and label-based cleanup.
 *
 * When no engine answers, `dockerSkipReason()` tells tests to skip locally; under CI (`CI` set) it
 * throws instead, so the suite fails with the install hint rather than passing vacuously.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { ContainerLimits, ContainerSpec } from '../../services/agent/containerizer/containerizer.js';
import { DockerodeApi, type DockerApi } from '../../services/agent/containerizer/docker/docker-api.js';
import {
  DockerContainerizer,
  type DockerContainerizerOptions,
} from '../../services/agent/containerizer/docker/docker-containerizer.js';
import { agentSelector } from '../../services/agent/containerizer/docker/labels.js';
import { systemClock } from '../../services/core/clock.js';
import type { AgentId, ContainerId, ExecutorId, FrameworkId, TaskId } from '../../services/core/ids.js';
import type { CommandInfo, ContainerInfo } from '../../services/core/v1/tasks.js';
import { createLogger, type Logger, type LogLevel } from '../../services/log/logger.js';

const run = promisify(execFile);
/** The source tree's root, whether this runs from `test/helpers` (tsx) or `dist/test/helpers`. */
const REPO_ROOT = ((twoUp) => (basename(twoUp) === 'dist' ? dirname(twoUp) : twoUp))(
  join(import.meta.dirname, '..', '..'),
);

export const BUSYBOX = 'meso/busybox:latest';

/** A shell snippet printing the CFS quota and memory limit as a container sees them, on cgroup v1 or v2. */
export const PRINT_CGROUP_LIMITS = [
  'if [ -f /sys/fs/cgroup/cpu.max ]; then',
  '  echo "cpu $(cut -d" " -f1 /sys/fs/cgroup/cpu.max)"; echo "mem $(cat /sys/fs/cgroup/memory.max)";',
  'else',
  '  echo "cpu $(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us)"; echo "mem $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)";',
  'fi',
].join('\n');
const INSTALL_HINT = 'no Docker engine answers; run .ci/install-docker.sh';

/** Test logs are silent unless `MESO_TEST_LOG` names a level (e.g. `debug`). */
export function testLogger(): Logger {
  return createLogger((process.env.MESO_TEST_LOG as LogLevel | undefined) ?? 'silent');
}

/** The engine the tests talk to: `DOCKER_HOST` when set, else the default socket. */
export function testDockerApi(log: Logger = testLogger()): DockerApi {
  return new DockerodeApi({ dockerHost: process.env.DOCKER_HOST }, log);
}

export function testContainerizer(options: Partial<DockerContainerizerOptions> = {}): DockerContainerizer {
  const log = options.log ?? testLogger();
  return new DockerContainerizer({ api: testDockerApi(log), clock: systemClock, log, ...options });
}

/**
 * For `describe(name, { skip: await dockerSkipReason() }, ...)`: `false` when an engine answers
 * (seeding `meso/busybox` if it is missing), the install hint when none does. Throws under CI.
 */
export async function dockerSkipReason(): Promise<string | false> {
  try {
    await testDockerApi().version();
  } catch (err) {
    if (process.env.CI !== undefined) throw new Error(`${INSTALL_HINT} (${String(err)})`, { cause: err });
    return INSTALL_HINT;
  }
  await run(join(REPO_ROOT, 'scripts', 'seed-images.sh'), [BUSYBOX]);
  return false;
}

/** A fresh agent id, so each test file's containers are found (and removed) by label. */
export const testAgentId = (): AgentId => `test-${randomUUID().slice(0, 8)}` as AgentId;

export interface TaskOptions {
  /** A shell command, or a whole CommandInfo. */
  readonly command: string | CommandInfo;
  /** Replaces the default DOCKER container running `meso/busybox`. */
  readonly container?: ContainerInfo;
  readonly limits?: Partial<ContainerLimits>;
  readonly ports?: readonly number[];
  readonly env?: Readonly<Record<string, string>>;
  readonly containerId?: string;
}

let sandboxRoot: string | undefined;

/** A task spec for `agentId` with a new sandbox directory; by default a 0.5 cpu, 64 MiB busybox task. */
export async function taskSpec(agentId: AgentId, options: TaskOptions): Promise<ContainerSpec> {
  sandboxRoot ??= mkdtempSync(join(tmpdir(), 'meso-docker-test-'));
  const id = options.containerId ?? `c-${randomUUID().slice(0, 8)}`;
  const command: CommandInfo =
    typeof options.command === 'string' ? { shell: true, value: options.command } : options.command;
  return {
    containerId: id as ContainerId,
    agentId,
    frameworkId: 'framework-1' as FrameworkId,
    taskId: `task-${id}` as TaskId,
    executorId: `executor-${id}` as ExecutorId,
    command,
    container: options.container ?? { type: 'DOCKER', docker: { image: BUSYBOX } },
    limits: { cpus: 0.5, memMiB: 64, diskMiB: 0, ...options.limits },
    ports: options.ports ?? [],
    sandboxDir: await mkdtemp(join(sandboxRoot, 'sandbox-')),
    env: options.env ?? {},
  };
}

export const readSandbox = (spec: ContainerSpec, stream: 'stdout' | 'stderr'): Promise<string> =>
  readFile(join(spec.sandboxDir, stream), 'utf8');

/** Force-removes every container labelled with `agentId`, and every sandbox this process created. */
export async function cleanUp(agentId: AgentId): Promise<void> {
  const api = testDockerApi();
  const owned = await api.listByLabels(agentSelector(agentId));
  await Promise.all(owned.map((c) => api.remove(c.dockerId)));
  if (sandboxRoot !== undefined) await rm(sandboxRoot, { recursive: true, force: true });
}

/** `docker inspect` through the CLI, independent of the adapter under test. */
export async function cliInspect(nameOrId: string): Promise<{ HostConfig: Record<string, unknown> }> {
  const { stdout } = await run('docker', ['inspect', nameOrId]);
  const [first] = JSON.parse(stdout) as { HostConfig: Record<string, unknown> }[];
  if (first === undefined) throw new Error(`docker inspect ${nameOrId} returned nothing`);
  return first;
}

/** Polls `probe` every 50 ms until it returns a value other than `undefined`, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}

/**
 * An agent in its own process that launches `specs` through a DockerContainerizer and then idles,
 * so a test can SIGKILL it mid-flight and recover its containers from another instance.
 * Resolves once every container runs.
 */
export async function spawnAgentProcess(specs: readonly ContainerSpec[]): Promise<ChildProcess> {
  const self = JSON.stringify(import.meta.url);
  const code = `import(${self}).then((m) => m.launchAndIdle(process.env.MESO_TEST_SPECS))`;
  const loader = import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, '-e', code], {
    cwd: REPO_ROOT,
    env: { ...process.env, MESO_TEST_SPECS: JSON.stringify(specs) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => chunk.toString().includes('launched') && resolve());
    child.once('exit', (code) => reject(new Error(`agent process exited with ${code} before launching`)));
  });
  return child;
}

/** The body of `spawnAgentProcess`'s child. */
export async function launchAndIdle(specsJson: string | undefined): Promise<void> {
  const specs = JSON.parse(specsJson ?? '[]') as ContainerSpec[];
  const containerizer = testContainerizer();
  await Promise.all(specs.map((spec) => containerizer.launch(spec)));
  process.stdout.write('launched\n');
  setInterval(() => undefined, 60_000);
}
