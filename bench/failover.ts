/**
 * Master failover (performance-anchors.md §4.4, a replica of the Mesos paper's §6.6 MTTR): three
 * `meso master` processes on a real ZooKeeper, N emulated agents (one process, the real protocol,
 * `lib/emulated-agents.ts`) each running `--tasks-per-agent` tasks of `--frameworks` frameworks
 * (the SDK's `SchedulerClient` following the leader with `detectedMaster`). Once all tasks run,
 * the leader is SIGKILLed, and the benchmark measures from the kill to:
 *
 *   (a) a new leader elected (this process's ZooKeeper detector names it);
 *   (b) every agent re-registered with it;
 *   (c) every framework re-subscribed to it.
 *
 * (a) is bounded below by the ZooKeeper session timeout: the dead leader's node lives that long.
 * Goal: (c) within session timeout + 2 s at 1,000 agents. Agents wait for the new leader and then
 * a random delay up to `--registration_backoff_factor` (1 s), as `meso agent` does; frameworks
 * retry with a backoff capped at 1 s. The run also checks that no framework saw a task lost and
 * that the new leader knows every task.
 *
 * Usage: node dist/bench/run.js failover [--agents 10,100,1000] [--frameworks 5]
 *          [--tasks-per-agent 1] [--session-timeout 4secs] [--runs 1]
 */
import { availableParallelism } from 'node:os';
import { readFile } from 'node:fs/promises';
import { followLeader } from '../services/cmd/master-detection.js';
import { parseZkUrl, startZkMasterDetector, type MasterDetector } from '../services/coordination/index.js';
import { parseDurationMs } from '../services/core/duration.js';
import { systemClock } from '../services/core/clock.js';
import type { Offer } from '../services/core/v1/cluster.js';
import type { TaskState } from '../services/core/v1/tasks.js';
import { Resources } from '../services/core/resources.js';
import { silentLogger } from '../services/log/logger.js';
import { detectedMaster, SchedulerClient, sleep } from '../services/scheduler/index.js';
import { Cluster, waitFor } from '../test/helpers/cluster.js';
import { HaMasters, masterState, zkGroupUrl } from '../test/helpers/ha-cluster.js';
import { commandTask } from '../test/helpers/scheduler.js';
import { startZooKeeper, type ZooKeeperServer } from '../test/helpers/zookeeper.js';
import { startEmulatedAgents, type EmulatedAgent } from './lib/emulated-agents.js';
import { formatTable, type Row, writeResults } from './lib/report.js';

interface Settings {
  readonly agentCounts: readonly number[];
  readonly frameworks: number;
  readonly tasksPerAgent: number;
  readonly sessionTimeoutMs: number;
  readonly runs: number;
}

/** `meso agent`'s default `--registration_backoff_factor`: the jitter after a new leader is seen. */
const REGISTRATION_BACKOFF_MS = 1000;
const AGENT_RESOURCES = Resources.parse('cpus:8;mem:16384;disk:65536').toV1();
/** States a task that ran throughout must never be reported in. */
const BAD_STATES: ReadonlySet<TaskState> = new Set([
  'TASK_LOST',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_DROPPED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
]);
const CLOCK_TICKS_PER_SECOND = 100;

function parseArgs(args: readonly string[]): Settings {
  const raw = new Map<string, string>();
  for (let i = 0; i < args.length; i += 2) raw.set(args[i]?.replace(/^--/, '') ?? '', args[i + 1] ?? '');
  const count = (name: string, fallback: number): number => {
    const value = Number(raw.get(name) ?? fallback);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`--${name} must be a positive integer`);
    return value;
  };
  return {
    agentCounts: (raw.get('agents') ?? '10,100,1000').split(',').map(Number),
    frameworks: count('frameworks', 5),
    tasksPerAgent: count('tasks-per-agent', 1),
    sessionTimeoutMs: parseDurationMs(raw.get('session-timeout') ?? '4secs'),
    runs: count('runs', 1),
  };
}

