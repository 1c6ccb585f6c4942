/**
 * The master: the bookkeeping of agents, frameworks, offers and tasks, and the rules that connect
 * them. It is transport-agnostic: HTTP handlers parse and validate calls, then invoke the methods
 * here; events leave through `EventSink`s. Time comes from the injected `Clock`.
 *
 * NOTE: this file is over the 400-line soft cap on purpose: the offer/task lifecycle reads best in
 * one place. Agent-facing handling lives in `agent-registry.ts`, rendering in `state-json.ts`.
 */
import type { Allocation, Allocator } from '../allocator/allocator.js';
import type { Clock } from '../core/clock.js';
import { MesoError, invalidCall } from '../core/errors.js';
import type { AgentId, ExecutorId, FrameworkId, OfferId, TaskId } from '../core/ids.js';
import { Resources } from '../core/resources.js';
import {
  frameworkRoles,
  hasCapability,
  type FrameworkInfo,
  type MasterInfo,
  type Offer,
} from '../core/v1/cluster.js';
import type { Id } from '../core/v1/common.js';
import type { Operation, SchedulerCall, SchedulerEvent } from '../core/v1/scheduler.js';
import {
  isTerminalState,
  stateForFramework,
  type TaskInfo,
  type TaskReason,
  type TaskState,
  type TaskStatus,
} from '../core/v1/tasks.js';
import type { Logger } from '../log/logger.js';
import type { EventSink } from '../transport/event-stream.js';
import { AgentMaintenance } from './agent-maintenance.js';
import { AgentRegistry } from './agent-registry.js';
import { MasterEventBus } from './master-events.js';
import { RolePolicy } from './operator/policy.js';
import { isRejection, planLaunches } from './launch-validation.js';
import { masterStatus, reconciliationAnswers } from './task-statuses.js';
import { MAX_REFUSE_MS, MAX_STATUSES_PER_TASK, type MasterConfig } from './master-config.js';
import { validateFrameworkInfo } from './framework-validation.js';
import {
  agentTaskKey,
  newFrameworkRecord,
  pushBounded,
  type AgentRecord,
  type FrameworkRecord,
  type OfferRecord,
  type TaskRecord,
} from './records.js';

export interface MasterDeps {
  readonly config: MasterConfig;
  readonly clock: Clock;
  readonly log: Logger;
  readonly allocator: Allocator;
  readonly masterInfo: MasterInfo;
  /** Asks the allocation loop for a (coalesced) cycle, over `agentIds` or every agent. */
  readonly requestAllocation: (agentIds?: readonly AgentId[]) => void;
}

/** What the scheduler API handler needs from a SUBSCRIBE. */
export interface SubscribeResult {
  readonly streamId: string;
  readonly frameworkId: FrameworkId;
}

export class Master {
  readonly frameworks = new Map<FrameworkId, FrameworkRecord>();
  readonly completedFrameworks: FrameworkRecord[] = [];
  readonly offers = new Map<OfferId, OfferRecord>();
  readonly agents: AgentRegistry;
  /** Task, agent, framework and offer events, for the operator API and metrics. */
  readonly events = new MasterEventBus();
  /** Role weights and quota, applied to the allocator; the registry persists them (see policy.ts). */
  readonly policy: RolePolicy;
  /** Agents the operator deactivated or drained; the registry persists them (see agent-maintenance.ts). */
  readonly maintenance: AgentMaintenance;
  readonly startTimeSec: number;
  private nextFrameworkNumber = 0;
  private nextOfferNumber = 0;
  private readonly log: Logger;

  constructor(private readonly deps: MasterDeps) {
    this.log = deps.log.child({ component: 'master' });
    this.startTimeSec = deps.clock.nowMs() / 1000;
    this.agents = new AgentRegistry(this, deps);
    this.policy = new RolePolicy(deps.allocator);
    this.maintenance = new AgentMaintenance(this, deps);
  }

  get info(): MasterInfo {
    return this.deps.masterInfo;
  }

  get config(): MasterConfig {
    return this.deps.config;
  }

  nowSec(): number {
    return this.deps.clock.nowMs() / 1000;
  }

  stop(): void {
    for (const fw of this.frameworks.values()) {
      fw.cancelFailover?.();
      this.closeConnection(fw);
    }
    for (const offer of this.offers.values()) offer.cancelExpiry?.();
    this.agents.stop();
  }

