/**
 * Bringing `--count` containers (50) to running on this machine's engine, three ways, in the same
 * run (issue 5's benchmark):
 *
 * - `meso`: a framework (the scheduler SDK) subscribes to a meso master and, on its first offers,
 *   launches `--count` tasks in `meso/busybox` on an agent with the docker containerizer; done
 *   when the last TASK_RUNNING arrives (sent once its container runs). Timed from SUBSCRIBE, so
 *   it includes subscription and the first offer.
 * - `swarm`: `docker service create --replicas <count>` on a one-node swarm (`docker swarm init`
 *   here, left afterwards unless the engine already was in a swarm); done when the engine lists
 *   `<count>` running containers of the service (polled every 50 ms).
 * - `docker-run`: `<count>` `docker run -d` at once; done when the last returns (it returns once
 *   its container runs).
 *
 * Every container is the same: `sleep 3600` in meso/busybox, host network, 0.1 cpu, 32 MiB. The
 * master and agent (processes on this machine, as in test/helpers/cluster.ts) and the swarm are
 * set up before timing starts. Rounds interleave the paths in rotating order, so load drift hits
 * them alike; between paths every container is removed. Goals: meso faster than swarm, and within
 * 1.3 × docker-run.
 *
 * Usage: node dist/bench/run.js cluster-launch [--count 50] [--rounds 3]
 * Writes bench/results/cluster-launch.json.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import type { Resource } from '../services/core/v1/common.js';
import type { Offer } from '../services/core/v1/cluster.js';
import { type LaunchTaskInput, SchedulerClient, staticMaster } from '../services/scheduler/index.js';
import { Cluster, waitFor } from '../test/helpers/cluster.js';
import { BUSYBOX, dockerSkipReason } from '../test/helpers/docker.js';
import { formatTable, percentile, type Row, writeResults } from './lib/report.js';

const exec = promisify(execFile);

const CPUS = 0.1;
const MEM_MIB = 32;
const COMMAND = ['sleep', '3600'];
/** How long any one path may take before the benchmark gives up (not a goal: a hang guard). */
const PATH_TIMEOUT_MS = 300_000;

type PathName = 'meso' | 'swarm' | 'docker-run';

interface Options {
  readonly count: number;
  readonly rounds: number;
}

/** One way of bringing containers to running: `launch` is timed, `clear` is not. */
interface LaunchPath {
  readonly name: PathName;
  /** Brings `count` containers to running; resolves when they all run. */
  launch(count: number): Promise<void>;
  /** Removes every container `launch` started; resolves once they are gone. */
  clear(): Promise<void>;
}

export async function main(args: string[]): Promise<void> {
  const options = parseArgs(args);
  const skip = await dockerSkipReason();
  if (skip !== false) {
    console.log(`cluster-launch: skipped: ${skip}`);
    return;
  }
  const cluster = new Cluster();
  const swarm = await joinSwarm();
  try {
    const paths = [await mesoPath(cluster), swarmPath(), dockerRunPath()];
    const rows: Row[] = [];
    for (let round = 0; round < options.rounds; round++) {
      // Rotate the order: each path goes first, second and third as often as the others.
      const order = paths.map((_, i) => paths[(i + round) % paths.length]!);
      for (const path of order) {
        const start = performance.now();
        await path.launch(options.count);
        const seconds = (performance.now() - start) / 1000;
        await path.clear();
        rows.push({ round, path: path.name, count: options.count, seconds });
        console.log(`round ${round + 1}/${options.rounds} ${path.name}: ${seconds.toFixed(2)} s`);
      }
    }
    await report(rows, options);
  } finally {
    await cluster.stopAll();
    await swarm.leave();
  }
}

