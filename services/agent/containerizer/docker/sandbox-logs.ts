/**
 * Copies a container's stdout and stderr from the engine into the sandbox's `stdout` and `stderr`
 * files. The agent streams instead of bind-mounting the sandbox because the agent may itself run in
 * a container, whose paths the engine cannot see; streaming works wherever the engine's API does.
 */
import { mkdir, open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { Logger } from '../../../log/logger.js';
import type { DockerApi } from './docker-api.js';
import type { DockerLogStream } from './docker-types.js';

interface LogFile {
  readonly stream: DockerLogStream;
  readonly handle: FileHandle;
  /** Engine entries older than this (Unix seconds) are already in the file. */
  readonly sinceSeconds: number | undefined;
}

const STREAMS: readonly DockerLogStream[] = ['stdout', 'stderr'];

/** The two sandbox log files of one container, open for appending. */
export class SandboxLogs {
  private constructor(private readonly files: readonly LogFile[]) {}

  /**
   * Opens (creating if needed) `<sandboxDir>/stdout` and `<sandboxDir>/stderr` for appending.
   *
   * With `resume` (re-attaching after an agent restart) each stream restarts at the file's last
   * modification time. Every entry already in the file was logged by the engine before it was
   * written, so nothing is duplicated; only entries in flight when the previous agent stopped can
   * be missed. This assumes the engine and the agent share a clock, as they do on one host.
   */
  static async open(sandboxDir: string, resume: boolean): Promise<SandboxLogs> {
    await mkdir(sandboxDir, { recursive: true });
    const opened: LogFile[] = [];
    try {
      for (const stream of STREAMS) {
        const path = join(sandboxDir, stream);
        const sinceSeconds = resume ? await modifiedSeconds(path) : undefined;
        opened.push({ stream, handle: await open(path, 'a'), sinceSeconds });
      }
    } catch (err) {
      await Promise.all(opened.map((file) => file.handle.close()));
      throw err;
    }
    return new SandboxLogs(opened);
  }

  /**
   * Streams both outputs until the engine ends them (the container stopped and its log is
   * drained), then closes the files. Never rejects: a failed stream is logged and the other one
   * still completes, because losing output must not lose the container's exit status.
   */
  async follow(api: DockerApi, dockerId: string, log: Logger): Promise<void> {
    await Promise.all(
      this.files.map(async ({ stream, handle, sinceSeconds }) => {
        const sink = handle.createWriteStream();
        try {
          await api.followLogs(dockerId, stream, sink, sinceSeconds);
        } catch (err) {
          log.warn('container output stream failed', { dockerId, stream, err: String(err) });
        } finally {
          sink.end();
          await finished(sink).catch((err: unknown) =>
            log.warn('sandbox log file failed', { dockerId, stream, err: String(err) }),
          );
        }
      }),
    );
  }

  /** Closes the files without streaming anything (the launch failed before the container ran). */
  async close(): Promise<void> {
    await Promise.all(this.files.map((file) => file.handle.close()));
  }
}

/**
 * The kernel stamps mtimes from its coarse clock, which lags real time by up to one tick (10 ms at
 * HZ=100). Without this margin a line the engine logged within that tick before our last write
 * has a timestamp after the stamped mtime, and resuming would write it a second time.
 */
const MTIME_GRANULARITY_SECONDS = 0.01;

/** Where a resumed stream starts: just after the file was last written. */
async function modifiedSeconds(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mtimeMs / 1000 + MTIME_GRANULARITY_SECONDS;
  } catch (err) {
    // No file yet: the whole log is new to us.
    if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return undefined;
    throw err;
  }
}
