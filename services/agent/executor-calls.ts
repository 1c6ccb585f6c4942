/**
 * The v1 executor API's vocabulary (mesos-http-api.md §3): the calls an executor POSTs to
 * `/api/v1/executor`, their validation, and the events the agent streams back. Pure.
 */
import { z } from 'zod';
import { MesoError } from '../core/errors.js';
import type { AgentInfo, FrameworkInfo } from '../core/v1/cluster.js';
import { type Id, IdSchema } from '../core/v1/common.js';
import {
  type ExecutorInfo,
  type KillPolicy,
  type TaskInfo,
  TaskInfoSchema,
  type TaskStatus,
  TaskStatusSchema,
} from '../core/v1/tasks.js';
import { parseWith } from '../core/validation.js';

export const ExecutorCallSchema = z.object({
  type: z.enum(['SUBSCRIBE', 'UPDATE', 'MESSAGE', 'HEARTBEAT']),
  executor_id: IdSchema,
  framework_id: IdSchema,
  subscribe: z
    .object({
      unacknowledged_tasks: z.array(TaskInfoSchema).default([]),
      unacknowledged_updates: z.array(z.object({ status: TaskStatusSchema })).default([]),
    })
    .optional(),
  update: z.object({ status: TaskStatusSchema }).optional(),
  message: z.object({ data: z.string() }).optional(),
});
export type ExecutorCall = z.infer<typeof ExecutorCallSchema>;

/** Events on an executor's SUBSCRIBE stream. */
export type ExecutorEvent =
  | {
      type: 'SUBSCRIBED';
      subscribed: {
        executor_info: ExecutorInfo;
        framework_info: FrameworkInfo;
        agent_info: AgentInfo;
        container_id: Id;
      };
    }
  | { type: 'LAUNCH'; launch: { task: TaskInfo } }
  | { type: 'LAUNCH_GROUP'; launch_group: { task_group: { tasks: TaskInfo[] } } }
  | { type: 'KILL'; kill: { task_id: Id; kill_policy?: KillPolicy } }
  | { type: 'ACKNOWLEDGED'; acknowledged: { task_id: Id; uuid: string } }
  | { type: 'MESSAGE'; message: { data: string } }
  | { type: 'SHUTDOWN' }
  | { type: 'HEARTBEAT' };

/** Parses a call; throws INVALID_CALL naming the field (HTTP 400). */
export function parseExecutorCall(raw: unknown): ExecutorCall {
  return parseWith(ExecutorCallSchema, raw, 'executor call');
}

/** The call's `field`, which its type requires. */
export function required<T>(value: T | undefined, field: string): T {
  if (value === undefined) throw new MesoError('INVALID_CALL', `Expecting '${field}' to be present`);
  return value;
}

/**
 * Mesos's checks of an executor's UPDATE: a uuid of exactly 16 bytes, the calling executor's id
 * (when the status names one), source SOURCE_EXECUTOR, and never TASK_STAGING (only the master
 * sets that). Returns the status with the executor id filled in.
 */
export function validateUpdate(call: ExecutorCall): TaskStatus & { uuid: string } {
  const { status } = required(call.update, 'update');
  const fail = (message: string): never => {
    throw new MesoError('INVALID_CALL', `Invalid UPDATE for task '${status.task_id.value}': ${message}`);
  };
  const uuid = status.uuid ?? fail("'status.uuid' is required");
  if (!isUuidBytes(uuid)) fail(`'status.uuid' must be 16 bytes in base64; received '${uuid}'`);
  if (status.executor_id !== undefined && status.executor_id.value !== call.executor_id.value) {
    fail(`'status.executor_id' '${status.executor_id.value}' is not the calling executor`);
  }
  if (status.source !== 'SOURCE_EXECUTOR') {
    fail(`'status.source' must be SOURCE_EXECUTOR; received '${status.source ?? 'none'}'`);
  }
  if (status.state === 'TASK_STAGING') fail('executors must not send TASK_STAGING');
  return { ...status, uuid, executor_id: call.executor_id };
}

/** Canonical base64 of exactly 16 bytes, as Mesos JSON carries a UUID. */
function isUuidBytes(text: string): boolean {
  const bytes = Buffer.from(text, 'base64');
  return bytes.length === 16 && bytes.toString('base64') === text;
}
