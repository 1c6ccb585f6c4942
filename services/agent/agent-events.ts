/**
 * Validation of the events a master writes on the agent's REGISTER stream
 * (`core/agent-protocol.ts`), so the agent acts on typed `AgentEvent`s and never on raw JSON.
 */
import { z } from 'zod';
import { type AgentEvent, ExecutorInfoSchema, KillPolicySchema } from '../core/agent-protocol.js';
import { FrameworkInfoSchema } from '../core/v1/cluster.js';
import { IdSchema, num } from '../core/v1/common.js';
import { TaskInfoSchema } from '../core/v1/tasks.js';
import { parseWith } from '../core/validation.js';

const event = <T extends string, S extends z.ZodRawShape>(type: T, body: S) =>
  z.object({ type: z.literal(type), ...body });

const AgentEventSchema = z.discriminatedUnion('type', [
  event('REGISTERED', {
    registered: z.object({
      agent_id: IdSchema,
      ping_interval_seconds: num.pipe(z.number().positive()),
      master_id: z.string(),
    }),
  }),
  event('RUN_TASK', { run_task: z.object({ framework_info: FrameworkInfoSchema, task: TaskInfoSchema }) }),
  event('RUN_TASK_GROUP', {
    run_task_group: z.object({
      framework_info: FrameworkInfoSchema,
      executor: ExecutorInfoSchema,
      task_group: z.object({ tasks: z.array(TaskInfoSchema).min(1) }),
    }),
  }),
  event('KILL_TASK', {
    kill_task: z.object({
      framework_id: IdSchema,
      task_id: IdSchema,
      kill_policy: KillPolicySchema.optional(),
    }),
  }),
  event('ACKNOWLEDGE', {
    acknowledge: z.object({ framework_id: IdSchema, task_id: IdSchema, uuid: z.string().min(1) }),
  }),
  event('SHUTDOWN_FRAMEWORK', { shutdown_framework: z.object({ framework_id: IdSchema }) }),
  event('SHUTDOWN_EXECUTOR', {
    shutdown_executor: z.object({ framework_id: IdSchema, executor_id: IdSchema }),
  }),
  event('FRAMEWORK_MESSAGE', {
    framework_message: z.object({ framework_id: IdSchema, executor_id: IdSchema, data: z.string() }),
  }),
  event('SHUTDOWN', { shutdown: z.object({ message: z.string().default('') }) }),
  event('HEARTBEAT', {}),
]);

const KNOWN_TYPES: ReadonlySet<string> = new Set(AgentEventSchema.options.map((o) => o.shape.type.value));

/**
 * Validates one event. Returns `undefined` for an event type this agent does not know (a newer
 * master may send more); throws INVALID_CALL naming the field for a malformed known event.
 */
export function parseAgentEvent(raw: unknown): AgentEvent | undefined {
  const type = (raw as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !KNOWN_TYPES.has(type)) return undefined;
  return parseWith(AgentEventSchema, raw, `${type} event`);
}
