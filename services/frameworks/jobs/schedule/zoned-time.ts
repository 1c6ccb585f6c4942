/**
 * Wall-clock time in IANA time zones, from the runtime's time-zone database (`Intl`). Pure: the
 * same inputs give the same answers (for one tz database).
 *
 * Local times that do not exist (the hour skipped when DST starts) or exist twice (the hour
 * repeated when it ends) are resolved as JavaScript's Temporal does by default ("compatible"):
 * a skipped time moves forward by the length of the gap (02:30 → 03:30), a repeated time means
 * its first occurrence.
 */
import { invalidCall } from '../../../core/errors.js';

export interface WallTime {
  readonly year: number;
  /** 1-12. */
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Throws INVALID_CALL unless `timeZone` is an IANA zone name the runtime knows (or `UTC`). */
export function checkTimeZone(timeZone: string): void {
  try {
    formatter(timeZone);
  } catch {
    throw invalidCall(`unknown time zone '${timeZone}' (expected an IANA name such as Europe/Paris)`);
  }
}

/** The wall time at `instantMs` in `timeZone` (seconds resolution). */
export function wallTimeAt(instantMs: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(instantMs)) {
    if (p.type !== 'literal') parts[p.type] = Number(p.value);
  }
  return {
    year: parts['year'] ?? 0,
    month: parts['month'] ?? 1,
    day: parts['day'] ?? 1,
    hour: parts['hour'] ?? 0,
    minute: parts['minute'] ?? 0,
    second: parts['second'] ?? 0,
  };
}

/** The wall time read as if it were UTC: a number that orders and subtracts like wall times. */
export const wallAsUtc = (w: WallTime): number =>
  Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);

/** `timeZone`'s offset from UTC at `instantMs` (positive east of Greenwich). */
export const offsetMs = (instantMs: number, timeZone: string): number =>
  wallAsUtc(wallTimeAt(instantMs, timeZone)) - Math.floor(instantMs / 1000) * 1000;

export interface Resolved {
  readonly instantMs: number;
  /** False when the wall time does not exist there and was moved past the gap. */
  readonly exact: boolean;
}

/** The instant `wall` denotes in `timeZone` (see the file comment for gaps and repeats). */
export function instantOf(wall: WallTime, timeZone: string): Resolved {
  const local = wallAsUtc(wall);
  // Zone offsets change at most a few times a year: those a day before and after cover both sides of any transition.
  const before = offsetMs(local - DAY_MS, timeZone);
  const after = offsetMs(local + DAY_MS, timeZone);
  const matches = [local - before, local - after].filter((t) => wallAsUtc(wallTimeAt(t, timeZone)) === local);
  if (matches.length > 0) return { instantMs: Math.min(...matches), exact: true };
  return { instantMs: local - before, exact: false };
}

/** `wall` moved by whole calendar units (days may overflow into the next month and so on). */
export function addToWall(wall: WallTime, add: { years?: number; months?: number; days?: number }): WallTime {
  const monthIndex = wall.year * 12 + (wall.month - 1) + (add.years ?? 0) * 12 + (add.months ?? 0);
  const year = Math.floor(monthIndex / 12);
  const month = (monthIndex % 12) + 1;
  // Adding months to the 31st lands on the month's last day, as ISO 8601 and most libraries do.
  const day = Math.min(wall.day, daysInMonth(year, month));
  const date = new Date(Date.UTC(year, month - 1, day + (add.days ?? 0)));
  return { ...wall, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

export const daysInMonth = (year: number, month: number): number =>
  new Date(Date.UTC(year, month, 0)).getUTCDate();
