/**
 * Cost of scraping a big master: what one `GET /metrics` (and `/metrics/snapshot`) costs the
 * master with 10,000 tasks on 1,000 agents, next to `/master/state` of the same cluster (what
 * Mesos-era tools poll instead) and to a registry with nothing in it.
 *
 * The cluster is built in process (`InProcessCluster`): emulated agents register, frameworks
 * subscribe over in-memory streams, every offer is accepted with command tasks that are reported
 * running, and the next allocation run leaves an offer outstanding on every agent. Agents' usage
 * reports come from a fake `/monitor/statistics` (one executor per task), polled twice so CPU
 * rates exist. Each figure is the time to render the response body in the master's process,
 * which is also how long the scrape blocks the master's event loop (collection is synchronous
 * for the master; the HTTP transfer itself is not counted).
 *
 * Usage: node dist/bench/run.js metrics-scrape [--agents 1000] [--tasks 10000] [--frameworks 50]
 *        [--roles 10] [--runs 30]
 */
import { performance } from 'node:perf_hooks';
import { silentLogger } from '../services/log/logger.js';
import { InProcessCluster } from '../services/master/in-process-cluster.js';
import { MasterInstrumentation } from '../services/master/master-metrics.js';
import type { AgentRecord } from '../services/master/records.js';
import { stateJson } from '../services/master/state-json.js';
import { MasterMetrics, PromMetrics, specsOf } from '../services/metrics/index.js';
import { formatTable, percentile, type Row, writeResults } from './lib/report.js';

const AGENT_RESOURCES = 'cpus:16;mem:65536;disk:100000';
const TASK_RESOURCES = 'cpus:1;mem:1024;disk:1000';
const WARMUP_RUNS = 3;

interface Settings {
  readonly agents: number;
  readonly tasks: number;
  readonly frameworks: number;
  readonly roles: number;
  readonly runs: number;
}

function parseSettings(args: readonly string[]): Settings {
  const value = (flag: string, fallback: number): number => {
    const index = args.indexOf(flag);
    return index >= 0 ? Number(args[index + 1]?.replaceAll('_', '')) : fallback;
  };
  return {
    agents: value('--agents', 1_000),
    tasks: value('--tasks', 10_000),
    frameworks: value('--frameworks', 50),
    roles: value('--roles', 10),
    runs: value('--runs', 30),
  };
}

/**
 * Renders `body` `runs` times after a warm-up; returns the wall times and the CPU times of this
 * process (ms; the CPU time is what the master pays even when the machine is busy with others),
 * and the size of the last body.
 */
async function measure(runs: number, body: () => Promise<string> | string) {
  let text = '';
  for (let i = 0; i < WARMUP_RUNS; i++) text = await body();
  const wallMs: number[] = [];
  const cpuMs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    text = await body();
    const used = process.cpuUsage(cpu);
    wallMs.push(performance.now() - start);
    cpuMs.push((used.user + used.system) / 1000);
  }
  return { wallMs, cpuMs, bytes: Buffer.byteLength(text) };
}

/** Builds the cluster with its instrumentation attached from the start, and polls usage twice. */
async function buildCluster(settings: Settings) {
  const cluster = new InProcessCluster();
  const { master, allocator, clock } = cluster;
  const agentsByUrl = new Map<string, AgentRecord>();
  const metrics = new MasterInstrumentation({
    clock,
    log: silentLogger,
    // Polled by hand below, twice, so that CPU rates exist.
    usagePollIntervalMs: 3_600_000,
    fetchStatistics: (url) => Promise.resolve(fakeStatistics(cluster, agentsByUrl.get(url))),
  });
  metrics.attach({ master, leadership: { status: () => 'leading' }, allocator });
  cluster.addAgents(settings.agents, AGENT_RESOURCES);
  cluster.addFrameworks(settings.frameworks, settings.roles);
  for (const agent of master.agents.all()) agentsByUrl.set(agent.url, agent);
  const tasksPerAgent = Math.ceil(settings.tasks / settings.agents);
  let launched = 0;
  while (launched < settings.tasks) {
    const added = cluster.launchOnEveryOffer(
      Math.min(tasksPerAgent, settings.tasks - launched),
      TASK_RESOURCES,
    );
    if (added === 0) throw new Error(`only ${launched} tasks fit on ${settings.agents} agents`);
    launched += added;
  }
  // What is left on each agent goes out as offers nobody answers.
  master.applyAllocations(allocator.allocate(clock.nowMs()));
  for (let run = 0; run < 100; run++) {
    metrics.allocationRun({
      trigger: 'periodic',
      durationMs: run % 7,
      agentsConsidered: 0,
      agentsSkipped: 0,
      allocations: 0,
    });
  }
  await metrics.pollUsage();
  clock.advance(5000);
  await metrics.pollUsage();
  return { cluster, metrics, launched };
}

