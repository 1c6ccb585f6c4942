/**
 * Agent deactivation and draining, as Mesos 1.9's operator calls define them:
 *
 * - `DEACTIVATE_AGENT`: the agent's resources are no longer offered (outstanding offers of it are
 *   rescinded); its tasks keep running.
 * - `DRAIN_AGENT`: deactivates the agent and kills every task on it, each with its kill grace
 *   period capped at `max_grace_period` when given. The drain state is DRAINING until no
 *   non-terminal task remains on the agent, then DRAINED. An agent that is not connected is
 *   killed nothing until it re-registers (Mesos defers the kills the same way).
 * - `REACTIVATE_AGENT`: clears deactivation and drain state, and offers resume. Refused while the
 *   agent is still DRAINING, as in Mesos.
 *
 * Mesos has the agent itself kill its tasks on a drain message; meso's agents know nothing of
 * draining, so the master kills the tasks through the same KILL path a scheduler's KILL takes,
 * and again whenever a draining agent re-registers (its tasks may have survived a restart).
 * `mark_gone` (remove the agent for good once drained) is refused: meso has no gone agents yet.
 *
 * Like role policy (`operator/policy.ts`), every change is first handed, complete, to the
 * persistence hook (the registry) and applied only once that succeeded, so a successor always
 * knows at least what the operator was told; after a failover the new leader calls `restore`.
 * The state is kept by agent id, not on `AgentRecord`, because it must outlive the record: an
 * agent re-registering gets a new record, and after a failover the agent may not have one yet.
 */
import type { Allocator } from '../allocator/allocator.js';
import { invalidCall, MesoError } from '../core/errors.js';
import type { AgentId } from '../core/ids.js';
import { isTerminalState, type KillPolicy } from '../core/v1/tasks.js';
import type { Logger } from '../log/logger.js';
import type { Master, MasterDeps } from './master.js';
import type { AgentRecord, TaskRecord } from './records.js';
import type { DeactivatedAgent } from './registrar.js';

export type DrainInfo = NonNullable<DeactivatedAgent['drain']>;
export type DrainConfig = DrainInfo['config'];

/** Stores the complete list of deactivated agents; rejecting aborts the change. */
export type MaintenancePersistence = (next: readonly DeactivatedAgent[]) => Promise<void>;

/** Deactivated agents and their drain info (`undefined`: deactivated, not draining). */
type Deactivations = ReadonlyMap<AgentId, DrainInfo | undefined>;

/** A change: the next deactivations, or `undefined` when there is nothing to do. */
type Change = (current: Deactivations) => Map<AgentId, DrainInfo | undefined> | undefined;

export class AgentMaintenance {
  /** Replaced by each change, never mutated, so a change waiting for the registry cannot leak. */
  private deactivated: Deactivations = new Map();
  /**
   * When the master first asked each draining agent's tasks to die (Mesos's
   * `estimated_drain_start_time`); not stored: a new leader sets it when the agent re-registers.
   */
  private readonly drainStarts = new Map<AgentId, number>();
  private persist: MaintenancePersistence = () => Promise.resolve();
  /** Changes run one after another, each computed from the state its predecessor left. */
  private queue: Promise<void> = Promise.resolve();
  private readonly log: Logger;
  private readonly allocator: Pick<Allocator, 'activateAgent' | 'deactivateAgent'>;

  constructor(
    private readonly master: Master,
    private readonly deps: MasterDeps,
  ) {
    this.log = deps.log.child({ component: 'master.maintenance' });
    this.allocator = deps.allocator;
    master.events.subscribe((event) => {
      // The task is still listed on its agent when its terminal update is announced; `isDrained`
      // looks at states, so the last task's end already counts.
      if (event.type === 'TASK_UPDATED' && isTerminalState(event.task.state))
        this.checkDrained(event.task.agentId);
    });
  }

  /** Sets where changes are stored before they take effect (the registry); in-memory by default. */
  usePersistence(persist: MaintenancePersistence): void {
    this.persist = persist;
  }