/** A framework that launches one task per offer up to its quota and records what it sees. */
class BenchFramework {
  readonly client: SchedulerClient;
  readonly running = new Set<string>();
  readonly subscribedAtMs: number[] = [];
  readonly badUpdates: string[] = [];
  private launched = 0;
  private pump: Promise<void> = Promise.resolve();

  constructor(
    private readonly index: number,
    detector: MasterDetector,
    private readonly quota: number,
  ) {
    this.client = new SchedulerClient({
      master: detectedMaster(detector),
      framework: {
        user: 'bench',
        name: `failover-bench-${index}`,
        failover_timeout: 3600,
        capabilities: [{ type: 'PARTITION_AWARE' }],
      },
      backoff: { initialMs: 250, maxMs: 1000 },
    });
  }

  start(): void {
    const events = this.client.subscribe();
    this.pump = (async () => {
      for await (const event of events) {
        if (event.type === 'SUBSCRIBED') this.subscribedAtMs.push(Date.now());
        else if (event.type === 'OFFERS') this.onOffers(event.offers.offers);
        else if (event.type === 'UPDATE') {
          const { task_id: taskId, state } = event.update.status;
          if (state === 'TASK_RUNNING') this.running.add(taskId.value);
          if (BAD_STATES.has(state)) this.badUpdates.push(`${taskId.value}:${state}`);
        }
      }
    })().catch(() => undefined);
  }

  async stop(): Promise<void> {
    await this.client.close();
    await this.pump;
  }

  /** Launches one task per offer while under quota; declines the rest in one call. */
  private onOffers(offers: readonly Offer[]): void {
    const declined: Offer['id'][] = [];
    for (const offer of offers) {
      if (this.launched < this.quota) {
        const id = `fw${this.index}-task${this.launched++}`;
        void this.client.launch(offer, [commandTask(offer, id, 'sleep 3600')]).catch(() => undefined);
      } else declined.push(offer.id);
    }
    if (declined.length > 0)
      void this.client.decline(declined, { refuse_seconds: 3600 }).catch(() => undefined);
  }
}

/** CPU time (user + system, ms) a process used so far, from `/proc`. */
async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
}

