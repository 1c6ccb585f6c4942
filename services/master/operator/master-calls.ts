/**
 * Answers the master operator API's request/response calls (everything but SUBSCRIBE). Each answer
 * is Mesos's envelope `{"type": "GET_X", "get_x": {...}}` with 200, except updates and agent
 * (de)activation and draining (200, no body) and `KILL_TASK` (202: the kill is under way, its
 * outcome arrives as a status update).
 */
import { MesoError, invalidCall } from '../../core/errors.js';
import type { AgentId, FrameworkId } from '../../core/ids.js';
import { fromMilli } from '../../core/resources.js';
import type { MasterInfo } from '../../core/v1/cluster.js';
import type { Master } from '../master.js';
import type { FrameworkRecord, TaskRecord } from '../records.js';
import { versionJson } from '../state-json.js';
import type { MasterCallType, OperatorCall } from './calls.js';
import type { OfferCounts } from './offer-stats.js';
import {
  type Json,
  scalarMap,
  v1Agents,
  v1Executors,
  v1Frameworks,
  v1Roles,
  v1State,
  v1Tasks,
} from './v1-json.js';

/** Where the answers come from. */
export interface OperatorContext {
  readonly master: Master;
  readonly offerCounts: (fw: FrameworkRecord) => OfferCounts | undefined;
  /** The metrics snapshot (`/metrics/snapshot`'s flat map); GET_METRICS answers no metrics without it. */
  readonly metricsSnapshot?: () => Promise<Readonly<Record<string, number>>>;
  /** The other masters in the election, for GET_MASTER's `standbys` (a meso extension). */
  readonly standbys?: () => readonly MasterInfo[];
  /** When this master was elected, seconds since the epoch; its start time when not given. */
  readonly electedTimeSec?: () => number | undefined;
}

export interface CallAnswer {
  readonly status: 200 | 202;
  readonly body?: Json;
}

type RequestResponseCall = Exclude<MasterCallType, 'SUBSCRIBE'>;

/** `GET_AGENTS` → `get_agents`. */
const envelope = (type: RequestResponseCall, payload: Json): CallAnswer => ({
  status: 200,
  body: { type, [type.toLowerCase()]: payload },
});

export async function answerCall(
  ctx: OperatorContext,
  type: RequestResponseCall,
  call: OperatorCall,
): Promise<CallAnswer> {
  const { master } = ctx;
  switch (type) {
    case 'GET_HEALTH':
      return envelope(type, { healthy: true });
    case 'GET_FLAGS':
      return envelope(type, {
        flags: Object.entries(master.config.flags).map(([name, value]) => ({ name, value })),
      });
    case 'GET_VERSION':
      return envelope(type, { version_info: versionJson() });
    case 'GET_METRICS': {
      const snapshot = (await ctx.metricsSnapshot?.()) ?? {};
      return envelope(type, {
        metrics: Object.entries(snapshot).map(([name, value]) => ({ name, value })),
      });
    }
    case 'GET_STATE':
      return envelope(type, v1State(master, ctx.offerCounts));
    case 'GET_AGENTS':
      return envelope(type, v1Agents(master));
    case 'GET_FRAMEWORKS':
      return envelope(type, v1Frameworks(master, ctx.offerCounts));
    case 'GET_EXECUTORS':
      return envelope(type, v1Executors(master));
    case 'GET_TASKS':
      return envelope(type, v1Tasks(master));
    case 'GET_ROLES':
      return envelope(type, v1Roles(master));
    case 'GET_MASTER':
      return envelope(type, {
        master_info: master.info,
        start_time: master.startTimeSec,
        elected_time: ctx.electedTimeSec?.() ?? master.startTimeSec,
        ...(ctx.standbys !== undefined && { standbys: ctx.standbys() }),
      });
    case 'GET_WEIGHTS':
      return envelope(type, { weight_infos: master.policy.snapshot().weights });
    case 'GET_QUOTA':
      return envelope(type, {
        status: {
          configs: master.policy.snapshot().quotas.map((q) => ({
            role: q.role,
            guarantees: scalarMap(q.guarantees),
            limits: scalarMap(q.limits),
          })),
        },
      });
    case 'UPDATE_WEIGHTS':
      await master.policy.updateWeights(required(call.update_weights, 'update_weights').weight_infos);
      return { status: 200 };
    case 'UPDATE_QUOTA': {
      const update = required(call.update_quota, 'update_quota');
      await master.policy.updateQuotas(
        update.quota_configs,
        update.force ? undefined : clusterCapacity(master),
      );
      return { status: 200 };
    }
    case 'KILL_TASK':
      killTask(master, required(call.kill_task, 'kill_task'));
      return { status: 202 };
    case 'DEACTIVATE_AGENT':
      await master.maintenance.deactivate(agentId(required(call.deactivate_agent, 'deactivate_agent')));
      return { status: 200 };
    case 'REACTIVATE_AGENT':
      await master.maintenance.reactivate(agentId(required(call.reactivate_agent, 'reactivate_agent')));
      return { status: 200 };
    case 'DRAIN_AGENT': {
      const drain = required(call.drain_agent, 'drain_agent');
      await master.maintenance.drain(agentId(drain), {
        ...(drain.max_grace_period !== undefined && { maxGracePeriodNs: drain.max_grace_period.nanoseconds }),
        markGone: drain.mark_gone,
      });
      return { status: 200 };
    }
  }
}

