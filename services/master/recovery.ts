/**
 * What a newly elected master does with the registry it recovered (Mesos `Master::_recover` and
 * `recoveredSlavesTimeout`, see mesos-http-api.md §7.4):
 *
 * - every framework in it is added back, inactive, until its scheduler re-subscribes; one whose
 *   scheduler does not come back within its failover timeout is removed, as after a disconnection;
 * - every admitted agent that was reachable becomes *recovered*: known by id, its tasks unknown
 *   until it re-registers with its full task list. Reconciliation of a task on such an agent gets
 *   no answer. Those that have not re-registered after `--agent_reregister_timeout` are marked
 *   unreachable; reconciling their tasks then answers TASK_UNREACHABLE (TASK_LOST), and they are
 *   re-added if the agent comes back later;
 * - agents that were unreachable stay so until they re-register;
 * - agents the operator deactivated or drained stay so, also once they re-register.
 *
 * Offers do not survive a failover: the new leader makes its own once agents re-register and
 * frameworks re-subscribe.
 */
import type { Clock } from '../core/clock.js';
import type { AgentId } from '../core/ids.js';
import type { Logger } from '../log/logger.js';
import type { Master } from './master.js';
import type { MasterRegistry, RegistryAgent } from './registrar.js';

/**
 * Applies `registry` to a master that has just been elected and knows nothing yet.
 *
 * A recovered framework's scheduler gets at least `--agent_reregister_timeout` to re-subscribe,
 * even when its `failover_timeout` is shorter (the default is 0): it needs time to detect the new
 * leader, just like agents. (Mesos keeps such frameworks until an operator removes them.)
 */
export function recoverFromRegistry(master: Master, registry: MasterRegistry): void {
  for (const { info } of registry.frameworks) {
    const fw = master.recoverFramework(info, 'registry');
    if (fw === undefined) continue;
    const timeoutMs = Math.max(fw.info.failover_timeout * 1000, master.config.agentReregisterTimeoutMs);
    master.expectFrameworkWithin(fw, timeoutMs, 'its scheduler did not re-subscribe after a master failover');
  }
  master.maintenance.restore(registry.deactivatedAgents);
  master.agents.recover(registry.agents);
  master.policy.restore(registry.policy);
}

export interface RecoveredAgentsDeps {
  readonly clock: Clock;
  readonly log: Logger;
  /** `--agent_reregister_timeout`. */
  readonly timeoutMs: number;
  /** The agents that did not re-register in time; called at most once per `start`. */
  readonly onTimeout: (agents: readonly RegistryAgent[]) => void;
}

/** The registry's agents a new leader waits for, until each re-registers or the timeout passes. */
export class RecoveredAgents {
  private readonly awaited = new Map<AgentId, RegistryAgent>();
  private cancelTimer: (() => void) | undefined;
  private startedMs = 0;
  private readonly log: Logger;

  constructor(private readonly deps: RecoveredAgentsDeps) {
    this.log = deps.log.child({ component: 'master.recovery' });
  }

  /** Starts waiting for `agents`. */
  start(agents: readonly RegistryAgent[]): void {
    for (const agent of agents) this.awaited.set(agent.id as AgentId, agent);
    if (this.awaited.size === 0) return;
    this.startedMs = this.deps.clock.nowMs();
    this.log.info('waiting for recovered agents to re-register', {
      agents: this.awaited.size,
      timeoutMs: this.deps.timeoutMs,
    });
    this.cancelTimer = this.deps.clock.after(this.deps.timeoutMs, () => {
      this.cancelTimer = undefined;
      const missing = [...this.awaited.values()];
      this.awaited.clear();
      this.log.warn('recovered agents did not re-register in time', { agents: missing.length });
      this.deps.onTimeout(missing);
    });
  }

  /** True while `id` is awaited: known from the registry, not re-registered yet. */
  has(id: AgentId): boolean {
    return this.awaited.has(id);
  }

  /** The agent re-registered. */
  arrived(id: AgentId): void {
    if (!this.awaited.delete(id) || this.awaited.size > 0) return;
    this.stop();
    this.log.info('all recovered agents re-registered', {
      afterMs: this.deps.clock.nowMs() - this.startedMs,
    });
  }

  values(): IterableIterator<RegistryAgent> {
    return this.awaited.values();
  }

  /** Cancels the timeout. Idempotent. */
  stop(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }
}