  // ---------------------------------------------------------------------------------------------
  // Framework lifecycle

  /**
   * Subscribes (or re-subscribes) a framework on `sink`, whose `Mesos-Stream-Id` is `streamId`. A refused subscription is answered with an
   * ERROR event on the stream, as Mesos does, and the stream is closed.
   */
  subscribe(
    call: SchedulerCall,
    sink: EventSink<SchedulerEvent>,
    streamId: string,
  ): SubscribeResult | undefined {
    const subscribe = call.subscribe;
    if (subscribe === undefined) throw invalidCall("Expecting 'subscribe' to be present");
    const info = subscribe.framework_info;
    if (call.framework_id !== undefined && call.framework_id.value !== info.id?.value) {
      throw invalidCall("'framework_id' differs from 'subscribe.framework_info.id'");
    }
    const refusal = validateFrameworkInfo(info, subscribe.suppressed_roles ?? []);
    if (refusal !== undefined) return this.refuse(sink, refusal);

    const requestedId = info.id?.value as FrameworkId | undefined;
    if (requestedId !== undefined && this.completedFrameworks.some((f) => f.id === requestedId)) {
      return this.refuse(sink, 'Framework has been removed');
    }
    const existing = requestedId === undefined ? undefined : this.frameworks.get(requestedId);
    const id = requestedId ?? this.newFrameworkId();
    const withId: FrameworkInfo = { ...info, id: { value: id } };
    const roles = frameworkRoles(withId);
    const suppressed = new Set(subscribe.suppressed_roles ?? []);
    let fw: FrameworkRecord;
    if (existing !== undefined) {
      if (existing.info.principal !== undefined && existing.info.principal !== info.principal) {
        return this.refuse(sink, "Changing framework's principal is not allowed");
      }
      fw = existing;
      fw.cancelFailover?.();
      delete fw.cancelFailover;
      if (fw.connection !== undefined) {
        fw.connection.sink.send({ type: 'ERROR', error: { message: 'Framework failed over' } });
        this.closeConnection(fw);
      }
      // `user` and `checkpoint` cannot change on re-subscription (Mesos ignores new values).
      fw.info = { ...withId, user: existing.info.user, checkpoint: existing.info.checkpoint };
      fw.roles = roles;
      fw.suppressedRoles = suppressed;
      fw.reregisteredTimeSec = this.nowSec();
      this.rescindFrameworkOffers(fw);
      this.deps.allocator.updateFramework(id, this.descriptor(fw));
      this.deps.allocator.activateFramework(id);
      this.log.info('framework re-subscribed', { frameworkId: id, name: info.name });
      this.events.emit({ type: 'FRAMEWORK_UPDATED', framework: fw });
    } else {
      fw = newFrameworkRecord(id, withId, roles, suppressed, this.nowSec());
      this.frameworks.set(id, fw);
      this.deps.allocator.addFramework(id, this.descriptor(fw), [], true);
      this.log.info('framework subscribed', { frameworkId: id, name: info.name, roles: roles.join(',') });
      this.events.emit({ type: 'FRAMEWORK_ADDED', framework: fw });
    }
    fw.state = 'subscribed';
    delete fw.unregisteredTimeSec;
    const cancelHeartbeat = this.startHeartbeat(sink);
    fw.connection = { sink, streamId, cancelHeartbeat };
    sink.onClose(() => this.onFrameworkStreamClosed(fw, streamId));
    sink.send({
      type: 'SUBSCRIBED',
      subscribed: {
        framework_id: { value: id },
        heartbeat_interval_seconds: this.deps.config.heartbeatIntervalMs / 1000,
        master_info: this.deps.masterInfo,
      },
    });
    sink.send({ type: 'HEARTBEAT' });
    this.deps.requestAllocation();
    return { streamId, frameworkId: id };
  }

