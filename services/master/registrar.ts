/**
 * The master's registry (Mesos `Registrar`): the little the leading master must remember across
 * failovers, because agents and schedulers cannot tell it: which agents were admitted (and which
 * of them are unreachable), which frameworks exist with their `FrameworkInfo`, hence their
 * failover timeouts, the operator's role policy, and which agents the operator deactivated or
 * drained. Everything else is rebuilt from agents re-registering and schedulers re-subscribing.
 *
 * The document lives in a `RegistryStore` (ZooKeeper with `--zk`, memory otherwise) and is
 * replaced as a whole by compare-and-set, so a deposed leader can never overwrite its successor:
 * a `RegistryConflictError` means another master leads, and this one must step down.
 *
 * Writes stay off the hot path: changes are recorded in memory at once and written in the
 * background, batched (one write in flight; changes made meanwhile go into the next one). A call
 * never waits for the registry. Losing the last batch to a crash costs little: agents re-register
 * with their ids and schedulers re-subscribe with theirs, and the new leader accepts both.
 */
import { z } from 'zod';
import type { RegistryStore } from '../coordination/registry-store.js';
import { RegistryConflictError } from '../coordination/registry-store.js';
import type { Clock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import type { FrameworkId } from '../core/ids.js';
import { FrameworkInfoSchema, type FrameworkInfo } from '../core/v1/cluster.js';
import type { Logger } from '../log/logger.js';
import type { MasterEventBus } from './master-events.js';
import type { RolePolicySnapshot } from './operator/policy.js';
import type { AgentRecord } from './records.js';

const RegistryAgentSchema = z.object({
  id: z.string().min(1),
  hostname: z.string(),
  /** Base URL of the agent's HTTP API. */
  url: z.string(),
  /** Set while the agent is unreachable: when it was marked so. */
  unreachableTimeSec: z.number().optional(),
});
export type RegistryAgent = z.infer<typeof RegistryAgentSchema>;

const QuantitiesSchema = z.record(z.string(), z.number().nonnegative());

/** Role weights and quota (`RolePolicySnapshot`), set through the operator API. */
const RolePolicySchema = z.object({
  weights: z.array(z.object({ role: z.string().min(1), weight: z.number().positive() })).default([]),
  quotas: z
    .array(z.object({ role: z.string().min(1), guarantees: QuantitiesSchema, limits: QuantitiesSchema }))
    .default([]),
});

/**
 * An agent the operator deactivated (DEACTIVATE_AGENT) or drained (DRAIN_AGENT, with `drain`); it
 * stays so across failovers and its own restarts until REACTIVATE_AGENT (see agent-maintenance.ts).
 */
const DeactivatedAgentSchema = z.object({
  id: z.string().min(1),
  drain: z
    .object({
      state: z.enum(['DRAINING', 'DRAINED']),
      config: z.object({
        /** Upper bound of the tasks' kill grace period. */
        maxGracePeriodNs: z.number().nonnegative().optional(),
        markGone: z.boolean().default(false),
      }),
    })
    .optional(),
});
export type DeactivatedAgent = z.infer<typeof DeactivatedAgentSchema>;

const MasterRegistrySchema = z.object({
  agents: z.array(RegistryAgentSchema).default([]),
  frameworks: z.array(z.object({ id: z.string().min(1), info: FrameworkInfoSchema })).default([]),
  policy: RolePolicySchema.default({ weights: [], quotas: [] }),
  deactivatedAgents: z.array(DeactivatedAgentSchema).default([]),
});
export type MasterRegistry = z.infer<typeof MasterRegistrySchema>;

/** The `RegistryDecoder` for stores holding a `MasterRegistry`. */
export const decodeMasterRegistry = (json: unknown): MasterRegistry => MasterRegistrySchema.parse(json);

/** Changes arriving within this window after the first go into one write. */
const BATCH_MS = 100;
/** Delay before retrying a failed read or write of the store. */
const RETRY_MS = 1000;

export interface RegistrarDeps {
  readonly store: RegistryStore<MasterRegistry>;
  readonly clock: Clock;
  readonly log: Logger;
  /** Checked before every write: a master that no longer leads writes nothing. */
  readonly isLeader: () => boolean;
  /** Another master wrote the registry, so this one no longer leads. Called at most once. */
  readonly onConflict: (error: RegistryConflictError) => void;
}

export class Registrar {
  private readonly agents = new Map<string, RegistryAgent>();
  private readonly frameworks = new Map<string, FrameworkInfo>();
  private policy: RolePolicySnapshot = { weights: [], quotas: [] };
  private deactivatedAgents: readonly DeactivatedAgent[] = [];
  /** Callers of `putPolicy` / `putDeactivatedAgents` waiting for a write that includes their change. */
  private writeWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** The store version this master last read or wrote; `undefined` until `recover()`. */
  private version: number | undefined;
  private dirty = false;
  private writing = false;
  /** The JSON of a write whose outcome is unknown (connection lost mid-write). */
  private uncertainWrite: string | undefined;
  private cancelTimer: (() => void) | undefined;
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly deps: RegistrarDeps) {
    this.log = deps.log.child({ component: 'master.registrar' });
  }

  /**
   * Reads the registry and writes it back unchanged. The write bumps the version, which fences
   * off the previous leader: any write it still attempts fails from now on. Retries failures of
   * the store while this master leads; rejects with `RegistryConflictError` when another master
   * wrote in between, and with `NOT_LEADER` once this master no longer leads.
   */
  async recover(): Promise<MasterRegistry> {
    for (;;) {
      if (!this.deps.isLeader() || this.stopped) {
        throw new MesoError('NOT_LEADER', 'this master stopped leading while recovering the registry');
      }
      try {
        const { value, version } = await this.deps.store.read();
        const registry = value ?? {
          agents: [],
          frameworks: [],
          policy: { weights: [], quotas: [] },
          deactivatedAgents: [],
        };
        this.version = await this.deps.store.compareAndSet(registry, version);
        for (const agent of registry.agents) this.agents.set(agent.id, agent);
        for (const { id, info } of registry.frameworks) this.frameworks.set(id, info);
        this.policy = registry.policy;
        this.deactivatedAgents = registry.deactivatedAgents;
        this.log.info('registry recovered', {
          agents: registry.agents.length,
          frameworks: registry.frameworks.length,
          version: this.version,
        });
        return registry;
      } catch (error) {
        if (error instanceof RegistryConflictError) throw error;
        this.log.warn('recovering the registry failed; retrying', {
          err: String(error),
          retryInMs: RETRY_MS,
        });
        await this.pause(RETRY_MS);
      }
    }
  }

  /**
   * Keeps the registry in step with the master's events: agents admitted (or back from being
   * unreachable) and marked unreachable, frameworks added, updated and removed. Returns the
   * function that stops it.
   */
  track(events: MasterEventBus): () => void {
    return events.subscribe((event) => {
      switch (event.type) {
        case 'AGENT_ADDED':
        case 'AGENT_REMOVED':
          return this.putAgent(registryAgent(event.agent));
        case 'FRAMEWORK_ADDED':
        case 'FRAMEWORK_UPDATED':
          return this.putFramework(event.framework.info);
        case 'FRAMEWORK_REMOVED':
          return this.removeFramework(event.framework.id);
        default:
          return;
      }
    });
  }

  /** Records an admitted agent, or its new address or reachability. No-op when nothing changed. */
  putAgent(agent: RegistryAgent): void {
    const known = this.agents.get(agent.id);
    if (known !== undefined && JSON.stringify(known) === JSON.stringify(agent)) return;
    this.agents.set(agent.id, agent);
    this.changed();
  }

  /** Records a framework or its new info. No-op when nothing changed. */
  putFramework(info: FrameworkInfo): void {
    const id = info.id?.value;
    if (id === undefined) return;
    const known = this.frameworks.get(id);
    if (known !== undefined && JSON.stringify(known) === JSON.stringify(info)) return;
    this.frameworks.set(id, info);
    this.changed();
  }

  /**
   * Records the role policy and resolves once a registry write holding it succeeded, so the
   * operator's change takes effect only when a successor would see it too. Rejects when another
   * master took over first.
   */
  putPolicy(policy: RolePolicySnapshot): Promise<void> {
    this.policy = policy;
    return this.written();
  }

  /**
   * Records the complete list of deactivated agents; resolves once a write holding it succeeded,
   * as `putPolicy` does.
   */
  putDeactivatedAgents(agents: readonly DeactivatedAgent[]): Promise<void> {
    this.deactivatedAgents = agents;
    return this.written();
  }

  removeFramework(id: FrameworkId): void {
    if (this.frameworks.delete(id)) this.changed();
  }

  /** Cancels pending writes and retries. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /** Schedules a write and resolves once one holding the current state succeeded. */
  private written(): Promise<void> {
    const written = new Promise<void>((resolve, reject) => this.writeWaiters.push({ resolve, reject }));
    this.changed();
    return written;
  }

  private changed(): void {
    this.dirty = true;
    this.scheduleFlush(BATCH_MS);
  }

  private scheduleFlush(delayMs: number): void {
    if (this.stopped || this.writing || this.cancelTimer !== undefined) return;
    this.cancelTimer = this.deps.clock.after(delayMs, () => {
      this.cancelTimer = undefined;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const version = this.version;
    // Before recovery there is nothing to write on top of; a master that no longer leads is
    // on its way out and must not touch its successor's registry.
    if (!this.dirty || version === undefined || this.stopped || !this.deps.isLeader()) return;
    this.writing = true;
    this.dirty = false;
    const registry = this.snapshot();
    const waiters = this.writeWaiters.splice(0);
    let retry = false;
    try {
      const expected =
        this.uncertainWrite === undefined
          ? version
          : await this.settleUncertainWrite(version, this.uncertainWrite);
      this.uncertainWrite = JSON.stringify(registry);
      this.version = await this.deps.store.compareAndSet(registry, expected);
      this.uncertainWrite = undefined;
      this.log.debug('registry written', { version: this.version, agents: this.agents.size });
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      if (error instanceof RegistryConflictError) {
        for (const waiter of waiters) waiter.reject(error);
        this.stop();
        this.deps.onConflict(error);
        return;
      }
      this.dirty = true;
      retry = true;
      this.writeWaiters.unshift(...waiters);
      this.log.warn('writing the registry failed; retrying', { err: String(error), retryInMs: RETRY_MS });
    } finally {
      this.writing = false;
    }
    if (this.dirty) this.scheduleFlush(retry ? RETRY_MS : 0);
  }

  /**
   * After a write failed without a verdict (connection lost, timeout), reads the store: still at
   * `version` means the write did not land; our own value at a newer version means it did; anything
   * else means another master wrote.
   */
  private async settleUncertainWrite(version: number, attemptedJson: string): Promise<number> {
    const { value, version: found } = await this.deps.store.read();
    if (found === version) return version;
    if (value !== undefined && canonicalJson(value) === canonicalJson(JSON.parse(attemptedJson))) {
      this.version = found;
      return found;
    }
    throw new RegistryConflictError(version, found);
  }

  /** Waits `delayMs`; `stop()` ends the wait early. */
  private pause(delayMs: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.deps.clock.after(delayMs, () => {
        this.cancelTimer = undefined;
        resolve();
      });
      this.cancelTimer = () => {
        cancel();
        resolve();
      };
    });
  }

  private snapshot(): MasterRegistry {
    return {
      agents: [...this.agents.values()],
      frameworks: [...this.frameworks].map(([id, info]) => ({ id, info })),
      policy: {
        weights: this.policy.weights.map((w) => ({ ...w })),
        quotas: this.policy.quotas.map((q) => ({
          role: q.role,
          guarantees: { ...q.guarantees },
          limits: { ...q.limits },
        })),
      },
      deactivatedAgents: [...this.deactivatedAgents],
    };
  }
}

const registryAgent = (agent: AgentRecord): RegistryAgent => ({
  id: agent.id,
  hostname: agent.info.hostname,
  url: agent.url,
  ...(agent.state === 'unreachable' && { unreachableTimeSec: agent.unreachableTimeSec }),
});

/** The registry as the decoder normalizes it, so key order and defaults do not matter. */
const canonicalJson = (value: unknown): string =>
  JSON.stringify(decodeMasterRegistry(JSON.parse(JSON.stringify(value))));
