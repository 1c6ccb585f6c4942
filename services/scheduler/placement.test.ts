import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Offer } from '../core/v1/cluster.js';
import { planPlacements } from './placement.js';

function offer(
  id: string,
  hostname: string,
  cpus: number,
  opts: { role?: string; ports?: [number, number] } = {},
): Offer {
  const role = opts.role ?? '*';
  const alloc = { role };
  return {
    id: { value: id },
    framework_id: { value: 'F' },
    agent_id: { value: `agent-${hostname}` },
    hostname,
    attributes: [],
    allocation_info: alloc,
    resources: [
      { name: 'cpus', type: 'SCALAR', scalar: { value: cpus }, role: '*', allocation_info: alloc },
      { name: 'mem', type: 'SCALAR', scalar: { value: 1024 }, role: '*', allocation_info: alloc },
      ...(opts.ports === undefined
        ? []
        : [
            {
              name: 'ports',
              type: 'RANGES' as const,
              ranges: { range: [{ begin: opts.ports[0], end: opts.ports[1] }] },
              role: '*',
              allocation_info: alloc,
            },
          ]),
    ],
  };
}

describe('planPlacements', () => {
  it('packs several tasks into one offer using what is left', () => {
    // 2 cpus / 0.5 each → 4 tasks fit on a; the fifth goes to b.
    const plan = planPlacements(
      [offer('o1', 'a', 2), offer('o2', 'b', 2)],
      [{ key: 'web', count: 5, needs: { cpus: 0.5, memMiB: 32 } }],
    );
    assert.deepEqual(
      plan.placements.map((p) => p.offer.hostname),
      ['a', 'a', 'a', 'a', 'b'],
    );
  });

  it('spreads with UNIQUE hostname and explains the refusals', () => {
    const plan = planPlacements(
      [offer('o1', 'a', 2), offer('o2', 'b', 2)],
      [
        {
          key: 'web',
          count: 3,
          needs: { cpus: 0.1, memMiB: 32 },
          constraints: [{ field: 'hostname', operator: 'UNIQUE' }],
          placed: [],
        },
      ],
    );
    assert.deepEqual(
      plan.placements.map((p) => p.offer.hostname),
      ['a', 'b'],
    );
    // Both offers were used; the third task had nowhere to go.
    assert.deepEqual(
      plan.considered.get('web')?.map((c) => c.refusal),
      [undefined, undefined],
    );
  });

  it('names the shortfall, the missing ports and the role', () => {
    const plan = planPlacements(
      [offer('o1', 'a', 0.5), offer('o2', 'b', 4, { role: 'batch' }), offer('o3', 'c', 4)],
      [{ key: 'web', count: 1, needs: { cpus: 1, memMiB: 32, ports: 1 }, role: '*' }],
    );
    assert.equal(plan.placements.length, 0);
    assert.deepEqual(
      plan.considered.get('web')?.map((c) => c.refusal),
      [
        'not enough cpus: 1 needed, 0.5 offered',
        "role: the offer is for role 'batch', not '*'",
        'not enough ports: 1 needed, 0 offered',
      ],
    );
  });

  it('hands out distinct host ports', () => {
    const plan = planPlacements(
      [offer('o1', 'a', 4, { ports: [31000, 31001] })],
      [{ key: 'web', count: 3, needs: { cpus: 0.1, memMiB: 32, ports: 1 } }],
    );
    assert.deepEqual(
      plan.placements.map((p) => p.ports),
      [[31000], [31001]],
    );
  });

  it('serves requests in order: a later one gets what is left', () => {
    const plan = planPlacements(
      [offer('o1', 'a', 1)],
      [
        { key: 'first', count: 1, needs: { cpus: 1, memMiB: 32 } },
        { key: 'second', count: 1, needs: { cpus: 1, memMiB: 32 } },
      ],
    );
    assert.deepEqual(
      plan.placements.map((p) => p.key),
      ['first'],
    );
    assert.equal(plan.considered.get('second')?.[0]?.refusal, 'not enough cpus: 1 needed, 0 offered');
  });
});
