/**
 * The Docker engine port used by the docker containerizer, and its dockerode adapter.
 *
 * This is the only file that imports dockerode. Everything it exports is in meso's own types, so
 * the containerizer (and its tests) never see a dockerode object. Every engine call is logged at
 * debug with the container it concerns; failures are logged at warn unless the caller declared the
 * status expected (a 404 while checking whether an image exists is not a problem).
 */
import { finished } from 'node:stream/promises';
import Docker from 'dockerode';
import type { Logger, LogFields } from '../../../log/logger.js';
import type {
  DockerContainerState,
  DockerContainerSummary,
  DockerLogStream,
  DockerPortBinding,
  DockerRunSpec,
  DockerStats,
} from './docker-types.js';

/** The engine operations the docker containerizer needs, and nothing more. */
export interface DockerApi {
  /** The engine's version; rejects when no engine answers. */
  version(): Promise<{ readonly version: string; readonly apiVersion: string }>;
  /**
   * Makes `image` present: inspects it and pulls it when missing (or always, with `forcePull`).
   * A pull reports `Pulling image <name>` first, then the engine's progress events. Rejects with
   * the engine's reason when the name is invalid or the pull fails.
   */
  ensureImage(image: string, forcePull: boolean, onProgress?: (message: string) => void): Promise<void>;
  /** Creates and starts a container; a container that was created but failed to start is removed. */
  run(spec: DockerRunSpec): Promise<string>;
  /** Resolves when the container is not running (the engine's `wait`, not polling). */
  waitExit(dockerId: string): Promise<void>;
  /** `undefined` when the engine does not know the container. */
  inspect(dockerId: string): Promise<DockerContainerState | undefined>;
  /** SIGTERM, then SIGKILL after `graceMs` rounded up to whole seconds (the engine's unit). */
  stop(dockerId: string, graceMs: number): Promise<void>;
  /** SIGKILL now; a container that is already stopped or gone is not an error. */
  kill(dockerId: string): Promise<void>;
  /** Force-removes the container and its anonymous volumes; a missing container is not an error. */
  remove(dockerId: string): Promise<void>;
  /** Every container, running or not, that carries all of `labels`. */
  listByLabels(labels: Readonly<Record<string, string>>): Promise<readonly DockerContainerSummary[]>;
  /** One stats sample; `undefined` when the container is gone. */
  stats(dockerId: string): Promise<DockerStats | undefined>;
  /**
   * `docker exec`: runs `argv` in the running container with `env` added to its environment,
   * discards the output, and resolves with the exit code once it ended (`undefined` if the engine
   * reports none). Aborting `signal` abandons the call, which then rejects: the engine has no way
   * to kill an exec'd process, so it runs on until it ends by itself.
   */
  exec(
    dockerId: string,
    argv: readonly string[],
    options: { readonly env: Readonly<Record<string, string>>; readonly signal: AbortSignal },
  ): Promise<number | undefined>;
  /**
   * Copies one of the container's output streams into `sink` (which is not ended) and resolves
   * when the engine ends the stream, i.e. once the container has stopped and its log is drained.
   * `sinceSeconds` (Unix time, fractional) skips entries the engine logged before it.
   */
  followLogs(
    dockerId: string,
    stream: DockerLogStream,
    sink: NodeJS.WritableStream,
    sinceSeconds?: number,
  ): Promise<void>;
}

/** A failed engine call: which operation, the HTTP status when there was one, and the engine's words. */
export class DockerEngineError extends Error {
  constructor(
    readonly operation: string,
    readonly statusCode: number | undefined,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`${operation}: ${reason}`, options);
    this.name = 'DockerEngineError';
  }

  static from(operation: string, err: unknown): DockerEngineError {
    if (err instanceof DockerEngineError) return err;
    const statusCode = numberField(err, 'statusCode');
    const body = isRecord(err) ? err['json'] : undefined;
    const engineMessage = stringField(body, 'message');
    // Streamed calls (pull, logs) leave `json` unset; their message carries the engine's text
    // behind docker-modem's "(HTTP code 500) server error - " prefix.
    const text = err instanceof Error ? err.message.replace(/^\(HTTP code \d+\) [^-]*- /, '') : String(err);
    const reason = engineMessage ?? text;
    return new DockerEngineError(operation, statusCode, reason.trim(), { cause: err });
  }
}

/**
 * Where the engine listens. The composition root fills this from `--docker_socket` and the
 * `DOCKER_HOST` environment variable; nothing in this file reads the environment.
 */