function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw invalidCall(`Expecting '${field}' to be present`);
  return value;
}

const agentId = (body: { agent_id: { value: string } }): AgentId => body.agent_id.value as AgentId;

/** Scalar totals of the agents that are not unreachable: what quota guarantees must fit in. */
function clusterCapacity(master: Master): Record<string, number> {
  const capacity: Record<string, number> = {};
  for (const agent of master.agents.all()) {
    if (agent.state === 'unreachable') continue;
    for (const [name, milli] of agent.total.scalarQuantities())
      capacity[name] = (capacity[name] ?? 0) + fromMilli(milli);
  }
  return capacity;
}

/**
 * meso's `KILL_TASK`: kills a task of any framework the way its own scheduler's KILL would. The
 * framework learns of it through the task's TASK_KILLED update, as when a task dies on its own.
 */
function killTask(master: Master, kill: NonNullable<OperatorCall['kill_task']>): void {
  const taskId = kill.task_id.value;
  const frameworkId = kill.framework_id?.value as FrameworkId | undefined;
  const candidates =
    frameworkId === undefined ? [...master.frameworks.values()] : [master.frameworks.get(frameworkId)];
  const owners = candidates.filter(
    (fw): fw is FrameworkRecord => fw !== undefined && master.findTask(fw, taskId) !== undefined,
  );
  if (owners.length > 1) {
    throw invalidCall(
      `Task '${taskId}' exists in frameworks ${owners.map((fw) => `'${fw.id}'`).join(', ')}; set 'framework_id' to choose one`,
    );
  }
  const owner = owners[0];
  if (owner === undefined) {
    const finished = completedTask(master, taskId, frameworkId);
    if (finished !== undefined)
      throw new MesoError('ILLEGAL_STATE', `Task '${taskId}' already ended in ${finished.state}`);
    throw new MesoError(
      'NOT_FOUND',
      `No active task '${taskId}'${frameworkId ? ` in framework '${frameworkId}'` : ''}`,
    );
  }
  master.handleCall(owner, { type: 'KILL', kill: { task_id: { value: taskId } } });
}

function completedTask(
  master: Master,
  taskId: string,
  frameworkId: FrameworkId | undefined,
): TaskRecord | undefined {
  return [...master.frameworks.values(), ...master.completedFrameworks]
    .filter((fw) => frameworkId === undefined || fw.id === frameworkId)
    .flatMap((fw) => fw.completedTasks)
    .findLast((t) => t.taskId === taskId);
}
