/**
 * How the client commands print: aligned tables for people, JSON for scripts (`-o json`), and
 * the small formatters both share (quantities, shares, times).
 */
import type { Writable } from 'node:stream';
import { usageError } from './exit-codes.js';

export type OutputFormat = 'table' | 'json';

export function outputFormat(value: string | undefined): OutputFormat {
  if (value === undefined || value === 'table') return 'table';
  if (value === 'json') return 'json';
  throw usageError(`--output must be 'table' or 'json'; received '${value}'`);
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

export function writeJson(out: Writable, value: unknown): void {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** `0.5`, `2`, `1.25`: at most two decimals, no trailing zeros. */
export const formatNumber = (n: number): string => String(Math.round(n * 100) / 100);

/** Megabytes as Mesos counts them, shown as MiB or GiB. */
export const formatMem = (mb: number): string =>
  mb >= 1024 ? `${formatNumber(mb / 1024)} GiB` : `${formatNumber(mb)} MiB`;

export const formatPercent = (fraction: number): string => `${formatNumber(fraction * 100)}%`;

/** Seconds since the epoch as an ISO date and time in UTC, without milliseconds. */
export const formatTime = (seconds: number): string =>
  new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

/** `3d 4h`, `5m 12s`: the two largest units of an age or uptime. */
export function formatAge(seconds: number): string {
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.floor(seconds));
  for (const [unit, size] of units) {
    if (rest >= size || (unit === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)}${unit}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}