export interface DockerEndpoint {
  /** A Unix socket path; wins over `dockerHost`. */
  readonly socketPath?: string;
  /** `unix:///path/docker.sock` or `tcp://host:port` (plain HTTP; TLS endpoints are not supported). */
  readonly dockerHost?: string;
}

const DEFAULT_SOCKET = '/var/run/docker.sock';

/**
 * Connection options for dockerode. `host` and `protocol` are always given so that docker-modem's
 * own reading of the process environment cannot override what the composition root decided.
 */
function connectionOptions(endpoint: DockerEndpoint): Docker.DockerOptions {
  const unix = (socketPath: string): Docker.DockerOptions => ({
    socketPath,
    host: undefined,
    protocol: 'http',
  });
  if (endpoint.socketPath !== undefined && endpoint.socketPath !== '') return unix(endpoint.socketPath);
  const raw = endpoint.dockerHost;
  if (raw === undefined || raw === '') return unix(DEFAULT_SOCKET);
  const url = new URL(raw.includes('://') ? raw : `tcp://${raw}`);
  if (url.protocol === 'unix:') return unix(url.pathname === '' ? DEFAULT_SOCKET : url.pathname);
  if (url.protocol === 'tcp:' || url.protocol === 'http:') {
    return { host: url.hostname, port: url.port === '' ? 2375 : Number(url.port), protocol: 'http' };
  }
  throw new Error(`unsupported DOCKER_HOST '${raw}': use unix:///path or tcp://host:port`);
}

const HTTP_NOT_MODIFIED = 304;
const HTTP_NOT_FOUND = 404;
const HTTP_CONFLICT = 409;

/** The dockerode implementation of `DockerApi`. */
export class DockerodeApi implements DockerApi {
  private readonly docker: Docker;
  private readonly log: Logger;

  constructor(endpoint: DockerEndpoint, log: Logger) {
    this.docker = new Docker(connectionOptions(endpoint));
    this.log = log.child({ component: 'agent.containerizer.docker.api' });
  }

  async version(): Promise<{ readonly version: string; readonly apiVersion: string }> {
    const v = await this.call('version', {}, () => this.docker.version());
    return { version: v.Version, apiVersion: v.ApiVersion };
  }

  async ensureImage(
    image: string,
    forcePull: boolean,
    onProgress?: (message: string) => void,
  ): Promise<void> {
    if (!forcePull) {
      const present = await this.tolerate(HTTP_NOT_FOUND, 'inspect image', { image }, () =>
        this.docker.getImage(pathSegment(image)).inspect(),
      );
      if (present !== undefined) return;
    }
    onProgress?.(`Pulling image ${image}`);
    await this.call(`pull image ${image}`, { image }, async () => {
      const stream = await this.docker.pull(image);
      const events = await new Promise<readonly unknown[]>((resolve, reject) => {
        this.docker.modem.followProgress(
          stream,
          (err, output: unknown[]) => (err === null ? resolve(output) : reject(err)),
          (event: unknown) => onProgress?.(describeProgress(event)),
        );
      });
      // The engine reports most pull failures inside the progress stream, with HTTP status 200.
      const failure = events.map((event) => stringField(event, 'error')).find((error) => error !== undefined);
      if (failure !== undefined) throw new DockerEngineError(`pull image ${image}`, undefined, failure);
    });
  }

  async run(spec: DockerRunSpec): Promise<string> {
    const container = await this.call('create container', { name: spec.name, image: spec.image }, () =>
      this.docker.createContainer(createOptions(spec)),
    );
    try {
      await this.call('start container', { dockerId: container.id, name: spec.name }, () =>
        container.start(),
      );
    } catch (err) {
      // The failure is what the caller needs; a failed cleanup is already logged by `remove`.
      await this.remove(container.id).catch(() => undefined);
      throw err;
    }
    return container.id;
  }

  async waitExit(dockerId: string): Promise<void> {
    await this.call('wait container', { dockerId }, () => this.docker.getContainer(dockerId).wait());
  }