  /** Resolves the framework a non-SUBSCRIBE call is for, enforcing Mesos's checks and codes. */
  authorizeCall(frameworkId: Id | undefined, streamId: string | undefined): FrameworkRecord {
    if (frameworkId === undefined) throw invalidCall("Expecting 'framework_id' to be present");
    const fw = this.frameworks.get(frameworkId.value as FrameworkId);
    if (fw === undefined) throw invalidCall(`Framework '${frameworkId.value}' cannot be found`);
    if (fw.state !== 'subscribed' || fw.connection === undefined) {
      throw new MesoError('FORBIDDEN', `Framework '${frameworkId.value}' is not subscribed`);
    }
    if (streamId === undefined)
      throw invalidCall("All non-subscribe calls should include the 'Mesos-Stream-Id' header");
    if (streamId !== fw.connection.streamId) {
      throw new MesoError(
        'FORBIDDEN',
        `The stream ID '${streamId}' included in this request didn't match the stream ID currently associated with framework ID '${fw.id}'`,
      );
    }
    return fw;
  }

  /** Handles every call but SUBSCRIBE, after `authorizeCall`. Throws `MesoError` for bad input. */
  handleCall(fw: FrameworkRecord, call: SchedulerCall): void {
    switch (call.type) {
      case 'TEARDOWN':
        this.removeFramework(fw, 'teardown requested by the framework');
        return;
      case 'ACCEPT':
        return this.accept(fw, required(call.accept, 'accept'));
      case 'DECLINE': {
        const decline = required(call.decline, 'decline');
        this.releaseOffers(fw, decline.offer_ids, this.refuseUntil(decline.filters?.refuse_seconds));
        return;
      }
      case 'REVIVE': {
        const roles = this.knownRoles(fw, call.revive?.roles);
        for (const role of roles ?? fw.roles) fw.suppressedRoles.delete(role);
        this.deps.allocator.reviveRoles(fw.id, roles);
        this.deps.requestAllocation();
        return;
      }
      case 'SUPPRESS': {
        const roles = this.knownRoles(fw, call.suppress?.roles);
        for (const role of roles ?? fw.roles) fw.suppressedRoles.add(role);
        this.deps.allocator.suppressRoles(fw.id, roles);
        return;
      }
      case 'KILL':
        return this.kill(fw, required(call.kill, 'kill'));
      case 'ACKNOWLEDGE':
        return this.acknowledge(fw, required(call.acknowledge, 'acknowledge'));
      case 'RECONCILE':
        return this.reconcile(fw, call.reconcile?.tasks ?? []);
      case 'MESSAGE': {
        const message = required(call.message, 'message');
        this.agents.send(message.agent_id.value as AgentId, {
          type: 'FRAMEWORK_MESSAGE',
          framework_message: {
            framework_id: { value: fw.id },
            executor_id: message.executor_id,
            data: message.data,
          },
        });
        return;
      }
      case 'SHUTDOWN': {
        const shutdown = required(call.shutdown, 'shutdown');
        this.agents.send(shutdown.agent_id.value as AgentId, {
          type: 'SHUTDOWN_EXECUTOR',
          shutdown_executor: { framework_id: { value: fw.id }, executor_id: shutdown.executor_id },
        });
        return;
      }
      case 'UPDATE_FRAMEWORK':
        return this.updateFramework(fw, required(call.update_framework, 'update_framework'));
      case 'REQUEST':
      case 'ACCEPT_INVERSE_OFFERS':
      case 'DECLINE_INVERSE_OFFERS':
      case 'ACKNOWLEDGE_OPERATION_STATUS':
      case 'RECONCILE_OPERATIONS':
        // Accepted and ignored, as Mesos's hierarchical allocator does for REQUEST; meso has no
        // inverse offers (maintenance) or operation feedback yet.
        return;
      case 'SUBSCRIBE':
        throw invalidCall('SUBSCRIBE must be the first call on a new connection');
    }
  }

  private updateFramework(fw: FrameworkRecord, update: NonNullable<SchedulerCall['update_framework']>): void {
    const info = update.framework_info;
    if (info.id?.value !== fw.id)
      throw invalidCall("'update_framework.framework_info.id' must be the framework's id");
    if (info.user !== fw.info.user) throw invalidCall("Updating 'user' is not supported");
    if (info.principal !== fw.info.principal) throw invalidCall("Updating 'principal' is not supported");
    const refusal = validateFrameworkInfo(info, update.suppressed_roles ?? []);
    if (refusal !== undefined) throw invalidCall(refusal);
    const roles = frameworkRoles(info);
    const dropped = fw.roles.filter((r) => !roles.includes(r));
    fw.info = { ...info, checkpoint: fw.info.checkpoint };
    fw.roles = roles;
    const wasSuppressed = fw.suppressedRoles;
    fw.suppressedRoles = new Set(update.suppressed_roles ?? []);
    for (const offerId of [...fw.offers]) {
      const offer = this.offers.get(offerId);
      if (offer !== undefined && dropped.includes(offer.role)) this.rescindOffer(offer);
    }
    this.deps.allocator.updateFramework(fw.id, this.descriptor(fw));
    this.events.emit({ type: 'FRAMEWORK_UPDATED', framework: fw });
    const unsuppressed = [...wasSuppressed].filter((r) => !fw.suppressedRoles.has(r) && roles.includes(r));
    if (unsuppressed.length > 0) this.deps.allocator.reviveRoles(fw.id, unsuppressed);
    this.deps.requestAllocation();
  }

