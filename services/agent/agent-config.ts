/**
 * The agent's configuration: parsed once from flag-shaped input, validated, completed with what
 * the machine offers (Mesos's resource auto-detection), and frozen. Nothing else in the agent
 * reads flags, the environment or the machine's size.
 */
import { z } from 'zod';
import { formatDuration } from '../core/duration.js';
import { invalidCall } from '../core/errors.js';
import { Resources } from '../core/resources.js';
import type { Attribute } from '../core/v1/common.js';
import { formatIssues } from '../core/validation.js';
import { DEFAULT_HOST_NETWORK, parseHostNetwork } from './containerizer/docker/host-network.js';

/** What the host offers, as `probeMachine` measures it. Passed in so detection stays pure. */
export interface MachineInfo {
  readonly cpuCount: number;
  readonly memTotalBytes: number;
  /** Size of the filesystem holding the work dir. */
  readonly diskTotalBytes: number;
  readonly hostname: string;
  /** First non-internal IPv4 address, used as the advertised ip when binding to `0.0.0.0`. */
  readonly primaryIpv4: string | undefined;
}

export const CONTAINERIZER_NAMES = ['process', 'docker'] as const;
export type ContainerizerName = (typeof CONTAINERIZER_NAMES)[number];

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** Mesos's default `ports` resource when `--resources` names none. */
export const DEFAULT_PORT_RANGE = { begin: 31000, end: 32000 } as const;

const positiveMs = z.number().positive();
/** `a,b,c` or an array; blanks dropped. */
const commaList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (typeof v === 'string' ? v.split(',') : v).map((s) => s.trim()).filter((s) => s !== ''));

/** Flag-shaped input, as the command line (`--work_dir`, `--resources`, ...) gives it. */
export const AgentConfigInputSchema = z
  .object({
    /** The master: `http://host:5050`, `host:5050`, or `zk://...` (which needs a `detectMaster` dependency). */
    masterUrl: z.string().min(1),
    /** Sandboxes live under `<workDir>/slaves/<agentId>/...`; `/files` serves nothing outside it. */
    workDir: z.string().min(1),
    /** HTTP port. @default 5051; 0 picks a free port (tests). */
    port: z.number().int().min(0).max(65535).default(5051),
    /** Address the HTTP API binds to. @default "0.0.0.0" */
    ip: z.string().min(1).default('0.0.0.0'),
    /** Address the master and frameworks use to reach this agent. @default `ip`, or the host's first IPv4 address */
    advertiseIp: z.string().min(1).optional(),
    /** `AgentInfo.hostname`. @default the machine's hostname */
    hostname: z.string().min(1).optional(),
    /** `cpus:4;mem:8192;disk:20000;ports:[31000-32000]`; kinds left out are detected. */
    resources: z.string().optional(),
    /** `rack:r1;zone:a;level:3;slots:[1-4]`. */
    attributes: z.string().optional(),
    /** Tried in order for each task; `mesos` is accepted as Mesos's name for `process`. @default ["process"] */
    containerizers: commaList
      .default(['process'])
      .transform((names) => names.map((n) => (n === 'mesos' ? 'process' : n)))
      .pipe(z.array(z.enum(CONTAINERIZER_NAMES)).nonempty()),
    /** The Docker engine's Unix socket (Mesos `--docker_socket`); without it `DOCKER_HOST`, then `/var/run/docker.sock`. */
    dockerSocket: z.string().min(1).optional(),
    /** Image for tasks that name none, so plain commands run in a container when `docker` comes first. */
    dockerDefaultImage: z.string().min(1).optional(),
    /** Absolute host path prefixes docker tasks may bind-mount (`ContainerInfo.volumes`). @default [] */
    dockerVolumeAllowList: commaList
      .default([])
      .pipe(z.array(z.string().startsWith('/', 'must be an absolute path'))),
    /**
     * Where HOST-network docker tasks run: `host`, `container:<name-or-id>` or `container:self`
     * (`meso agent` resolves `keeper` to its keeper's `container:<id>` first). @default "host"
     */
    dockerHostNetwork: z
      .string()
      .default(DEFAULT_HOST_NETWORK)
      .transform((value, ctx) => {
        try {
          return parseHostNetwork(value);
        } catch (err) {
          ctx.addIssue({ code: z.ZodIssueCode.custom, message: (err as Error).message });
          return z.NEVER;
        }
      }),
    /** Grace between SIGTERM and SIGKILL for a docker task whose kill names no policy. @default 3000 */
    dockerStopTimeoutMs: z.number().min(0).default(3000),
    /** How long a custom executor has to SUBSCRIBE once its container started. @default 60000 */
    executorRegistrationTimeoutMs: positiveMs.default(60_000),
    /** How long a custom executor recovered after an agent restart has to SUBSCRIBE again. @default 2000 */
    executorReregistrationTimeoutMs: positiveMs.default(2000),
    /** Upper bound of the first random registration delay (Mesos `--registration_backoff_factor`). @default 1000 */
    registrationBackoffMs: positiveMs.default(1000),
    /** Time a shut-down executor's tasks get between SIGTERM and SIGKILL. @default 5000 */
    executorShutdownGracePeriodMs: z.number().min(0).default(5000),
    /** First status update retry interval; doubles up to the max (Mesos uses 10 s). @default 1000 */
    statusUpdateRetryMinMs: positiveMs.default(1000),
    /** Largest status update retry interval (Mesos's value). @default 600000 */
    statusUpdateRetryMaxMs: positiveMs.default(600_000),
  })
  .strict()
  .refine((c) => c.statusUpdateRetryMaxMs >= c.statusUpdateRetryMinMs, {
    message: 'statusUpdateRetryMaxMs must not be below statusUpdateRetryMinMs',
  });

