/**
 * A master with emulated agents and frameworks in one process, for the metrics benchmark and
 * tests: agents register over in-memory streams, frameworks subscribe the same way, and every
 * offer of an allocation run is accepted with command tasks that are then reported running.
 * Nothing runs: there are no containers and no network, only the master's bookkeeping. Time is a
 * `ManualClock`: each `launchOnEveryOffer` moves it one allocation interval, the caller the rest.
 */
import { HierarchicalAllocator } from '../allocator/hierarchical-allocator.js';
import type { AgentEvent } from '../core/agent-protocol.js';
import { ManualClock } from '../core/clock.js';
import type { AgentId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import type { Offer } from '../core/v1/cluster.js';
import type { SchedulerEvent } from '../core/v1/scheduler.js';
import type { TaskInfo } from '../core/v1/tasks.js';
import { silentLogger } from '../log/logger.js';
import type { EventSink } from '../transport/event-stream.js';
import { MASTER_DEFAULTS, type MasterConfig } from './master-config.js';
import { buildMasterInfo } from './master-info.js';
import { Master } from './master.js';
import type { FrameworkRecord } from './records.js';

/** Keeps what it is sent in memory (only the latest offers, for frameworks). */
class MemorySink<E> implements EventSink<E> {
  closed = false;
  readonly received: E[] = [];

  constructor(private readonly keep: (event: E) => boolean) {}

  send(event: E): void {
    if (this.keep(event)) this.received.push(event);
  }

  close(): void {
    this.closed = true;
  }

  onClose(): void {}
}

export class InProcessCluster {
  readonly clock = new ManualClock(1_700_000_000_000);
  readonly allocator: HierarchicalAllocator;
  readonly master: Master;
  readonly frameworks: FrameworkRecord[] = [];
  private readonly offerSinks = new Map<FrameworkRecord, MemorySink<SchedulerEvent>>();
  private nextTask = 0;

  /** A master with no agents or frameworks yet. */
  constructor() {
    const config: MasterConfig = { ...MASTER_DEFAULTS, ip: '127.0.0.1', hostname: 'master', flags: {} };
    this.allocator = new HierarchicalAllocator({
      minAllocatable: config.minAllocatable,
      fairnessExcludedResourceNames: [],
    });
    this.master = new Master({
      config,
      clock: this.clock,
      log: silentLogger,
      allocator: this.allocator,
      masterInfo: buildMasterInfo('in-process', config.ip, config.port, config.hostname),
      requestAllocation: () => undefined,
    });
  }

  /** Registers `count` agents, each with `resources` (e.g. `cpus:16;mem:65536;disk:100000`). */
  addAgents(count: number, resources: string): void {
    const v1 = Resources.parse(resources).toV1();
    for (let i = 0; i < count; i++) {
      const hostname = `agent-${String(i).padStart(5, '0')}`;
      this.master.agents.register(
        {
          agent_info: { hostname, port: 5051, resources: v1, attributes: [] },
          url: `http://10.0.${Math.floor(i / 250)}.${i % 250}:5051`,
          tasks: [],
          frameworks: [],
          completed_tasks: [],
          completed_frameworks: [],
        },
        new MemorySink<AgentEvent>(() => false),
      );
    }
  }

  /** Subscribes `count` frameworks, spread round-robin over `roles` roles (`role-0`, `role-1`, ...). */
  addFrameworks(count: number, roles: number): void {
    for (let i = 0; i < count; i++) this.subscribe(`framework-${i}`, `role-${i % roles}`);
  }

  /**
   * Advances the clock one allocation interval, runs one allocation and accepts every offer with
   * up to `tasksPerOffer` command tasks of `taskResources` each (as many as fit), then reports them
   * running. Returns the tasks launched.
   */
  launchOnEveryOffer(tasksPerOffer: number, taskResources: string): number {
    this.clock.advance(MASTER_DEFAULTS.allocationIntervalMs);
    this.master.applyAllocations(this.allocator.allocate(this.clock.nowMs()));
    const each = Resources.parse(taskResources);
    let launched = 0;
    for (const [fw, sink] of this.offerSinks) {
      for (const event of sink.received.splice(0)) {
        if (event.type !== 'OFFERS') continue;
        for (const offer of event.offers.offers) launched += this.accept(fw, offer, tasksPerOffer, each);
      }
    }
    return launched;
  }

  private accept(fw: FrameworkRecord, offer: Offer, tasksPerOffer: number, each: Resources): number {
    let free = Resources.fromV1(offer.resources);
    const tasks: TaskInfo[] = [];
    while (tasks.length < tasksPerOffer && free.contains(each)) {
      free = free.minus(each);
      const id = `task-${this.nextTask++}`;
      tasks.push({
        name: id,
        task_id: { value: id },
        agent_id: offer.agent_id,
        resources: each.toV1(offer.allocation_info?.role),
        command: { value: 'sleep 3600', shell: true },
      });
    }
    this.master.handleCall(fw, {
      type: 'ACCEPT',
      framework_id: { value: fw.id },
      accept: { offer_ids: [offer.id], operations: [{ type: 'LAUNCH', launch: { task_infos: tasks } }] },
    });
    for (const task of tasks) {
      this.master.agents.update(offer.agent_id.value as AgentId, {
        framework_id: { value: fw.id },
        status: { task_id: task.task_id, state: 'TASK_RUNNING', source: 'SOURCE_EXECUTOR' },
        latest_state: 'TASK_RUNNING',
      });
    }
    return tasks.length;
  }

  private subscribe(name: string, role: string): void {
    const sink = new MemorySink<SchedulerEvent>((event) => event.type === 'OFFERS');
    const result = this.master.subscribe(
      {
        type: 'SUBSCRIBE',
        subscribe: { framework_info: { user: 'bench', name, role, failover_timeout: 0, checkpoint: false } },
      },
      sink,
      `stream-${name}`,
    );
    const fw = result === undefined ? undefined : this.master.frameworks.get(result.frameworkId);
    if (fw === undefined) throw new Error(`framework ${name} was refused`);
    this.frameworks.push(fw);
    this.offerSinks.set(fw, sink);
  }
}
