/**
 * The scheduler API's `Call` (framework → master) and `Event` (master → framework) messages,
 * `mesos.v1.scheduler` in Mesos's protos.
 */
import { z } from 'zod';
import { FiltersSchema, FrameworkInfoSchema, type MasterInfo, type Offer } from './cluster.js';
import { IdSchema, type Id, ResourceSchema } from './common.js';
import {
  ExecutorInfoSchema,
  KillPolicySchema,
  TaskGroupInfoSchema,
  TaskInfoSchema,
  type TaskStatus,
} from './tasks.js';

export const SCHEDULER_CALL_TYPES = [
  'SUBSCRIBE',
  'TEARDOWN',
  'ACCEPT',
  'DECLINE',
  'ACCEPT_INVERSE_OFFERS',
  'DECLINE_INVERSE_OFFERS',
  'REVIVE',
  'KILL',
  'SHUTDOWN',
  'ACKNOWLEDGE',
  'ACKNOWLEDGE_OPERATION_STATUS',
  'RECONCILE',
  'RECONCILE_OPERATIONS',
  'MESSAGE',
  'REQUEST',
  'SUPPRESS',
  'UPDATE_FRAMEWORK',
] as const;
export type SchedulerCallType = (typeof SCHEDULER_CALL_TYPES)[number];

export const OperationSchema = z.object({
  type: z.enum([
    'UNKNOWN',
    'LAUNCH',
    'LAUNCH_GROUP',
    'RESERVE',
    'UNRESERVE',
    'CREATE',
    'DESTROY',
    'GROW_VOLUME',
    'SHRINK_VOLUME',
    'CREATE_DISK',
    'DESTROY_DISK',
  ]),
  id: IdSchema.optional(),
  launch: z.object({ task_infos: z.array(TaskInfoSchema).default([]) }).optional(),
  launch_group: z.object({ executor: ExecutorInfoSchema, task_group: TaskGroupInfoSchema }).optional(),
  reserve: z.object({ resources: z.array(ResourceSchema).default([]) }).optional(),
  unreserve: z.object({ resources: z.array(ResourceSchema).default([]) }).optional(),
});
export type Operation = z.infer<typeof OperationSchema>;

const rolesSchema = z.object({ roles: z.array(z.string()).default([]) });

export const SchedulerCallSchema = z.object({
  type: z.enum(SCHEDULER_CALL_TYPES),
  framework_id: IdSchema.optional(),
  subscribe: z
    .object({
      framework_info: FrameworkInfoSchema,
      suppressed_roles: z.array(z.string()).optional(),
    })
    .optional(),
  accept: z
    .object({
      offer_ids: z.array(IdSchema).min(1),
      operations: z.array(OperationSchema).default([]),
      filters: FiltersSchema.optional(),
    })
    .optional(),
  decline: z.object({ offer_ids: z.array(IdSchema).min(1), filters: FiltersSchema.optional() }).optional(),
  revive: rolesSchema.optional(),
  suppress: rolesSchema.optional(),
  kill: z
    .object({ task_id: IdSchema, agent_id: IdSchema.optional(), kill_policy: KillPolicySchema.optional() })
    .optional(),
  shutdown: z.object({ executor_id: IdSchema, agent_id: IdSchema }).optional(),
  acknowledge: z.object({ agent_id: IdSchema, task_id: IdSchema, uuid: z.string().min(1) }).optional(),
  reconcile: z
    .object({
      tasks: z.array(z.object({ task_id: IdSchema, agent_id: IdSchema.optional() })).default([]),
    })
    .optional(),
  message: z.object({ agent_id: IdSchema, executor_id: IdSchema, data: z.string() }).optional(),
  request: z.object({}).loose().optional(),
  update_framework: z
    .object({ framework_info: FrameworkInfoSchema, suppressed_roles: z.array(z.string()).optional() })
    .optional(),
});
export type SchedulerCall = z.infer<typeof SchedulerCallSchema>;

/** Events the master writes on a framework's subscription stream. */
export type SchedulerEvent =
  | {
      type: 'SUBSCRIBED';
      subscribed: { framework_id: Id; heartbeat_interval_seconds: number; master_info: MasterInfo };
    }
  | { type: 'OFFERS'; offers: { offers: Offer[] } }
  | { type: 'RESCIND'; rescind: { offer_id: Id } }
  | { type: 'UPDATE'; update: { status: TaskStatus } }
  | { type: 'MESSAGE'; message: { agent_id: Id; executor_id: Id; data: string } }
  | { type: 'FAILURE'; failure: { agent_id?: Id; executor_id?: Id; status?: number } }
  | { type: 'ERROR'; error: { message: string } }
  | { type: 'HEARTBEAT' };
