import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Resource } from '../core/v1/common.js';
import { fitTask, type OfferResources } from './offer-matching.js';

const ROLE = { role: 'web' };

const scalar = (name: string, value: number, role = '*'): Resource => ({
  name,
  type: 'SCALAR',
  scalar: { value },
  role,
  allocation_info: ROLE,
});

const ports = (...ranges: [number, number][]): Resource => ({
  name: 'ports',
  type: 'RANGES',
  ranges: { range: ranges.map(([begin, end]) => ({ begin, end })) },
  role: '*',
  allocation_info: ROLE,
});

const offer = (...resources: Resource[]): OfferResources => ({ resources, allocation_info: ROLE });

/** Sums a scalar across resources, in milli-units to dodge float noise. */
const total = (resources: readonly Resource[], name: string): number =>
  resources
    .filter((r) => r.name === name)
    .reduce((sum, r) => sum + Math.round((r.scalar?.value ?? 0) * 1000), 0) / 1000;

describe('fitTask', () => {
  it('takes exactly the needed scalars and reports what is left', () => {
    // cpus 2 - 0.5 = 1.5 left; mem 1024 - 128 = 896 left; disk untouched.
    const fit = fitTask(offer(scalar('cpus', 2), scalar('mem', 1024), scalar('disk', 100)), {
      cpus: 0.5,
      memMiB: 128,
    });
    assert.ok(fit.fits);
    assert.deepEqual(fit.resources, [scalar('cpus', 0.5), scalar('mem', 128)]);
    assert.deepEqual(fit.remaining, [scalar('cpus', 1.5), scalar('mem', 896), scalar('disk', 100)]);
    assert.deepEqual(fit.ports, []);
  });

  it('keeps three decimals exact across repeated packing', () => {
    // 1 cpu split into ten 0.1-cpu tasks must fit exactly ten times (no 0.0999... crumbs).
    let left = offer(scalar('cpus', 1), scalar('mem', 1000));
    let placed = 0;
    for (;;) {
      const fit = fitTask(left, { cpus: 0.1, memMiB: 10 });
      if (!fit.fits) break;
      placed++;
      left = { ...left, resources: fit.remaining };
    }
    assert.equal(placed, 10);
    assert.equal(total(left.resources, 'cpus'), 0);
    assert.equal(total(left.resources, 'mem'), 900);
  });

  it('explains the first shortfall', () => {
    const cases = [
      { needs: { cpus: 4, memMiB: 1 }, reason: 'not enough cpus: 4 needed, 2 offered' },
      { needs: { cpus: 1, memMiB: 2048 }, reason: 'not enough mem: 2048 needed, 1024 offered' },
      { needs: { cpus: 1, memMiB: 1, diskMiB: 1 }, reason: 'not enough disk: 1 needed, 0 offered' },
      { needs: { cpus: 1, memMiB: 1, gpus: 1 }, reason: 'not enough gpus: 1 needed, 0 offered' },
      // [31000-31001] has two ports.
      { needs: { cpus: 1, memMiB: 1, ports: 3 }, reason: 'not enough ports: 3 needed, 2 offered' },
    ];
    for (const { needs, reason } of cases) {
      const fit = fitTask(offer(scalar('cpus', 2), scalar('mem', 1024), ports([31000, 31001])), needs);
      assert.deepEqual(fit, { fits: false, reason }, JSON.stringify(needs));
    }
  });

  it('picks the lowest ports across ranges and resources', () => {
    // Ranges [31005-31006] and [31000-31000] (unsorted on purpose), then [32000-32010]:
    // the 4 lowest of the first resource are 31000, 31005, 31006; the last comes from the second.
    const fit = fitTask(
      offer(
        scalar('cpus', 1),
        scalar('mem', 64),
        ports([31005, 31006], [31000, 31000]),
        ports([32000, 32010]),
      ),
      { cpus: 1, memMiB: 64, ports: 4 },
    );
    assert.ok(fit.fits);
    assert.deepEqual(fit.ports, [31000, 31005, 31006, 32000]);
    assert.deepEqual(
      fit.resources.filter((r) => r.name === 'ports'),
      [ports([31000, 31000], [31005, 31006]), ports([32000, 32000])],
    );
    // cpus and mem are used up and vanish; the first ports resource is empty; 32001-32010 remain.
    assert.deepEqual(fit.remaining, [ports([32001, 32010])]);
  });

  it('uses reserved resources before unreserved ones', () => {
    // 1.5 cpus needed: all 1 reserved cpu for `web`, then 0.5 of the unreserved 4.
    const reservedCpus: Resource = {
      ...scalar('cpus', 1),
      role: undefined,
      reservations: [{ type: 'STATIC', role: 'web' }],
    };
    const fit = fitTask(offer(scalar('cpus', 4), reservedCpus, scalar('mem', 64)), { cpus: 1.5, memMiB: 64 });
    assert.ok(fit.fits);
    assert.deepEqual(fit.resources, [reservedCpus, scalar('cpus', 0.5), scalar('mem', 64)]);
    assert.deepEqual(fit.remaining, [scalar('cpus', 3.5)]);
  });

  it('never uses revocable resources', () => {
    const revocable: Resource = { ...scalar('cpus', 8), revocable: {} };
    const fit = fitTask(offer(revocable, scalar('mem', 64)), { cpus: 1, memMiB: 64 });
    assert.deepEqual(fit, { fits: false, reason: 'not enough cpus: 1 needed, 0 offered' });
  });

  it("tags resources lacking allocation_info with the offer's", () => {
    const untagged: Resource = { name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, role: '*' };
    const fit = fitTask(
      { resources: [untagged, scalar('mem', 32)], allocation_info: { role: 'batch' } },
      {
        cpus: 1,
        memMiB: 0,
      },
    );
    assert.ok(fit.fits);
    assert.deepEqual(fit.resources, [{ ...untagged, allocation_info: { role: 'batch' } }]);
  });
});
