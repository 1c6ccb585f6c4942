import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Attribute } from '../core/v1/common.js';
import {
  checkConstraint,
  checkConstraints,
  type Constraint,
  ConstraintSchema,
  fieldValue,
  type PlacementSite,
} from './constraints.js';

const text = (name: string, value: string): Attribute => ({ name, type: 'TEXT', text: { value } });
const site = (hostname: string, rack?: string): PlacementSite => ({
  hostname,
  attributes: rack === undefined ? [] : [text('rack', rack)],
});
const c = (field: string, operator: Constraint['operator'], value?: string): Constraint => ({
  field,
  operator,
  ...(value === undefined ? {} : { value }),
});

describe('checkConstraint', () => {
  const cases: {
    name: string;
    constraint: Constraint;
    candidate: PlacementSite;
    placed: PlacementSite[];
    ok: boolean;
  }[] = [
    {
      name: 'UNIQUE hostname: a new host',
      constraint: c('hostname', 'UNIQUE'),
      candidate: site('a'),
      placed: [site('b')],
      ok: true,
    },
    {
      name: 'UNIQUE hostname: a used host',
      constraint: c('hostname', 'UNIQUE'),
      candidate: site('a'),
      placed: [site('a')],
      ok: false,
    },
    {
      name: 'UNIQUE attribute',
      constraint: c('rack', 'UNIQUE'),
      candidate: site('a', 'r1'),
      placed: [site('b', 'r1')],
      ok: false,
    },
    {
      name: 'CLUSTER with a value',
      constraint: c('rack', 'CLUSTER', 'r1'),
      candidate: site('a', 'r1'),
      placed: [],
      ok: true,
    },
    {
      name: 'CLUSTER wrong value',
      constraint: c('rack', 'CLUSTER', 'r1'),
      candidate: site('a', 'r2'),
      placed: [],
      ok: false,
    },
    // No value: the first task picks the cluster, later ones follow it.
    {
      name: 'CLUSTER follows the first',
      constraint: c('rack', 'CLUSTER'),
      candidate: site('a', 'r2'),
      placed: [site('b', 'r1')],
      ok: false,
    },
    {
      name: 'CLUSTER first is free',
      constraint: c('rack', 'CLUSTER'),
      candidate: site('a', 'r2'),
      placed: [],
      ok: true,
    },
    {
      name: 'LIKE matches the whole value',
      constraint: c('hostname', 'LIKE', 'agent-[12]'),
      candidate: site('agent-1'),
      placed: [],
      ok: true,
    },
    {
      name: 'LIKE is anchored',
      constraint: c('hostname', 'LIKE', 'agent'),
      candidate: site('agent-1'),
      placed: [],
      ok: false,
    },
    {
      name: 'UNLIKE rejects a match',
      constraint: c('hostname', 'UNLIKE', 'agent-[12]'),
      candidate: site('agent-2'),
      placed: [],
      ok: false,
    },
    {
      name: 'UNLIKE passes a missing attribute',
      constraint: c('rack', 'UNLIKE', 'r1'),
      candidate: site('a'),
      placed: [],
      ok: true,
    },
    {
      name: 'missing attribute fails LIKE',
      constraint: c('rack', 'LIKE', 'r1'),
      candidate: site('a'),
      placed: [],
      ok: false,
    },
    // MAX_PER 2: r1 holds 1 → ok; holds 2 → full.
    {
      name: 'MAX_PER below the limit',
      constraint: c('rack', 'MAX_PER', '2'),
      candidate: site('a', 'r1'),
      placed: [site('b', 'r1')],
      ok: true,
    },
    {
      name: 'MAX_PER at the limit',
      constraint: c('rack', 'MAX_PER', '2'),
      candidate: site('a', 'r1'),
      placed: [site('b', 'r1'), site('c', 'r1')],
      ok: false,
    },
    // GROUP_BY 2: groups {r1:1}; a new group r2 is always fine.
    {
      name: 'GROUP_BY new group',
      constraint: c('rack', 'GROUP_BY', '2'),
      candidate: site('a', 'r2'),
      placed: [site('b', 'r1')],
      ok: true,
    },
    // Only 1 of 2 expected groups exists: r1 may not take a second task yet.
    {
      name: 'GROUP_BY waits for the groups',
      constraint: c('rack', 'GROUP_BY', '2'),
      candidate: site('a', 'r1'),
      placed: [site('b', 'r1')],
      ok: false,
    },
    // {r1:2, r2:1}: r1 is not the smallest, r2 is.
    {
      name: 'GROUP_BY not the smallest',
      constraint: c('rack', 'GROUP_BY', '2'),
      candidate: site('a', 'r1'),
      placed: [site('b', 'r1'), site('c', 'r1'), site('d', 'r2')],
      ok: false,
    },
    {
      name: 'GROUP_BY the smallest',
      constraint: c('rack', 'GROUP_BY', '2'),
      candidate: site('a', 'r2'),
      placed: [site('b', 'r1'), site('c', 'r1'), site('d', 'r2')],
      ok: true,
    },
  ];
  for (const t of cases) {
    it(t.name, () => assert.equal(checkConstraint(t.constraint, t.candidate, t.placed).ok, t.ok));
  }

  it('names the constraint in the reason', () => {
    const verdict = checkConstraints([c('rack', 'LIKE', 'r.*'), c('hostname', 'UNIQUE')], site('a', 'r1'), [
      site('a'),
    ]);
    assert.deepEqual(verdict, {
      ok: false,
      reason: "constraint hostname:UNIQUE: a task already runs where hostname is 'a'",
    });
  });

  it('reads scalar and set attributes as text', () => {
    const host: PlacementSite = {
      hostname: 'h',
      attributes: [
        { name: 'level', type: 'SCALAR', scalar: { value: 10 } },
        { name: 'disks', type: 'SET', set: { item: ['ssd', 'hdd'] } },
      ],
    };
    assert.equal(fieldValue(host, 'level'), '10');
    assert.equal(fieldValue(host, 'disks'), 'ssd,hdd');
    assert.equal(fieldValue(host, 'nope'), undefined);
  });
});

describe('ConstraintSchema', () => {
  it('accepts the array and the object form', () => {
    assert.deepEqual(ConstraintSchema.parse(['hostname', 'UNIQUE']), {
      field: 'hostname',
      operator: 'UNIQUE',
    });
    assert.deepEqual(
      ConstraintSchema.parse({ field: 'rack', operator: 'MAX_PER', value: '2' }),
      c('rack', 'MAX_PER', '2'),
    );
  });

  for (const [raw, message] of [
    [['hostname', 'MAX_PER'], 'MAX_PER takes a positive integer'],
    [['hostname', 'LIKE', '('], "'(' is not a valid regular expression"],
    [['hostname', 'UNIQUE', 'x'], 'UNIQUE takes no value'],
    [['hostname', 'GROUP_BY', '0'], 'GROUP_BY takes a positive integer'],
  ] as const) {
    it(`refuses ${JSON.stringify(raw)}`, () => {
      const result = ConstraintSchema.safeParse(raw);
      assert.equal(result.success, false);
      assert.match(result.error?.issues[0]?.message ?? '', new RegExp(message.replace(/[()]/g, '\\$&')));
    });
  }

  it('refuses an unknown operator on its position', () => {
    const result = ConstraintSchema.safeParse(['hostname', 'NEAR']);
    assert.equal(result.success, false);
  });
});
