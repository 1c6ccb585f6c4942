/**
 * A job's schedule: a cron expression or an ISO 8601 repeating interval, in an IANA time zone.
 * `next` is pure; parse once and ask it as often as needed.
 */
import { nextCronTime, parseCron } from './cron.js';
import { looksLikeInterval, nextIntervalTime, parseInterval } from './iso-interval.js';
import { checkTimeZone } from './zoned-time.js';

export interface Schedule {
  readonly expression: string;
  readonly timeZone: string;
  /** The first run strictly after `afterMs`; `undefined` when the schedule has no more runs. */
  next(afterMs: number): number | undefined;
}

/** Parses `expression` (cron or `R[n]/start/period`); throws INVALID_CALL naming the problem. */
export function parseSchedule(expression: string, timeZone: string): Schedule {
  checkTimeZone(timeZone);
  if (looksLikeInterval(expression)) {
    const interval = parseInterval(expression, timeZone);
    return { expression, timeZone, next: (afterMs) => nextIntervalTime(interval, afterMs, timeZone) };
  }
  const cron = parseCron(expression);
  return { expression, timeZone, next: (afterMs) => nextCronTime(cron, afterMs, timeZone) };
}
