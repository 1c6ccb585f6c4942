import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CheckResult, type CheckState, INITIAL_CHECK_STATE, recordResult } from './health-state.js';

const policy = { gracePeriodSeconds: 10, maxConsecutiveFailures: 3 };
const fail: CheckResult = { ok: false, message: 'HTTP 500' };
const pass: CheckResult = { ok: true, message: 'HTTP 200' };

/** Feeds results at the given seconds after the task started (at 0). */
function run(results: [number, CheckResult][]): { state: CheckState; killedAt: number | undefined } {
  let state = INITIAL_CHECK_STATE;
  let killedAt: number | undefined;
  for (const [seconds, result] of results) {
    const outcome = recordResult(state, result, policy, { startedAtMs: 0, nowMs: seconds * 1000 });
    state = outcome.state;
    if (outcome.kill && killedAt === undefined) killedAt = seconds;
  }
  return { state, killedAt };
}

describe('recordResult', () => {
  it('ignores failures in the grace period before the first pass', () => {
    const { state, killedAt } = run([
      [1, fail],
      [4, fail],
      [7, fail],
    ]);
    assert.equal(state.healthy, undefined);
    assert.equal(state.consecutiveFailures, 0);
    assert.equal(killedAt, undefined);
  });

  it('counts failures after the grace period and kills at the limit', () => {
    const { state, killedAt } = run([
      [1, fail],
      [11, fail],
      [14, fail],
      [17, fail],
    ]);
    assert.equal(state.healthy, false);
    assert.equal(killedAt, 17);
  });

  it('counts failures inside the grace period once the check has passed', () => {
    const { killedAt } = run([
      [1, pass],
      [2, fail],
      [3, fail],
      [4, fail],
    ]);
    assert.equal(killedAt, 4);
  });

  it('a pass resets the count', () => {
    const { state, killedAt } = run([
      [11, fail],
      [12, fail],
      [13, pass],
      [14, fail],
      [15, fail],
    ]);
    assert.equal(killedAt, undefined);
    assert.equal(state.consecutiveFailures, 2);
  });
});
