import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DrfSorter, ShareBasis } from './drf-sorter.js';

/** Milli-unit quantities from a plain object, e.g. `q({ cpus: 2000 })` is 2 cpus. */
const q = (values: Record<string, number>): Map<string, number> => new Map(Object.entries(values));

function sorterWith(totals: Record<string, number>, excluded: string[] = []) {
  const basis = new ShareBasis(excluded);
  basis.add(q(totals));
  return { basis, sorter: new DrfSorter<string>(basis) };
}

const ids = (sorter: DrfSorter<string>): string[] => sorter.orderedIds();

describe('DrfSorter order', () => {
  // Totals: 10 cpus (10000 milli), 100 GB (100000 milli-MB).
  for (const { name, allocations, weights = {}, want } of [
    {
      name: 'smaller dominant share first',
      // a: max(2/10, 40/100) = 0.40; b: max(3/10, 10/100) = 0.30
      allocations: { a: { cpus: 2000, mem: 40000 }, b: { cpus: 3000, mem: 10000 } },
      want: ['b', 'a'],
    },
    {
      name: 'equal shares fall back to allocation count, then id',
      // a: 2/10 = 0.2 in two halves (2 allocations); b: 20/100 = 0.2 in one; c: 2/10 = 0.2 in one
      // → b and c (1 allocation) before a (2); b < c by id.
      allocations: { a: [{ cpus: 1000 }, { cpus: 1000 }], b: { mem: 20000 }, c: { cpus: 2000 } },
      want: ['b', 'c', 'a'],
    },
    {
      name: 'weights divide shares',
      // a: 0.4 / 2 = 0.2 < b: 0.3 / 1
      allocations: { a: { cpus: 4000 }, b: { cpus: 3000 } },
      weights: { a: 2 },
      want: ['a', 'b'],
    },
  ]) {
    it(name, () => {
      const { sorter } = sorterWith({ cpus: 10000, mem: 100000 });
      for (const [id, pieces] of Object.entries(allocations)) {
        sorter.add(id, id, true, (weights as Record<string, number>)[id] ?? 1);
        for (const piece of [pieces].flat()) sorter.allocated(id, q(piece));
      }
      assert.deepEqual(ids(sorter), want);
    });
  }

  it('ignores excluded names when computing shares', () => {
    // gpus excluded: a = max(1/10 cpus) = 0.1 although it holds 4 of 4 gpus; b = 2/10 = 0.2.
    const { sorter } = sorterWith({ cpus: 10000, gpus: 4000 }, ['gpus']);
    sorter.add('a', 'a', true);
    sorter.add('b', 'b', true);
    sorter.allocated('a', q({ cpus: 1000, gpus: 4000 }));
    sorter.allocated('b', q({ cpus: 2000 }));
    assert.deepEqual(ids(sorter), ['a', 'b']);
    assert.equal(sorter.share('a'), 0.1);
  });

  it('keeps inactive clients out of the order but keeps their share', () => {
    const { sorter } = sorterWith({ cpus: 10000 });
    sorter.add('a', 'a', true);
    sorter.add('b', 'b', false);
    sorter.allocated('b', q({ cpus: 5000 }));
    assert.deepEqual(ids(sorter), ['a']);
    assert.equal(sorter.share('b'), 0.5); // 5 / 10
    sorter.setActive('b', true);
    assert.deepEqual(ids(sorter), ['a', 'b']);
  });

  it('repositions one client on each change', () => {
    // a: 1/10, b: 2/10, c: 3/10. Then a gets 3 more cpus → 4/10, last.
    // Then c gives 2.5 back → 0.5/10, first.
    const { sorter } = sorterWith({ cpus: 10000 });
    for (const [id, cpus] of [
      ['a', 1000],
      ['b', 2000],
      ['c', 3000],
    ] as const) {
      sorter.add(id, id, true);
      sorter.allocated(id, q({ cpus }));
    }
    assert.deepEqual(ids(sorter), ['a', 'b', 'c']);
    sorter.allocated('a', q({ cpus: 3000 }));
    assert.deepEqual(ids(sorter), ['b', 'c', 'a']);
    sorter.unallocated('c', q({ cpus: 2500 }));
    assert.deepEqual(ids(sorter), ['c', 'b', 'a']);
  });

  it('re-sorts when the cluster totals change what dominates', () => {
    // Totals 10 cpus / 10 GB: a = max(4/10, 1/10) = 0.4; b = max(1/10, 3/10) = 0.3 → [b, a].
    // Add 30 cpus (40 in all): a = max(4/40, 1/10) = 0.1; b = max(1/40, 3/10) = 0.3 → [a, b].
    const { basis, sorter } = sorterWith({ cpus: 10000, mem: 10000 });
    sorter.add('a', 'a', true);
    sorter.add('b', 'b', true);
    sorter.allocated('a', q({ cpus: 4000, mem: 1000 }));
    sorter.allocated('b', q({ cpus: 1000, mem: 3000 }));
    assert.deepEqual(ids(sorter), ['b', 'a']);
    basis.add(q({ cpus: 30000 }));
    assert.deepEqual(ids(sorter), ['a', 'b']);
    assert.equal(sorter.share('a'), 0.1);
  });

  it('hands out snapshots that later changes leave alone', () => {
    const { sorter } = sorterWith({ cpus: 10000 });
    sorter.add('a', 'a', true);
    sorter.add('b', 'b', true);
    const before = sorter.orderSnapshot();
    sorter.allocated('a', q({ cpus: 1000 }));
    assert.deepEqual(before, ['a', 'b']);
    assert.deepEqual(sorter.orderSnapshot(), ['b', 'a']);
  });
});
