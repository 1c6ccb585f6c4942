/** FrameworkInfo, AgentInfo, MasterInfo, Offer and Filters: who takes part and what is offered. */
import { z } from 'zod';
import {
  AttributeSchema,
  bool,
  IdSchema,
  int,
  LabelsSchema,
  num,
  ResourceSchema,
  UrlSchema,
} from './common.js';

export const FRAMEWORK_CAPABILITIES = [
  'UNKNOWN',
  'REVOCABLE_RESOURCES',
  'TASK_KILLING_STATE',
  'GPU_RESOURCES',
  'SHARED_RESOURCES',
  'PARTITION_AWARE',
  'MULTI_ROLE',
  'RESERVATION_REFINEMENT',
  'REGION_AWARE',
] as const;
export type FrameworkCapability = (typeof FRAMEWORK_CAPABILITIES)[number];

export const FrameworkInfoSchema = z.object({
  user: z.string(),
  name: z.string(),
  id: IdSchema.optional(),
  failover_timeout: num.default(0),
  checkpoint: bool.default(false),
  /** Deprecated single role, used when the framework lacks MULTI_ROLE. */
  role: z.string().optional(),
  roles: z.array(z.string()).optional(),
  hostname: z.string().optional(),
  principal: z.string().optional(),
  webui_url: z.string().optional(),
  capabilities: z
    .array(z.object({ type: z.enum(FRAMEWORK_CAPABILITIES).optional().catch(undefined) }))
    .optional(),
  labels: LabelsSchema.optional(),
  offer_filters: z.record(z.string(), z.unknown()).optional(),
});
export type FrameworkInfo = z.infer<typeof FrameworkInfoSchema>;

export const hasCapability = (info: FrameworkInfo, capability: FrameworkCapability): boolean =>
  info.capabilities?.some((c) => c.type === capability) ?? false;

/** The roles a framework subscribes with: `roles` under MULTI_ROLE, else the single `role` (default `*`). */
export const frameworkRoles = (info: FrameworkInfo): readonly string[] =>
  hasCapability(info, 'MULTI_ROLE') ? (info.roles ?? []) : [info.role ?? '*'];

export const AgentInfoSchema = z.object({
  hostname: z.string().min(1),
  port: int.default(5051),
  resources: z.array(ResourceSchema).default([]),
  attributes: z.array(AttributeSchema).default([]),
  id: IdSchema.optional(),
});
export type AgentInfo = z.infer<typeof AgentInfoSchema>;

export interface MasterInfo {
  readonly id: string;
  readonly ip: number;
  readonly port: number;
  readonly pid: string;
  readonly hostname: string;
  readonly version: string;
  readonly address: { readonly hostname: string; readonly ip: string; readonly port: number };
  readonly capabilities: readonly { readonly type: string }[];
}

export const OfferSchema = z.object({
  id: IdSchema,
  framework_id: IdSchema,
  agent_id: IdSchema,
  hostname: z.string(),
  url: UrlSchema.optional(),
  resources: z.array(ResourceSchema).default([]),
  attributes: z.array(AttributeSchema).default([]),
  executor_ids: z.array(IdSchema).optional(),
  allocation_info: z.object({ role: z.string().optional() }).optional(),
});
export type Offer = z.infer<typeof OfferSchema>;

export const FiltersSchema = z.object({ refuse_seconds: num.optional() });
export type Filters = z.infer<typeof FiltersSchema>;