async function measure(zk: ZooKeeperServer, agentCount: number, settings: Settings): Promise<Row> {
  const { sessionTimeoutMs } = settings;
  const cluster = new Cluster();
  const ha = new HaMasters(cluster, zkGroupUrl(zk.connectString), {
    zk_session_timeout: `${sessionTimeoutMs}ms`,
    quorum: 2,
    agent_reregister_timeout: '10mins',
    log_level: 'warn',
  });
  const detector = await startZkMasterDetector({
    url: parseZkUrl(ha.zk),
    sessionTimeoutMs,
    clock: systemClock,
    log: silentLogger,
  });
  let agents: EmulatedAgent[] = [];
  let frameworks: BenchFramework[] = [];
  try {
    await ha.start(3);
    const leader = await ha.leader(30_000);
    agents = startEmulatedAgents(agentCount, {
      clock: systemClock,
      log: silentLogger,
      detectMaster: () =>
        followLeader(detector, {
          clock: systemClock,
          changeTimeoutMs: sessionTimeoutMs,
          jitterMs: REGISTRATION_BACKOFF_MS,
          random: Math.random,
        }),
      resources: AGENT_RESOURCES,
      backoffMs: REGISTRATION_BACKOFF_MS,
      random: Math.random,
    });
    await waitFor(() => agents.every((a) => a.registration !== undefined), 60_000, 'every agent registered');
    const tasks = agentCount * settings.tasksPerAgent;
    frameworks = Array.from(
      { length: settings.frameworks },
      (_, i) => new BenchFramework(i, detector, Math.ceil(tasks / settings.frameworks)),
    );
    for (const framework of frameworks) framework.start();
    await waitFor(
      () => frameworks.reduce((sum, f) => sum + f.running.size, 0) >= tasks,
      120_000,
      `${tasks} tasks running`,
    );
    await sleep(systemClock, 2000); // the registry's batched writes settle
    const oldLeaderId = (await masterState(leader)).id;

    let electedAtMs: number | undefined;
    const watching = new AbortController();
    void (async () => {
      for (let info = await detector.detect(undefined, watching.signal); ;) {
        if (info !== undefined && info.id !== oldLeaderId) {
          electedAtMs = Date.now();
          return;
        }
        info = await detector.detect(info, watching.signal);
      }
    })().catch(() => undefined);

    const benchCpuBefore = process.cpuUsage();
    const killedAtMs = Date.now();
    await ha.kill(leader);
    const successor = await ha.leader(sessionTimeoutMs + 60_000, leader);
    const successorCpuBefore = await cpuMs(successor.pid);
    const reregistered = (a: EmulatedAgent): boolean =>
      a.registration !== undefined && a.registration.masterId !== oldLeaderId;
    await waitFor(
      () =>
        agents.every(reregistered) && frameworks.every((f) => (f.subscribedAtMs.at(-1) ?? 0) > killedAtMs),
      sessionTimeoutMs + 60_000,
      'every agent and framework back',
    );
    const doneAtMs = Date.now();
    watching.abort();
    const benchCpu = process.cpuUsage(benchCpuBefore);
    const successorCpu = (await cpuMs(successor.pid)) - successorCpuBefore;

    const state = await masterState(successor);
    const known = state.frameworks.reduce(
      (sum, f) => sum + f.tasks.filter((t) => t.state === 'TASK_RUNNING').length,
      0,
    );
    const agentsMs = Math.max(...agents.map((a) => (a.registration?.atMs ?? doneAtMs) - killedAtMs));
    const frameworksMs = Math.max(
      ...frameworks.map((f) => (f.subscribedAtMs.at(-1) ?? doneAtMs) - killedAtMs),
    );
    const goalMs = sessionTimeoutMs + 2000;
    return {
      agents: agentCount,
      frameworks: settings.frameworks,
      tasks,
      sessionTimeoutMs,
      electedMs: electedAtMs === undefined ? null : electedAtMs - killedAtMs,
      agentsReregisteredMs: agentsMs,
      frameworksResubscribedMs: frameworksMs,
      goalMs,
      goalMet: frameworksMs <= goalMs,
      tasksKnownAfter: known,
      badUpdates: frameworks.reduce((sum, f) => sum + f.badUpdates.length, 0),
      successorCpuMs: Math.round(successorCpu),
      benchCpuPct: Math.round(((benchCpu.user + benchCpu.system) / 1000 / (doneAtMs - killedAtMs)) * 100),
    };
  } finally {
    await Promise.all(frameworks.map((f) => f.stop()));
    await Promise.all(agents.map((a) => a.stop()));
    await detector.close();
    await cluster.stopAll();
  }
}

export async function main(args: string[]): Promise<void> {
  const settings = parseArgs(args);
  const zk = await startZooKeeper();
  const rows: Row[] = [];
  try {
    for (const agentCount of settings.agentCounts) {
      for (let run = 0; run < settings.runs; run++) {
        const row = await measure(zk, agentCount, settings);
        console.error(`measured ${agentCount} agents, run ${run + 1}: ${JSON.stringify(row)}`);
        rows.push(row);
      }
    }
  } finally {
    await zk.destroy();
  }
  console.log(
    `master failover: 3 masters, 1 ZooKeeper server, session timeout ${settings.sessionTimeoutMs} ms, ` +
      `${settings.frameworks} frameworks, ${settings.tasksPerAgent} task(s) per agent; ` +
      `${availableParallelism()} cpus, node ${process.version}; times from SIGKILL of the leader`,
  );
  console.log(formatTable(rows, Object.keys(rows[0] ?? {})));
  const path = await writeResults('failover', rows);
  console.log(`results: ${path}`);
}
