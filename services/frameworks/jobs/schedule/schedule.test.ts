import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MesoError } from '../../../core/errors.js';
import { parseSchedule } from './schedule.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

/** The first `count` runs after `from`. */
function runs(expression: string, timeZone: string, from: string, count: number): (string | undefined)[] {
  const schedule = parseSchedule(expression, timeZone);
  const out: (string | undefined)[] = [];
  let t: number | undefined = at(from);
  for (let i = 0; i < count && t !== undefined; i++) {
    t = schedule.next(t);
    out.push(iso(t));
  }
  return out;
}

describe('cron schedules', () => {
  const cases: [string, string, string, string, (string | undefined)[]][] = [
    [
      'every 15 minutes',
      '*/15 * * * *',
      'UTC',
      '2026-01-01T00:07:00Z',
      ['2026-01-01T00:15:00.000Z', '2026-01-01T00:30:00.000Z'],
    ],
    [
      'strictly after an exact match',
      '0 * * * *',
      'UTC',
      '2026-01-01T05:00:00Z',
      ['2026-01-01T06:00:00.000Z'],
    ],
    [
      'with a seconds field',
      '*/2 * * * * *',
      'UTC',
      '2026-01-01T00:00:01.500Z',
      ['2026-01-01T00:00:02.000Z', '2026-01-01T00:00:04.000Z'],
    ],
    [
      'names and ranges',
      '30 9 * JAN-MAR MON-FRI',
      'UTC',
      '2026-01-02T10:00:00Z',
      ['2026-01-05T09:30:00.000Z', '2026-01-06T09:30:00.000Z'],
    ],
    // Both day fields restricted: the 13th OR any Friday (Vixie semantics).
    [
      'day of month OR day of week',
      '0 0 13 * 5',
      'UTC',
      '2026-02-01T00:00:00Z',
      ['2026-02-06T00:00:00.000Z', '2026-02-13T00:00:00.000Z', '2026-02-20T00:00:00.000Z'],
    ],
    ['Sunday as 7', '0 12 * * 7', 'UTC', '2026-01-01T00:00:00Z', ['2026-01-04T12:00:00.000Z']],
    ['a macro', '@daily', 'UTC', '2026-01-01T12:00:00Z', ['2026-01-02T00:00:00.000Z']],
    [
      'in a time zone (UTC+1 in winter)',
      '0 9 * * *',
      'Europe/Paris',
      '2026-01-10T00:00:00Z',
      ['2026-01-10T08:00:00.000Z'],
    ],
    // Spring forward in New York: 2026-03-08 02:00 EST → 03:00 EDT. 02:30 does not exist: it runs at 03:30 EDT.
    [
      'a time skipped by DST runs after the gap',
      '30 2 * * *',
      'America/New_York',
      '2026-03-07T12:00:00Z',
      ['2026-03-08T07:30:00.000Z', '2026-03-09T06:30:00.000Z'],
    ],
    // Fall back: 2026-11-01 01:30 happens twice (EDT then EST); it runs once, at the first.
    [
      'a repeated time runs once',
      '30 1 * * *',
      'America/New_York',
      '2026-10-31T12:00:00Z',
      ['2026-11-01T05:30:00.000Z', '2026-11-02T06:30:00.000Z'],
    ],
    // Hourly across the fall-back: 01:00 EDT (05:00Z), then 02:00 EST (07:00Z); 01:00 EST is the repeat.
    [
      'hourly across fall-back',
      '0 * * * *',
      'America/New_York',
      '2026-11-01T04:30:00Z',
      ['2026-11-01T05:00:00.000Z', '2026-11-01T07:00:00.000Z'],
    ],
    ['an impossible date never runs', '0 0 30 2 *', 'UTC', '2026-01-01T00:00:00Z', [undefined]],
    ['Feb 29 in a leap year', '0 0 29 2 *', 'UTC', '2026-01-01T00:00:00Z', ['2028-02-29T00:00:00.000Z']],
  ];
  for (const [name, expression, timeZone, from, expected] of cases) {
    it(name, () => assert.deepEqual(runs(expression, timeZone, from, expected.length), expected));
  }

  for (const [expression, message] of [
    ['* * * *', /has 4 fields/],
    ['61 * * * *', /minute field '61': 61 is outside 0-59/],
    ['* * * FOO *', /month field 'FOO'/],
    ['5-1 * * * *', /range 5-1 is empty/],
    ['*/0 * * * *', /step must be at least 1/],
    ['? * * * *', /only allowed in day fields/],
  ] as const) {
    it(`refuses '${expression}'`, () => {
      assert.throws(
        () => parseSchedule(expression, 'UTC'),
        (err: unknown) => err instanceof MesoError && message.test(err.message),
      );
    });
  }
});