  private onFrameworkStreamClosed(fw: FrameworkRecord, streamId: string): void {
    if (fw.connection?.streamId !== streamId) return; // an old stream of a failed-over scheduler
    fw.connection.cancelHeartbeat();
    delete fw.connection;
    if (fw.state !== 'subscribed') return;
    fw.state = 'disconnected';
    fw.unregisteredTimeSec = this.nowSec();
    this.deps.allocator.deactivateFramework(fw.id);
    this.rescindFrameworkOffers(fw);
    const timeoutMs = Math.max(0, fw.info.failover_timeout * 1000);
    this.log.info('framework disconnected', { frameworkId: fw.id, failoverTimeoutMs: timeoutMs });
    this.events.emit({ type: 'FRAMEWORK_UPDATED', framework: fw });
    this.expectFrameworkWithin(fw, timeoutMs, 'failover timeout elapsed');
  }

  /** Removes `fw` (giving `why`) unless its scheduler subscribes within `timeoutMs`. */
  expectFrameworkWithin(fw: FrameworkRecord, timeoutMs: number, why: string): void {
    fw.cancelFailover?.();
    fw.cancelFailover = this.deps.clock.after(timeoutMs, () => {
      delete fw.cancelFailover;
      if (fw.state !== 'subscribed' && this.frameworks.get(fw.id) === fw) this.removeFramework(fw, why);
    });
  }

  /** Tears a framework down: its tasks are killed, offers rescinded, and it moves to completed. */
  removeFramework(fw: FrameworkRecord, why: string): void {
    this.log.info('framework removed', { frameworkId: fw.id, reason: why });
    fw.cancelFailover?.();
    this.rescindFrameworkOffers(fw);
    const agentsWithTasks = new Set<AgentId>();
    for (const task of [...fw.tasks.values(), ...fw.unreachableTasks.values()]) {
      agentsWithTasks.add(task.agentId);
      this.recordStatus(
        task,
        this.masterStatus(task, 'TASK_KILLED', 'REASON_FRAMEWORK_REMOVED', 'Framework removed'),
      );
    }
    for (const agentId of agentsWithTasks) {
      this.agents.send(agentId, {
        type: 'SHUTDOWN_FRAMEWORK',
        shutdown_framework: { framework_id: { value: fw.id } },
      });
    }
    if (fw.connection !== undefined) {
      fw.connection.sink.send({ type: 'ERROR', error: { message: `Framework removed: ${why}` } });
      this.closeConnection(fw);
    }
    fw.state = 'disconnected';
    fw.unregisteredTimeSec = this.nowSec();
    this.deps.allocator.removeFramework(fw.id);
    this.frameworks.delete(fw.id);
    pushBounded(this.completedFrameworks, fw, this.deps.config.maxCompletedFrameworks);
    this.events.emit({ type: 'FRAMEWORK_REMOVED', framework: fw });
  }

  /**
   * A framework learned from a re-registering agent or, after a failover, from the registry; it
   * stays inactive until its scheduler subscribes.
   */
  recoverFramework(info: FrameworkInfo, source: 'agent' | 'registry'): FrameworkRecord | undefined {
    const id = info.id?.value as FrameworkId | undefined;
    if (id === undefined) return undefined;
    const known = this.frameworks.get(id);
    if (known !== undefined) return known;
    if (this.completedFrameworks.some((f) => f.id === id)) return undefined;
    const fw = newFrameworkRecord(id, info, frameworkRoles(info), new Set(), this.nowSec());
    fw.state = 'recovered';
    this.frameworks.set(id, fw);
    this.deps.allocator.addFramework(id, this.descriptor(fw), [], false);
    this.log.info('framework recovered', { frameworkId: id, source });
    this.events.emit({ type: 'FRAMEWORK_ADDED', framework: fw });
    return fw;
  }

