/**
 * A test-side scheduler: the SDK's `SchedulerClient` plus a log of every event received, so a test
 * can wait for "the next UPDATE for task t1 in state TASK_RUNNING" with a deadline and a message
 * saying what it was waiting for.
 */
import { SchedulerClient, staticMaster, type FrameworkInfoInput } from '../../services/scheduler/index.js';
import type { Offer } from '../../services/core/v1/cluster.js';
import type { SchedulerEvent } from '../../services/core/v1/scheduler.js';
import type { TaskState, TaskStatus } from '../../services/core/v1/tasks.js';
import { waitFor } from './cluster.js';

export const DEFAULT_WAIT_MS = 15_000;

export class TestScheduler implements AsyncDisposable {
  readonly client: SchedulerClient;
  readonly events: SchedulerEvent[] = [];
  /** Index of the first event `next` has not yet returned. */
  private cursor = 0;
  private pump: Promise<void> | undefined;

  constructor(
    masterUrl: string,
    framework: Partial<FrameworkInfoInput> = {},
    options: { autoAcknowledge?: boolean } = {},
  ) {
    this.client = new SchedulerClient({
      master: staticMaster(masterUrl),
      framework: { user: 'root', name: 'test-framework', ...framework },
      autoAcknowledge: options.autoAcknowledge ?? true,
    });
  }

  /** Subscribes and starts recording events; resolves with the framework id once SUBSCRIBED arrives. */
  async subscribe(): Promise<string> {
    const stream = this.client.subscribe();
    this.pump = (async () => {
      for await (const event of stream) this.events.push(event);
    })().catch(() => undefined);
    const subscribed = await this.next((e) => e.type === 'SUBSCRIBED', 'SUBSCRIBED');
    return subscribed.type === 'SUBSCRIBED' ? subscribed.subscribed.framework_id.value : '';
  }

  /** The first event after the cursor that matches; moves the cursor past it. */
  async next<E extends SchedulerEvent>(
    matches: (event: SchedulerEvent) => event is E,
    what: string,
    timeoutMs?: number,
  ): Promise<E>;
  async next(
    matches: (event: SchedulerEvent) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<SchedulerEvent>;
  async next(
    matches: (event: SchedulerEvent) => boolean,
    what: string,
    timeoutMs = DEFAULT_WAIT_MS,
  ): Promise<SchedulerEvent> {
    const index = await waitFor(
      () => {
        for (let i = this.cursor; i < this.events.length; i++) if (matches(this.events[i]!)) return i + 1;
        return undefined;
      },
      timeoutMs,
      `${what} (events so far: ${this.summary()})`,
    );
    this.cursor = index;
    return this.events[index - 1]!;
  }

  /** The next OFFERS event's offers, optionally only those of `agentId`. */
  async nextOffers(what = 'an offer', timeoutMs?: number): Promise<Offer[]> {
    const event = await this.next((e) => e.type === 'OFFERS', what, timeoutMs);
    return event.type === 'OFFERS' ? event.offers.offers : [];
  }

  /** The next status update of `taskId`, optionally in `state`. */
  async nextUpdate(taskId: string, state?: TaskState, timeoutMs?: number): Promise<TaskStatus> {
    const event = await this.next(
      (e) =>
        e.type === 'UPDATE' &&
        e.update.status.task_id.value === taskId &&
        (state === undefined || e.update.status.state === state),
      `UPDATE of task ${taskId}${state === undefined ? '' : ` to ${state}`}`,
      timeoutMs,
    );
    if (event.type !== 'UPDATE') throw new Error('unreachable');
    return event.update.status;
  }

  /**
   * Waits until an update of `taskId` in `state` has arrived, wherever it is in the log. For tasks
   * running side by side, whose updates interleave in any order; does not move the cursor.
   */
  async sawUpdate(taskId: string, state: TaskState, timeoutMs = DEFAULT_WAIT_MS): Promise<TaskStatus> {
    return waitFor(
      () => this.updatesOf(taskId).find((s) => s.state === state),
      timeoutMs,
      `UPDATE of task ${taskId} to ${state} (events so far: ${this.summary()})`,
    );
  }

  /** Every update of `taskId` received so far, in order. */
  updatesOf(taskId: string): TaskStatus[] {
    return this.events.flatMap((e) =>
      e.type === 'UPDATE' && e.update.status.task_id.value === taskId ? [e.update.status] : [],
    );
  }

  summary(): string {
    return this.events
      .map((e) =>
        e.type === 'UPDATE' ? `UPDATE(${e.update.status.task_id.value}:${e.update.status.state})` : e.type,
      )
      .join(', ');
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.client.close();
    await this.pump;
  }
}

/** A command task using a slice of `offer`. */
export function commandTask(offer: Offer, id: string, command: string, resources = 'cpus:0.1;mem:32') {
  const role = offer.allocation_info?.role ?? '*';
  return {
    name: id,
    task_id: { value: id },
    agent_id: offer.agent_id,
    command: { value: command, shell: true },
    resources: parseResources(resources, role),
  };
}

function parseResources(spec: string, role: string) {
  return spec.split(';').map((part) => {
    const [name, value] = part.split(':') as [string, string];
    return { name, type: 'SCALAR' as const, scalar: { value: Number(value) }, allocation_info: { role } };
  });
}
