/**
 * What the master remembers about agents, frameworks, tasks and offers. State is soft: all of it
 * can be rebuilt from re-registering agents and re-subscribing frameworks after a failover.
 */
import type { AgentEvent } from '../core/agent-protocol.js';
import type { AgentId, ExecutorId, FrameworkId, OfferId, TaskId } from '../core/ids.js';
import type { Resources } from '../core/resources.js';
import type { AgentInfo, FrameworkInfo } from '../core/v1/cluster.js';
import type { Attribute } from '../core/v1/common.js';
import type { SchedulerEvent } from '../core/v1/scheduler.js';
import type { ExecutorInfo, TaskInfo, TaskState, TaskStatus } from '../core/v1/tasks.js';
import type { EventSink } from '../transport/event-stream.js';

export interface TaskRecord {
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly taskId: TaskId;
  readonly info: TaskInfo;
  readonly role: string;
  /** The task's resources plus, for the first task of an executor, the executor's. */
  readonly resources: Resources;
  readonly executorId?: ExecutorId;
  readonly executor?: ExecutorInfo;
  state: TaskState;
  /** Latest status forwarded to the framework (may be ahead of the acknowledged one). */
  latestStatus?: TaskStatus;
  /** Bounded history of statuses, oldest first. */
  readonly statuses: TaskStatus[];
  /** True once its resources went back to the allocator (the task reached a terminal state). */
  resourcesReleased: boolean;
  unreachableTimeSec?: number;
}

export type FrameworkState = 'subscribed' | 'disconnected' | 'recovered';

export interface FrameworkConnection {
  readonly sink: EventSink<SchedulerEvent>;
  readonly streamId: string;
  readonly cancelHeartbeat: () => void;
}

export interface FrameworkRecord {
  readonly id: FrameworkId;
  info: FrameworkInfo;
  roles: readonly string[];
  suppressedRoles: Set<string>;
  state: FrameworkState;
  connection?: FrameworkConnection;
  readonly registeredTimeSec: number;
  reregisteredTimeSec?: number;
  unregisteredTimeSec?: number;
  cancelFailover?: () => void;
  readonly tasks: Map<TaskId, TaskRecord>;
  readonly unreachableTasks: Map<TaskId, TaskRecord>;
  readonly completedTasks: TaskRecord[];
  readonly offers: Set<OfferId>;
  readonly executors: Map<string, { readonly agentId: AgentId; readonly info: ExecutorInfo }>;
}

export type AgentState = 'active' | 'disconnected' | 'unreachable';

export interface AgentRecord {
  readonly id: AgentId;
  info: AgentInfo;
  /** Base URL of the agent's HTTP API. */
  url: string;
  total: Resources;
  attributes: readonly Attribute[];
  state: AgentState;
  sink?: EventSink<AgentEvent>;
  lastPingMs: number;
  readonly registeredTimeSec: number;
  reregisteredTimeSec?: number;
  unreachableTimeSec?: number;
  version?: string;
  readonly tasks: Map<string, TaskRecord>;
}

export interface OfferRecord {
  readonly id: OfferId;
  readonly frameworkId: FrameworkId;
  readonly agentId: AgentId;
  readonly role: string;
  readonly resources: Resources;
  cancelExpiry?: () => void;
}

/** Key of a task within an agent's task map (task ids are unique per framework only). */
export const agentTaskKey = (frameworkId: string, taskId: string): string => `${frameworkId}/${taskId}`;

/** Appends, dropping the oldest entries beyond `limit`. */
export function pushBounded<T>(list: T[], item: T, limit: number): void {
  list.push(item);
  if (list.length > limit) list.splice(0, list.length - limit);
}

/** A framework the master has just learned of (subscribed, or recovered from an agent or the registry). */
export function newFrameworkRecord(
  id: FrameworkId,
  info: FrameworkInfo,
  roles: readonly string[],
  suppressedRoles: Set<string>,
  nowSec: number,
): FrameworkRecord {
  return {
    id,
    info,
    roles,
    suppressedRoles,
    state: 'subscribed',
    registeredTimeSec: nowSec,
    tasks: new Map(),
    unreachableTasks: new Map(),
    completedTasks: [],
    offers: new Set(),
    executors: new Map(),
  };
}
