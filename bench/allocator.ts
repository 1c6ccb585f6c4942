/**
 * Allocator cycle benchmark in the shape of Mesos's
 * `HierarchicalAllocator_BENCHMARK_Test.DeclineOffers`: every agent is
 * `cpus:24;mem:4096;disk:4096;ports:[31000-32000]` with 16 cpus (plus memory, disk and 16 ports)
 * already used by one framework (round-robin), all frameworks subscribe to role `*`, and every
 * framework declines every offer with a filter that never expires (Mesos: `refuse_seconds` =
 * INT_MAX). Each round declines the previous round's offers and then times one full cycle. After
 * about `frameworks` rounds every framework has filtered every agent and cycles offer nothing;
 * like Mesos we run 2 × frameworks rounds, so both halves are in the percentiles. Round 0 runs
 * while V8 is still compiling the allocator, so it is reported apart (`first_cycle_ms`) and the
 * percentiles cover the rounds after it. Wall time (`cycle_ms_*`) is what the goals are about;
 * CPU time (`cycle_cpu_ms_*`, all threads, so garbage collection counts) is also printed because
 * other work on a shared machine inflates wall time but much less CPU time.
 *
 * Also measured per grid cell:
 * - one incremental event: a task's resources recovered on one agent, then a cycle for that agent;
 * - heap bytes per agent: (heapUsed + arrayBuffers) growth from adding the agents (frameworks are
 *   added first, outside the measurement), and again at the end with every filter installed. Exact after `global.gc()` when run with `--expose-gc`,
 *   approximate (no collection between readings) otherwise; the output says which;
 * - the same scenario on `NaiveDrfAllocator` (below), which re-sorts every role and framework on
 *   every pick: every round on small grids, else only the first `--naive-rounds` (it is too slow
 *   for all of them). Both must make identical offers. The ratio compares the p50 of the same
 *   rounds, leaving out round 0, which runs on cold code in both.
 *
 * Usage: node dist/bench/run.js allocator [--quick] [--agents 1000,10000] [--frameworks 100,1000]
 *        [--rounds N] [--naive-rounds K] [--events N]
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { AgentId, FrameworkId } from '../services/core/ids.js';
import { Resources } from '../services/core/resources.js';
import type {
  AgentDescriptor,
  Allocation,
  Allocator,
  AllocatorOptions,
  FrameworkDescriptor,
  UsedResources,
} from '../services/allocator/allocator.js';
import { HierarchicalAllocator } from '../services/allocator/hierarchical-allocator.js';
import { formatTable, percentile, type Row, writeResults } from './lib/report.js';

const FULL_GRID = { agents: [1_000, 10_000, 20_000], frameworks: [100, 1_000, 2_000] };
const QUICK_GRID = { agents: [1_000, 5_000], frameworks: [100, 500] };
const AGENT_RESOURCES = 'cpus:24;mem:4096;disk:4096;ports:[31000-32000]';
/** 16 tasks of 1 cpu with one port each; Mesos picks random ports, ours are spread evenly so runs repeat. */
const TASK_PORTS = Array.from({ length: 16 }, (_, i) => ({ begin: 31_000 + i * 63, end: 31_000 + i * 63 }));
const ROLE = '*';
/** Mesos's default `--allocation_interval`; each round advances the clock by it. */
const INTERVAL_MS = 1_000;
/** Mesos's benchmark declines with `refuse_seconds` = INT_MAX. */
const REFUSE_MS = 2_147_483_647 * 1_000;
/** Up to this many agent × framework pairs the naive allocator runs every round, not a sample. */
const NAIVE_FULL_RUN_MAX_PAIRS = 100_000;
const OPTIONS: AllocatorOptions = {
  minAllocatable: [{ cpus: 0.01 }, { mem: 32 }],
  fairnessExcludedResourceNames: [],
};

/** What the scenario calls; both the real and the naive allocator provide it. */
type DeclineOffersSubject = Pick<Allocator, 'addFramework' | 'addAgent' | 'recoverResources' | 'allocate'>;

interface Settings {
  readonly agents: readonly number[];
  readonly frameworks: readonly number[];
  readonly rounds: number | undefined;
  readonly naiveRounds: number;
  readonly events: number;
}

const frameworkIdOf = (i: number): FrameworkId => `framework-${String(i).padStart(5, '0')}` as FrameworkId;
const agentIdOf = (i: number): AgentId => `agent-${String(i).padStart(6, '0')}` as AgentId;
const taskResources = (): Resources =>
  Resources.parse('cpus:16;mem:2014;disk:1024').plus(Resources.ranges('ports', TASK_PORTS));

