/**
 * Test helpers around Prometheus: parsing a `/metrics` text exposition, running `promtool`, and a
 * real Prometheus server (Debian's package, installed by `.ci/install-prometheus.sh`) scraping
 * given targets, on a free loopback port with a temporary config and data directory.
 *
 * When Prometheus is not installed, `prometheusSkipReason()` tells tests to skip locally; under CI
 * (`CI` set) it returns `false`, so the tests run and fail with the install hint instead.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort, waitFor } from './cluster.js';

const INSTALL_HINT = 'prometheus and promtool are not installed: run `.ci/install-prometheus.sh` (as root)';

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** For `describe(name, { skip: prometheusSkipReason() }, ...)`. */
export function prometheusSkipReason(): string | false {
  if (
    (onPath('prometheus') !== undefined && onPath('promtool') !== undefined) ||
    process.env.CI !== undefined
  )
    return false;
  return INSTALL_HINT;
}

function binary(name: 'prometheus' | 'promtool'): string {
  const path = onPath(name);
  if (path === undefined) throw new Error(INSTALL_HINT);
  return path;
}

/** Runs promtool; resolves with its output, rejects with it (and the exit code) on failure. */
export function promtool(args: readonly string[], stdin?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(binary('promtool'), args, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`;
      if (err === null) resolve(output);
      else reject(new Error(`promtool ${args.join(' ')} failed: ${output}`, { cause: err }));
    });
    child.stdin?.end(stdin ?? '');
  });
}

export interface ScrapeTarget {
  readonly job: string;
  /** e.g. `http://127.0.0.1:5050` */
  readonly url: string;
}

export interface PrometheusTarget {
  readonly job: string;
  readonly health: string;
  readonly lastError: string;
}

/** A running Prometheus, scraping every 1 s. */
export class PrometheusServer implements AsyncDisposable {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly url: string,
    readonly logFile: string,
  ) {}

  static async start(
    targets: readonly ScrapeTarget[],
    ruleFiles: readonly string[] = [],
  ): Promise<PrometheusServer> {
    const dir = await mkdtemp(join(tmpdir(), 'meso-prometheus-'));
    const config = [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: [${ruleFiles.map((f) => JSON.stringify(f)).join(', ')}]`,
      'scrape_configs:',
      ...targets.map(
        (t) =>
          `  - { job_name: ${JSON.stringify(t.job)}, static_configs: [{ targets: [${JSON.stringify(new URL(t.url).host)}] }] }`,
      ),
    ].join('\n');
    await writeFile(join(dir, 'prometheus.yml'), `${config}\n`);
    const port = await freePort();
    const logFile = join(dir, 'prometheus.log');
    const log = await open(logFile, 'a');
    const child = spawn(
      binary('prometheus'),
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
      ],
      { stdio: ['ignore', log.fd, log.fd] },
    );
    await log.close();
    const server = new PrometheusServer(child, dir, `http://127.0.0.1:${port}`, logFile);
    try {
      await waitFor(async () => (await fetch(`${server.url}/-/ready`)).ok, 30_000, 'prometheus to be ready');
    } catch (err) {
      const output = await readFile(logFile, 'utf8').catch(() => '');
      await server.stop();
      throw new Error(`${String(err)}\n--- ${logFile} ---\n${output}`, { cause: err });
    }
    return server;
  }

  /** The active targets and their health. */
  async targets(): Promise<PrometheusTarget[]> {
    const body = (await (await fetch(`${this.url}/api/v1/targets?state=active`)).json()) as {
      data: { activeTargets: { labels: { job: string }; health: string; lastError: string }[] };
    };
    return body.data.activeTargets.map((t) => ({
      job: t.labels.job,
      health: t.health,
      lastError: t.lastError,
    }));
  }

  /** An instant query; rejects when Prometheus refuses the expression. */
  async query(expr: string): Promise<{ metric: Record<string, string>; value: number }[]> {
    const response = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: {
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[] | [number, string];
      };
    };
    if (body.status !== 'success' || body.data === undefined)
      throw new Error(`query '${expr}' failed: ${body.error}`);
    const { resultType, result } = body.data;
    if (resultType === 'scalar') return [{ metric: {}, value: Number((result as [number, string])[1]) }];
    return (result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => ({
      metric: r.metric,
      value: Number(r.value[1]),
    }));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await once(this.child, 'exit');
    }
    await rm(this.dir, { recursive: true, force: true });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

export interface ExposedSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The samples of a text exposition (label values without escapes, as meso's are). */
export function parseExposition(text: string): ExposedSample[] {
  const samples: ExposedSample[] = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `where`. */
export function sumOf(
  samples: readonly ExposedSample[],
  name: string,
  where: Readonly<Record<string, string>> = {},
): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}

/** GETs `<url>/metrics` and parses it. */
export async function scrape(url: string): Promise<ExposedSample[]> {
  return parseExposition(await (await fetch(`${url}/metrics`)).text());
}
