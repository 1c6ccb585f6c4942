/**
 * Container launch through the docker containerizer against the engine's own paths
 * (performance-anchors.md §4.5): `--count` short containers (`true` in `meso/busybox`) per path,
 * `--parallel` at a time, on three paths with identical container settings (host network, the
 * task's cgroup limits, pids limit, log cap, labels):
 *
 * - `docker-run`: the CLI, `docker run --rm ... true`, timed from spawn to exit;
 * - `engine-api`: create + start + wait + remove straight through the engine API (the adapter,
 *   so dockerode stays in one file; it adds nothing but a silent log call per request);
 * - `meso`: `DockerContainerizer.launch` + `wait`, which also inspects the image, streams both
 *   outputs into sandbox files, inspects the exit and removes the container.
 *
 * Every container is measured from the start of its launch until it has exited and been removed.
 * The paths run in interleaved rounds, in rotating order, so load drift on the machine hits all of
 * them alike. Goal: meso's total within 25 % of `docker run`'s.
 *
 * Usage: node dist/bench/run.js docker-launch [--count 50] [--parallel 10] [--rounds 5] [--warmup 3]
 */
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { ContainerSpec } from '../services/agent/containerizer/containerizer.js';
import type { DockerRunSpec } from '../services/agent/containerizer/docker/docker-types.js';
import { buildRunSpec, type RunPolicy } from '../services/agent/containerizer/docker/run-spec.js';
import type { AgentId } from '../services/core/ids.js';
import {
  cleanUp,
  dockerSkipReason,
  taskSpec,
  testAgentId,
  testContainerizer,
  testDockerApi,
} from '../test/helpers/docker.js';
import { formatTable, percentile, type Row, writeResults } from './lib/report.js';

const run = promisify(execFile);

/** The containerizer's own defaults, spelled out so the CLI and API paths get the same settings. */
const POLICY: RunPolicy = {
  volumeAllowList: [],
  pidsLimit: 4096,
  logMaxBytes: 10 * 1024 * 1024,
  allowPrivileged: false,
};
const GOAL_RATIO = 1.25;

interface Settings {
  readonly count: number;
  readonly parallel: number;
  readonly rounds: number;
  readonly warmup: number;
}

type PathName = 'docker-run' | 'engine-api' | 'meso';
/** Launches one container and resolves once it has exited and been removed. */
type Launcher = (spec: ContainerSpec) => Promise<void>;

function parseArgs(args: readonly string[]): Settings {
  const settings = { count: 50, parallel: 10, rounds: 5, warmup: 3 };
  for (let i = 0; i < args.length; i += 2) {
    const key = args[i]?.replace(/^--/, '');
    const value = Number(args[i + 1]);
    if (key === undefined || !(key in settings) || !Number.isInteger(value) || value < 1) {
      throw new Error(
        `bad argument '${args[i] ?? ''} ${args[i + 1] ?? ''}'; see the usage in bench/docker-launch.ts`,
      );
    }
    settings[key as keyof Settings] = value;
  }
  return settings;
}

/** `docker run --rm` with the flags matching what the containerizer sends for `runSpec`. */
function cliArgs(runSpec: DockerRunSpec): string[] {
  const args = ['run', '--rm', '--name', runSpec.name, '--network', runSpec.networkMode];
  if (runSpec.cpu !== undefined) {
    args.push('--cpu-quota', String(runSpec.cpu.quotaUs), '--cpu-period', String(runSpec.cpu.periodUs));
    args.push('--cpu-shares', String(runSpec.cpu.shares));
  }
  if (runSpec.memoryBytes !== undefined) {
    args.push('--memory', String(runSpec.memoryBytes), '--memory-swap', String(runSpec.memoryBytes));
  }
  args.push('--pids-limit', String(runSpec.pidsLimit), '--log-driver', 'json-file');
  args.push('--log-opt', `max-size=${runSpec.logMaxBytes}`, '--log-opt', 'max-file=1');
  for (const [key, value] of Object.entries(runSpec.labels)) args.push('--label', `${key}=${value}`);
  return [...args, runSpec.image, ...(runSpec.cmd ?? [])];
}