  // ---------------------------------------------------------------------------------------------
  // Offers

  /** Turns the allocator's decisions into offers, one OFFERS event per framework. */
  applyAllocations(allocations: readonly Allocation[]): void {
    const byFramework = new Map<FrameworkRecord, Offer[]>();
    for (const allocation of allocations) {
      const fw = this.frameworks.get(allocation.frameworkId);
      const agent = this.agents.get(allocation.agentId);
      if (fw?.connection === undefined || agent === undefined || agent.state !== 'active') {
        // The framework or agent went away between the cycle and now: give the resources back.
        this.deps.allocator.recoverResources(
          allocation.frameworkId,
          allocation.agentId,
          allocation.role,
          allocation.resources,
        );
        continue;
      }
      const offer = this.createOffer(fw, agent, allocation);
      const list = byFramework.get(fw) ?? [];
      list.push(offer);
      byFramework.set(fw, list);
    }
    for (const [fw, offers] of byFramework) fw.connection?.sink.send({ type: 'OFFERS', offers: { offers } });
  }

  private createOffer(fw: FrameworkRecord, agent: AgentRecord, allocation: Allocation): Offer {
    const id = `${this.deps.masterInfo.id}-O${this.nextOfferNumber++}` as OfferId;
    const record: OfferRecord = {
      id,
      frameworkId: fw.id,
      agentId: agent.id,
      role: allocation.role,
      resources: allocation.resources,
    };
    const timeoutMs = this.deps.config.offerTimeoutMs;
    if (timeoutMs !== undefined) {
      record.cancelExpiry = this.deps.clock.after(timeoutMs, () => {
        this.log.info('offer rescinded after offer timeout', { offerId: id, frameworkId: fw.id });
        this.rescindOffer(record);
      });
    }
    this.offers.set(id, record);
    this.events.emit({ type: 'OFFER_SENT', offer: record });
    fw.offers.add(id);
    const executorIds = [...fw.executors.entries()]
      .filter(([, e]) => e.agentId === agent.id)
      .map(([executorId]) => ({ value: executorId }));
    return {
      id: { value: id },
      framework_id: { value: fw.id },
      agent_id: { value: agent.id },
      hostname: agent.info.hostname,
      url: this.agents.agentUrl(agent),
      resources: allocation.resources.toV1(allocation.role),
      attributes: [...agent.attributes],
      allocation_info: { role: allocation.role },
      // Mesos omits empty repeated fields.
      ...(executorIds.length > 0 && { executor_ids: executorIds }),
    };
  }

  /** Takes an offer out of circulation; its resources are NOT given back (the caller decides). */
  private takeOffer(offer: OfferRecord): void {
    offer.cancelExpiry?.();
    this.offers.delete(offer.id);
    this.frameworks.get(offer.frameworkId)?.offers.delete(offer.id);
  }

  rescindOffer(offer: OfferRecord): void {
    this.takeOffer(offer);
    this.events.emit({ type: 'OFFER_RESCINDED', offer });
    this.frameworks
      .get(offer.frameworkId)
      ?.connection?.sink.send({ type: 'RESCIND', rescind: { offer_id: { value: offer.id } } });
    this.deps.allocator.recoverResources(offer.frameworkId, offer.agentId, offer.role, offer.resources);
  }

  private rescindFrameworkOffers(fw: FrameworkRecord): void {
    for (const offerId of [...fw.offers]) {
      const offer = this.offers.get(offerId);
      if (offer !== undefined) this.rescindOffer(offer);
    }
  }

  rescindAgentOffers(agentId: AgentId): void {
    for (const offer of [...this.offers.values()]) if (offer.agentId === agentId) this.rescindOffer(offer);
  }

  /** Gives declined offers back with a filter; unknown offer ids are ignored, as in Mesos. */
  private releaseOffers(
    fw: FrameworkRecord,
    offerIds: readonly Id[],
    refuseUntilMs: number | undefined,
  ): void {
    for (const { value } of offerIds) {
      const offer = this.offers.get(value as OfferId);
      if (offer === undefined || offer.frameworkId !== fw.id) continue;
      this.takeOffer(offer);
      this.events.emit({ type: 'OFFER_DECLINED', offer });
      this.deps.allocator.recoverResources(fw.id, offer.agentId, offer.role, offer.resources, refuseUntilMs);
    }
  }

