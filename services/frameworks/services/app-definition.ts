/**
 * App definitions (Marathon-like), as clients write them in YAML or JSON, validated into
 * `AppSpec`s with every default filled in. Unknown fields are refused, so a typo (`cpu:`) is a 400
 * naming the field rather than a silently ignored setting.
 */
import { z } from 'zod';
import { parseWith } from '../../core/validation.js';
import { ConstraintSchema } from '../../scheduler/index.js';
import { requireCmdOrImage, runnableShape } from '../common/runnable.js';

/** Lowercase DNS-label-like ids; dots allowed. No slashes, so an id is one URL path segment. */
const APP_ID = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;

export const HEALTH_PROTOCOLS = ['HTTP', 'TCP', 'COMMAND'] as const;

const HealthCheckSchema = z
  .object({
    /** HTTP and TCP are run by the scheduler; COMMAND by the agent, in the task's container. */
    protocol: z.enum(HEALTH_PROTOCOLS),
    /** HTTP only: any status from 200 to 399 is healthy. */
    path: z.string().startsWith('/').default('/'),
    /** Which of the app's ports the check targets. */
    portIndex: z.number().int().nonnegative().default(0),
    /** COMMAND only: a shell command, healthy when it exits 0. */
    command: z.string().min(1).optional(),
    /** Failures this long after the task started are ignored until its first success. */
    gracePeriodSeconds: z.number().nonnegative().default(300),
    intervalSeconds: z.number().positive().default(10),
    timeoutSeconds: z.number().positive().default(5),
    /** Consecutive failures (after the grace period) that get the task killed and replaced. */
    maxConsecutiveFailures: z.number().int().positive().default(3),
  })
  .strict()
  .superRefine((check, ctx) => {
    if (check.protocol === 'COMMAND' && check.command === undefined) {
      ctx.addIssue({ code: 'custom', path: ['command'], message: 'a COMMAND health check needs a command' });
    }
    if (check.timeoutSeconds > check.intervalSeconds) {
      ctx.addIssue({ code: 'custom', path: ['timeoutSeconds'], message: 'must not exceed intervalSeconds' });
    }
  });
export type HealthCheckSpec = z.infer<typeof HealthCheckSchema>;

const PortSchema = z.union([
  z
    .string()
    .min(1)
    .transform((name) => ({ name })),
  z.object({ name: z.string().min(1).optional() }).strict(),
]);

const UpgradeStrategySchema = z
  .object({
    /** Share of `instances` that must stay healthy during a rolling upgrade. */
    minimumHealthCapacity: z.number().min(0).max(1).default(1),
    /** Share of `instances` that may run on top of `instances` during a rolling upgrade. */
    maximumOverCapacity: z.number().min(0).max(1).default(1),
  })
  .strict();

export const AppDefinitionSchema = z
  .object({
    id: z.string().regex(APP_ID, 'must be lowercase letters, digits, dots and dashes (at most 63)'),
    ...runnableShape,
    instances: z.number().int().nonnegative().default(1),
    /** Host ports to reserve, one per entry (`PORT0`, `PORT1`, ... in the task's environment). */
    ports: z.array(PortSchema).default([]),
    /** The role whose offers the app uses; the framework's role when absent. */
    role: z.string().min(1).optional(),
    constraints: z.array(ConstraintSchema).default([]),
    healthChecks: z.array(HealthCheckSchema).default([]),
    killGracePeriodSeconds: z.number().nonnegative().default(5),
    /** First delay before relaunching after a task failed; multiplied by `backoffFactor` per failure. */
    backoffSeconds: z.number().nonnegative().default(1),
    backoffFactor: z.number().min(1).default(2),
    maxLaunchDelaySeconds: z.number().nonnegative().default(300),
    upgradeStrategy: UpgradeStrategySchema.default({ minimumHealthCapacity: 1, maximumOverCapacity: 1 }),
  })
  .strict()
  .superRefine((app, ctx) => {
    requireCmdOrImage(app, ctx);
    app.healthChecks.forEach((check, i) => {
      if (check.protocol !== 'COMMAND' && check.portIndex >= app.ports.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['healthChecks', i, 'portIndex'],
          message: `the app has ${app.ports.length} port(s); ${check.protocol} checks need one at this index`,
        });
      }
      // A Mesos TaskInfo carries one health check, which the agent runs.
      if (check.protocol === 'COMMAND' && app.healthChecks.findIndex((c) => c.protocol === 'COMMAND') < i) {
        ctx.addIssue({
          code: 'custom',
          path: ['healthChecks', i, 'protocol'],
          message: 'an app may have one COMMAND health check (the agent runs one per task)',
        });
      }
    });
  });

export type AppSpec = z.infer<typeof AppDefinitionSchema>;

/** Validates a definition (parsed from YAML or JSON); throws INVALID_CALL naming the fields. */
export const parseAppDefinition = (raw: unknown): AppSpec =>
  parseWith(AppDefinitionSchema, raw, 'app definition');

/** Whether two specs would run different tasks (anything but `instances` differs). */
export function needsNewVersion(a: AppSpec, b: AppSpec): boolean {
  return JSON.stringify({ ...a, instances: 0 }) !== JSON.stringify({ ...b, instances: 0 });
}
