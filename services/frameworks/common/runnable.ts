/**
 * What apps and jobs have in common: something to run (a shell command, a Docker image, or both)
 * with resources, environment and labels; and how such a thing becomes a Mesos `TaskInfo` once a
 * placement was found for it.
 */
import { z } from 'zod';
import type { Offer } from '../../core/v1/cluster.js';
import type { LaunchTaskInput, OfferLaunch, Placement, TaskNeeds } from '../../scheduler/index.js';

/** Field schemas shared by app and job definitions; units are Mesos's (cpus, MiB). */
export const runnableShape = {
  /** Shell command (`/bin/sh -c`). With `image`, it runs inside the container. */
  cmd: z.string().min(1).optional(),
  /** Docker image; without `cmd` the image's own entrypoint runs. */
  image: z.string().min(1).optional(),
  cpus: z.number().positive().default(0.1),
  /** MiB. */
  mem: z.number().positive().default(64),
  /** MiB. */
  disk: z.number().nonnegative().default(0),
  env: z.record(z.string().min(1), z.string()).default({}),
  labels: z.record(z.string().min(1), z.string()).default({}),
};

export interface Runnable {
  readonly cmd?: string | undefined;
  readonly image?: string | undefined;
  readonly cpus: number;
  readonly mem: number;
  readonly disk: number;
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
}

/** A zod refinement: a definition needs `cmd` or `image` (reported on `cmd`). */
export function requireCmdOrImage(value: Pick<Runnable, 'cmd' | 'image'>, ctx: z.RefinementCtx): void {
  if (value.cmd === undefined && value.image === undefined) {
    ctx.addIssue({ code: 'custom', path: ['cmd'], message: 'either cmd or image is required' });
  }
}

export const needsOf = (runnable: Runnable, ports = 0): TaskNeeds => ({
  cpus: runnable.cpus,
  memMiB: runnable.mem,
  diskMiB: runnable.disk,
  ports,
});

export interface TaskIdentity {
  readonly taskId: string;
  readonly name: string;
  /** The framework's bookkeeping labels (`meso.*`), added to the runnable's own; they win on conflict. */
  readonly labels: Readonly<Record<string, string>>;
  /** Time between SIGTERM and SIGKILL when the task is killed; the agent's default when absent. */
  readonly killGracePeriodMs?: number;
}

/** The `TaskInfo` running `runnable` on `placement`'s offer with its resources. */
export function launchTask(
  runnable: Runnable,
  placement: Placement,
  identity: TaskIdentity,
): LaunchTaskInput {
  const variables = Object.entries(runnable.env).map(([name, value]) => ({ name, value }));
  const labels = Object.entries({ ...runnable.labels, ...identity.labels }).map(([key, value]) => ({
    key,
    value,
  }));
  return {
    name: identity.name,
    task_id: { value: identity.taskId },
    agent_id: placement.offer.agent_id,
    resources: placement.resources,
    command:
      runnable.cmd === undefined
        ? { shell: false, environment: { variables } }
        : { value: runnable.cmd, shell: true, environment: { variables } },
    ...(runnable.image !== undefined && {
      container: { type: 'DOCKER' as const, docker: { image: runnable.image, network: 'HOST' as const } },
    }),
    labels: { labels },
    ...(identity.killGracePeriodMs !== undefined && {
      kill_policy: { grace_period: { nanoseconds: Math.round(identity.killGracePeriodMs * 1e6) } },
    }),
  };
}

/** One ACCEPT per offer: the tasks placed on the same offer, in placement order. */
export function groupByOffer(
  tasks: readonly { readonly offer: Offer; readonly task: LaunchTaskInput }[],
): OfferLaunch[] {
  const byOffer = new Map<Offer, LaunchTaskInput[]>();
  for (const { offer, task } of tasks) byOffer.set(offer, [...(byOffer.get(offer) ?? []), task]);
  return [...byOffer].map(([offer, launched]) => ({ offer, tasks: launched }));
}