  /** Mesos: negative means the default, above a year is capped, 0 means no filter. */
  private refuseUntil(refuseSeconds: number | undefined): number | undefined {
    const requestedMs =
      refuseSeconds === undefined || refuseSeconds < 0
        ? this.deps.config.defaultRefuseMs
        : refuseSeconds * 1000;
    if (requestedMs === 0) return undefined;
    const effectiveMs = Math.max(Math.min(requestedMs, MAX_REFUSE_MS), this.deps.config.allocationIntervalMs);
    return this.deps.clock.nowMs() + effectiveMs;
  }

  // ---------------------------------------------------------------------------------------------
  // Launching

  private accept(fw: FrameworkRecord, accept: NonNullable<SchedulerCall['accept']>): void {
    const refuseUntilMs = this.refuseUntil(accept.filters?.refuse_seconds);
    const offers: OfferRecord[] = [];
    let invalidOffer: string | undefined;
    for (const { value } of accept.offer_ids) {
      const offer = this.offers.get(value as OfferId);
      if (offer === undefined) invalidOffer ??= `Offer '${value}' is no longer valid`;
      else if (offer.frameworkId !== fw.id) invalidOffer ??= `Offer '${value}' belongs to another framework`;
      else if (offers.some((o) => o.id === offer.id)) invalidOffer ??= `Offer '${value}' appears twice`;
      else if (offers[0] !== undefined && offers[0].agentId !== offer.agentId) {
        invalidOffer ??= 'Offers of one ACCEPT must all be for the same agent';
      } else if (offers[0] !== undefined && offers[0].role !== offer.role) {
        invalidOffer ??= 'Offers of one ACCEPT must all be for the same role';
      } else offers.push(offer);
    }
    if (invalidOffer !== undefined) {
      // Mesos answers launches on invalid offers with TASK_DROPPED / TASK_LOST and releases the
      // valid offers of the same call without a filter.
      for (const offer of offers) this.rescindOffer(offer);
      for (const task of tasksOf(accept.operations)) {
        this.sendStatus(fw, this.masterStatus(task, 'TASK_DROPPED', 'REASON_INVALID_OFFERS', invalidOffer));
      }
      return;
    }
    const first = offers[0]!;
    for (const offer of offers) {
      this.takeOffer(offer);
      this.events.emit({ type: 'OFFER_ACCEPTED', offer });
    }
    const offered = offers.reduce((sum, o) => sum.plus(o.resources), Resources.EMPTY);
    const agent = this.agents.get(first.agentId);
    const plan = planLaunches(accept.operations, {
      agentId: first.agentId,
      role: first.role,
      offered,
      liveTaskIds: new Set(fw.tasks.keys()),
      knownExecutors: new Set(
        [...fw.executors.entries()]
          .filter(([, e]) => e.agentId === first.agentId)
          .map(([id]) => id as ExecutorId),
      ),
    });
    if (isRejection(plan)) {
      // All-or-nothing: nothing of an invalid ACCEPT is launched; the whole offer goes back.
      this.deps.allocator.recoverResources(fw.id, first.agentId, first.role, offered);
      for (const { task, cause } of plan.tasks) {
        this.sendStatus(
          fw,
          this.masterStatus(task, 'TASK_ERROR', 'REASON_TASK_INVALID', cause ?? plan.message),
        );
      }
      throw invalidCall(plan.message);
    }
    if (!plan.remaining.isEmpty()) {
      this.deps.allocator.recoverResources(fw.id, first.agentId, first.role, plan.remaining, refuseUntilMs);
    }
    const agentReachable = agent !== undefined && agent.state === 'active';
    for (const launch of plan.launches) {
      const task = this.addTask(
        fw,
        first.agentId,
        first.role,
        launch.task,
        launch.resources,
        launch.executor,
      );
      if (!agentReachable) {
        this.recordStatus(
          task,
          this.masterStatus(task, 'TASK_DROPPED', 'REASON_AGENT_DISCONNECTED', 'Agent is not connected'),
        );
      } else if (launch.groupIndex === undefined) {
        this.agents.send(first.agentId, {
          type: 'RUN_TASK',
          run_task: { framework_info: fw.info, task: launch.task },
        });
      }
    }
    if (agentReachable) {
      for (const group of plan.groups) {
        this.agents.send(first.agentId, {
          type: 'RUN_TASK_GROUP',
          run_task_group: {
            framework_info: fw.info,
            executor: group.executor,
            task_group: { tasks: [...group.tasks] },
          },
        });
      }
    }
  }

