/**
 * The master's side of the master ↔ agent protocol (`core/agent-protocol.ts`): registration and
 * re-registration with the agent's full task list, liveness from pings, marking silent agents
 * unreachable, and status updates flowing from agents to frameworks.
 */
import type { AgentCall, AgentEvent, AgentTask } from '../core/agent-protocol.js';
import type { AgentId, FrameworkId } from '../core/ids.js';
import { invalidCall, MesoError } from '../core/errors.js';
import { Resources } from '../core/resources.js';
import { frameworkRoles, type FrameworkInfo } from '../core/v1/cluster.js';
import type { Url } from '../core/v1/common.js';
import type { TaskStatus } from '../core/v1/tasks.js';
import type { Logger } from '../log/logger.js';
import type { EventSink } from '../transport/event-stream.js';
import { recoverHistory } from './history.js';
import type { Master, MasterDeps } from './master.js';
import { agentTaskKey, pushBounded, type AgentRecord, type TaskRecord } from './records.js';
import { MAX_STATUSES_PER_TASK } from './master-config.js';
import type { RegistryAgent } from './registrar.js';
import { RecoveredAgents } from './recovery.js';

type RegisterCall = NonNullable<AgentCall['register']>;
type UpdateCall = NonNullable<AgentCall['update']>;

export class AgentRegistry {
  private readonly agents = new Map<AgentId, AgentRecord>();
  private nextAgentNumber = 0;
  private cancelSweep: (() => void) | undefined;
  private readonly log: Logger;
  /** Agents of the registry not re-registered since this master was elected (see recovery.ts). */
  readonly recovered: RecoveredAgents;

  constructor(
    private readonly master: Master,
    private readonly deps: MasterDeps,
  ) {
    this.log = deps.log.child({ component: 'master.agents' });
    this.recovered = new RecoveredAgents({
      clock: deps.clock,
      log: deps.log,
      timeoutMs: deps.config.agentReregisterTimeoutMs,
      onTimeout: (agents) => {
        for (const entry of agents) this.markUnreachable(this.placeholder(entry));
      },
    });
  }

  /** Starts marking silent agents unreachable; the master calls it once it leads. */
  startHealthChecks(): void {
    if (this.cancelSweep === undefined) this.scheduleSweep();
  }

  /**
   * Takes in the registry's agents after a failover: unreachable ones are known as such, the
   * others are awaited (`recovered`) until they re-register or `--agent_reregister_timeout` passes.
   */
  recover(agents: readonly RegistryAgent[]): void {
    for (const entry of agents) {
      if (entry.unreachableTimeSec === undefined) continue;
      const agent = this.placeholder(entry);
      agent.state = 'unreachable';
      agent.unreachableTimeSec = entry.unreachableTimeSec;
    }
    this.recovered.start(agents.filter((entry) => entry.unreachableTimeSec === undefined));
  }

  /** A record for an agent known only from the registry: no stream, no resources, no tasks yet. */
  private placeholder(entry: RegistryAgent): AgentRecord {
    const id = entry.id as AgentId;
    const agent: AgentRecord = {
      id,
      info: {
        hostname: entry.hostname,
        port: Number(new URL(entry.url).port || 5051),
        resources: [],
        attributes: [],
        id: { value: id },
      },
      url: entry.url,
      total: Resources.EMPTY,
      attributes: [],
      state: 'disconnected',
      lastPingMs: this.deps.clock.nowMs(),
      registeredTimeSec: this.master.nowSec(),
      tasks: new Map(),
    };
    this.agents.set(id, agent);
    return agent;
  }

  get(id: AgentId): AgentRecord | undefined {
    return this.agents.get(id);
  }

  all(): IterableIterator<AgentRecord> {
    return this.agents.values();
  }

  stop(): void {
    this.cancelSweep?.();
    this.cancelSweep = undefined;
    this.recovered.stop();
    for (const agent of this.agents.values()) agent.sink?.close();
  }

  /** Sends an event to an agent if it is connected; the protocol's idempotence covers the rest. */
  send(id: AgentId, event: AgentEvent): boolean {
    const sink = this.agents.get(id)?.sink;
    if (sink === undefined || sink.closed) return false;
    sink.send(event);
    return true;
  }

  /** The `url` field of offers: where the agent's HTTP API is. */
  agentUrl(agent: AgentRecord): Url {
    const parsed = new URL(agent.url);
    return {
      scheme: parsed.protocol.replace(':', ''),
      address: { hostname: agent.info.hostname, ip: parsed.hostname, port: Number(parsed.port || 5051) },
      path: '/slave(1)',
    };
  }

