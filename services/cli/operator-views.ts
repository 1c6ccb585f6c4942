/**
 * The parts of the operator API's answers the client commands read, as lenient schemas: unknown
 * keys pass through untouched, so `-o json` prints everything the master sent.
 */
import { z } from 'zod';
import { ResourceSchema, TaskStatusSchema, TASK_STATES } from '../core/v1/index.js';

const Id = z.looseObject({ value: z.string() });
const ResourceList = z.array(z.looseObject(ResourceSchema.shape)).default([]);
const TimeInfo = z.looseObject({ nanoseconds: z.number() });

export const TaskView = z.looseObject({
  name: z.string().default(''),
  task_id: Id,
  framework_id: Id,
  agent_id: Id,
  state: z.enum(TASK_STATES),
  resources: ResourceList,
  statuses: z.array(z.looseObject(TaskStatusSchema.shape)).default([]),
});
export type TaskView = z.infer<typeof TaskView>;

export const TasksAnswer = z.looseObject({
  tasks: z.array(TaskView).default([]),
  unreachable_tasks: z.array(TaskView).default([]),
  completed_tasks: z.array(TaskView).default([]),
});

export const AgentView = z.looseObject({
  agent_info: z.looseObject({
    id: Id,
    hostname: z.string(),
    port: z.number().default(5051),
    attributes: z.array(z.looseObject({ name: z.string() })).default([]),
  }),
  active: z.boolean().default(false),
  deactivated: z.boolean().default(false),
  drain_info: z.looseObject({ state: z.string() }).optional(),
  pid: z.string().default(''),
  total_resources: ResourceList,
  allocated_resources: ResourceList,
  offered_resources: ResourceList,
  unreachable_time: TimeInfo.optional(),
});
export type AgentView = z.infer<typeof AgentView>;

export const AgentsAnswer = z.looseObject({
  agents: z.array(AgentView).default([]),
  unreachable_agents: z.array(AgentView).default([]),
});

const OfferStats = z.looseObject({
  outstanding: z.number(),
  sent: z.number(),
  accepted: z.number(),
  declined: z.number(),
  rescinded: z.number(),
});

export const FrameworkView = z.looseObject({
  framework_info: z.looseObject({
    id: Id,
    name: z.string(),
    user: z.string().default(''),
    role: z.string().optional(),
    roles: z.array(z.string()).optional(),
  }),
  active: z.boolean().default(false),
  connected: z.boolean().default(false),
  allocated_resources: ResourceList,
  offer_stats: OfferStats.optional(),
  dominant_shares: z.array(z.looseObject({ role: z.string(), share: z.number() })).default([]),
});
export type FrameworkView = z.infer<typeof FrameworkView>;

export const FrameworksAnswer = z.looseObject({
  frameworks: z.array(FrameworkView).default([]),
  completed_frameworks: z.array(FrameworkView).default([]),
});

export const MasterAnswer = z.looseObject({
  master_info: z.looseObject({
    id: z.string(),
    hostname: z.string(),
    port: z.number(),
    version: z.string().default(''),
    address: z.looseObject({ ip: z.string().default('') }).optional(),
  }),
  start_time: z.number(),
  elected_time: z.number().optional(),
});

export const WeightsAnswer = z.looseObject({
  weight_infos: z.array(z.looseObject({ role: z.string(), weight: z.number() })).default([]),
});

const ScalarMap = z.record(z.string(), z.looseObject({ value: z.number() })).default({});
export const QuotaAnswer = z.looseObject({
  status: z.looseObject({
    configs: z
      .array(z.looseObject({ role: z.string(), guarantees: ScalarMap, limits: ScalarMap }))
      .default([]),
  }),
});

/** The roles a framework subscribed with. */
export const frameworkRoles = (fw: FrameworkView): readonly string[] =>
  fw.framework_info.roles ?? [fw.framework_info.role ?? '*'];
