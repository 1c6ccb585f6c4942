/**
 * Driving a compose project from tests: the project's own scripts (`scripts/up.sh`,
 * `scripts/down.sh`), the compose tool they use (`docker compose` or `docker-compose`), and the
 * engine's view of what a project left behind.
 *
 * Every call runs a real command; its output is kept and put into the error when it fails, so a
 * failing test shows what compose or the script said.
 */
import { execFile } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** The source tree's root, whether this runs from `test/e2e/helpers` (tsx) or `dist/test/...`. */
export const REPO_ROOT = ((threeUp) => (basename(threeUp) === 'dist' ? dirname(threeUp) : threeUp))(
  join(import.meta.dirname, '..', '..', '..'),
);

export const FULL_COMPOSE_FILE = join(REPO_ROOT, 'compose', 'docker-compose.yml');
export const LAPTOP_COMPOSE_FILE = join(REPO_ROOT, 'compose', 'docker-compose.laptop.yml');

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command`; rejects with its output when it exits non-zero (or outlives `timeoutMs`). */
export async function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await exec(command, args, {
      cwd: REPO_ROOT,
      env: options.env ?? process.env,
      maxBuffer: 64 * 1024 * 1024,
      ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
    });
    return { stdout, stderr };
  } catch (err) {
    const failed = err as Error & Partial<CommandResult>;
    throw new Error(
      `${command} ${args.join(' ')} failed: ${failed.message}\n--- stdout\n${failed.stdout ?? ''}\n--- stderr\n${failed.stderr ?? ''}`,
      { cause: err },
    );
  }
}

/** The compose command: `MESO_COMPOSE`, else `docker compose` (v2), else `docker-compose`. */
export async function composeCommand(): Promise<readonly string[] | undefined> {
  const configured = process.env.MESO_COMPOSE?.split(' ').filter((w) => w !== '');
  const candidates = [
    ...(configured === undefined ? [] : [configured]),
    ['docker', 'compose'],
    ['docker-compose'],
  ];
  for (const candidate of candidates) {
    const [command, ...args] = candidate;
    if (command === undefined) continue;
    try {
      await exec(command, [...args, 'version']);
      return candidate;
    } catch {
      // Not installed: try the next.
    }
  }
  return undefined;
}

/**
 * For `describe(name, { skip: await composeSkipReason() }, ...)`: `false` when an engine answers
 * and a compose tool is installed, the reason otherwise. Under CI (`CI` set) a missing engine or
 * tool throws instead, so the suite fails rather than passing without having run.
 */
export async function composeSkipReason(): Promise<string | false> {
  let reason: string | undefined;
  try {
    await exec('docker', ['info']);
    if ((await composeCommand()) === undefined) {
      reason =
        "neither 'docker compose' nor 'docker-compose' is installed (Debian: apt-get install docker-compose)";
    }
  } catch {
    reason = 'no Docker engine answers; run .ci/install-docker.sh';
  }
  if (reason === undefined) return false;
  if (process.env.CI !== undefined) throw new Error(reason);
  return reason;
}

/** One compose project of one compose file, with its own environment (ports, image tags, ...). */
export class ComposeProject {
  private constructor(
    readonly name: string,
    readonly file: string,
    private readonly compose: readonly string[],
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static async open(name: string, file: string, env: NodeJS.ProcessEnv): Promise<ComposeProject> {
    const compose = await composeCommand();
    if (compose === undefined) throw new Error('no compose tool is installed');
    return new ComposeProject(name, file, compose, { ...process.env, ...env, MESO_PROJECT: name });
  }

  /** The compose command line as the scripts take it in `MESO_COMPOSE`. */
  get composeCommandLine(): string {
    return this.compose.join(' ');
  }

  /** `compose -p <name> -f <file> ...args`. */
  async runCompose(args: readonly string[], timeoutMs = 300_000): Promise<CommandResult> {
    const [command, ...prefix] = this.compose;
    return run(command!, [...prefix, '-p', this.name, '-f', this.file, ...args], {
      env: this.env,
      timeoutMs,
    });
  }

  /** `scripts/<script>` with this project's name and compose tool, e.g. `up.sh --agents 2`. */
  async script(script: string, args: readonly string[], timeoutMs = 900_000): Promise<CommandResult> {
    return run('bash', [join(REPO_ROOT, 'scripts', script), ...args], {
      env: { ...this.env, MESO_COMPOSE: this.composeCommandLine },
      timeoutMs,
    });
  }

  /** `http://host:port` a service's container port is published at. */
  async publishedUrl(service: string, port: number): Promise<string> {
    const { stdout } = await this.runCompose(['port', service, String(port)]);
    const address = stdout.trim().split('\n').pop();
    if (address === undefined || address === '') throw new Error(`${service}:${port} is not published`);
    return `http://${address.replace(/^0\.0\.0\.0:/, '127.0.0.1:')}`;
  }

  /** Ids of the project's containers (of one service, when given), running or not. */
  async containers(service?: string): Promise<string[]> {
    const filters = [`label=com.docker.compose.project=${this.name}`];
    if (service !== undefined) filters.push(`label=com.docker.compose.service=${service}`);
    return lines(
      await run('docker', ['ps', '-aq', '--no-trunc', ...filters.flatMap((f) => ['--filter', f])]),
    );
  }

  /** What the project owns in the engine: containers, networks, and volumes its containers mount. */
  async resources(): Promise<ProjectResources> {
    const containers = await this.containers();
    const label = `label=com.docker.compose.project=${this.name}`;
    const networks = lines(await run('docker', ['network', 'ls', '-q', '--filter', label]));
    const labelledVolumes = lines(await run('docker', ['volume', 'ls', '-q', '--filter', label]));
    // Anonymous volumes (an image's VOLUME) carry no project label: find them through the mounts.
    const mounted =
      containers.length === 0
        ? []
        : lines(
            await run('docker', [
              'inspect',
              '-f',
              '{{range .Mounts}}{{if eq .Type "volume"}}{{.Name}}{{"\\n"}}{{end}}{{end}}',
              ...containers,
            ]),
          );
    return { containers, networks, volumes: [...new Set([...labelledVolumes, ...mounted])] };
  }
}

export interface ProjectResources {
  readonly containers: readonly string[];
  readonly networks: readonly string[];
  readonly volumes: readonly string[];
}

/** Which of `volumes` still exist. */
export async function existingVolumes(volumes: readonly string[]): Promise<string[]> {
  const present = new Set(lines(await run('docker', ['volume', 'ls', '-q'])));
  return volumes.filter((v) => present.has(v));
}

function lines({ stdout }: CommandResult): string[] {
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
}
