/**
 * `meso run`: runs one command on the cluster as a throw-away framework, like `mesos-execute`.
 *
 *   subscribe (failover_timeout 0) --> wait for an offer that fits --> launch one task, suppress
 *     --> print state changes to stderr, copy the sandbox's stdout/stderr to ours
 *     --> task terminal: copy the rest, TEARDOWN, exit with the task's code
 *
 * A timeout or an abort (Ctrl-C) tears the framework down, which kills the task.
 */
import { randomUUID } from 'node:crypto';
import type { Writable } from 'node:stream';
import { type Clock, systemClock } from '../core/clock.js';
import { formatDuration } from '../core/duration.js';
import type { Offer } from '../core/v1/cluster.js';
import type { Id, Resource } from '../core/v1/common.js';
import type { SchedulerEvent } from '../core/v1/scheduler.js';
import { type ContainerInfo, isTerminalState, type TaskState, type TaskStatus } from '../core/v1/tasks.js';
import { type Logger, silentLogger } from '../log/logger.js';
import {
  describeError,
  fitTask,
  type LaunchTaskInput,
  SchedulerClient,
  SchedulerError,
  staticMaster,
  type TaskNeeds,
} from '../scheduler/index.js';
import { agentUrlOf, SandboxTail } from './sandbox-tail.js';
import { EXIT_INTERRUPTED, EXIT_RUN_FAILED, EXIT_TIMED_OUT, exitCodeOf } from './task-exit.js';

export interface RunOptions {
  /** Base URL of any master; non-leaders redirect to the leader. */
  readonly master: string;
  readonly cpus: number;
  readonly memMiB: number;
  /** Docker image to run the command in; without it the agent runs the command directly. */
  readonly image?: string;
  /** With `image`: `host` (the default), `bridge`, `none` or a user-defined network's name. */
  readonly network?: string;
  /** Task name, also the prefix of the task id. */
  readonly name: string;
  /** Role to subscribe with and take resources from. */
  readonly role: string;
  /** User the framework (and so the task) runs as. */
  readonly user: string;
  /** Words joined with spaces into one shell command line (`/bin/sh -c`), as `ssh` does. */
  readonly command: readonly string[];
  /** Give up (killing the task) after this long, from the start. @default no limit */
  readonly timeoutMs?: number;
}

/** Where `meso run` writes, and what it runs on; the composition root passes process-level objects. */
export interface RunIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly clock: Clock;
  /** Diagnostics of the scheduler client (reconnections and the like). @default silent */
  readonly log: Logger;
  /** Aborting it (e.g. on SIGINT) kills the task and makes `runOneOff` return 130. */
  readonly signal?: AbortSignal;
}

/** How often the sandbox files are polled for new output. */
const OUTPUT_POLL_INTERVAL_MS = 500;
/**
 * Offers that do not fit are declined for this long only: the cluster may free resources any
 * moment, and a one-off run should not wait out Mesos's default 5 s filter.
 */
const NO_FIT_REFUSE_SECONDS = 1;
/** Once the task is launched, no other offer is of use. */
const AFTER_LAUNCH_REFUSE_SECONDS = 3600;

/**
 * Runs `options.command` as one task and returns the exit code for the process: the task's (see
 * `exitCodeOf`), 124 on timeout, 130 when `io.signal` aborts, 125 when `meso run` itself failed.
 */
export async function runOneOff(options: RunOptions, io: Partial<RunIo> = {}): Promise<number> {
  const run = new OneOffRun(options, {
    stdout: io.stdout ?? process.stdout,
    stderr: io.stderr ?? process.stderr,
    clock: io.clock ?? systemClock,
    log: io.log ?? silentLogger,
    ...(io.signal !== undefined && { signal: io.signal }),
  });
  return run.execute();
}

class OneOffRun {
  private readonly taskId: string;
  private readonly needs: TaskNeeds;
  private readonly client: SchedulerClient;
  private launched: { readonly agentId: Id; readonly tail: SandboxTail } | undefined;
  private lastState: TaskState | undefined;
  private lastRefusal: string | undefined;
  private exitCode: number | undefined;
  private tearingDown: Promise<void> | undefined;

  constructor(
    private readonly options: RunOptions,
    private readonly io: RunIo,
  ) {
    this.taskId = `${options.name.replace(/[^A-Za-z0-9._-]/g, '-')}.${randomUUID()}`;
    this.needs = { cpus: options.cpus, memMiB: options.memMiB };
    this.client = new SchedulerClient({
      master: staticMaster(options.master),
      framework: {
        user: options.user,
        name: `meso run ${options.name}`,
        failover_timeout: 0,
        roles: [options.role],
        capabilities: [{ type: 'MULTI_ROLE' }],
      },
      clock: io.clock,
      log: io.log,
    });
  }

