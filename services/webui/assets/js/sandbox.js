// @ts-check
/**
 * Follows a task's `stdout` and `stderr` in its sandbox, straight from its agent (which allows
 * the page's origin): the sandbox directory from the agent's `/state`, then, once a second, the
 * directory's listing (`/files/browse`) and `/files/read` of whatever grew, until `stop()`.
 */
import { getJson } from './api.js';

const POLL_MS = 1000;
const CHUNK_BYTES = 64 * 1024;

/** @typedef {'stdout' | 'stderr'} SandboxFile */

/**
 * @typedef {object} TailCallbacks
 * @property {(file: SandboxFile, text: string) => void} output new text of a file
 * @property {(message: string) => void} status what the tail is doing or why it cannot
 */

export class SandboxTail {
  /**
   * @param {string} agentUrl `http://10.0.0.3:5051`
   * @param {string} frameworkId
   * @param {string} taskId
   * @param {TailCallbacks} callbacks
   */
  constructor(agentUrl, frameworkId, taskId, callbacks) {
    this.agentUrl = agentUrl;
    this.frameworkId = frameworkId;
    this.taskId = taskId;
    this.callbacks = callbacks;
    /** @type {Record<SandboxFile, number>} */
    this.offsets = { stdout: 0, stderr: 0 };
    /** @type {string | undefined} */
    this.directory = undefined;
    this.stopped = new AbortController();
    this.bytes = new TextEncoder();
    /** Set once the task ended: the next round is the last. */
    this.lastRound = false;
  }

  /** Polls until `stop()`; after `finishing()`, stops once everything was read. */
  async run() {
    const signal = this.stopped.signal;
    while (!signal.aborted) {
      try {
        await this.catchUp(signal);
        if (this.directory !== undefined)
          this.callbacks.status(`Following ${this.agentUrl}${this.directory}`);
        if (this.lastRound) break;
      } catch (err) {
        if (signal.aborted) return;
        this.callbacks.status(
          `Cannot read the sandbox from ${this.agentUrl}: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    if (!this.lastRound) return;
    this.callbacks.status(
      this.directory === undefined
        ? 'The task ended without a sandbox on its agent.'
        : 'The task has ended; its output is complete.',
    );
  }

  /** The task ended: read what is left, then stop. */
  finishing() {
    this.lastRound = true;
  }

  stop() {
    this.stopped.abort();
  }

  /** @param {AbortSignal} signal */
  async catchUp(signal) {
    this.directory ??= await this.findDirectory(signal);
    if (this.directory === undefined) {
      this.callbacks.status('Waiting for the agent to create the sandbox…');
      return;
    }
    // Listing first: only files that exist and grew are read (reading a file the executor has not
    // created yet would be a 404, which the browser reports as an error).
    const query = new URLSearchParams({ path: this.directory });
    const listing = /** @type {Array<{path: string, size: number}>} */ (
      await getJson(`${this.agentUrl}/files/browse?${query}`, signal)
    );
    for (const file of /** @type {SandboxFile[]} */ (['stdout', 'stderr'])) {
      const size = listing.find((entry) => entry.path === `${this.directory}/${file}`)?.size ?? 0;
      if (size > this.offsets[file]) await this.copy(file, this.directory, signal);
    }
  }

  /**
   * @param {SandboxFile} file
   * @param {string} directory
   * @param {AbortSignal} signal
   */
  async copy(file, directory, signal) {
    for (;;) {
      const query = new URLSearchParams({
        path: `${directory}/${file}`,
        offset: String(this.offsets[file]),
        length: String(CHUNK_BYTES),
      });
      const chunk = /** @type {{data: string, offset: number}} */ (
        await getJson(`${this.agentUrl}/files/read?${query}`, signal)
      );
      const length = this.bytes.encode(chunk.data).length;
      if (length === 0) return;
      this.offsets[file] = chunk.offset + length;
      this.callbacks.output(file, chunk.data);
      if (length < CHUNK_BYTES) return;
    }
  }

  /**
   * The sandbox directory of the task, from the agent's legacy `/state`.
   * @param {AbortSignal} signal
   * @returns {Promise<string | undefined>}
   */
  async findDirectory(signal) {
    const state = /** @type {Record<string, any>} */ (await getJson(`${this.agentUrl}/state`, signal));
    /** @type {Array<Record<string, any>>} */
    const frameworks = [...(state.frameworks ?? []), ...(state.completed_frameworks ?? [])];
    const executors = frameworks
      .filter((f) => f.id === this.frameworkId)
      .flatMap((f) => [...(f.executors ?? []), ...(f.completed_executors ?? [])]);
    const mine = executors.find(
      (e) =>
        e.id === this.taskId ||
        [...(e.tasks ?? []), ...(e.completed_tasks ?? [])].some(
          (/** @type {any} */ t) => t.id === this.taskId,
        ),
    );
    return mine?.directory || undefined;
  }
}