  /**
   * Registers a new agent or re-registers a known one (an agent id the master has never seen is
   * accepted too: after a failover the new leader learns its agents this way).
   */
  register(call: RegisterCall, sink: EventSink<AgentEvent>): AgentId {
    const total = Resources.fromV1(call.agent_info.resources);
    if (total.scalar('cpus') <= 0 && total.scalar('mem') <= 0) {
      throw invalidCall('Agent must advertise cpus or mem resources');
    }
    const requestedId = call.agent_info.id?.value as AgentId | undefined;
    const now = this.master.nowSec();
    const existing = requestedId === undefined ? undefined : this.agents.get(requestedId);
    const id = requestedId ?? (`${this.deps.masterInfo.id}-S${this.nextAgentNumber++}` as AgentId);
    if (existing !== undefined) {
      this.detach(existing);
      this.deps.allocator.removeAgent(id);
    }
    const agent: AgentRecord = {
      id,
      info: { ...call.agent_info, id: { value: id } },
      url: call.url,
      total,
      attributes: call.agent_info.attributes,
      state: 'active',
      sink,
      lastPingMs: this.deps.clock.nowMs(),
      registeredTimeSec: existing?.registeredTimeSec ?? now,
      ...(requestedId !== undefined && { reregisteredTimeSec: now }),
      ...(call.version !== undefined && { version: call.version }),
      tasks: existing?.tasks ?? new Map(),
    };
    this.agents.set(id, agent);
    this.recovered.arrived(id);
    for (const info of call.frameworks) this.master.recoverFramework(info, 'agent');
    const used = this.reconcileTasks(agent, call.tasks, call.frameworks);
    recoverHistory(this.master, id, call.completed_frameworks, call.completed_tasks);
    this.deps.allocator.addAgent(id, { hostname: agent.info.hostname, total }, used);
    this.master.maintenance.agentRegistered(agent);
    sink.onClose(() => this.onStreamClosed(agent, sink));
    sink.send({
      type: 'REGISTERED',
      registered: {
        agent_id: { value: id },
        ping_interval_seconds: this.deps.config.agentPingTimeoutMs / 1000,
        master_id: this.deps.masterInfo.id,
      },
    });
    this.log.info(requestedId === undefined ? 'agent registered' : 'agent re-registered', {
      agentId: id,
      hostname: agent.info.hostname,
      resources: total.toString(),
      tasks: call.tasks.length,
    });
    this.master.events.emit({ type: 'AGENT_ADDED', agent });
    this.deps.requestAllocation([id]);
    return id;
  }

  /**
   * Brings the master's view of an agent's tasks in line with what the agent reports: reported
   * tasks are (re-)added, tasks the master expected but the agent lacks are gone.
   */
  private reconcileTasks(
    agent: AgentRecord,
    reported: readonly AgentTask[],
    frameworks: readonly FrameworkInfo[],
  ) {
    const used: { frameworkId: FrameworkId; agentId: AgentId; role: string; resources: Resources }[] = [];
    const seen = new Set<string>();
    for (const report of reported) {
      const frameworkId = report.framework_id.value as FrameworkId;
      const fw = this.master.frameworks.get(frameworkId);
      if (fw === undefined) continue; // torn down while the agent was away; its SHUTDOWN follows
      const key = agentTaskKey(frameworkId, report.task.task_id.value);
      seen.add(key);
      const resources = Resources.fromV1(report.task.resources);
      const role =
        report.task.resources[0]?.allocation_info?.role ??
        roleFor(frameworks, frameworkId) ??
        fw.roles[0] ??
        '*';
      const known = this.master.findTask(fw, report.task.task_id.value);
      const task =
        known ?? this.master.addTask(fw, agent.id, role, report.task, resources, undefined, report.state);
      if (known !== undefined) {
        known.state = report.state;
        fw.unreachableTasks.delete(known.taskId);
        fw.tasks.set(known.taskId, known);
        delete known.unreachableTimeSec;
        known.resourcesReleased = false;
        agent.tasks.set(key, known);
      }
      used.push({ frameworkId, agentId: agent.id, role: task.role, resources: task.resources });
    }
    for (const [key, task] of [...agent.tasks]) {
      if (seen.has(key)) continue;
      agent.tasks.delete(key);
      const state = task.state === 'TASK_STAGING' ? 'TASK_DROPPED' : 'TASK_GONE';
      this.master.recordStatus(
        task,
        this.master.masterStatus(
          task,
          state,
          'REASON_AGENT_RESTARTED',
          'Task is unknown to the agent after it re-registered',
        ),
      );
    }
    return used;
  }

  /** Records a ping; `false` means the agent is unknown here and must register again. */
  ping(id: AgentId): boolean {
    const agent = this.agents.get(id);
    if (agent === undefined || agent.state === 'unreachable') return false;
    agent.lastPingMs = this.deps.clock.nowMs();
    return true;
  }