  async execute(): Promise<number> {
    if (this.io.signal?.aborted === true) return EXIT_INTERRUPTED;
    const { timeoutMs } = this.options;
    const cancelTimeout =
      timeoutMs === undefined
        ? () => undefined
        : this.io.clock.after(timeoutMs, () =>
            this.abandon(EXIT_TIMED_OUT, `timed out after ${formatDuration(timeoutMs)}`),
          );
    const onAbort = (): void => this.abandon(EXIT_INTERRUPTED, 'interrupted');
    this.io.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const event of this.client.subscribe()) {
        await this.handle(event);
        if (this.exitCode !== undefined) break;
      }
    } catch (err) {
      this.fail(describeError(err));
    } finally {
      cancelTimeout();
      this.io.signal?.removeEventListener('abort', onAbort);
    }
    await this.launched?.tail.finish();
    await this.tearDown();
    return this.exitCode ?? EXIT_RUN_FAILED;
  }

  private async handle(event: SchedulerEvent): Promise<void> {
    switch (event.type) {
      case 'SUBSCRIBED':
        return this.onSubscribed(event.subscribed.framework_id);
      case 'OFFERS':
        return this.onOffers(event.offers.offers);
      case 'UPDATE':
        return this.onUpdate(event.update.status);
      case 'ERROR':
        // Our own TEARDOWN makes the master end the stream with an ERROR; that one is expected.
        return this.tearingDown === undefined
          ? this.fail(`the master ended the framework: ${event.error.message}`)
          : undefined;
      default:
        return;
    }
  }

  private async onSubscribed(frameworkId: Id): Promise<void> {
    if (this.launched === undefined) {
      this.report(
        `framework ${frameworkId.value} subscribed; waiting for cpus ${this.needs.cpus}, mem ${this.needs.memMiB}`,
      );
      return;
    }
    // Updates sent while we were disconnected were lost with the old stream; ask for the latest.
    await this.nonFatal(
      this.client.reconcile([{ task_id: { value: this.taskId }, agent_id: this.launched.agentId }]),
    );
  }

  private async onOffers(offers: readonly Offer[]): Promise<void> {
    const unused: Id[] = [];
    for (const offer of offers) {
      const fit = this.launched === undefined ? fitTask(offer, this.needs) : undefined;
      if (fit?.fits === true) await this.launch(offer, fit.resources);
      else unused.push(offer.id);
      if (fit?.fits === false && fit.reason !== this.lastRefusal) {
        this.lastRefusal = fit.reason;
        this.report(`offer from ${offer.hostname} does not fit: ${fit.reason}`);
      }
    }
    if (unused.length === 0) return;
    const refuseSeconds = this.launched === undefined ? NO_FIT_REFUSE_SECONDS : AFTER_LAUNCH_REFUSE_SECONDS;
    await this.nonFatal(this.client.decline(unused, { refuse_seconds: refuseSeconds }));
  }

  private async launch(offer: Offer, resources: Resource[]): Promise<void> {
    const { image, command, name } = this.options;
    const task: LaunchTaskInput = {
      name,
      task_id: { value: this.taskId },
      resources,
      command: { value: command.join(' '), shell: true },
      ...(image !== undefined && { container: dockerContainer(image, this.options.network ?? 'host') }),
    };
    this.report(`launching task ${this.taskId} on ${offer.hostname}`);
    await this.client.launch(offer, [task], { refuse_seconds: AFTER_LAUNCH_REFUSE_SECONDS });
    const tail = new SandboxTail({
      agentUrl: agentUrlOf(offer),
      frameworkId: offer.framework_id.value,
      taskId: this.taskId,
      stdout: this.io.stdout,
      stderr: this.io.stderr,
      clock: this.io.clock,
      pollIntervalMs: OUTPUT_POLL_INTERVAL_MS,
      log: this.io.log,
    });
    this.launched = { agentId: offer.agent_id, tail };
    tail.start();
    await this.nonFatal(this.client.suppress());
  }

  private onUpdate(status: TaskStatus): void {
    if (status.task_id.value !== this.taskId) return;
    if (status.state !== this.lastState) {
      this.lastState = status.state;
      this.report(`task ${status.state}${status.message === undefined ? '' : `: ${status.message}`}`);
    }
    if (isTerminalState(status.state)) this.exitCode ??= exitCodeOf(status);
  }

  /** Ends the run early with `code`: tearing down kills the task and ends the event stream. */
  private abandon(code: number, reason: string): void {
    if (this.exitCode !== undefined) return;
    this.exitCode = code;
    this.report(reason);
    void this.tearDown();
  }

  private fail(reason: string): void {
    this.report(reason);
    this.exitCode ??= EXIT_RUN_FAILED;
  }

  /** TEARDOWN once; without a framework id there is nothing to tear down, closing suffices. */
  private tearDown(): Promise<void> {
    this.tearingDown ??=
      this.client.frameworkId === undefined
        ? this.client.close()
        : this.client.teardown().catch((err: unknown) => {
            this.report(
              `could not tear down the framework (it goes away on disconnection): ${describeError(err)}`,
            );
          });
    return this.tearingDown;
  }

  /**
   * For calls whose failure must not end the run (DECLINE, SUPPRESS, RECONCILE): the master drops
   * stale offers itself, and after a re-subscription offers and updates come again.
   */
  private async nonFatal(call: Promise<unknown>): Promise<void> {
    try {
      await call;
    } catch (err) {
      if (!(err instanceof SchedulerError)) throw err;
      this.report(`warning: ${describeError(err)}`);
    }
  }

  private report(line: string): void {
    this.io.stderr.write(`meso run: ${line}\n`);
  }
}

const BUILT_IN_NETWORKS: ReadonlyMap<string, 'HOST' | 'BRIDGE' | 'NONE'> = new Map([
  ['host', 'HOST'],
  ['bridge', 'BRIDGE'],
  ['none', 'NONE'],
] as const);

/** `docker run --network`'s vocabulary as a Mesos ContainerInfo. */
export function dockerContainer(image: string, network: string): ContainerInfo {
  const mode = BUILT_IN_NETWORKS.get(network);
  return mode !== undefined
    ? { type: 'DOCKER', docker: { image, network: mode } }
    : { type: 'DOCKER', docker: { image, network: 'USER' }, network_infos: [{ name: network }] };
}