describe('ISO 8601 repeating intervals', () => {
  const cases: [string, string, string, string, (string | undefined)[]][] = [
    [
      'hourly from a start',
      'R/2026-01-01T00:00:00Z/PT1H',
      'UTC',
      '2026-01-01T05:30:00Z',
      ['2026-01-01T06:00:00.000Z', '2026-01-01T07:00:00.000Z'],
    ],
    [
      'before the start: the start',
      'R/2026-06-01T00:00:00Z/PT1H',
      'UTC',
      '2026-01-01T00:00:00Z',
      ['2026-06-01T00:00:00.000Z'],
    ],
    [
      'every 2 seconds',
      'R/2026-01-01T00:00:00Z/PT2S',
      'UTC',
      '2026-01-01T00:00:03Z',
      ['2026-01-01T00:00:04.000Z'],
    ],
    [
      'a bounded count ends',
      'R3/2026-01-01T00:00:00Z/PT1H',
      'UTC',
      '2026-01-01T01:00:00Z',
      ['2026-01-01T02:00:00.000Z', undefined],
    ],
    ['R0 never runs', 'R0/2026-01-01T00:00:00Z/PT1H', 'UTC', '2025-01-01T00:00:00Z', [undefined]],
    [
      'an offset start',
      'R/2026-01-01T09:00:00+02:00/P1D',
      'UTC',
      '2026-01-01T00:00:00Z',
      ['2026-01-01T07:00:00.000Z'],
    ],
    // A local start; P1D keeps 09:00 Paris time across the spring change (UTC+1 → UTC+2 on 2026-03-29).
    [
      'P1D keeps the wall time across DST',
      'R/2026-03-28T09:00:00/P1D',
      'Europe/Paris',
      '2026-03-28T08:30:00Z',
      ['2026-03-29T07:00:00.000Z', '2026-03-30T07:00:00.000Z'],
    ],
    // PT24H is elapsed time: across the change it lands at 10:00 local.
    [
      'PT24H is elapsed time',
      'R/2026-03-28T09:00:00/PT24H',
      'Europe/Paris',
      '2026-03-28T08:30:00Z',
      ['2026-03-29T08:00:00.000Z'],
    ],
    [
      'P1M from the 31st clamps to month ends',
      'R/2026-01-31T00:00:00Z/P1M',
      'UTC',
      '2026-01-31T00:00:00Z',
      ['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z'],
    ],
    [
      'far in the future',
      'R/2020-01-01T00:00:00Z/PT1M',
      'UTC',
      '2026-07-01T00:00:30Z',
      ['2026-07-01T00:01:00.000Z'],
    ],
  ];
  for (const [name, expression, timeZone, from, expected] of cases) {
    it(name, () => assert.deepEqual(runs(expression, timeZone, from, expected.length), expected));
  }

  for (const [expression, message] of [
    ['R/2026-01-01T00:00:00Z', /must be R\[n\]\/<start>\/<period>/],
    ['RX/2026-01-01T00:00:00Z/PT1H', /'RX' must be R, R-1 or R<n>/],
    ['R/tomorrow/PT1H', /'tomorrow' is not an ISO 8601 date-time/],
    ['R/2026-01-01T00:00:00Z/1H', /'1H' is not an ISO 8601 duration/],
    ['R/2026-01-01T00:00:00Z/PT0S', /longer than zero/],
  ] as const) {
    it(`refuses '${expression}'`, () => {
      assert.throws(
        () => parseSchedule(expression, 'UTC'),
        (err: unknown) => err instanceof MesoError && message.test(err.message),
      );
    });
  }

  it('refuses an unknown time zone', () => {
    assert.throws(() => parseSchedule('@daily', 'Mars/Olympus'), /unknown time zone 'Mars\/Olympus'/);
  });
});
