import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Resources } from './resources.js';
import { normalizeRanges, rangesContain, subtractRanges, takeFromRanges } from './ranges.js';

describe('Resources.parse (agent flag format)', () => {
  it('reads scalars, ranges, sets and roles', () => {
    const r = Resources.parse('cpus:4;mem:8192;disk(web):100;ports:[31000-32000];zones:{b,a}');
    assert.equal(r.scalar('cpus'), 4);
    assert.equal(r.scalar('mem'), 8192);
    assert.equal(r.scalar('disk'), 100);
    assert.deepEqual(r.rangesOf('ports'), [{ begin: 31000, end: 32000 }]);
    assert.equal(r.rangeCount('ports'), 1001);
    assert.deepEqual([...r.reservedRoles()], ['web']);
    assert.equal(r.toString(), 'cpus:4;mem:8192;disk(web):100;ports:[31000-32000];zones:{a,b}');
  });

  it('accepts a JSON array of v1 resources, as Mesos does', () => {
    const r = Resources.parse('[{"name":"cpus","type":"SCALAR","scalar":{"value":2}}]');
    assert.equal(r.scalar('cpus'), 2);
  });

  for (const [input, message] of [
    ['cpus', /not of the form name:value/],
    ['cpus:-1', /invalid value '-1'/],
    ['cpus:abc', /invalid value 'abc'/],
    ['ports:[2-1]', /ends before it begins/],
    ['ports:[1-2', /unterminated range list/],
    ['ports:[a-b]', /malformed range 'a-b'/],
  ] as const) {
    it(`rejects '${input}' naming the problem`, () => assert.throws(() => Resources.parse(input), message));
  }
});

describe('Resources arithmetic', () => {
  it('adds and subtracts without float crumbs (milli-units inside)', () => {
    // 0.1 + 0.2 is 0.30000000000000004 in floats; ten subtractions of 0.1 from 1 leave 1.3e-16.
    let r = Resources.scalars({ cpus: 1 });
    for (let i = 0; i < 10; i++) r = r.minus(Resources.scalars({ cpus: 0.1 }));
    assert.equal(r.isEmpty(), true);
    assert.equal(
      Resources.scalars({ cpus: 0.1 })
        .plus(Resources.scalars({ cpus: 0.2 }))
        .scalar('cpus'),
      0.3,
    );
  });

  it('rounds scalars to three decimals like Mesos', () => {
    assert.equal(Resources.scalars({ cpus: 0.12345 }).scalar('cpus'), 0.123);
  });

  it('subtracts ranges by splitting them', () => {
    const all = Resources.parse('ports:[31000-31010]');
    const left = all.minus(Resources.parse('ports:[31003-31004,31010-31010]'));
    assert.deepEqual(left.rangesOf('ports'), [
      { begin: 31000, end: 31002 },
      { begin: 31005, end: 31009 },
    ]);
    assert.equal(left.plus(Resources.parse('ports:[31003-31004,31010-31010]')).equals(all), true);
  });

  it('contains checks every kind', () => {
    const offer = Resources.parse('cpus:2;mem:1024;ports:[31000-31005];zones:{a,b}');
    assert.equal(offer.contains(Resources.parse('cpus:2;ports:[31001-31002]')), true);
    assert.equal(offer.contains(Resources.parse('cpus:2.001')), false);
    assert.equal(offer.contains(Resources.parse('ports:[31005-31006]')), false);
    assert.equal(offer.contains(Resources.parse('zones:{c}')), false);
    assert.equal(offer.contains(Resources.parse('gpus:1')), false);
  });

  it('keeps reservations apart: reserved cpus do not satisfy unreserved demand', () => {
    const r = Resources.parse('cpus(web):2');
    assert.equal(r.contains(Resources.parse('cpus:1')), false);
    assert.equal(r.usableBy('web').scalar('cpus'), 2);
    assert.equal(r.usableBy('batch').isEmpty(), true);
  });

  it('round-trips through v1 JSON with allocation_info', () => {
    const r = Resources.parse('cpus:1.5;ports:[31000-31001]');
    const wire = r.toV1('web');
    assert.deepEqual(wire[0], {
      name: 'cpus',
      type: 'SCALAR',
      role: '*',
      allocation_info: { role: 'web' },
      scalar: { value: 1.5 },
    });
    assert.equal(Resources.fromV1(wire).equals(r), true);
  });

  it('refuses invalid v1 values', () => {
    assert.throws(
      () => Resources.fromV1([{ name: 'cpus', type: 'SCALAR', scalar: { value: -1 } }]),
      /invalid scalar/,
    );
    assert.throws(
      () => Resources.fromV1([{ name: 'ports', type: 'RANGES', ranges: { range: [{ begin: 5, end: 1 }] } }]),
      /invalid range 5-1/,
    );
  });

  it('renders the legacy collapsed object of /master/state', () => {
    assert.deepEqual(Resources.parse('cpus:2;mem:1024;ports:[31000-31005,31010-31010]').toLegacyObject(), {
      cpus: 2,
      gpus: 0,
      mem: 1024,
      disk: 0,
      ports: '[31000-31005, 31010-31010]',
    });
  });
});

describe('ranges', () => {
  it('normalizes overlapping and adjacent ranges', () => {
    assert.deepEqual(
      normalizeRanges([
        { begin: 5, end: 7 },
        { begin: 1, end: 2 },
        { begin: 3, end: 4 },
        { begin: 6, end: 9 },
      ]),
      [{ begin: 1, end: 9 }],
    );
  });

  it('subtracts a range that covers several', () => {
    const a = normalizeRanges([
      { begin: 1, end: 3 },
      { begin: 5, end: 8 },
      { begin: 10, end: 12 },
    ]);
    assert.deepEqual(subtractRanges(a, [{ begin: 2, end: 11 }]), [
      { begin: 1, end: 1 },
      { begin: 12, end: 12 },
    ]);
  });

  it('checks containment across gaps', () => {
    const a = [
      { begin: 1, end: 3 },
      { begin: 5, end: 8 },
    ];
    assert.equal(rangesContain(a, [{ begin: 5, end: 6 }]), true);
    assert.equal(rangesContain(a, [{ begin: 3, end: 5 }]), false);
  });

  it('takes the lowest numbers first', () => {
    assert.deepEqual(
      takeFromRanges(
        [
          { begin: 10, end: 11 },
          { begin: 20, end: 30 },
        ],
        3,
      ),
      [10, 11, 20],
    );
  });
});

describe('v1 integers', () => {
  it('accepts nanosecond timestamps beyond 2^53 and refuses fractions', async () => {
    const { DurationInfoSchema } = await import('./v1/common.js');
    assert.equal(DurationInfoSchema.safeParse({ nanoseconds: 1_795_239_900_104_000_000 }).success, true);
    assert.equal(DurationInfoSchema.safeParse({ nanoseconds: '15000000000' }).success, true);
    assert.equal(DurationInfoSchema.safeParse({ nanoseconds: 1.5 }).success, false);
  });
});
