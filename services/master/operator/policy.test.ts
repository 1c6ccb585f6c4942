import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Quota } from '../../allocator/allocator.js';
import { RolePolicy, type RolePolicySnapshot } from './policy.js';

/** A policy over an allocator that records what was applied to it. */
function recordingPolicy() {
  const applied = { weights: new Map<string, number>(), quotas: new Map<string, Quota>() };
  const policy = new RolePolicy({
    setWeights: (weights) => (applied.weights = new Map(weights)),
    setQuota: (role, quota) =>
      quota === undefined ? applied.quotas.delete(role) : applied.quotas.set(role, quota),
    shares: () => ({ roles: new Map(), frameworks: new Map() }),
    filteredAgentCounts: () => new Map(),
  });
  return { policy, applied };
}

describe('RolePolicy', () => {
  it('merges weight updates, applies them to the allocator and reports them sorted', async () => {
    const { policy, applied } = recordingPolicy();
    await policy.updateWeights([{ role: 'ops', weight: 2 }]);
    await policy.updateWeights([
      { role: 'eng', weight: 0.5 },
      { role: 'ops', weight: 3 },
    ]);
    assert.deepEqual(policy.snapshot().weights, [
      { role: 'eng', weight: 0.5 },
      { role: 'ops', weight: 3 },
    ]);
    assert.deepEqual(
      [...applied.weights],
      [
        ['ops', 3],
        ['eng', 0.5],
      ],
    );
    assert.equal(policy.weight('unknown'), 1);
  });

  it('refuses invalid weights and roles, naming them', async () => {
    const { policy } = recordingPolicy();
    const cases: [string, number, RegExp][] = [
      ['eng', 0, /weights must be positive/],
      ['eng', Number.NaN, /weights must be positive/],
      ['', 1, /must not be empty/],
      ['a/../b', 1, /'\.' or '\.\.'/],
      ['-x', 1, /must not start with '-'/],
      ['a b', 1, /whitespace/],
      ['a//b', 1, /empty path components/],
    ];
    for (const [role, weight, message] of cases) {
      await assert.rejects(policy.updateWeights([{ role, weight }]), message, `${role}=${weight}`);
    }
    assert.deepEqual(policy.snapshot().weights, []);
  });

  it('validates quota: limits at least the guarantees, scalar names, non-negative values', async () => {
    const { policy } = recordingPolicy();
    const invalid: [Record<string, number>, Record<string, number>, RegExp][] = [
      // cpus: guarantee 2 > limit 1
      [{ cpus: 2 }, { cpus: 1 }, /limit of 'cpus' \(1\) is below its guarantee \(2\)/],
      [{ ports: 1 }, {}, /'ports' is not a scalar resource/],
      [{ cpus: -1 }, {}, /non-negative/],
      [{}, { 'bad name': 1 }, /not a resource name/],
    ];
    for (const [guarantees, limits, message] of invalid) {
      await assert.rejects(policy.updateQuotas([{ role: 'eng', guarantees, limits }]), message);
    }
    await assert.rejects(
      policy.updateQuotas([{ role: '*', guarantees: { cpus: 1 }, limits: {} }]),
      /default role/,
    );
  });

  it('applies quota all or nothing, removes empty quota, and checks guarantees against capacity', async () => {
    const { policy, applied } = recordingPolicy();
    await policy.updateQuotas([{ role: 'eng', guarantees: { cpus: 2 }, limits: { cpus: 4 } }], { cpus: 4 });
    // eng 2 + dev 3 = 5 cpus guaranteed > 4 available: refused, eng untouched.
    await assert.rejects(
      policy.updateQuotas([{ role: 'dev', guarantees: { cpus: 3 }, limits: {} }], { cpus: 4 }),
      /Total quota guarantees of 'cpus' \(5\) exceed the cluster's capacity \(4\)/,
    );
    assert.deepEqual([...applied.quotas.keys()], ['eng']);
    // Without a capacity (`force`), the same update is applied.
    await policy.updateQuotas([{ role: 'dev', guarantees: { cpus: 3 }, limits: {} }]);
    await policy.updateQuotas([{ role: 'eng', guarantees: {}, limits: {} }]);
    assert.deepEqual([...applied.quotas.keys()], ['dev']);
    assert.deepEqual(policy.snapshot().quotas, [{ role: 'dev', guarantees: { cpus: 3 }, limits: {} }]);
  });

  it('stores each update before applying it, and applies nothing when storing fails', async () => {
    const { policy, applied } = recordingPolicy();
    const stored: RolePolicySnapshot[] = [];
    let failNext = false;
    policy.usePersistence(async (next) => {
      if (failNext) throw new Error('registry unavailable');
      assert.equal(
        applied.weights.get('eng'),
        stored.at(-1)?.weights[0]?.weight,
        'not applied before it is stored',
      );
      stored.push(next);
    });
    await policy.updateWeights([{ role: 'eng', weight: 2 }]);
    failNext = true;
    await assert.rejects(policy.updateWeights([{ role: 'eng', weight: 5 }]), /registry unavailable/);
    assert.equal(policy.weight('eng'), 2);
    assert.deepEqual(stored, [{ weights: [{ role: 'eng', weight: 2 }], quotas: [] }]);
  });

  it('restores what the registry recovered, replacing everything', async () => {
    const { policy, applied } = recordingPolicy();
    await policy.updateQuotas([{ role: 'old', guarantees: { cpus: 1 }, limits: {} }]);
    const recovered: RolePolicySnapshot = {
      weights: [{ role: 'eng', weight: 2 }],
      quotas: [{ role: 'eng', guarantees: { mem: 512 }, limits: { mem: 1024 } }],
    };
    policy.restore(recovered);
    assert.deepEqual(policy.snapshot(), recovered);
    assert.deepEqual([...applied.quotas.keys()], ['eng']);
    assert.equal(applied.weights.get('eng'), 2);
  });
});
