import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Resources } from '../core/resources.js';
import {
  type AllocationStage,
  capUnreservedScalars,
  type QuotaRoleView,
  quotaToMilli,
  requiredHeadroomMilli,
  unreservedCapsMilli,
} from './quota-headroom.js';

const q = (values: Record<string, number>): Map<string, number> => new Map(Object.entries(values));

function role(
  quota: { guarantees?: Record<string, number>; limits?: Record<string, number> } | undefined,
  allocatedUnreserved: Record<string, number> = {},
  reserved: Record<string, number> = {},
): QuotaRoleView {
  return {
    quota:
      quota === undefined
        ? undefined
        : quotaToMilli({ guarantees: quota.guarantees ?? {}, limits: quota.limits ?? {} }),
    allocatedUnreservedMilli: q(allocatedUnreserved),
    reservedMilli: q(reserved),
  };
}

describe('quota arithmetic (milli-units)', () => {
  it('requires Σ max(0, guarantee − consumed) as headroom', () => {
    // r1: 4 cpus − 1 allocated − 1 reserved = 2 missing; r2: 3 cpus − 5 consumed → 0;
    // r3: 2 GB mem − 0 = 2048 missing.
    const required = requiredHeadroomMilli([
      role({ guarantees: { cpus: 4 } }, { cpus: 1000 }, { cpus: 1000 }),
      role({ guarantees: { cpus: 3 } }, { cpus: 5000 }),
      role({ guarantees: { mem: 2048 } }),
    ]);
    assert.deepEqual(Object.fromEntries(required), { cpus: 2000, mem: 2048000 });
  });

  const cases: {
    name: string;
    view: QuotaRoleView;
    stage: AllocationStage;
    required?: Record<string, number>;
    available?: Record<string, number>;
    want: Record<string, number> | undefined;
  }[] = [
    {
      name: 'no quota anywhere: nothing capped',
      view: role(undefined),
      stage: 'fair-share',
      want: undefined,
    },
    {
      name: 'limit minus consumption',
      // limit 5 cpus; consumed 2 allocated + 1 reserved = 3 → at most 2 more
      view: role({ limits: { cpus: 5 } }, { cpus: 2000 }, { cpus: 1000 }),
      stage: 'fair-share',
      want: { cpus: 2000 },
    },
    {
      name: 'limit already passed: zero, not negative',
      view: role({ limits: { cpus: 1 } }, { cpus: 3000 }),
      stage: 'fair-share',
      want: { cpus: 0 },
    },
    {
      name: "other roles' headroom",
      // 10 cpus available, 4 required by others, none missing here → 0 + (10 − 4) = 6
      view: role(undefined),
      stage: 'fair-share',
      required: { cpus: 4000 },
      available: { cpus: 10000 },
      want: { cpus: 6000 },
    },
    {
      name: 'own unmet guarantee counts toward headroom',
      // this role misses 3 of the 4 required: 3 + (5 − 4) = 4
      view: role({ guarantees: { cpus: 3 } }),
      stage: 'fair-share',
      required: { cpus: 4000 },
      available: { cpus: 5000 },
      want: { cpus: 4000 },
    },
    {
      name: 'stage 1 offers a guaranteed name only up to what is missing',
      // guarantee 6, consumed 2 → 4; headroom would allow 4 + (20 − 4) = 20; limit 10 − 2 = 8
      view: role({ guarantees: { cpus: 6 }, limits: { cpus: 10 } }, { cpus: 2000 }),
      stage: 'quota-guarantees',
      required: { cpus: 4000 },
      available: { cpus: 20000 },
      want: { cpus: 4000 },
    },
  ];
  for (const { name, view, stage, required = {}, available = {}, want } of cases) {
    it(`caps unreserved scalars by ${name}`, () => {
      const caps = unreservedCapsMilli(view, stage, q(required), q(available));
      assert.deepEqual(caps === undefined ? undefined : Object.fromEntries(caps), want);
    });
  }

  it('trims only unreserved scalars', () => {
    // cpus capped at 1.5: 4 unreserved → 1.5; the 2 reserved cpus and the ports stay.
    const trimmed = capUnreservedScalars(
      Resources.parse('cpus:4;cpus(web):2;ports:[1-10]'),
      q({ cpus: 1500 }),
    );
    assert.equal(trimmed.toString(), 'cpus:1.5;cpus(web):2;ports:[1-10]');
  });
});