function parseArgs(args: readonly string[]): Options {
  const value = (flag: string, fallback: number): number => {
    const i = args.indexOf(flag);
    const n = i < 0 ? fallback : Number(args[i + 1]);
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer`);
    return n;
  };
  return { count: value('--count', 50), rounds: value('--rounds', 3) };
}

async function report(rows: readonly Row[], options: Options): Promise<void> {
  const median = (name: PathName): number =>
    percentile(
      rows.filter((r) => r.path === name).map((r) => Number(r.seconds)),
      50,
    );
  const dockerRun = median('docker-run');
  const swarm = median('swarm');
  const summary: Row[] = (['meso', 'swarm', 'docker-run'] as const).map((name) => {
    const times = rows.filter((r) => r.path === name).map((r) => Number(r.seconds));
    return {
      path: name,
      'median s': median(name),
      'min s': Math.min(...times),
      'max s': Math.max(...times),
      'containers/s': options.count / median(name),
      '÷ docker-run': median(name) / dockerRun,
      '÷ swarm': median(name) / swarm,
    };
  });
  console.log(`\n${options.count} containers to running, ${options.rounds} rounds (medians):\n`);
  console.log(
    formatTable(summary, ['path', 'median s', 'min s', 'max s', 'containers/s', '÷ docker-run', '÷ swarm']),
  );
  console.log(`\nresults: ${await writeResults('cluster-launch', [...summary, ...rows])}`);
}

/** A master and one agent with the docker containerizer, big enough for every task at once. */
async function mesoPath(cluster: Cluster): Promise<LaunchPath> {
  const master = await cluster.startMaster();
  await cluster.startAgent(master.url, {
    containerizers: 'docker',
    resources: 'cpus:64;mem:65536;disk:1000;ports:[31000-31099]',
    // The tasks ignore SIGTERM (sleep as PID 1): no grace, so clearing does not wait for it.
    docker_stop_timeout: '0secs',
  });
  await waitFor(
    async () => {
      const state = (await (await fetch(`${master.url}/master/state`)).json()) as {
        slaves: readonly { active: boolean }[];
      };
      return state.slaves.some((a) => a.active);
    },
    30_000,
    'the agent to register',
  );
  let client: SchedulerClient | undefined;
  let frameworkId = '';
  return {
    name: 'meso',
    async launch(count) {
      client = new SchedulerClient({
        master: staticMaster(master.url),
        framework: { user: 'root', name: 'cluster-launch benchmark', failover_timeout: 0 },
      });
      let launched = 0;
      const running = new Set<string>();
      for await (const event of client.subscribe()) {
        if (event.type === 'SUBSCRIBED') frameworkId = event.subscribed.framework_id.value;
        if (event.type === 'OFFERS') {
          for (const offer of event.offers.offers) {
            const tasks = tasksFor(offer, count - launched);
            launched += tasks.length;
            if (tasks.length > 0) await client.launch(offer, tasks, { refuse_seconds: 3600 });
            else await client.decline([offer.id], { refuse_seconds: 3600 });
          }
        }
        if (event.type === 'UPDATE') {
          const { state, task_id: taskId, message } = event.update.status;
          if (state === 'TASK_RUNNING') running.add(taskId.value);
          else if (state !== 'TASK_STARTING')
            throw new Error(`task ${taskId.value}: ${state} ${message ?? ''}`);
          if (running.size === count) return;
        }
      }
    },
    async clear() {
      await client?.teardown();
      await untilContainers(`label=meso.framework_id=${frameworkId}`, 0);
    },
  };
}

/** As many of the `wanted` tasks as `offer` holds, each 0.1 cpu and 32 MiB of the offer's role. */
function tasksFor(offer: Offer, wanted: number): LaunchTaskInput[] {
  const scalar = (name: string): Resource | undefined =>
    offer.resources.find((r) => r.name === name && r.type === 'SCALAR' && r.reservations === undefined);
  const cpus = scalar('cpus');
  const mem = scalar('mem');
  if (cpus === undefined || mem === undefined) return [];
  const fit = Math.min(
    wanted,
    Math.floor((cpus.scalar?.value ?? 0) / CPUS + 1e-9),
    Math.floor((mem.scalar?.value ?? 0) / MEM_MIB + 1e-9),
  );
  const share = (of: Resource, value: number): Resource => ({ ...of, scalar: { value } });
  return Array.from({ length: fit }, (_, i) => ({
    name: `bench-${i}`,
    task_id: { value: `bench-${randomUUID()}` },
    resources: [share(cpus, CPUS), share(mem, MEM_MIB)],
    // The docker containerizer runs `[value, ...arguments]` under the image's entrypoint.
    command: { shell: false, value: COMMAND[0], arguments: COMMAND.slice(1) },
    container: { type: 'DOCKER', docker: { image: BUSYBOX, network: 'HOST' } },
  }));
}

function swarmPath(): LaunchPath {
  const service = `meso-bench-${randomUUID().slice(0, 8)}`;
  const filter = `label=com.docker.swarm.service.name=${service}`;
  return {
    name: 'swarm',
    async launch(count) {
      await exec('docker', [
        'service',
        'create',
        '--detach',
        '--quiet',
        '--name',
        service,
        '--replicas',
        String(count),
        '--network',
        'host',
        '--limit-cpu',
        String(CPUS),
        '--limit-memory',
        `${MEM_MIB}M`,
        BUSYBOX,
        ...COMMAND,
      ]);
      await untilContainers(filter, count, 'running');
    },
    async clear() {
      await exec('docker', ['service', 'rm', service]);
      await untilContainers(filter, 0);
    },
  };
}

function dockerRunPath(): LaunchPath {
  const label = `meso.bench=${randomUUID().slice(0, 8)}`;
  return {
    name: 'docker-run',
    async launch(count) {
      const args = ['run', '-d', '--label', label, '--network', 'host', '--cpus', String(CPUS)];
      const limits = ['--memory', `${MEM_MIB}m`, BUSYBOX, ...COMMAND];
      await Promise.all(Array.from({ length: count }, () => exec('docker', [...args, ...limits])));
    },
    async clear() {
      const { stdout } = await exec('docker', ['ps', '-aq', '--filter', `label=${label}`]);
      const ids = stdout.split('\n').filter((id) => id !== '');
      if (ids.length > 0) await exec('docker', ['rm', '-f', ...ids]);
    },
  };
}

/** Waits until the engine lists exactly `count` containers matching `filter` (and `status`). */
async function untilContainers(filter: string, count: number, status?: string): Promise<void> {
  const args = ['ps', '-q', ...(count === 0 ? ['-a'] : []), '--filter', filter];
  if (status !== undefined) args.push('--filter', `status=${status}`);
  await waitFor(
    async () => {
      const { stdout } = await exec('docker', args);
      return stdout.split('\n').filter((id) => id !== '').length === count;
    },
    PATH_TIMEOUT_MS,
    `${count} containers with ${filter}`,
  );
}

/** A one-node swarm for the `swarm` path; `leave()` leaves it only if this call created it. */
async function joinSwarm(): Promise<{ leave(): Promise<void> }> {
  const { stdout } = await exec('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}']);
  if (stdout.trim() === 'active') return { leave: () => Promise.resolve() };
  const networks = await networkNames();
  await exec('docker', ['swarm', 'init', '--advertise-addr', '127.0.0.1']);
  return {
    async leave() {
      await exec('docker', ['swarm', 'leave', '--force']);
      // `swarm init` creates this bridge and `leave` keeps it: remove it unless it was there before.
      if (!networks.includes('docker_gwbridge')) await exec('docker', ['network', 'rm', 'docker_gwbridge']);
    },
  };
}

async function networkNames(): Promise<string[]> {
  const { stdout } = await exec('docker', ['network', 'ls', '--format', '{{.Name}}']);
  return stdout.split('\n');
}