/** `/monitor/statistics` of `agent`: each task busy at half a core, 100 MiB resident. */
function fakeStatistics(cluster: InProcessCluster, agent: AgentRecord | undefined): unknown[] {
  const nowSec = cluster.clock.nowMs() / 1000;
  return [...(agent?.tasks.values() ?? [])].map((task) => ({
    framework_id: task.frameworkId,
    executor_id: task.taskId,
    statistics: {
      timestamp: nowSec,
      cpus_user_time_secs: nowSec * 0.4,
      cpus_system_time_secs: nowSec * 0.1,
      mem_rss_bytes: 100 * 1024 * 1024,
    },
  }));
}

const seriesIn = (exposition: string): number =>
  exposition.split('\n').filter((line) => line !== '' && !line.startsWith('#')).length;

export async function main(args: string[]): Promise<void> {
  const settings = parseSettings(args);
  const buildStart = performance.now();
  const { cluster, metrics, launched } = await buildCluster(settings);
  const { master } = cluster;
  console.log(
    `cluster: ${settings.agents} agents, ${launched} tasks, ${settings.frameworks} frameworks in ${settings.roles} roles, ` +
      `${master.offers.size} outstanding offers (built in ${((performance.now() - buildStart) / 1000).toFixed(1)} s)`,
  );

  const empty = new PromMetrics(specsOf(MasterMetrics));
  const exposition = await metrics.registry.exposition();
  const cases: { endpoint: string; series: number | null; render: () => Promise<string> | string }[] = [
    {
      endpoint: '/metrics (empty registry)',
      series: seriesIn(await empty.exposition()),
      render: () => empty.exposition(),
    },
    { endpoint: '/metrics', series: seriesIn(exposition), render: () => metrics.registry.exposition() },
    {
      endpoint: '/metrics/snapshot',
      series: null,
      render: async () => JSON.stringify(await metrics.snapshot()),
    },
    {
      endpoint: '/master/state',
      series: null,
      render: () =>
        JSON.stringify(stateJson(master, { leader: master.info, electedTimeSec: master.startTimeSec })),
    },
  ];
  const measured = [];
  for (const c of cases) measured.push({ ...c, ...(await measure(settings.runs, c.render)) });
  const state = measured.find((c) => c.endpoint === '/master/state')!;
  const stateCpuP50 = percentile(state.cpuMs, 50);
  const rows: Row[] = measured.map((c) => ({
    endpoint: c.endpoint,
    agents: settings.agents,
    tasks: launched,
    series: c.series,
    bytes: c.bytes,
    ms_p50: percentile(c.wallMs, 50),
    ms_p99: percentile(c.wallMs, 99),
    cpu_ms_p50: percentile(c.cpuMs, 50),
    cpu_vs_state: percentile(c.cpuMs, 50) / stateCpuP50,
    bytes_vs_state: c.bytes / state.bytes,
  }));
  console.log(
    formatTable(rows, [
      'endpoint',
      'series',
      'bytes',
      'ms_p50',
      'ms_p99',
      'cpu_ms_p50',
      'cpu_vs_state',
      'bytes_vs_state',
    ]),
  );
  const perAgent = exposition.split('\n').filter((line) => line.includes('agent="')).length;
  console.log(
    `\n/metrics series naming an agent: ${perAgent} (${(perAgent / settings.agents).toFixed(1)} per agent)`,
  );
  console.log(`results: ${await writeResults('metrics-scrape', rows)}`);
  metrics.stop();
}
