/**
 * Follows a task's `stdout` and `stderr` files in its sandbox on the agent, the way the Mesos CLI
 * does: find the sandbox `directory` in the agent's `/state`, then poll `/files/read` from the last
 * offset and copy whatever is new to our own stdout and stderr.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { z } from 'zod';
import type { Clock } from '../core/clock.js';
import type { Offer } from '../core/v1/cluster.js';
import type { Logger } from '../log/logger.js';
import { describeError, sleep } from '../scheduler/index.js';

/** Largest piece requested per `/files/read`; bigger files take several reads per poll. */
const READ_CHUNK_BYTES = 64 * 1024;
/** Bound on the final copy after the task ended, so an unreachable agent cannot hang `meso run`. */
const FINAL_COPY_DEADLINE_MS = 10_000;
/** Mesos's default agent port, used when an offer carries no `url`. */
const DEFAULT_AGENT_PORT = 5051;

/** The base URL of the agent an offer comes from (`http://10.0.0.3:5051`), from `Offer.url`. */
export function agentUrlOf(offer: Pick<Offer, 'url' | 'hostname'>): string {
  const address = offer.url?.address;
  const host = address?.ip ?? address?.hostname ?? offer.hostname;
  const port = address?.port ?? DEFAULT_AGENT_PORT;
  return `${offer.url?.scheme ?? 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

const ExecutorStateSchema = z.object({
  id: z.string().default(''),
  directory: z.string().default(''),
  tasks: z.array(z.object({ id: z.string() })).default([]),
  queued_tasks: z.array(z.object({ id: z.string() })).default([]),
  completed_tasks: z.array(z.object({ id: z.string() })).default([]),
});
const FrameworkStateSchema = z.object({
  id: z.string(),
  executors: z.array(ExecutorStateSchema).default([]),
  completed_executors: z.array(ExecutorStateSchema).default([]),
});
/** The parts of the agent's legacy `/state` JSON needed to find a sandbox. */
const AgentStateSchema = z.object({
  frameworks: z.array(FrameworkStateSchema).default([]),
  completed_frameworks: z.array(FrameworkStateSchema).default([]),
});
const FileChunkSchema = z.object({ data: z.string(), offset: z.number() });

export interface SandboxTailOptions {
  readonly agentUrl: string;
  readonly frameworkId: string;
  readonly taskId: string;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly clock: Clock;
  readonly pollIntervalMs: number;
  readonly log: Logger;
}

type SandboxFile = 'stdout' | 'stderr';

export class SandboxTail {
  private readonly stopping = new AbortController();
  private readonly offsets: Record<SandboxFile, number> = { stdout: 0, stderr: 0 };
  private directory: string | undefined;
  private polling: Promise<void> | undefined;

  constructor(private readonly options: SandboxTailOptions) {}

  /** Starts polling in the background; failures (agent busy, file not there yet) are retried. */
  start(): void {
    this.polling ??= this.poll();
  }

  /**
   * Stops polling, then copies everything the files still hold (bounded by a deadline), so the
   * output is complete once this resolves. Idempotent.
   */
  async finish(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    await this.polling;
    const deadline = new AbortController();
    const cancel = this.options.clock.after(FINAL_COPY_DEADLINE_MS, () => deadline.abort());
    try {
      await this.catchUp(deadline.signal);
    } catch (err) {
      this.options.log.warn('task output may be incomplete', { err: describeError(err) });
    } finally {
      cancel();
    }
  }

  private async poll(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      try {
        await this.catchUp(signal);
      } catch (err) {
        if (!signal.aborted) this.options.log.debug('sandbox poll failed', { err: describeError(err) });
      }
      await sleep(this.options.clock, this.options.pollIntervalMs, signal);
    }
  }

  private async catchUp(signal: AbortSignal): Promise<void> {
    this.directory ??= await this.findDirectory(signal);
    if (this.directory === undefined) return;
    await this.copy('stdout', this.directory, signal);
    await this.copy('stderr', this.directory, signal);
  }

  private async copy(file: SandboxFile, directory: string, signal: AbortSignal): Promise<void> {
    for (;;) {
      const query = new URLSearchParams({
        path: `${directory}/${file}`,
        offset: String(this.offsets[file]),
        length: String(READ_CHUNK_BYTES),
      });
      const response = await fetch(`${this.options.agentUrl}/files/read?${query}`, { signal });
      // 404: the executor has not created the file yet.
      if (response.status === 404) return void (await response.body?.cancel());
      const chunk = FileChunkSchema.parse(await json(response));
      const bytes = Buffer.from(chunk.data, 'utf8');
      if (bytes.length === 0) return;
      const out = file === 'stdout' ? this.options.stdout : this.options.stderr;
      if (!out.write(bytes)) await once(out, 'drain');
      this.offsets[file] = chunk.offset + bytes.length;
      if (bytes.length < READ_CHUNK_BYTES) return;
    }
  }

  /** The task's sandbox, running or completed; `undefined` until the agent knows it. */
  private async findDirectory(signal: AbortSignal): Promise<string | undefined> {
    const response = await fetch(`${this.options.agentUrl}/state`, { signal });
    const state = AgentStateSchema.parse(await json(response));
    const { frameworkId, taskId } = this.options;
    const executors = [...state.frameworks, ...state.completed_frameworks]
      .filter((f) => f.id === frameworkId)
      .flatMap((f) => [...f.executors, ...f.completed_executors]);
    // A command task's executor id is the task id; check the task lists too for other executors.
    const executor = executors.find(
      (e) =>
        e.id === taskId || [...e.tasks, ...e.queued_tasks, ...e.completed_tasks].some((t) => t.id === taskId),
    );
    return executor?.directory === '' ? undefined : executor?.directory;
  }
}

async function json(response: Response): Promise<unknown> {
  if (!response.ok) {
    const text = await response.text();
    throw new Error(`${response.url} answered HTTP ${response.status}: ${text.trim()}`);
  }
  return response.json();
}
