import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Resources } from '../core/resources.js';
import { AgentOfferFilters } from './offer-filters.js';

const r = (text: string): Resources => Resources.parse(text);
const SLOT = 3;

describe('AgentOfferFilters', () => {
  // One filter refusing cpus:4;mem:4096 until 1000 ms.
  for (const { name, candidate, nowMs, refused } of [
    { name: 'the same resources', candidate: 'cpus:4;mem:4096', nowMs: 0, refused: true },
    { name: 'a subset', candidate: 'cpus:1;mem:4096', nowMs: 999, refused: true },
    { name: 'more cpus than refused', candidate: 'cpus:5;mem:4096', nowMs: 0, refused: false },
    { name: 'a name never refused', candidate: 'cpus:1;disk:10', nowMs: 0, refused: false },
    { name: 'anything once expired', candidate: 'cpus:1', nowMs: 1000, refused: false },
  ]) {
    it(`${refused ? 'refuses' : 'lets through'} ${name}`, () => {
      const filters = new AgentOfferFilters();
      filters.install(SLOT, r('cpus:4;mem:4096'), 1000);
      assert.equal(filters.refusedUntilMs(SLOT, r(candidate), nowMs), refused ? 1000 : undefined);
      assert.equal(
        filters.refusedUntilMs(SLOT + 1, r(candidate), nowMs),
        undefined,
        'other slots are unaffected',
      );
    });
  }

  it('drops an expired filter when it meets it', () => {
    const filters = new AgentOfferFilters();
    filters.install(SLOT, r('cpus:1'), 10);
    assert.equal(filters.size, 1);
    filters.refusedUntilMs(SLOT, r('cpus:1'), 10);
    assert.equal(filters.size, 0);
  });

  it('keeps the filter that refuses more for longer, and replaces it otherwise', () => {
    const filters = new AgentOfferFilters();
    filters.install(SLOT, r('cpus:4'), 2000);
    filters.install(SLOT, r('cpus:2'), 1000); // less, shorter: kept the first
    assert.equal(filters.refusedUntilMs(SLOT, r('cpus:4'), 1500), 2000);
    filters.install(SLOT, r('cpus:2'), 3000); // longer: replaces
    assert.equal(filters.refusedUntilMs(SLOT, r('cpus:4'), 1500), undefined);
    assert.equal(filters.refusedUntilMs(SLOT, r('cpus:2'), 2500), 3000);
    assert.equal(filters.size, 1);
  });

  it('clears one slot without touching others, even when they share a refused set', () => {
    const filters = new AgentOfferFilters();
    const declined = r('cpus:8');
    for (let slot = 0; slot < 100; slot++) filters.install(slot, declined, 5000);
    filters.clear(7);
    assert.equal(filters.size, 99);
    assert.equal(filters.refusedUntilMs(7, declined, 0), undefined);
    assert.equal(filters.refusedUntilMs(8, declined, 0), 5000);
  });

  it('handles more distinct refusals than a 16-bit table holds', () => {
    // 70,000 slots, each refusing at a different time, need record indices above 65,535.
    const filters = new AgentOfferFilters();
    const declined = r('cpus:1');
    for (let slot = 0; slot < 70_000; slot++) filters.install(slot, declined, 1000 + slot);
    assert.equal(filters.refusedUntilMs(69_999, declined, 0), 70_999);
    assert.equal(filters.refusedUntilMs(0, declined, 0), 1000);
  });
});