function launchers(): Record<PathName, Launcher> {
  const api = testDockerApi();
  const containerizer = testContainerizer({ pidsLimit: POLICY.pidsLimit, logMaxBytes: POLICY.logMaxBytes });
  return {
    'docker-run': async (spec) => {
      await run('docker', cliArgs(buildRunSpec(spec, POLICY)));
    },
    'engine-api': async (spec) => {
      const dockerId = await api.run(buildRunSpec(spec, POLICY));
      await api.waitExit(dockerId);
      await api.remove(dockerId);
    },
    meso: async (spec) => {
      await containerizer.launch(spec);
      const termination = await containerizer.wait(spec.containerId);
      if (termination?.exitCode !== 0) throw new Error(`container ended badly: ${termination?.message}`);
    },
  };
}

/** Runs `count` launches, `parallel` at a time; returns each launch's latency in ms. */
async function timedPool(
  count: number,
  parallel: number,
  launch: (i: number) => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const startMs = performance.now();
      await launch(i);
      latencies.push(performance.now() - startMs);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return latencies;
}

interface PathResult {
  totalSeconds: number;
  latenciesMs: number[];
}

async function measure(agentId: AgentId, settings: Settings): Promise<Record<PathName, PathResult>> {
  const paths = launchers();
  const names = Object.keys(paths) as PathName[];
  const spec = (): Promise<ContainerSpec> =>
    taskSpec(agentId, { command: { shell: false, value: 'true' }, limits: { cpus: 0.1, memMiB: 32 } });
  const empty = (): PathResult => ({ totalSeconds: 0, latenciesMs: [] });
  const results: Record<PathName, PathResult> = {
    'docker-run': empty(),
    'engine-api': empty(),
    meso: empty(),
  };
  for (const name of names) {
    await timedPool(settings.warmup, settings.parallel, async () => paths[name](await spec()));
  }
  const perRound = Math.ceil(settings.count / settings.rounds);
  for (let round = 0; round < settings.rounds; round++) {
    const count = Math.min(perRound, settings.count - round * perRound);
    for (let k = 0; k < names.length; k++) {
      const name = names[(round + k) % names.length] as PathName;
      const specs = await Promise.all(Array.from({ length: count }, spec));
      const startMs = performance.now();
      const latencies = await timedPool(count, settings.parallel, (i) =>
        paths[name](specs[i] as ContainerSpec),
      );
      results[name].totalSeconds += (performance.now() - startMs) / 1000;
      results[name].latenciesMs.push(...latencies);
    }
  }
  return results;
}

export async function main(args: string[]): Promise<void> {
  const settings = parseArgs(args);
  const skip = await dockerSkipReason();
  if (skip !== false) throw new Error(skip);
  const { version, apiVersion } = await testDockerApi().version();
  const agentId = testAgentId();
  try {
    const results = await measure(agentId, settings);
    const cli = results['docker-run'].totalSeconds;
    const engine = results['engine-api'].totalSeconds;
    const rows: Row[] = (Object.entries(results) as [PathName, PathResult][]).map(([path, r]) => ({
      path,
      containers: r.latenciesMs.length,
      parallel: settings.parallel,
      totalSeconds: round3(r.totalSeconds),
      p50Ms: round3(percentile(r.latenciesMs, 50)),
      p99Ms: round3(percentile(r.latenciesMs, 99)),
      containersPerSecond: round3(r.latenciesMs.length / r.totalSeconds),
      ratioToDockerRun: round3(r.totalSeconds / cli),
      ratioToEngineApi: round3(r.totalSeconds / engine),
    }));
    const meso = rows.find((row) => row['path'] === 'meso');
    console.log(
      `docker ${version} (API ${apiVersion}), ${availableParallelism()} cpus, node ${process.version}; ` +
        `${settings.count} × 'true' per path, ${settings.parallel} at a time, ${settings.rounds} interleaved rounds`,
    );
    console.log(formatTable(rows, Object.keys(rows[0] ?? {})));
    console.log(`goal: meso/docker-run ≤ ${GOAL_RATIO}; measured ${String(meso?.['ratioToDockerRun'])}`);
    const environment = { engine: version, apiVersion, cpus: availableParallelism(), node: process.version };
    const path = await writeResults(
      'docker-launch',
      rows.map((row) => ({ ...row, ...environment, measuredAt: new Date().toISOString() })),
    );
    console.log(`results written to ${path}`);
  } finally {
    await cleanUp(agentId);
  }
}

const round3 = (value: number): number => Math.round(value * 1000) / 1000;