  async inspect(dockerId: string): Promise<DockerContainerState | undefined> {
    const info = await this.tolerate(HTTP_NOT_FOUND, 'inspect container', { dockerId }, () =>
      this.docker.getContainer(dockerId).inspect(),
    );
    if (info === undefined) return undefined;
    const attached = info.NetworkSettings.Networks ?? {};
    const quota = info.HostConfig.CpuQuota ?? 0;
    const period = info.HostConfig.CpuPeriod ?? 0;
    return {
      dockerId: info.Id,
      name: info.Name.replace(/^\//, ''),
      running: info.State.Running,
      exitCode: info.State.ExitCode,
      oomKilled: info.State.OOMKilled,
      error: info.State.Error,
      labels: info.Config.Labels ?? {},
      cpusLimit: quota > 0 && period > 0 ? quota / period : 0,
      networkMode: info.HostConfig.NetworkMode ?? '',
      // The engine's zero time (year 1) for a container that never started parses negative.
      startedAtMs: Math.max(0, Date.parse(info.State.StartedAt) || 0),
      image: info.Config.Image,
      networks: Object.keys(attached),
      ipAddress: Object.values(attached)[0]?.IPAddress ?? '',
    };
  }

  async stop(dockerId: string, graceMs: number): Promise<void> {
    const t = Math.max(0, Math.ceil(graceMs / 1000));
    await this.tolerate(
      [HTTP_NOT_MODIFIED, HTTP_NOT_FOUND],
      'stop container',
      { dockerId, graceSeconds: t },
      () => this.docker.getContainer(dockerId).stop({ t }),
    );
  }

  async kill(dockerId: string): Promise<void> {
    await this.tolerate([HTTP_NOT_FOUND, HTTP_CONFLICT], 'kill container', { dockerId }, () =>
      this.docker.getContainer(dockerId).kill({ signal: 'SIGKILL' }),
    );
  }

  async remove(dockerId: string): Promise<void> {
    // 409: a removal of this container is already in progress.
    await this.tolerate([HTTP_NOT_FOUND, HTTP_CONFLICT], 'remove container', { dockerId }, () =>
      this.docker.getContainer(dockerId).remove({ force: true, v: true }),
    );
  }

  async listByLabels(labels: Readonly<Record<string, string>>): Promise<readonly DockerContainerSummary[]> {
    const label = Object.entries(labels).map(([key, value]) => `${key}=${value}`);
    const rows = await this.call('list containers', { labels: label.join(',') }, () =>
      this.docker.listContainers({ all: true, filters: { label } }),
    );
    return rows.map((row) => ({
      dockerId: row.Id,
      name: (row.Names[0] ?? '').replace(/^\//, ''),
      labels: row.Labels,
      running: row.State === 'running',
    }));
  }

  async stats(dockerId: string): Promise<DockerStats | undefined> {
    const sample = await this.tolerate(HTTP_NOT_FOUND, 'stats container', { dockerId }, () =>
      this.docker.getContainer(dockerId).stats({ stream: false, 'one-shot': true }),
    );
    if (sample === undefined) return undefined;
    const nsToSeconds = (ns: number | undefined): number => (ns ?? 0) / 1e9;
    const memory = sample.memory_stats;
    const detail: Readonly<Record<string, number>> = memory.stats ?? {};
    return {
      cpuUserSeconds: nsToSeconds(sample.cpu_stats.cpu_usage.usage_in_usermode),
      cpuSystemSeconds: nsToSeconds(sample.cpu_stats.cpu_usage.usage_in_kernelmode),
      memRssBytes: detail['rss'] ?? detail['anon'] ?? memory.usage ?? 0,
      memLimitBytes: memory.limit ?? 0,
    };
  }

  async exec(
    dockerId: string,
    argv: readonly string[],
    options: { readonly env: Readonly<Record<string, string>>; readonly signal: AbortSignal },
  ): Promise<number | undefined> {
    const { env, signal } = options;
    return this.call('exec', { dockerId, argv: argv.join(' ') }, async () => {
      const exec = await this.docker.getContainer(dockerId).exec({
        Cmd: [...argv],
        Env: Object.entries(env).map(([key, value]) => `${key}=${value}`),
        AttachStdout: true,
        AttachStderr: true,
        abortSignal: signal,
      });
      // Attached, so that the end of the output stream tells when the command has ended.
      const output = await exec.start({ hijack: true, stdin: false, abortSignal: signal });
      output.resume();
      try {
        await finished(output, { signal });
      } finally {
        // An abandoned command's connection is closed here; a finished one's is closed already.
        output.destroy();
      }
      const info = await exec.inspect({ abortSignal: signal });
      return info.ExitCode ?? undefined;
    });
  }

  async followLogs(
    dockerId: string,
    stream: DockerLogStream,
    sink: NodeJS.WritableStream,
    sinceSeconds?: number,
  ): Promise<void> {
    await this.call('follow logs', { dockerId, stream, sinceSeconds }, async () => {
      const source = await this.docker.getContainer(dockerId).logs({
        follow: true,
        stdout: stream === 'stdout',
        stderr: stream === 'stderr',
        since: sinceSeconds ?? 0,
      });
      // Without a TTY the engine frames every chunk with an 8-byte header naming its stream.
      this.docker.modem.demuxStream(source, sink, sink);
      await finished(source);
    });
  }

  /** Runs one engine call, logging it; rethrows failures as `DockerEngineError`. */
  private async call<T>(
    operation: string,
    fields: LogFields,
    fn: () => Promise<T>,
    expectedStatus: readonly number[] = [],
  ): Promise<T> {
    const startMs = performance.now();
    try {
      const result = await fn();
      this.log.debug('engine call completed', { operation, ...fields, elapsedMs: elapsedSince(startMs) });
      return result;
    } catch (err) {
      const error = DockerEngineError.from(operation, err);
      const expected = error.statusCode !== undefined && expectedStatus.includes(error.statusCode);
      this.log[expected ? 'debug' : 'warn']('engine call failed', {
        operation,
        ...fields,
        statusCode: error.statusCode,
        reason: error.reason,
        elapsedMs: elapsedSince(startMs),
      });
      throw error;
    }
  }

  /** Like `call`, but the listed statuses mean "nothing to do" and resolve to `undefined`. */
  private async tolerate<T>(
    status: number | readonly number[],
    operation: string,
    fields: LogFields,
    fn: () => Promise<T>,
  ): Promise<T | undefined> {
    const tolerated = typeof status === 'number' ? [status] : status;
    try {
      return await this.call(operation, fields, fn, tolerated);
    } catch (err) {
      if (
        err instanceof DockerEngineError &&
        err.statusCode !== undefined &&
        tolerated.includes(err.statusCode)
      ) {
        return undefined;
      }
      throw err;
    }
  }
}

function createOptions(spec: DockerRunSpec): Docker.ContainerCreateOptions {
  const portKey = (p: DockerPortBinding): string => `${p.containerPort}/${p.protocol}`;
  return {
    name: spec.name,
    Image: spec.image,
    Entrypoint: spec.entrypoint === undefined ? undefined : [...spec.entrypoint],
    Cmd: spec.cmd === undefined ? undefined : [...spec.cmd],
    Env: Object.entries(spec.env).map(([key, value]) => `${key}=${value}`),
    Labels: { ...spec.labels },
    User: spec.user,
    Hostname: spec.hostname,
    ExposedPorts: Object.fromEntries(spec.portBindings.map((p) => [portKey(p), {}])),
    HostConfig: {
      NetworkMode: spec.networkMode,
      PortBindings: Object.fromEntries(
        spec.portBindings.map((p) => [portKey(p), [{ HostIp: '', HostPort: String(p.hostPort) }]]),
      ),
      Binds: spec.binds.map((b) => `${b.hostPath}:${b.containerPath}${b.readOnly ? ':ro' : ''}`),
      CpuQuota: spec.cpu?.quotaUs,
      CpuPeriod: spec.cpu?.periodUs,
      CpuShares: spec.cpu?.shares,
      Memory: spec.memoryBytes,
      MemorySwap: spec.memoryBytes,
      PidsLimit: spec.pidsLimit,
      Privileged: spec.privileged,
      LogConfig: { Type: 'json-file', Config: { 'max-size': String(spec.logMaxBytes), 'max-file': '1' } },
    },
  };
}

/** `<layer>: <status> <progress bar>`, the way `docker pull` prints one progress event. */
function describeProgress(event: unknown): string {
  return [stringField(event, 'id'), stringField(event, 'status'), stringField(event, 'progress')]
    .filter((part) => part !== undefined && part !== '')
    .join(' ');
}

/**
 * dockerode puts image names into the request path unescaped; a name with a space would fail in
 * Node before reaching the engine, hiding the engine's own explanation of what is wrong with it.
 */
function pathSegment(image: string): string {
  return image.split('/').map(encodeURIComponent).join('/');
}

function elapsedSince(startMs: number): number {
  return Math.round((performance.now() - startMs) * 10) / 10;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function stringField(value: unknown, key: string): string | undefined {
  const field = isRecord(value) ? value[key] : undefined;
  return typeof field === 'string' ? field : undefined;
}

function numberField(value: unknown, key: string): number | undefined {
  const field = isRecord(value) ? value[key] : undefined;
  return typeof field === 'number' ? field : undefined;
}