  /** A status update from an agent: recorded, then forwarded to the framework (or acknowledged for it if it is gone). */
  update(agentId: AgentId, update: UpdateCall): void {
    const agent = this.agents.get(agentId);
    if (agent === undefined) throw new MesoError('NOT_FOUND', `Agent '${agentId}' is not registered`);
    agent.lastPingMs = this.deps.clock.nowMs();
    const frameworkId = update.framework_id.value as FrameworkId;
    const status: TaskStatus = { ...update.status, agent_id: { value: agentId } };
    const fw = this.master.frameworks.get(frameworkId);
    if (fw === undefined) {
      // Nobody will ever acknowledge this update: acknowledge it on the framework's behalf so the
      // agent stops retrying.
      if (status.uuid !== undefined) {
        this.send(agentId, {
          type: 'ACKNOWLEDGE',
          acknowledge: { framework_id: update.framework_id, task_id: status.task_id, uuid: status.uuid },
        });
      }
      return;
    }
    const task = this.master.findTask(fw, status.task_id.value);
    if (task === undefined) {
      // The master may have retired the task already: updates carry `latest_state`, so a terminal
      // state can be known before the earlier updates (STARTING, RUNNING) have been delivered.
      // They still belong in its history; its state and resources are settled.
      const retired = fw.completedTasks.findLast((t) => t.taskId === status.task_id.value);
      if (retired !== undefined) pushBounded(retired.statuses, status, MAX_STATUSES_PER_TASK);
      this.master.sendStatus(fw, status);
      return;
    }
    this.master.recordStatus(task, status, update.latest_state);
  }

  executorMessage(agentId: AgentId, message: NonNullable<AgentCall['executor_message']>): void {
    const fw = this.master.frameworks.get(message.framework_id.value as FrameworkId);
    fw?.connection?.sink.send({
      type: 'MESSAGE',
      message: { agent_id: { value: agentId }, executor_id: message.executor_id, data: message.data },
    });
  }

  private onStreamClosed(agent: AgentRecord, sink: EventSink<AgentEvent>): void {
    if (agent.sink !== sink || this.agents.get(agent.id) !== agent) return;
    delete agent.sink;
    if (agent.state !== 'active') return;
    agent.state = 'disconnected';
    this.deps.allocator.deactivateAgent(agent.id);
    this.master.rescindAgentOffers(agent.id);
    this.log.warn('agent disconnected', { agentId: agent.id });
  }

  private detach(agent: AgentRecord): void {
    const sink = agent.sink;
    delete agent.sink;
    sink?.close();
    this.master.rescindAgentOffers(agent.id);
  }

  /** Checks liveness once per ping interval; agents silent for the whole timeout become unreachable. */
  private scheduleSweep(): void {
    this.cancelSweep = this.deps.clock.after(this.deps.config.agentPingTimeoutMs, () => {
      const deadlineMs =
        this.deps.clock.nowMs() - this.deps.config.agentPingTimeoutMs * this.deps.config.maxAgentPingTimeouts;
      for (const agent of [...this.agents.values()]) {
        if (agent.state !== 'unreachable' && agent.lastPingMs < deadlineMs) this.markUnreachable(agent);
      }
      this.scheduleSweep();
    });
  }

  /**
   * Marks an agent unreachable: it leaves the allocator, its offers are rescinded, frameworks get
   * FAILURE and, per task, TASK_UNREACHABLE (TASK_LOST if not partition-aware). If the agent comes
   * back, its tasks are re-added from its re-registration.
   */
  markUnreachable(agent: AgentRecord): void {
    this.log.warn('agent marked unreachable', {
      agentId: agent.id,
      silentMs: this.deps.clock.nowMs() - agent.lastPingMs,
    });
    this.detach(agent);
    agent.state = 'unreachable';
    agent.unreachableTimeSec = this.master.nowSec();
    this.deps.allocator.removeAgent(agent.id);
    this.master.events.emit({ type: 'AGENT_REMOVED', agent });
    for (const fw of this.master.frameworks.values()) {
      fw.connection?.sink.send({ type: 'FAILURE', failure: { agent_id: { value: agent.id } } });
    }
    for (const task of [...agent.tasks.values()]) this.taskUnreachable(task, agent.unreachableTimeSec);
  }

  private taskUnreachable(task: TaskRecord, timeSec: number): void {
    task.unreachableTimeSec = timeSec;
    // The master keeps charging nothing for it: the agent left the allocator with its resources.
    task.resourcesReleased = true;
    this.master.recordStatus(task, {
      ...this.master.masterStatus(task, 'TASK_UNREACHABLE', 'REASON_AGENT_REMOVED', 'Agent is unreachable'),
      unreachable_time: { nanoseconds: Math.round(timeSec * 1e9) },
    });
  }
}

function roleFor(frameworks: readonly FrameworkInfo[], id: FrameworkId): string | undefined {
  const info = frameworks.find((f) => f.id?.value === id);
  return info === undefined ? undefined : frameworkRoles(info)[0];
}
