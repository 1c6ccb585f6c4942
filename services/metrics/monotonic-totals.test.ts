import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MonotonicTotals } from './monotonic-totals.js';

const web = { role: 'web' };
const reading = (value: number) => ({ group: web, value });
const totalOf = (totals: readonly { value: number }[]): number | undefined => totals[0]?.value;

describe('MonotonicTotals', () => {
  it('sums the readings of live items by group', () => {
    const totals = new MonotonicTotals<typeof web>();
    const round = new Map([
      ['c1', reading(3)],
      ['c2', reading(4)],
    ]);
    assert.equal(totalOf(totals.update(round, new Set(['c1', 'c2']))), 7);
  });

  it('keeps what an ended item used, so the total never drops', () => {
    const totals = new MonotonicTotals<typeof web>();
    totals.update(new Map([['c1', reading(10)]]), new Set(['c1']));
    // c1 ended with 10 s banked; c2 started: 10 + 2 = 12.
    assert.equal(totalOf(totals.update(new Map([['c2', reading(2)]]), new Set(['c2']))), 12);
  });

  it('keeps the previous reading of a live item whose reading failed this time', () => {
    const totals = new MonotonicTotals<typeof web>();
    totals.update(new Map([['c1', reading(5)]]), new Set(['c1']));
    assert.equal(totalOf(totals.update(new Map(), new Set(['c1']))), 5);
    // It comes back with 6: counted once, not banked and counted again.
    assert.equal(totalOf(totals.update(new Map([['c1', reading(6)]]), new Set(['c1']))), 6);
  });

  it('banks the old reading when an id comes back lower (a new item reusing it)', () => {
    const totals = new MonotonicTotals<typeof web>();
    totals.update(new Map([['c1', reading(8)]]), new Set(['c1']));
    assert.equal(totalOf(totals.update(new Map([['c1', reading(1)]]), new Set(['c1']))), 9);
  });
});