  /** Registers a task the master now knows about (launched, or reported by a re-registering agent). */
  addTask(
    fw: FrameworkRecord,
    agentId: AgentId,
    role: string,
    info: TaskInfo,
    resources: Resources,
    executor?: TaskInfo['executor'],
    state: TaskState = 'TASK_STAGING',
  ): TaskRecord {
    const executorId = (executor?.executor_id.value ?? info.executor?.executor_id.value) as
      ExecutorId | undefined;
    const task: TaskRecord = {
      frameworkId: fw.id,
      agentId,
      taskId: info.task_id.value as TaskId,
      info,
      role,
      resources,
      ...(executorId !== undefined && { executorId }),
      ...(executor !== undefined && { executor }),
      state,
      statuses: [],
      resourcesReleased: false,
    };
    fw.tasks.set(task.taskId, task);
    fw.unreachableTasks.delete(task.taskId);
    this.agents.get(agentId)?.tasks.set(agentTaskKey(fw.id, task.taskId), task);
    if (executor !== undefined && executorId !== undefined)
      fw.executors.set(executorId, { agentId, info: executor });
    this.events.emit({ type: 'TASK_ADDED', task });
    return task;
  }

  // ---------------------------------------------------------------------------------------------
  // Status updates

  /**
   * Records a status for a task and sends it to its framework. Releases the task's resources the
   * first time it reaches a terminal state.
   */
  recordStatus(task: TaskRecord, status: TaskStatus, latestState?: TaskState): void {
    task.state = latestState ?? status.state;
    task.latestStatus = status;
    pushBounded(task.statuses, status, MAX_STATUSES_PER_TASK);
    this.events.emit({ type: 'TASK_UPDATED', task, status });
    const fw = this.frameworks.get(task.frameworkId);
    if (isTerminalState(task.state)) this.retireTask(task);
    else if (task.state === 'TASK_UNREACHABLE' && fw !== undefined) {
      fw.tasks.delete(task.taskId);
      fw.unreachableTasks.set(task.taskId, task);
    }
    if (fw !== undefined) this.sendStatus(fw, status);
  }

  private retireTask(task: TaskRecord): void {
    if (!task.resourcesReleased) {
      task.resourcesReleased = true;
      this.deps.allocator.recoverResources(task.frameworkId, task.agentId, task.role, task.resources);
    }
    const fw = this.frameworks.get(task.frameworkId);
    this.agents.get(task.agentId)?.tasks.delete(agentTaskKey(task.frameworkId, task.taskId));
    if (fw !== undefined && (fw.tasks.delete(task.taskId) || fw.unreachableTasks.delete(task.taskId))) {
      pushBounded(fw.completedTasks, task, this.deps.config.maxCompletedTasksPerFramework);
    }
  }

  /** Sends a status to the framework, translated for frameworks that are not partition-aware. */
  sendStatus(fw: FrameworkRecord, status: TaskStatus): void {
    const state = stateForFramework(status.state, hasCapability(fw.info, 'PARTITION_AWARE'));
    fw.connection?.sink.send({ type: 'UPDATE', update: { status: { ...status, state } } });
  }

  masterStatus(
    task: TaskRecord | TaskInfo,
    state: TaskState,
    reason: TaskReason,
    message: string,
    agentId?: string,
  ): TaskStatus {
    return masterStatus(task, state, reason, message, this.nowSec(), agentId);
  }

  findTask(fw: FrameworkRecord, taskId: string): TaskRecord | undefined {
    return fw.tasks.get(taskId as TaskId) ?? fw.unreachableTasks.get(taskId as TaskId);
  }

