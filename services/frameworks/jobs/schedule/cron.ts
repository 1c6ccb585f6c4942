/**
 * Cron expressions, evaluated in a time zone. Pure.
 *
 * Five fields (`minute hour day-of-month month day-of-week`) as in crontab(5), or six with a
 * leading `second` field. Each field is `*`, a value, a range `a-b`, a step `*\/n`, `a/n` or
 * `a-b/n`, or a comma-separated list of those; months and days of the week also take names
 * (`JAN`, `MON`); day of week 0 and 7 are Sunday; `?` means `*` in the day fields. Macros:
 * `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`), `@hourly`.
 *
 * As in Vixie cron, when both day fields are restricted (neither starts with `*` or is `?`), a day
 * matches if *either* matches. Times skipped or repeated by DST follow `zoned-time.ts`: a run
 * planned in the skipped hour happens right after it, one in the repeated hour happens once.
 */
import { invalidCall } from '../../../core/errors.js';
import { instantOf, offsetMs, wallAsUtc, wallTimeAt } from './zoned-time.js';

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: 'day of month', min: 1, max: 31 };
const MONTH: FieldSpec = {
  name: 'month',
  min: 1,
  max: 12,
  names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'],
};
const DAY_OF_WEEK: FieldSpec = {
  name: 'day of week',
  min: 0,
  max: 7,
  names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'],
};

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

export interface CronExpression {
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0-6, Sunday = 0. */
  readonly daysOfWeek: ReadonlySet<number>;
  readonly domRestricted: boolean;
  readonly dowRestricted: boolean;
}

/** Parses an expression; throws INVALID_CALL naming the field and the problem. */
export function parseCron(text: string): CronExpression {
  const trimmed = text.trim();
  const expanded = MACROS[trimmed.toLowerCase()] ?? trimmed;
  const fields = expanded.split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    throw invalidCall(
      `cron expression '${text}' has ${fields.length} fields; expected 5 (or 6 with seconds)`,
    );
  }
  const [sec, min, hour, dom, mon, dow] = fields.length === 6 ? fields : ['0', ...fields];
  const isStar = (f: string): boolean => f.startsWith('*') || f === '?';
  const daysOfWeek = new Set([...parseField(dow ?? '', DAY_OF_WEEK)].map((d) => d % 7));
  return {
    seconds: [...parseField(sec ?? '', SECOND)],
    minutes: [...parseField(min ?? '', MINUTE)],
    hours: [...parseField(hour ?? '', HOUR)],
    daysOfMonth: parseField(dom ?? '', DAY_OF_MONTH),
    months: parseField(mon ?? '', MONTH),
    daysOfWeek,
    domRestricted: !isStar(dom ?? ''),
    dowRestricted: !isStar(dow ?? ''),
  };
}

/** The sorted values a field allows. */
function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  const fail = (problem: string): never => {
    throw invalidCall(`cron ${spec.name} field '${text}': ${problem}`);
  };
  for (const item of text.split(',')) {
    const match = /^(\*|\?|[A-Za-z0-9]+)(?:-([A-Za-z0-9]+))?(?:\/(\d+))?$/.exec(item);
    if (match === null) return fail(`'${item}' is not a value, range or step`);
    const [, first = '', last, stepText] = match;
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1) fail('a step must be at least 1');
    const wildcard = first === '*' || first === '?';
    if (first === '?' && spec !== DAY_OF_MONTH && spec !== DAY_OF_WEEK)
      fail("'?' is only allowed in day fields");
    if (wildcard && last !== undefined) fail(`'${item}' is not a range`);
    const from = wildcard ? spec.min : valueOf(first, spec, fail);
    // `a/n` runs from a to the field's maximum, as in Vixie cron.
    const to =
      wildcard || (last === undefined && stepText !== undefined)
        ? spec.max
        : last === undefined
          ? from
          : valueOf(last, spec, fail);
    if (to < from) fail(`the range ${from}-${to} is empty`);
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return new Set([...values].sort((a, b) => a - b));
}

function valueOf(text: string, spec: FieldSpec, fail: (problem: string) => never): number {
  const named = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  const value =
    named >= 0
      ? named + spec.min
      : /^\d+$/.test(text)
        ? Number(text)
        : fail(`'${text}' is not a number or name`);
  if (value < spec.min || value > spec.max) fail(`${value} is outside ${spec.min}-${spec.max}`);
  return value;
}

/** How far into the future `nextCronTime` looks before deciding an expression never matches (Feb 30). */
const SEARCH_DAYS = 366 * 8;
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Wall times this far before `after`'s own cannot map after it, whatever the DST shift. */
const SKIP_MARGIN_MS = 3 * HOUR_MS;

/** The first instant strictly after `afterMs` that `cron` matches in `timeZone`, if any within eight years. */
export function nextCronTime(cron: CronExpression, afterMs: number, timeZone: string): number | undefined {
  const start = wallTimeAt(afterMs, timeZone);
  // Without an offset change near `after`, wall times before its own map before it: skip them
  // unexamined (a seconds schedule would otherwise resolve hours of candidates).
  const offset = offsetMs(afterMs, timeZone);
  const steady =
    offsetMs(afterMs - DAY_MS, timeZone) === offset && offsetMs(afterMs + DAY_MS, timeZone) === offset;
  const skipBelow = wallAsUtc(start) - (steady ? 0 : SKIP_MARGIN_MS);
  for (let dayIndex = 0; dayIndex <= SEARCH_DAYS; dayIndex++) {
    const date = new Date(Date.UTC(start.year, start.month - 1, start.day + dayIndex));
    const year = date.getUTCFullYear();
    const month = date.getUTCMonth() + 1;
    const day = date.getUTCDate();
    if (!cron.months.has(month) || !dayMatches(cron, day, date.getUTCDay())) continue;
    let best: number | undefined;
    for (const hour of cron.hours) {
      if (Date.UTC(year, month - 1, day, hour, 59, 59) < skipBelow) continue;
      for (const minute of cron.minutes) {
        if (Date.UTC(year, month - 1, day, hour, minute, 59) < skipBelow) continue;
        for (const second of cron.seconds) {
          if (Date.UTC(year, month - 1, day, hour, minute, second) < skipBelow) continue;
          const { instantMs, exact } = instantOf({ year, month, day, hour, minute, second }, timeZone);
          if (instantMs <= afterMs) continue;
          best = best === undefined ? instantMs : Math.min(best, instantMs);
          // Existing wall times map to increasing instants: nothing later in the day can beat this.
          if (exact) return best;
        }
      }
    }
    if (best !== undefined) return best;
  }
  return undefined;
}

function dayMatches(cron: CronExpression, dayOfMonth: number, dayOfWeek: number): boolean {
  const dom = cron.daysOfMonth.has(dayOfMonth);
  const dow = cron.daysOfWeek.has(dayOfWeek);
  if (cron.domRestricted && cron.dowRestricted) return dom || dow;
  if (cron.domRestricted) return dom;
  if (cron.dowRestricted) return dow;
  return true;
}
