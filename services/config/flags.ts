/**
 * Parsing of Mesos-style flag values shared by every daemon's configuration. Each function throws
 * an INVALID_CALL `MesoError` naming the flag, which the command line turns into a usage error.
 */
import { invalidCall } from '../core/errors.js';
import { parseDurationMs } from '../core/duration.js';
import type { Quantities } from '../allocator/allocator.js';

export function durationFlag(flag: string, value: string): number {
  try {
    return parseDurationMs(value);
  } catch (err) {
    throw invalidCall(`--${flag}: ${(err as Error).message}`);
  }
}

export function positiveIntFlag(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw invalidCall(`--${flag} must be a positive integer; received '${value}'`);
  return n;
}

export function portFlag(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw invalidCall(`--${flag} must be a port number; received '${value}'`);
  return n;
}

/** `host:port`, the port checked as by `portFlag`. */
export function hostPortFlag(flag: string, value: string): { readonly host: string; readonly port: number } {
  const match = /^(.+):([^:]+)$/.exec(value);
  if (match === null) throw invalidCall(`--${flag} must be host:port; received '${value}'`);
  return { host: match[1] ?? '', port: portFlag(flag, match[2] ?? '') };
}

/** Mesos `--min_allocatable_resources`: alternatives separated by `|`, each `name:value;name:value`. */
export function minAllocatableFlag(value: string): Quantities[] {
  return value.split('|').map((alternative) => {
    const quantities: Record<string, number> = {};
    for (const part of alternative.split(';')) {
      if (part.trim() === '') continue;
      const [name, raw] = part.split(':').map((s) => s.trim());
      const n = Number(raw);
      if (name === undefined || name === '' || raw === undefined || !Number.isFinite(n) || n < 0) {
        throw invalidCall(`--min_allocatable_resources: '${part}' is not of the form name:quantity`);
      }
      quantities[name] = n;
    }
    return quantities;
  });
}
