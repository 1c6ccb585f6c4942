import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelayMs } from './backoff.js';

describe('backoffDelayMs', () => {
  const policy = { initialMs: 100, maxMs: 1000 };

  it('doubles per attempt up to the cap, jittered within the upper half', () => {
    const cases = [
      // nominal 100 * 2^0 = 100 → [50, 100)
      { attempt: 0, random: 0, want: 50 },
      { attempt: 0, random: 0.5, want: 75 },
      // nominal 100 * 2^3 = 800 → [400, 800)
      { attempt: 3, random: 0, want: 400 },
      // nominal min(1000, 1600) = 1000 → [500, 1000)
      { attempt: 4, random: 0.999, want: 999.5 },
      // 2^2000 is Infinity; the cap still applies.
      { attempt: 2000, random: 0, want: 500 },
    ];
    for (const { attempt, random, want } of cases) {
      assert.equal(
        backoffDelayMs(attempt, policy, () => random),
        want,
        `attempt ${attempt}, random ${random}`,
      );
    }
  });
});