export type AgentConfigInput = z.input<typeof AgentConfigInputSchema>;

export interface AgentConfig {
  readonly masterUrl: string;
  readonly workDir: string;
  readonly port: number;
  readonly ip: string;
  readonly advertiseIp: string;
  readonly hostname: string;
  /** Everything this agent offers: the `--resources` flag completed by detection. */
  readonly resources: Resources;
  readonly attributes: readonly Attribute[];
  readonly containerizers: readonly ContainerizerName[];
  readonly dockerSocket: string | undefined;
  readonly dockerDefaultImage: string | undefined;
  readonly dockerVolumeAllowList: readonly string[];
  readonly dockerHostNetwork: string;
  readonly dockerStopTimeoutMs: number;
  readonly executorRegistrationTimeoutMs: number;
  readonly executorReregistrationTimeoutMs: number;
  readonly registrationBackoffMs: number;
  readonly executorShutdownGracePeriodMs: number;
  readonly statusUpdateRetryMinMs: number;
  readonly statusUpdateRetryMaxMs: number;
  /** The configuration under Mesos's flag names, for `/flags` and `/state`. */
  readonly flags: Readonly<Record<string, string>>;
}

/** Validates `input` and completes it from `machine`; the result is frozen. Throws INVALID_CALL naming the field. */
export function resolveAgentConfig(input: AgentConfigInput, machine: MachineInfo): AgentConfig {
  const parsed = AgentConfigInputSchema.safeParse(input);
  if (!parsed.success) throw invalidCall(`invalid agent configuration: ${formatIssues(parsed.error)}`);
  const c = parsed.data;
  const resources = detectResources(c.resources, machine);
  const attributes = c.attributes === undefined ? [] : parseAttributes(c.attributes);
  const unspecified = c.ip === '0.0.0.0' || c.ip === '::';
  const advertiseIp = c.advertiseIp ?? (unspecified ? (machine.primaryIpv4 ?? '127.0.0.1') : c.ip);
  const hostname = c.hostname ?? machine.hostname;
  const flags: Record<string, string> = {
    master: c.masterUrl,
    work_dir: c.workDir,
    port: String(c.port),
    ip: c.ip,
    advertise_ip: advertiseIp,
    hostname,
    resources: resources.toString(),
    attributes: c.attributes ?? '',
    containerizers: c.containerizers.join(','),
    docker_socket: c.dockerSocket ?? '',
    docker_default_image: c.dockerDefaultImage ?? '',
    docker_volume_allow_list: c.dockerVolumeAllowList.join(','),
    docker_host_network: c.dockerHostNetwork,
    docker_stop_timeout: formatDuration(c.dockerStopTimeoutMs),
    executor_registration_timeout: formatDuration(c.executorRegistrationTimeoutMs),
    executor_reregistration_timeout: formatDuration(c.executorReregistrationTimeoutMs),
    registration_backoff_factor: formatDuration(c.registrationBackoffMs),
    executor_shutdown_grace_period: formatDuration(c.executorShutdownGracePeriodMs),
    status_update_retry_interval_min: formatDuration(c.statusUpdateRetryMinMs),
    status_update_retry_interval_max: formatDuration(c.statusUpdateRetryMaxMs),
  };
  return Object.freeze({
    masterUrl: c.masterUrl,
    workDir: c.workDir,
    port: c.port,
    ip: c.ip,
    advertiseIp,
    hostname,
    resources,
    attributes: Object.freeze(attributes),
    containerizers: Object.freeze([...c.containerizers]),
    dockerSocket: c.dockerSocket,
    dockerDefaultImage: c.dockerDefaultImage,
    dockerVolumeAllowList: Object.freeze([...c.dockerVolumeAllowList]),
    dockerHostNetwork: c.dockerHostNetwork,
    dockerStopTimeoutMs: c.dockerStopTimeoutMs,
    executorRegistrationTimeoutMs: c.executorRegistrationTimeoutMs,
    executorReregistrationTimeoutMs: c.executorReregistrationTimeoutMs,
    registrationBackoffMs: c.registrationBackoffMs,
    executorShutdownGracePeriodMs: c.executorShutdownGracePeriodMs,
    statusUpdateRetryMinMs: c.statusUpdateRetryMinMs,
    statusUpdateRetryMaxMs: c.statusUpdateRetryMaxMs,
    flags: Object.freeze(flags),
  });
}

