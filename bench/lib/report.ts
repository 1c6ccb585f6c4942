/**
 * Helpers shared by benchmarks: percentiles, a plain-text table, and the JSON results file under
 * `bench/results/` (resolved from the source tree whether running from `dist/` or under tsx).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Nearest-rank percentile (`p` in 0..100) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

export type Row = Readonly<Record<string, string | number | boolean | null>>;

/** Renders rows as an aligned table with the given columns, in order. */
export function formatTable(rows: readonly Row[], columns: readonly string[]): string {
  const cells = rows.map((row) => columns.map((column) => formatCell(row[column])));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((line) => line[i]!.length)));
  const line = (values: readonly string[]): string => values.map((v, i) => v.padStart(widths[i]!)).join('  ');
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

function formatCell(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '-';
  if (typeof value !== 'number') return String(value);
  if (Number.isInteger(value)) return String(value);
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** `bench/results/<name>.json` in the source tree. */
export function resultsPath(name: string): string {
  const here = dirname(fileURLToPath(import.meta.url));
  // bench/lib is two levels below the repository root, dist/bench/lib three.
  const twoUp = resolve(here, '../..');
  const root = basename(twoUp) === 'dist' ? dirname(twoUp) : twoUp;
  return join(root, 'bench', 'results', `${name}.json`);
}

export async function writeResults(name: string, rows: readonly Row[]): Promise<string> {
  const path = resultsPath(name);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(rows, null, 2)}\n`);
  return path;
}