  isDeactivated(id: AgentId): boolean {
    return this.deactivated.has(id);
  }

  drainInfo(id: AgentId): DrainInfo | undefined {
    return this.deactivated.get(id);
  }

  /** Seconds since the epoch; set once the master asked a draining agent's tasks to die. */
  drainStartTimeSec(id: AgentId): number | undefined {
    return this.drainStarts.get(id);
  }

  /**
   * Replaces the whole state with what the registry recovered, without storing it again. Call it
   * before agents re-register with the new leader.
   */
  restore(agents: readonly DeactivatedAgent[]): void {
    this.deactivated = new Map(agents.map(({ id, drain }) => [id as AgentId, drain]));
    this.drainStarts.clear();
  }

  /** DEACTIVATE_AGENT. Throws NOT_FOUND for an agent this master does not know. */
  async deactivate(id: AgentId): Promise<void> {
    this.requireKnown(id);
    return this.enqueue(
      (current) => (current.has(id) ? undefined : withAgent(current, id, undefined)),
      () => this.stopOffers(id),
    );
  }

  /** DRAIN_AGENT. Throws NOT_FOUND for an unknown agent, INVALID_CALL for a config meso cannot honour. */
  async drain(id: AgentId, config: DrainConfig): Promise<void> {
    if (config.markGone) throw invalidCall("'drain_agent.mark_gone' is not supported by meso yet");
    if (config.maxGracePeriodNs !== undefined && config.maxGracePeriodNs < 0)
      throw invalidCall("'drain_agent.max_grace_period' must not be negative");
    this.requireKnown(id);
    // Draining again restarts the drain with the new config, as in Mesos.
    return this.enqueue(
      (current) => withAgent(current, id, { state: 'DRAINING', config }),
      () => {
        this.log.info('agent draining', { agentId: id, maxGracePeriodNs: config.maxGracePeriodNs });
        this.drainStarts.delete(id);
        this.stopOffers(id);
        const agent = this.master.agents.get(id);
        if (agent !== undefined) this.killTasks(agent);
        this.checkDrained(id);
      },
    );
  }

  /** REACTIVATE_AGENT. Throws NOT_FOUND for an unknown agent, ILLEGAL_STATE unless it may be reactivated. */
  async reactivate(id: AgentId): Promise<void> {
    if (!this.deactivated.has(id)) {
      this.requireKnown(id);
      throw new MesoError('ILLEGAL_STATE', `Agent '${id}' is not deactivated`);
    }
    if (this.deactivated.get(id)?.state === 'DRAINING')
      throw new MesoError('ILLEGAL_STATE', `Agent '${id}' is still in the DRAINING state`);
    return this.enqueue(
      (current) => {
        if (!current.has(id)) return undefined;
        const next = new Map(current);
        next.delete(id);
        return next;
      },
      () => {
        this.log.info('agent reactivated', { agentId: id });
        this.drainStarts.delete(id);
        const agent = this.master.agents.get(id);
        // A disconnected agent is activated in the allocator when it re-registers.
        if (agent?.state === 'active') {
          this.allocator.activateAgent(id);
          this.deps.requestAllocation([id]);
        }
        this.announce(id);
      },
    );
  }

  /**
   * Re-applies deactivation and draining to an agent that has just (re-)registered, after the
   * allocator added it (as active): a restarted agent or a new leader must not undo them.
   */
  agentRegistered(agent: AgentRecord): void {
    if (!this.deactivated.has(agent.id)) return;
    this.allocator.deactivateAgent(agent.id);
    if (this.deactivated.get(agent.id) !== undefined) {
      this.killTasks(agent);
      this.checkDrained(agent.id);
    }
  }

  private requireKnown(id: AgentId): void {
    if (this.master.agents.get(id) === undefined && !this.master.agents.recovered.has(id))
      throw new MesoError('NOT_FOUND', `Unknown agent '${id}'`);
  }