/**
 * Mesos's auto-detection for each kind `--resources` leaves out (a kind given with any role counts
 * as given): cpus = cores (at least 1); mem = total − 1 GiB when total ≥ 2 GiB, else half; disk =
 * the work dir's filesystem − 5 GiB when ≥ 10 GiB, else half (both in MiB, truncated); ports =
 * [31000-32000].
 */
export function detectResources(flag: string | undefined, machine: MachineInfo): Resources {
  const given = flag === undefined ? Resources.EMPTY : Resources.parse(flag);
  const names = given.names();
  const detected: Record<string, number> = {};
  if (!names.has('cpus')) detected.cpus = Math.max(1, machine.cpuCount);
  if (!names.has('mem')) {
    const bytes = machine.memTotalBytes >= 2 * GiB ? machine.memTotalBytes - GiB : machine.memTotalBytes / 2;
    detected.mem = Math.floor(bytes / MiB);
  }
  if (!names.has('disk')) {
    const bytes =
      machine.diskTotalBytes >= 10 * GiB ? machine.diskTotalBytes - 5 * GiB : machine.diskTotalBytes / 2;
    detected.disk = Math.floor(bytes / MiB);
  }
  const ports = names.has('ports') ? Resources.EMPTY : Resources.ranges('ports', [DEFAULT_PORT_RANGE]);
  return given.plus(Resources.scalars(detected)).plus(ports);
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses Mesos's `--attributes` format, `name:value;name:value`: a value in brackets (`[1-4,8-9]`)
 * is RANGES, a number is SCALAR, anything else TEXT. Sets are not attribute values in Mesos and
 * are rejected. Names may repeat, as in Mesos.
 */
export function parseAttributes(text: string): Attribute[] {
  const attributes: Attribute[] = [];
  for (const part of text.split(';').map((s) => s.trim())) {
    if (part === '') continue;
    const colon = part.indexOf(':');
    const name = part.slice(0, colon).trim();
    const value = part.slice(colon + 1).trim();
    if (colon < 0 || name === '' || value === '') {
      throw invalidCall(`attribute '${part}' is not of the form name:value`);
    }
    attributes.push(parseAttribute(name, value));
  }
  return attributes;
}

function parseAttribute(name: string, value: string): Attribute {
  if (value.startsWith('{'))
    throw invalidCall(`attribute '${name}' has a set value, which Mesos does not allow`);
  if (value.startsWith('[')) {
    let ranges;
    try {
      // The resource parser owns the range syntax; a placeholder name keeps attribute names free-form.
      ranges = Resources.parse(`r:${value}`).rangesOf('r');
    } catch (err) {
      throw invalidCall(
        `attribute '${name}' has a malformed range list '${value}': ${(err as Error).message}`,
      );
    }
    return { name, type: 'RANGES', ranges: { range: ranges } };
  }
  if (NUMBER.test(value)) return { name, type: 'SCALAR', scalar: { value: Number(value) } };
  return { name, type: 'TEXT', text: { value } };
}

/** The URL this agent's HTTP API is reached at (IPv6 literals get brackets). */
export const agentUrl = (ip: string, port: number): string =>
  `http://${ip.includes(':') ? `[${ip}]` : ip}:${port}`;
