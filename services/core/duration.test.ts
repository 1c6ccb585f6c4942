import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDurationMs } from './duration.js';

describe('durations', () => {
  for (const [text, ms] of [
    ['500ms', 500],
    ['10secs', 10_000],
    ['2mins', 120_000],
    ['1hrs', 3_600_000],
    ['1weeks', 604_800_000],
    ['15', 15_000],
    ['0.5', 500],
    ['250000us', 250],
  ] as const) {
    it(`parses '${text}' as ${ms} ms`, () => assert.equal(parseDurationMs(text), ms));
  }

  it('rejects nonsense with a message naming the input', () => {
    assert.throws(() => parseDurationMs('ten seconds'), /'ten seconds' is not a duration/);
    assert.throws(() => parseDurationMs('5parsecs'), /not a duration/);
    assert.throws(() => parseDurationMs('-1secs'), /not a duration/);
  });

  it('formats the way Mesos prints flags', () => {
    assert.equal(formatDuration(15_000), '15secs');
    assert.equal(formatDuration(120_000), '2mins');
    assert.equal(formatDuration(1500), '1500ms');
  });
});
