/**
 * Durations in Mesos's flag format (`500ms`, `10secs`, `2mins`, `1hrs`, `3days`, `1weeks`; also
 * `ns`, `us`) or plain seconds (`15`, `0.5`). Returned in milliseconds.
 */
import { invalidCall } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  sec: 1000,
  secs: 1000,
  s: 1000,
  min: 60_000,
  mins: 60_000,
  m: 60_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  h: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
  d: 86_400_000,
  week: 604_800_000,
  weeks: 604_800_000,
  w: 604_800_000,
};

export function parseDurationMs(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-z]*)\s*$/.exec(text);
  const unit = match?.[2] === '' ? 'secs' : match?.[2];
  const factor = unit === undefined ? undefined : UNIT_MS[unit];
  if (match === null || factor === undefined) {
    throw invalidCall(`'${text}' is not a duration (examples: 500ms, 10secs, 2mins, or plain seconds)`);
  }
  return Number(match[1]) * factor;
}

/** Formats milliseconds the way Mesos prints durations (`15secs`, `500ms`, `2mins`). */
export function formatDuration(ms: number): string {
  if (ms % 604_800_000 === 0 && ms > 0) return `${ms / 604_800_000}weeks`;
  if (ms % 86_400_000 === 0 && ms > 0) return `${ms / 86_400_000}days`;
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}hrs`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}mins`;
  if (ms % 1000 === 0) return `${ms / 1000}secs`;
  return `${ms}ms`;
}