  private enqueue(change: Change, apply: () => void): Promise<void> {
    const run = this.queue.then(async () => {
      const next = change(this.deactivated);
      if (next === undefined) return;
      await this.persist(snapshotOf(next));
      this.deactivated = next;
      apply();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** No more offers of the agent: its allocator entry is deactivated, outstanding offers rescinded. */
  private stopOffers(id: AgentId): void {
    if (this.master.agents.get(id)?.state === 'active') {
      this.allocator.deactivateAgent(id);
      this.master.rescindAgentOffers(id);
    }
    this.announce(id);
  }

  /**
   * Kills every task of a connected draining agent through the master's KILL path. Tasks already
   * being killed keep their kill; the agent ignores kills of tasks it no longer has.
   */
  private killTasks(agent: AgentRecord): void {
    const drain = this.deactivated.get(agent.id);
    if (drain === undefined || agent.state !== 'active') return;
    const maxNs = drain.config.maxGracePeriodNs;
    for (const task of [...agent.tasks.values()]) {
      if (isTerminalState(task.state) || task.state === 'TASK_KILLING') continue;
      const fw = this.master.frameworks.get(task.frameworkId);
      if (fw === undefined) continue;
      const killPolicy = cappedKillPolicy(task, maxNs);
      this.master.handleCall(fw, {
        type: 'KILL',
        kill: {
          task_id: { value: task.taskId },
          ...(killPolicy !== undefined && { kill_policy: killPolicy }),
        },
      });
    }
    if (!this.drainStarts.has(agent.id)) this.drainStarts.set(agent.id, this.master.nowSec());
  }

  /** Moves a DRAINING agent whose tasks have all ended to DRAINED (stored first, like every change). */
  private checkDrained(id: AgentId): void {
    if (this.deactivated.get(id)?.state !== 'DRAINING' || !this.isDrained(id)) return;
    this.enqueue(
      (current) => {
        const drain = current.get(id);
        // The agent may have been reactivated or given tasks back (re-registered) meanwhile.
        if (drain?.state !== 'DRAINING' || !this.isDrained(id)) return undefined;
        return withAgent(current, id, { ...drain, state: 'DRAINED' });
      },
      () => {
        this.log.info('agent drained', { agentId: id });
        this.announce(id);
      },
    ).catch((error: unknown) => {
      // Another master took over (it drains the agent itself once it re-registers), or this one stopped.
      this.log.warn('storing that an agent is drained failed', { agentId: id, err: String(error) });
    });
  }

  /**
   * No task of the agent is alive. An agent known only from the registry (after a failover) has
   * not reported its tasks yet, so it is not drained until it re-registers.
   */
  private isDrained(id: AgentId): boolean {
    const agent = this.master.agents.get(id);
    if (agent === undefined || agent.state === 'unreachable') return false;
    for (const task of agent.tasks.values()) if (!isTerminalState(task.state)) return false;
    return true;
  }

  /** Tells the operator stream the agent's deactivation or drain state changed. */
  private announce(id: AgentId): void {
    const agent = this.master.agents.get(id);
    if (agent !== undefined) this.master.events.emit({ type: 'AGENT_UPDATED', agent });
  }
}

/**
 * The kill policy a draining task is killed with: `undefined` keeps the task's own (or the
 * agent's default), otherwise `max_grace_period` when the task's grace period is longer or unset.
 */
function cappedKillPolicy(task: TaskRecord, maxNs: number | undefined): KillPolicy | undefined {
  if (maxNs === undefined) return undefined;
  const own = task.info.kill_policy?.grace_period?.nanoseconds;
  return own !== undefined && own <= maxNs ? undefined : { grace_period: { nanoseconds: maxNs } };
}

function withAgent(
  current: Deactivations,
  id: AgentId,
  drain: DrainInfo | undefined,
): Map<AgentId, DrainInfo | undefined> {
  return new Map(current).set(id, drain);
}

/** What the registry stores, agents sorted by id. */
function snapshotOf(deactivated: Deactivations): DeactivatedAgent[] {
  return [...deactivated]
    .map(([id, drain]) => ({ id, ...(drain !== undefined && { drain }) }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}