function parseSettings(args: readonly string[]): Settings {
  const value = (flag: string): string | undefined => {
    const index = args.indexOf(flag);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const list = (flag: string, fallback: readonly number[]): number[] =>
    value(flag)
      ?.split(',')
      .map((n) => Number(n.replaceAll('_', ''))) ?? [...fallback];
  const grid = args.includes('--quick') ? QUICK_GRID : FULL_GRID;
  const positive = (n: number, flag: string): number => {
    if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} needs positive integers, got ${n}`);
    return n;
  };
  const rounds = value('--rounds');
  return {
    agents: list('--agents', grid.agents).map((n) => positive(n, '--agents')),
    frameworks: list('--frameworks', grid.frameworks).map((n) => positive(n, '--frameworks')),
    rounds: rounds === undefined ? undefined : positive(Number(rounds), '--rounds'),
    naiveRounds: positive(Number(value('--naive-rounds') ?? 4), '--naive-rounds'),
    events: positive(Number(value('--events') ?? 200), '--events'),
  };
}

/**
 * Heap plus typed-array memory (offer filter tables live in array buffers, outside the JS heap).
 * V8 releases dead array buffers after a collection, on its own schedule, so collect, yield to the
 * event loop, and collect again before reading.
 */
async function memoryBytes(): Promise<number> {
  for (let pass = 0; pass < 2 && globalThis.gc !== undefined; pass++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function addFrameworks(subject: DeclineOffersSubject, frameworks: number): void {
  for (let i = 0; i < frameworks; i++) {
    subject.addFramework(frameworkIdOf(i), { roles: [ROLE], suppressedRoles: [], gpuAware: false }, [], true);
  }
}

function addAgents(subject: DeclineOffersSubject, agents: number, frameworks: number): void {
  for (let i = 0; i < agents; i++) {
    const agentId = agentIdOf(i);
    subject.addAgent(agentId, { hostname: `${agentId}.bench`, total: Resources.parse(AGENT_RESOURCES) }, [
      { frameworkId: frameworkIdOf(i % frameworks), agentId, role: ROLE, resources: taskResources() },
    ]);
  }
}

/**
 * A 32-bit FNV-1a hash of a round's offers, in a canonical order: enough to tell whether two
 * allocators made the same offers, without keeping every round's text alive during memory readings.
 */
function fingerprint(offers: readonly Allocation[]): number {
  const text = offers
    .map((o) => `${o.frameworkId}@${o.agentId}:${o.resources.toString()}`)
    .sort()
    .join('\n');
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

interface RoundsResult {
  readonly cycleMs: number[];
  /** CPU time of the process during each cycle (user + system, all threads). */
  readonly cycleCpuMs: number[];
  readonly offersPerRound: number[];
  readonly fingerprints: number[];
}

/** Declines the previous round's offers with a long filter, then times one cycle; `rounds` times. */
function runRounds(subject: DeclineOffersSubject, rounds: number, fingerprintRounds: number): RoundsResult {
  const result: RoundsResult = { cycleMs: [], cycleCpuMs: [], offersPerRound: [], fingerprints: [] };
  let offers: Allocation[] = [];
  for (let round = 0; round < rounds; round++) {
    const nowMs = (round + 1) * INTERVAL_MS;
    for (const o of offers)
      subject.recoverResources(o.frameworkId, o.agentId, o.role, o.resources, nowMs + REFUSE_MS);
    const startMs = performance.now();
    const startCpu = process.cpuUsage();
    offers = subject.allocate(nowMs);
    const cpu = process.cpuUsage(startCpu);
    result.cycleMs.push(performance.now() - startMs);
    result.cycleCpuMs.push((cpu.user + cpu.system) / 1_000);
    result.offersPerRound.push(offers.length);
    if (round < fingerprintRounds) result.fingerprints.push(fingerprint(offers));
  }
  return result;
}

/** A task ends on one agent (its resources come back), then a cycle runs for that agent alone. */
function measureEvents(
  allocator: HierarchicalAllocator,
  agents: number,
  frameworks: number,
  samples: number,
  nowMs: number,
): number[] {
  const micros: number[] = [];
  const step = Math.max(1, Math.floor(agents / samples));
  for (let i = 0; i < agents && micros.length < samples; i += step) {
    const agentId = agentIdOf(i);
    const startMs = performance.now();
    allocator.recoverResources(frameworkIdOf(i % frameworks), agentId, ROLE, taskResources());
    allocator.allocate(nowMs, [agentId]);
    micros.push((performance.now() - startMs) * 1_000);
  }
  return micros;
}

/**
 * The baseline: DRF the way a first version would write it, with the same policy and tie-breaks as
 * `HierarchicalAllocator` for what this scenario uses (no quota, reservations, suppression or
 * GPUs). Every pick recomputes every role's and framework's share from scratch and sorts them, and
 * filters sit in one map keyed by framework and agent.
 */
class NaiveDrfAllocator implements DeclineOffersSubject {
  private readonly totalsMilli = new Map<string, number>();
  private readonly free = new Map<AgentId, Resources>();
  private readonly frameworks = new Map<FrameworkId, NaiveClient & { readonly role: string }>();
  private readonly roles = new Map<string, NaiveClient>();
  private readonly filters = new Map<string, { readonly refused: Resources; readonly untilMs: number }>();
  private readonly minimumsMilli: readonly Map<string, number>[];

  constructor(options: AllocatorOptions) {
    this.minimumsMilli = options.minAllocatable.map(
      (minimum) => new Map(Object.entries(minimum).map(([name, value]) => [name, Math.round(value * 1000)])),
    );
  }

  addFramework(id: FrameworkId, framework: FrameworkDescriptor): void {
    const role = framework.roles[0] ?? ROLE;
    this.frameworks.set(id, { id, role, allocationMilli: new Map(), allocationCount: 0 });
    if (!this.roles.has(role))
      this.roles.set(role, { id: role, allocationMilli: new Map(), allocationCount: 0 });
  }

  addAgent(id: AgentId, agent: AgentDescriptor, used: readonly UsedResources[]): void {
    for (const [name, milli] of agent.total.scalarQuantities()) {
      this.totalsMilli.set(name, (this.totalsMilli.get(name) ?? 0) + milli);
    }
    let free = agent.total;
    for (const entry of used) {
      free = free.minus(entry.resources);
      this.charge(entry.frameworkId, entry.resources, +1);
    }
    this.free.set(id, free);
  }

  recoverResources(
    frameworkId: FrameworkId,
    agentId: AgentId,
    _role: string,
    resources: Resources,
    refuseUntilMs?: number,
  ): void {
    this.free.set(agentId, this.free.get(agentId)!.plus(resources));
    this.charge(frameworkId, resources, -1);
    if (refuseUntilMs !== undefined)
      this.filters.set(`${frameworkId}|${agentId}`, { refused: resources, untilMs: refuseUntilMs });
  }

  allocate(nowMs: number): Allocation[] {
    const offers: Allocation[] = [];
    for (const agentId of this.free.keys()) {
      for (const role of this.sortedByShare([...this.roles.values()])) {
        const free = this.free.get(agentId)!;
        const offer = free.usableBy(role.id);
        const quantities = offer.scalarQuantities();
        if (
          offer.isEmpty() ||
          !this.minimumsMilli.some((min) => [...min].every(([n, m]) => (quantities.get(n) ?? 0) >= m))
        )
          continue;
        const members = [...this.frameworks.values()].filter((framework) => framework.role === role.id);
        const taker = this.sortedByShare(members).find(
          (framework) => !this.refuses(framework.id, agentId, offer, nowMs),
        );
        if (taker === undefined) continue;
        this.free.set(agentId, free.minus(offer));
        this.charge(taker.id as FrameworkId, offer, +1);
        offers.push({ frameworkId: taker.id as FrameworkId, agentId, role: role.id, resources: offer });
      }
    }
    return offers;
  }

  private refuses(frameworkId: string, agentId: AgentId, offer: Resources, nowMs: number): boolean {
    const filter = this.filters.get(`${frameworkId}|${agentId}`);
    return filter !== undefined && nowMs < filter.untilMs && filter.refused.contains(offer);
  }

  private charge(frameworkId: FrameworkId, resources: Resources, sign: 1 | -1): void {
    const framework = this.frameworks.get(frameworkId)!;
    for (const client of [framework, this.roles.get(framework.role)!]) {
      for (const [name, milli] of resources.scalarQuantities()) {
        client.allocationMilli.set(name, (client.allocationMilli.get(name) ?? 0) + sign * milli);
      }
      if (sign > 0) client.allocationCount++;
    }
  }

  private sortedByShare<T extends NaiveClient>(clients: T[]): T[] {
    const share = (client: NaiveClient): number => {
      let max = 0;
      for (const [name, milli] of client.allocationMilli) {
        const total = this.totalsMilli.get(name) ?? 0;
        if (total > 0 && milli / total > max) max = milli / total;
      }
      return max;
    };
    return clients
      .map((client) => ({ client, share: share(client) }))
      .sort(
        (a, b) =>
          a.share - b.share ||
          a.client.allocationCount - b.client.allocationCount ||
          (a.client.id < b.client.id ? -1 : 1),
      )
      .map(({ client }) => client);
  }
}

interface NaiveClient {
  readonly id: string;
  readonly allocationMilli: Map<string, number>;
  allocationCount: number;
}

async function benchmarkCell(agents: number, frameworks: number, settings: Settings) {
  const rounds = settings.rounds ?? 2 * frameworks;
  const naiveRounds =
    agents * frameworks <= NAIVE_FULL_RUN_MAX_PAIRS ? rounds : Math.min(settings.naiveRounds, rounds);
  // Round 0 runs on cold code in both allocators; compare from round 1 when there is one.
  const comparedFrom = naiveRounds > 1 ? 1 : 0;

  const allocator = new HierarchicalAllocator(OPTIONS);
  addFrameworks(allocator, frameworks);
  const baseBytes = await memoryBytes();
  addAgents(allocator, agents, frameworks);
  const setupBytes = await memoryBytes();
  const meso = runRounds(allocator, rounds, naiveRounds);
  const filteredBytes = await memoryBytes();
  const eventMicros = measureEvents(
    allocator,
    agents,
    frameworks,
    settings.events,
    (rounds + 1) * INTERVAL_MS,
  );

  const naive = new NaiveDrfAllocator(OPTIONS);
  addFrameworks(naive, frameworks);
  addAgents(naive, agents, frameworks);
  const baseline = runRounds(naive, naiveRounds, naiveRounds);
  const sameOffers = baseline.fingerprints.every((print, round) => print === meso.fingerprints[round]);

  const warm = { cycleMs: meso.cycleMs.slice(1), cycleCpuMs: meso.cycleCpuMs.slice(1) };
  const mesoSameRoundsMs = percentile(meso.cycleMs.slice(comparedFrom, naiveRounds), 50);
  const naiveSameRoundsMs = percentile(baseline.cycleMs.slice(comparedFrom), 50);
  return {
    agents,
    frameworks,
    rounds,
    busy_rounds: meso.offersPerRound.filter((count) => count > 0).length,
    // Round 0 runs while V8 is still compiling the allocator; it is reported on its own.
    first_cycle_ms: meso.cycleMs[0] ?? Number.NaN,
    cycle_ms_p50: percentile(warm.cycleMs, 50),
    cycle_ms_p99: percentile(warm.cycleMs, 99),
    cycle_ms_max: Math.max(...warm.cycleMs),
    cycle_cpu_ms_p50: percentile(warm.cycleCpuMs, 50),
    cycle_cpu_ms_p99: percentile(warm.cycleCpuMs, 99),
    cycle_cpu_ms_max: Math.max(...warm.cycleCpuMs),
    event_us_p50: percentile(eventMicros, 50),
    event_us_p99: percentile(eventMicros, 99),
    heap_bytes_per_agent: Math.round((setupBytes - baseBytes) / agents),
    heap_bytes_per_agent_all_filtered: Math.round((filteredBytes - baseBytes) / agents),
    naive_rounds: naiveRounds,
    naive_cycle_ms_p50: naiveSameRoundsMs,
    meso_cycle_ms_p50_same_rounds: mesoSameRoundsMs,
    speedup_vs_naive: naiveSameRoundsMs / mesoSameRoundsMs,
    offers_identical_to_naive: sameOffers,
  };
}

export async function main(args: string[]): Promise<void> {
  const settings = parseSettings(args);
  const memoryMode =
    globalThis.gc === undefined ? 'approximate (run with --expose-gc for exact)' : 'after gc()';
  console.log(`allocator DeclineOffers benchmark; heap figures ${memoryMode}`);
  const rows: Row[] = [];
  for (const agents of settings.agents) {
    for (const frameworks of settings.frameworks) {
      const row = await benchmarkCell(agents, frameworks, settings);
      // Other work on the machine inflates wall time; the CPU-time columns are less affected.
      const load = loadavg()[0]!;
      rows.push({
        ...row,
        load_avg_1m: load,
        heap_measurement: globalThis.gc === undefined ? 'approximate' : 'gc',
      });
      console.log(
        `${agents} agents × ${frameworks} frameworks: cycle p50 ${row.cycle_ms_p50.toFixed(1)} ms, ` +
          `p99 ${row.cycle_ms_p99.toFixed(1)} ms (load average ${load.toFixed(1)})`,
      );
    }
  }
  console.log(`\n${formatTable(rows, TABLE_COLUMNS)}`);
  console.log(`\nwrote ${await writeResults('allocator', rows)}`);
}

const TABLE_COLUMNS = [
  'agents',
  'frameworks',
  'rounds',
  'busy_rounds',
  'first_cycle_ms',
  'cycle_ms_p50',
  'cycle_ms_p99',
  'cycle_ms_max',
  'cycle_cpu_ms_p50',
  'cycle_cpu_ms_p99',
  'event_us_p50',
  'event_us_p99',
  'heap_bytes_per_agent',
  'heap_bytes_per_agent_all_filtered',
  'naive_rounds',
  'naive_cycle_ms_p50',
  'meso_cycle_ms_p50_same_rounds',
  'speedup_vs_naive',
  'offers_identical_to_naive',
  'load_avg_1m',
];