  private kill(fw: FrameworkRecord, kill: NonNullable<SchedulerCall['kill']>): void {
    const task = this.findTask(fw, kill.task_id.value);
    if (task === undefined) {
      this.reconcile(fw, [{ task_id: kill.task_id, ...(kill.agent_id && { agent_id: kill.agent_id }) }]);
      return;
    }
    const agent = this.agents.get(task.agentId);
    if (agent === undefined || agent.state === 'unreachable') {
      this.recordStatus(
        task,
        this.masterStatus(
          task,
          'TASK_KILLED',
          'REASON_AGENT_REMOVED',
          'Killed while its agent was unreachable',
        ),
      );
      return;
    }
    this.agents.send(task.agentId, {
      type: 'KILL_TASK',
      kill_task: {
        framework_id: { value: fw.id },
        task_id: kill.task_id,
        ...((kill.kill_policy ?? task.info.kill_policy) !== undefined && {
          kill_policy: kill.kill_policy ?? task.info.kill_policy,
        }),
      },
    });
  }

  private acknowledge(fw: FrameworkRecord, ack: NonNullable<SchedulerCall['acknowledge']>): void {
    if (Buffer.from(ack.uuid, 'base64').length !== 16) {
      throw invalidCall(
        `'acknowledge.uuid' must be the base64 encoding of a 16-byte UUID; received '${ack.uuid}'`,
      );
    }
    this.agents.send(ack.agent_id.value as AgentId, {
      type: 'ACKNOWLEDGE',
      acknowledge: { framework_id: { value: fw.id }, task_id: ack.task_id, uuid: ack.uuid },
    });
  }

  /**
   * Answers reconciliation (Mesos semantics): implicit (no tasks) sends the latest state of every
   * task the master knows for the framework; explicit answers each task, with TASK_GONE /
   * TASK_UNREACHABLE / TASK_UNKNOWN (TASK_LOST for frameworks that are not partition-aware) for
   * tasks the master does not know. Reconciliation updates carry no uuid and are never acknowledged.
   */
  reconcile(fw: FrameworkRecord, tasks: readonly { task_id: Id; agent_id?: Id }[]): void {
    const answers = reconciliationAnswers(fw, tasks, this.nowSec(), (agentId) => {
      const agent = this.agents.get(agentId as AgentId);
      if (agent !== undefined) return agent.state;
      return this.agents.recovered.has(agentId as AgentId) ? 'recovered' : 'unknown';
    });
    for (const status of answers) this.sendStatus(fw, status);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  descriptor(fw: FrameworkRecord): {
    roles: readonly string[];
    suppressedRoles: readonly string[];
    gpuAware: boolean;
  } {
    return {
      roles: fw.roles,
      suppressedRoles: [...fw.suppressedRoles],
      gpuAware: hasCapability(fw.info, 'GPU_RESOURCES'),
    };
  }

  private newFrameworkId(): FrameworkId {
    return `${this.deps.masterInfo.id}-${String(this.nextFrameworkNumber++).padStart(4, '0')}` as FrameworkId;
  }

  private refuse(sink: EventSink<SchedulerEvent>, message: string): undefined {
    this.log.info('framework subscription refused', { reason: message });
    sink.send({ type: 'ERROR', error: { message } });
    sink.close();
    return undefined;
  }

  private startHeartbeat(sink: EventSink<unknown>): () => void {
    let cancel: () => void = () => undefined;
    const beat = (): void => {
      if (sink.closed) return;
      sink.send({ type: 'HEARTBEAT' });
      cancel = this.deps.clock.after(this.deps.config.heartbeatIntervalMs, beat);
    };
    cancel = this.deps.clock.after(this.deps.config.heartbeatIntervalMs, beat);
    return () => cancel();
  }

  private closeConnection(fw: FrameworkRecord): void {
    const connection = fw.connection;
    if (connection === undefined) return;
    delete fw.connection;
    connection.cancelHeartbeat();
    connection.sink.close();
  }

  private knownRoles(
    fw: FrameworkRecord,
    roles: readonly string[] | undefined,
  ): readonly string[] | undefined {
    if (roles === undefined || roles.length === 0) return undefined;
    const unknown = roles.find((r) => !fw.roles.includes(r));
    if (unknown !== undefined) throw invalidCall(`Role '${unknown}' is not one of the framework's roles`);
    return roles;
  }
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw invalidCall(`Expecting '${field}' to be present`);
  return value;
}

function tasksOf(operations: readonly Operation[]): TaskInfo[] {
  return operations.flatMap((op) => [
    ...(op.launch?.task_infos ?? []),
    ...(op.launch_group?.task_group.tasks ?? []),
  ]);
}
