import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EligibilityLog } from './eligibility-log.js';

describe('EligibilityLog', () => {
  it('returns what was appended since a position', () => {
    const log = new EligibilityLog<string>();
    const idleAt = log.position; // 0
    log.append('a');
    log.append('b');
    assert.deepEqual(log.since(idleAt), ['a', 'b']);
    assert.deepEqual(log.since(1), ['b']);
    assert.deepEqual(log.since(log.position), []);
  });

  it('forgets the oldest entries beyond its capacity, and says so', () => {
    // Capacity 2: at 4 entries it keeps the newest 2 (positions 2 and 3).
    const log = new EligibilityLog<number>(2);
    for (let i = 0; i < 4; i++) log.append(i);
    assert.equal(log.position, 4);
    assert.equal(log.since(1), undefined);
    assert.deepEqual(log.since(2), [2, 3]);
  });
});
