/**
 * What framework code hands to `SchedulerClient`: the wire schemas' *input* types, so fields with
 * a Mesos default (`failover_timeout`, `CommandInfo.shell`, ...) may be left out.
 */
import type { z } from 'zod';
import type { FrameworkInfoSchema } from '../core/v1/cluster.js';
import type { Id } from '../core/v1/common.js';
import type { OperationSchema, SchedulerCallSchema } from '../core/v1/scheduler.js';
import type { TaskInfoSchema } from '../core/v1/tasks.js';

export type FrameworkInfoInput = z.input<typeof FrameworkInfoSchema>;
export type OperationInput = z.input<typeof OperationSchema>;
/** A task to launch on an offer; `agent_id` defaults to the offer's agent. */
export type LaunchTaskInput = Omit<z.input<typeof TaskInfoSchema>, 'agent_id'> & { agent_id?: Id };

export interface ReconcileTask {
  readonly task_id: Id;
  readonly agent_id?: Id;
}

export type Call = z.input<typeof SchedulerCallSchema>;
/** A call before the client adds the subscription's `framework_id`. */
export type CallBody = Omit<Call, 'framework_id'>;
