/**
 * ISO 8601 repeating intervals, Chronos's schedule format: `R[n]/<start>/<period>`, e.g.
 * `R/2026-01-01T00:00:00Z/PT1H` (hourly from New Year, for ever) or `R5/2026-03-01T09:00/P1D`
 * (five runs, daily at 09:00 in the job's time zone). Pure.
 *
 * - `R` or `R-1`: unbounded; `Rn`: n runs in all (`R0` never runs).
 * - `start` is a date-time; with `Z` or an offset it is absolute, without one it is a wall time in
 *   the job's time zone.
 * - `period` is `P[nY][nM][nW][nD][T[nH][nM][n[.f]S]]`. Years, months, weeks and days advance the
 *   *wall clock* in the time zone (P1D stays at 09:00 across DST changes); hours, minutes and
 *   seconds are elapsed time.
 */
import { invalidCall } from '../../../core/errors.js';
import { addToWall, checkTimeZone, instantOf, type WallTime, wallTimeAt } from './zoned-time.js';

export interface RepeatingInterval {
  /** Runs in all; `undefined` for unbounded. */
  readonly repetitions: number | undefined;
  readonly startMs: number;
  readonly period: Period;
}

export interface Period {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  /** Hours, minutes and seconds together. */
  readonly elapsedMs: number;
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const PERIOD =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/** Cron expressions never start with `R`, so the first character tells the formats apart. */
export const looksLikeInterval = (text: string): boolean => text.trim().startsWith('R');

/** Parses `R[n]/start/period`; throws INVALID_CALL naming the part that is wrong. */
export function parseInterval(text: string, timeZone: string): RepeatingInterval {
  checkTimeZone(timeZone);
  const parts = text.trim().split('/');
  if (parts.length !== 3) throw invalidCall(`interval '${text}' must be R[n]/<start>/<period>`);
  const [repeat = '', start = '', period = ''] = parts;
  const count = /^R(-1|\d*)$/.exec(repeat);
  if (count === null) throw invalidCall(`interval '${text}': '${repeat}' must be R, R-1 or R<n>`);
  const repetitions = count[1] === '' || count[1] === '-1' ? undefined : Number(count[1]);
  return { repetitions, startMs: parseStart(start, timeZone, text), period: parsePeriod(period, text) };
}

function parseStart(start: string, timeZone: string, text: string): number {
  const m = DATE_TIME.exec(start);
  if (m === null)
    throw invalidCall(`interval '${text}': '${start}' is not an ISO 8601 date-time (2026-01-01T00:00:00Z)`);
  const [, y, mo, d, h, mi, s = '0', frac = '0', zone] = m;
  const wall: WallTime = {
    year: Number(y),
    month: Number(mo),
    day: Number(d),
    hour: Number(h),
    minute: Number(mi),
    second: Number(s),
  };
  const ms = Number(frac.padEnd(3, '0'));
  if (
    wall.month < 1 ||
    wall.month > 12 ||
    wall.day < 1 ||
    wall.day > 31 ||
    wall.hour > 23 ||
    wall.minute > 59 ||
    wall.second > 59
  ) {
    throw invalidCall(`interval '${text}': '${start}' is not a valid date-time`);
  }
  if (zone === undefined) return instantOf(wall, timeZone).instantMs + ms;
  const utc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second) + ms;
  if (zone === 'Z') return utc;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return utc - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
}

function parsePeriod(period: string, text: string): Period {
  const m = PERIOD.exec(period);
  if (m === null || period === 'P' || period.endsWith('T')) {
    throw invalidCall(`interval '${text}': '${period}' is not an ISO 8601 duration (PT1H, P1D, PT30S)`);
  }
  const n = (i: number): number => Number(m[i] ?? '0');
  const result: Period = {
    years: n(1),
    months: n(2),
    days: n(3) * 7 + n(4),
    elapsedMs: Math.round(((n(5) * 60 + n(6)) * 60 + n(7)) * 1000),
  };
  if (result.years + result.months + result.days === 0 && result.elapsedMs <= 0) {
    throw invalidCall(`interval '${text}': the period must be longer than zero`);
  }
  return result;
}

const calendar = (p: Period): boolean => p.years + p.months + p.days > 0;

/** The k-th run (from 0). */
function occurrence(interval: RepeatingInterval, k: number, timeZone: string): number {
  const { period, startMs } = interval;
  if (!calendar(period)) return startMs + k * period.elapsedMs;
  const startWall = wallTimeAt(startMs, timeZone);
  const wall = addToWall(startWall, {
    years: k * period.years,
    months: k * period.months,
    days: k * period.days,
  });
  const subSecond = startMs - Math.floor(startMs / 1000) * 1000;
  return instantOf(wall, timeZone).instantMs + subSecond + k * period.elapsedMs;
}

/** A period's approximate length, only to guess where to start looking. */
const approxMs = (p: Period): number =>
  (p.years * 365.2425 + p.months * 30.436875 + p.days) * 86_400_000 + p.elapsedMs;

/** The first run strictly after `afterMs`, or `undefined` when every run is over. */
export function nextIntervalTime(
  interval: RepeatingInterval,
  afterMs: number,
  timeZone: string,
): number | undefined {
  const limit = interval.repetitions ?? Infinity;
  // Start two periods early: the approximation may overshoot by a little (month lengths, DST).
  let k = Math.max(0, Math.floor((afterMs - interval.startMs) / approxMs(interval.period)) - 2);
  for (; k < limit; k++) {
    const t = occurrence(interval, k, timeZone);
    if (t > afterMs) return t;
  }
  return undefined;
}
