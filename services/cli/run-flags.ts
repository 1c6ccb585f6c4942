/** The command line of `meso run`: commander flags and their conversion into `RunOptions`. */
import { type Command, Option } from 'commander';
import { userInfo } from 'node:os';
import { durationFlag } from '../config/flags.js';
import { invalidCall } from '../core/errors.js';
import type { RunOptions } from './run.js';

/** Flag values as commander hands them over (strings; unset flags absent). */
export interface RunFlags {
  readonly master?: string;
  readonly cpus?: string;
  readonly mem?: string;
  readonly image?: string;
  readonly network?: string;
  readonly name?: string;
  readonly role?: string;
  readonly user?: string;
  readonly timeout?: string;
}

export const RUN_DEFAULTS = {
  master: 'http://127.0.0.1:5050',
  cpus: '0.1',
  mem: '32',
  name: 'meso-run',
  role: '*',
} as const;

/** Adds `meso run`'s flags and its `<command...>` argument (put `--` before the command). */
export function addRunFlags(command: Command): Command {
  return command
    .argument('<command...>', 'command line to run through /bin/sh -c (words are joined with spaces)')
    .addOption(
      new Option('--master <url>', 'any master: http://host:5050 or host:5050')
        .env('MESO_MASTER')
        .default(RUN_DEFAULTS.master),
    )
    .addOption(new Option('--cpus <n>', 'CPUs for the task').default(RUN_DEFAULTS.cpus))
    .addOption(new Option('--mem <mib>', 'memory for the task, in MiB').default(RUN_DEFAULTS.mem))
    .addOption(new Option('--image <image>', 'run the command in this Docker image'))
    .addOption(
      new Option(
        '--network <network>',
        "with --image: 'host' (the default), 'bridge', 'none' or a Docker network's name",
      ),
    )
    .addOption(new Option('--name <name>', 'task name').default(RUN_DEFAULTS.name))
    .addOption(new Option('--role <role>', 'role to take resources from').default(RUN_DEFAULTS.role))
    .addOption(new Option('--user <user>', 'user to run the task as (default: the current user)'))
    .addOption(
      new Option('--timeout <duration>', 'kill the task and fail after this long, e.g. 30secs or 5mins'),
    );
}

/** Validates the flags; throws an INVALID_CALL `MesoError` naming the bad flag. */
export function runOptionsFromFlags(flags: RunFlags, command: readonly string[]): RunOptions {
  if (command.length === 0 || command.every((word) => word.trim() === '')) {
    throw invalidCall('a command to run is required, e.g. meso run -- echo hello');
  }
  if (flags.network !== undefined && flags.image === undefined) {
    throw invalidCall(`--network ${flags.network} needs --image: only Docker tasks choose a network`);
  }
  if (flags.network?.trim() === '') throw invalidCall('--network must name a network');
  return Object.freeze({
    master: masterUrlFlag(flags.master ?? RUN_DEFAULTS.master),
    cpus: positiveNumber('cpus', flags.cpus ?? RUN_DEFAULTS.cpus),
    memMiB: positiveNumber('mem', flags.mem ?? RUN_DEFAULTS.mem),
    ...(flags.image !== undefined && { image: flags.image }),
    ...(flags.network !== undefined && { network: flags.network.trim() }),
    name: flags.name ?? RUN_DEFAULTS.name,
    role: flags.role ?? RUN_DEFAULTS.role,
    user: flags.user ?? userInfo().username,
    command: [...command],
    ...(flags.timeout !== undefined && { timeoutMs: durationFlag('timeout', flags.timeout) }),
  });
}

/** `http(s)://host:port`, or `host:port` meaning http. (`zk://` is not supported here yet.) */
export function masterUrlFlag(value: string): string {
  const text = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw invalidCall(`--master must look like http://host:5050 or host:5050; received '${value}'`);
  }
  return url.origin;
}

function positiveNumber(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw invalidCall(`--${flag} must be a positive number; received '${value}'`);
  return n;
}
