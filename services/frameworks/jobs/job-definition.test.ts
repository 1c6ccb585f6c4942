import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MesoError } from '../../core/errors.js';
import { parseJobDefinition } from './job-definition.js';

const invalid = (raw: unknown): string => {
  try {
    parseJobDefinition(raw);
  } catch (err) {
    assert.ok(err instanceof MesoError && err.code === 'INVALID_CALL');
    return err.message;
  }
  assert.fail('the definition was accepted');
};

describe('parseJobDefinition', () => {
  it('fills in defaults', () => {
    const spec = parseJobDefinition({
      name: 'backup',
      cmd: './backup.sh',
      schedule: '0 3 * * *',
      timeZone: 'Europe/Paris',
    });
    assert.deepEqual([spec.retries, spec.concurrencyPolicy, spec.parents, spec.cpus], [0, 'forbid', [], 0.1]);
  });

  const cases: [string, unknown, RegExp][] = [
    ['a bad name', { name: 'Backup!', cmd: 'x' }, /^Failed to validate job definition: name: /],
    ['a bad cron', { name: 'b', cmd: 'x', schedule: '61 * * * *' }, /schedule: cron minute field '61'/],
    [
      'a bad interval',
      { name: 'b', cmd: 'x', schedule: 'R/soon/PT1H' },
      /schedule: interval 'R\/soon\/PT1H'/,
    ],
    [
      'an unknown time zone',
      { name: 'b', cmd: 'x', schedule: '@daily', timeZone: 'Nowhere/Land' },
      /timeZone: unknown time zone/,
    ],
    [
      'schedule and parents',
      { name: 'b', cmd: 'x', schedule: '@daily', parents: ['a'] },
      /parents: a job runs on a schedule or after parents/,
    ],
    [
      'itself as a parent',
      { name: 'b', cmd: 'x', parents: ['b'] },
      /parents: a job cannot be its own parent/,
    ],
    ['negative retries', { name: 'b', cmd: 'x', retries: -1 }, /retries: /],
    ['an unknown policy', { name: 'b', cmd: 'x', concurrencyPolicy: 'queue' }, /concurrencyPolicy: /],
    ['no command', { name: 'b' }, /cmd: either cmd or image is required/],
  ];
  for (const [name, raw, message] of cases) {
    it(`names the field for ${name}`, () => assert.match(invalid(raw), message));
  }
});
