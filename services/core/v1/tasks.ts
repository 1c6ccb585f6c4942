/**
 * Task-related Mesos v1 messages: CommandInfo, ContainerInfo, ExecutorInfo, TaskInfo, TaskStatus,
 * and the task state machine's vocabulary.
 */
import { z } from 'zod';
import {
  bool,
  DurationInfoSchema,
  IdSchema,
  int,
  LabelsSchema,
  num,
  ResourceSchema,
  TimeInfoSchema,
} from './common.js';

export const EnvironmentSchema = z.object({
  variables: z
    .array(
      z.object({
        name: z.string().min(1),
        type: z.enum(['UNKNOWN', 'VALUE', 'SECRET']).optional(),
        value: z.string().optional(),
      }),
    )
    .default([]),
});

export const CommandInfoSchema = z.object({
  value: z.string().optional(),
  /** With `shell` (the default) `value` runs under `/bin/sh -c`; otherwise `value` is argv[0]'s path. */
  shell: bool.default(true),
  arguments: z.array(z.string()).optional(),
  user: z.string().optional(),
  environment: EnvironmentSchema.optional(),
  uris: z
    .array(
      z.object({
        value: z.string(),
        executable: bool.optional(),
        extract: bool.optional(),
        cache: bool.optional(),
        output_file: z.string().optional(),
      }),
    )
    .optional(),
});
export type CommandInfo = z.infer<typeof CommandInfoSchema>;

export const PortMappingSchema = z.object({
  host_port: int,
  container_port: int,
  protocol: z.string().optional(),
});

export const VolumeSchema = z.object({
  container_path: z.string().min(1),
  host_path: z.string().optional(),
  mode: z.enum(['RW', 'RO']).optional(),
});

export const ContainerInfoSchema = z.object({
  type: z.enum(['DOCKER', 'MESOS']),
  hostname: z.string().optional(),
  docker: z
    .object({
      image: z.string().min(1),
      network: z.enum(['HOST', 'BRIDGE', 'NONE', 'USER']).optional(),
      port_mappings: z.array(PortMappingSchema).optional(),
      privileged: bool.optional(),
      parameters: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
      force_pull_image: bool.optional(),
    })
    .optional(),
  mesos: z
    .object({
      image: z
        .object({
          type: z.enum(['APPC', 'DOCKER']).optional(),
          docker: z.object({ name: z.string().min(1) }).optional(),
          cached: bool.optional(),
        })
        .optional(),
    })
    .optional(),
  volumes: z.array(VolumeSchema).optional(),
  network_infos: z
    .array(z.object({ name: z.string().optional(), port_mappings: z.array(PortMappingSchema).optional() }))
    .optional(),
});
export type ContainerInfo = z.infer<typeof ContainerInfoSchema>;

export const KillPolicySchema = z.object({ grace_period: DurationInfoSchema.optional() });
export type KillPolicy = z.infer<typeof KillPolicySchema>;

/** Kept as given: meso's agent does not run Mesos's generalized checks (`TaskInfo.check`). */
const OpaqueSchema = z.record(z.string(), z.unknown());

/**
 * Mesos's `HealthCheck`, run by the agent for the tasks of its built-in executors. Defaults are
 * Mesos's: first check after `delay_seconds` (15), then every `interval_seconds` (10); a check
 * taking over `timeout_seconds` (20) fails; failures within `grace_period_seconds` (10) of the
 * task's start count only once a check has passed; `consecutive_failures` (3) in a row kill it.
 */
export const HealthCheckSchema = z.object({
  type: z.enum(['UNKNOWN', 'COMMAND', 'HTTP', 'TCP']),
  command: CommandInfoSchema.optional(),
  http: z
    .object({ port: z.number().int(), path: z.string().optional(), scheme: z.string().optional() })
    .optional(),
  tcp: z.object({ port: z.number().int() }).optional(),
  delay_seconds: z.number().min(0).optional(),
  interval_seconds: z.number().positive().optional(),
  timeout_seconds: z.number().positive().optional(),
  consecutive_failures: z.number().int().min(1).optional(),
  grace_period_seconds: z.number().min(0).optional(),
});
export type HealthCheck = z.infer<typeof HealthCheckSchema>;

export const ExecutorInfoSchema = z.object({
  type: z.enum(['UNKNOWN', 'DEFAULT', 'CUSTOM']).optional(),
  executor_id: IdSchema,
  framework_id: IdSchema.optional(),
  command: CommandInfoSchema.optional(),
  container: ContainerInfoSchema.optional(),
  resources: z.array(ResourceSchema).default([]),
  name: z.string().optional(),
  data: z.string().optional(),
  shutdown_grace_period: DurationInfoSchema.optional(),
  labels: LabelsSchema.optional(),
});
export type ExecutorInfo = z.infer<typeof ExecutorInfoSchema>;

