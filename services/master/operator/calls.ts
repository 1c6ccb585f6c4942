/**
 * The master operator API's `Call` (`mesos.v1.master.Call`): the calls meso implements, the ones
 * Mesos has that meso does not (answered 501, naming the call), and the bodies of the calls that
 * take one. `KILL_TASK` is a meso extension (see `docs/operator.md`).
 */
import { z } from 'zod';
import { invalidCall, MesoError } from '../../core/errors.js';
import { bool, DurationInfoSchema, IdSchema, num } from '../../core/v1/common.js';

const MASTER_CALLS = [
  'GET_HEALTH',
  'GET_FLAGS',
  'GET_VERSION',
  'GET_METRICS',
  'GET_STATE',
  'GET_AGENTS',
  'GET_FRAMEWORKS',
  'GET_EXECUTORS',
  'GET_TASKS',
  'GET_ROLES',
  'GET_WEIGHTS',
  'UPDATE_WEIGHTS',
  'GET_MASTER',
  'SUBSCRIBE',
  'GET_QUOTA',
  'UPDATE_QUOTA',
  'KILL_TASK',
  'DRAIN_AGENT',
  'DEACTIVATE_AGENT',
  'REACTIVATE_AGENT',
] as const;
export type MasterCallType = (typeof MASTER_CALLS)[number];

/** Mesos master calls meso does not implement (yet). */
const UNIMPLEMENTED_CALLS = new Set([
  'GET_LOGGING_LEVEL',
  'SET_LOGGING_LEVEL',
  'LIST_FILES',
  'READ_FILE',
  'RESERVE_RESOURCES',
  'UNRESERVE_RESOURCES',
  'CREATE_VOLUMES',
  'DESTROY_VOLUMES',
  'GROW_VOLUME',
  'SHRINK_VOLUME',
  'GET_MAINTENANCE_STATUS',
  'GET_MAINTENANCE_SCHEDULE',
  'UPDATE_MAINTENANCE_SCHEDULE',
  'START_MAINTENANCE',
  'STOP_MAINTENANCE',
  'SET_QUOTA',
  'REMOVE_QUOTA',
  'TEARDOWN',
  'MARK_AGENT_GONE',
  'GET_OPERATIONS',
]);

/** `{"cpus": {"value": 1}}`, Mesos's `map<string, Value.Scalar>`, read into plain numbers. */
const ScalarMapSchema = z
  .record(z.string(), z.object({ value: num }))
  .default({})
  .transform((map) => Object.fromEntries(Object.entries(map).map(([name, s]) => [name, s.value])));

const QuotaConfigSchema = z.object({
  role: z.string(),
  guarantees: ScalarMapSchema,
  limits: ScalarMapSchema,
});

const WeightInfoSchema = z.object({ role: z.string(), weight: num });

export const OperatorCallSchema = z.object({
  type: z.string().min(1, 'must name a call'),
  update_weights: z.object({ weight_infos: z.array(WeightInfoSchema) }).optional(),
  update_quota: z
    .object({ force: bool.default(false), quota_configs: z.array(QuotaConfigSchema) })
    .optional(),
  kill_task: z.object({ task_id: IdSchema, framework_id: IdSchema.optional() }).optional(),
  drain_agent: z
    .object({
      agent_id: IdSchema,
      max_grace_period: DurationInfoSchema.optional(),
      mark_gone: bool.default(false),
    })
    .optional(),
  deactivate_agent: z.object({ agent_id: IdSchema }).optional(),
  reactivate_agent: z.object({ agent_id: IdSchema }).optional(),
});
export type OperatorCall = z.infer<typeof OperatorCallSchema>;

/**
 * The call's type, if meso implements it. Throws NOT_IMPLEMENTED (501) for Mesos calls meso lacks
 * and INVALID_CALL (400) for names Mesos does not know either.
 */
export function implementedCall(type: string): MasterCallType {
  if ((MASTER_CALLS as readonly string[]).includes(type)) return type as MasterCallType;
  if (UNIMPLEMENTED_CALLS.has(type))
    throw new MesoError('NOT_IMPLEMENTED', `Call '${type}' is not implemented by meso`);
  throw invalidCall(`Unknown call type '${type}'; expected one of ${MASTER_CALLS.join(', ')}`);
}
