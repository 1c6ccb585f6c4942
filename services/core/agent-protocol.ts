/**
 * The master ↔ agent protocol. Mesos keeps this internal; ours is designed for the things that go
 * wrong: every message is safe to repeat, the agent always carries its full task list when it
 * (re-)registers, and only the agent opens connections (it works behind NAT and scaled Compose).
 *
 * Flow:
 *   agent  --POST /master/api/meso/agent {REGISTER}-->  master    response: RecordIO stream of AgentEvent
 *   agent  --POST {PING} every ping_interval----------->  master    200, or 404 when the master does not
 *                                                                   know the agent (it must re-register)
 *   agent  --POST {UPDATE}----------------------------->  master    202; retried until ACKNOWLEDGE arrives
 *   master ==RUN_TASK / KILL_TASK / ACKNOWLEDGE / ...==>  agent     events on the REGISTER stream
 *
 * Idempotence: RUN_TASK for a task the agent already has is ignored; KILL_TASK for an unknown task
 * makes the agent answer TASK_DROPPED (or TASK_LOST); ACKNOWLEDGE with a stale uuid is ignored;
 * REGISTER with a known agent id replaces the previous stream (the old one is closed).
 */
import { z } from 'zod';
import { FrameworkInfoSchema, AgentInfoSchema, type FrameworkInfo } from './v1/cluster.js';
import { IdSchema, type Id } from './v1/common.js';
import {
  ExecutorInfoSchema,
  KillPolicySchema,
  TASK_STATES,
  TaskInfoSchema,
  TaskStatusSchema,
  type ExecutorInfo,
  type KillPolicy,
  type TaskInfo,
} from './v1/tasks.js';

export const AGENT_API_PATH = '/master/api/meso/agent';

/** A task as the agent reports it when (re-)registering. */
export const AgentTaskSchema = z.object({
  framework_id: IdSchema,
  task: TaskInfoSchema,
  state: z.enum(TASK_STATES),
  executor_id: IdSchema.optional(),
});
export type AgentTask = z.infer<typeof AgentTaskSchema>;

export const AgentCallSchema = z.object({
  type: z.enum(['REGISTER', 'PING', 'UPDATE', 'EXECUTOR_MESSAGE']),
  agent_id: IdSchema.optional(),
  register: z
    .object({
      /** `agent_info.id` is set when the agent re-registers (after its restart or a master failover). */
      agent_info: AgentInfoSchema,
      /** Base URL of the agent's HTTP API, e.g. `http://10.0.0.3:5051`. */
      url: z.string().url(),
      tasks: z.array(AgentTaskSchema).default([]),
      frameworks: z.array(FrameworkInfoSchema).default([]),
      /**
       * History the agent still remembers: terminal tasks, and frameworks that ended on it. A new
       * leader rebuilds its completed tasks and frameworks from these, as Mesos's does.
       */
      completed_tasks: z.array(AgentTaskSchema).default([]),
      completed_frameworks: z.array(FrameworkInfoSchema).default([]),
      version: z.string().optional(),
    })
    .optional(),
  update: z
    .object({
      framework_id: IdSchema,
      status: TaskStatusSchema,
      /** State at the tail of the agent's queue for this task: the task's real current state. */
      latest_state: z.enum(TASK_STATES).optional(),
    })
    .optional(),
  executor_message: z.object({ framework_id: IdSchema, executor_id: IdSchema, data: z.string() }).optional(),
});
export type AgentCall = z.infer<typeof AgentCallSchema>;

/** Events the master writes on an agent's REGISTER stream. */
export type AgentEvent =
  | { type: 'REGISTERED'; registered: { agent_id: Id; ping_interval_seconds: number; master_id: string } }
  | { type: 'RUN_TASK'; run_task: { framework_info: FrameworkInfo; task: TaskInfo } }
  | {
      type: 'RUN_TASK_GROUP';
      run_task_group: {
        framework_info: FrameworkInfo;
        executor: ExecutorInfo;
        task_group: { tasks: TaskInfo[] };
      };
    }
  | { type: 'KILL_TASK'; kill_task: { framework_id: Id; task_id: Id; kill_policy?: KillPolicy } }
  | { type: 'ACKNOWLEDGE'; acknowledge: { framework_id: Id; task_id: Id; uuid: string } }
  | { type: 'SHUTDOWN_FRAMEWORK'; shutdown_framework: { framework_id: Id } }
  | { type: 'SHUTDOWN_EXECUTOR'; shutdown_executor: { framework_id: Id; executor_id: Id } }
  | { type: 'FRAMEWORK_MESSAGE'; framework_message: { framework_id: Id; executor_id: Id; data: string } }
  /** The master refuses this agent (e.g. it was marked gone); the agent must stop and forget its id. */
  | { type: 'SHUTDOWN'; shutdown: { message: string } }
  | { type: 'HEARTBEAT' };

export const AgentEventSchema = z.object({ type: z.string() }).loose();
export { ExecutorInfoSchema, KillPolicySchema };