export const TaskInfoSchema = z.object({
  name: z.string(),
  task_id: IdSchema,
  agent_id: IdSchema,
  resources: z.array(ResourceSchema).default([]),
  executor: ExecutorInfoSchema.optional(),
  command: CommandInfoSchema.optional(),
  container: ContainerInfoSchema.optional(),
  health_check: HealthCheckSchema.optional(),
  check: OpaqueSchema.optional(),
  kill_policy: KillPolicySchema.optional(),
  data: z.string().optional(),
  labels: LabelsSchema.optional(),
  discovery: OpaqueSchema.optional(),
  max_completion_time: DurationInfoSchema.optional(),
  limits: z.record(z.string(), z.union([z.object({ value: num }), num])).optional(),
});
export type TaskInfo = z.infer<typeof TaskInfoSchema>;

export const TaskGroupInfoSchema = z.object({ tasks: z.array(TaskInfoSchema).min(1) });

export const TASK_STATES = [
  'TASK_STAGING',
  'TASK_STARTING',
  'TASK_RUNNING',
  'TASK_KILLING',
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_UNREACHABLE',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
  'TASK_UNKNOWN',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

const TERMINAL_STATES: ReadonlySet<TaskState> = new Set<TaskState>([
  'TASK_FINISHED',
  'TASK_FAILED',
  'TASK_KILLED',
  'TASK_ERROR',
  'TASK_LOST',
  'TASK_DROPPED',
  'TASK_GONE',
  'TASK_GONE_BY_OPERATOR',
]);

/** Mesos's `isTerminalState`: the task will not run again (TASK_LOST included, although it may come back). */
export const isTerminalState = (state: TaskState): boolean => TERMINAL_STATES.has(state);

/** The states a framework without PARTITION_AWARE cannot understand, and what it is told instead. */
export function stateForFramework(state: TaskState, partitionAware: boolean): TaskState {
  if (partitionAware) return state;
  switch (state) {
    case 'TASK_UNREACHABLE':
    case 'TASK_DROPPED':
    case 'TASK_GONE':
    case 'TASK_GONE_BY_OPERATOR':
    case 'TASK_UNKNOWN':
      return 'TASK_LOST';
    default:
      return state;
  }
}

export const TASK_SOURCES = ['SOURCE_MASTER', 'SOURCE_AGENT', 'SOURCE_EXECUTOR'] as const;

export const TASK_REASONS = [
  'REASON_COMMAND_EXECUTOR_FAILED',
  'REASON_CONTAINER_LAUNCH_FAILED',
  'REASON_CONTAINER_LIMITATION',
  'REASON_CONTAINER_LIMITATION_DISK',
  'REASON_CONTAINER_LIMITATION_MEMORY',
  'REASON_CONTAINER_PREEMPTED',
  'REASON_CONTAINER_UPDATE_FAILED',
  'REASON_EXECUTOR_REGISTRATION_TIMEOUT',
  'REASON_EXECUTOR_REREGISTRATION_TIMEOUT',
  'REASON_EXECUTOR_TERMINATED',
  'REASON_EXECUTOR_UNREGISTERED',
  'REASON_FRAMEWORK_REMOVED',
  'REASON_GC_ERROR',
  'REASON_INVALID_FRAMEWORKID',
  'REASON_INVALID_OFFERS',
  'REASON_IO_SWITCHBOARD_EXITED',
  'REASON_MASTER_DISCONNECTED',
  'REASON_MAX_COMPLETION_TIME_REACHED',
  'REASON_RECONCILIATION',
  'REASON_RESOURCES_UNKNOWN',
  'REASON_AGENT_DISCONNECTED',
  'REASON_AGENT_REMOVED',
  'REASON_AGENT_REMOVED_BY_OPERATOR',
  'REASON_AGENT_REREGISTERED',
  'REASON_AGENT_RESTARTED',
  'REASON_AGENT_UNKNOWN',
  'REASON_AGENT_DRAINING',
  'REASON_TASK_CHECK_STATUS_UPDATED',
  'REASON_TASK_HEALTH_CHECK_STATUS_UPDATED',
  'REASON_TASK_GROUP_INVALID',
  'REASON_TASK_GROUP_UNAUTHORIZED',
  'REASON_TASK_INVALID',
  'REASON_TASK_KILLED_DURING_LAUNCH',
  'REASON_TASK_UNAUTHORIZED',
  'REASON_TASK_UNKNOWN',
] as const;
export type TaskReason = (typeof TASK_REASONS)[number];

export const TaskStatusSchema = z.object({
  task_id: IdSchema,
  state: z.enum(TASK_STATES),
  message: z.string().optional(),
  source: z.enum(TASK_SOURCES).optional(),
  /** Unknown reason names are dropped, as Mesos does for optional enums. */
  reason: z.enum(TASK_REASONS).optional().catch(undefined),
  data: z.string().optional(),
  agent_id: IdSchema.optional(),
  executor_id: IdSchema.optional(),
  timestamp: num.optional(),
  /** Base64 of 16 bytes; present means the update is reliable and must be acknowledged. */
  uuid: z.string().optional(),
  healthy: bool.optional(),
  labels: LabelsSchema.optional(),
  container_status: z.record(z.string(), z.unknown()).optional(),
  unreachable_time: TimeInfoSchema.optional(),
});
export type TaskStatus = z.infer<typeof TaskStatusSchema>;
