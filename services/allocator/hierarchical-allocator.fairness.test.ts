import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Resources } from '../core/resources.js';
import {
  addAgent,
  agentId,
  declineAll,
  describeAllocations,
  frameworkId,
  newAllocator,
  runTaskSimulation,
  subscriber,
} from './test-fixtures.js';
import type { HierarchicalAllocator } from './hierarchical-allocator.js';

const A = frameworkId('A');
const B = frameworkId('B');

describe('DRF across frameworks and roles', () => {
  // The DRF paper's example: 9 cpus and 18 GB in total; A's tasks need <1 cpu, 4 GB>, B's need
  // <3 cpus, 1 GB>. Each cycle offers the single agent's free pool to the lowest dominant share:
  //   cycle 1  A 0 = B 0, tie on count, 'A' < 'B'   → A runs 1: max(1/9, 4/18)  = 0.222
  //   cycle 2  B 0 < A 0.222                         → B runs 1: max(3/9, 1/18)  = 0.333
  //   cycle 3  A 0.222 < B 0.333                     → A runs 2: max(2/9, 8/18)  = 0.444
  //   cycle 4  B 0.333 < A 0.444                     → B runs 2: max(6/9, 2/18)  = 0.667
  //   cycle 5  A 0.444 < B 0.667                     → A runs 3: max(3/9, 12/18) = 0.667
  //   cycle 6  tie at 0.667; B has fewer allocations → B is offered <0 cpus, 2 GB>, cannot run
  // Result: A 3 tasks (3 cpus, 12 GB), B 2 tasks (6 cpus, 2 GB), both at dominant share 2/3.
  for (const { name, rolesOf, shareOf } of [
    {
      name: 'two frameworks in one role',
      rolesOf: { A: 'analytics', B: 'analytics' },
      shareOf: (allocator: HierarchicalAllocator, id: typeof A) =>
        allocator.shares().frameworks.get(id)?.get('analytics'),
    },
    {
      name: 'two roles with one framework each',
      rolesOf: { A: 'role-a', B: 'role-b' },
      shareOf: (allocator: HierarchicalAllocator, id: typeof A) =>
        allocator.shares().roles.get(id === A ? 'role-a' : 'role-b'),
    },
  ]) {
    it(`converges to equal dominant shares: ${name}`, () => {
      const allocator = newAllocator();
      allocator.addFramework(A, subscriber([rolesOf.A]), [], true);
      allocator.addFramework(B, subscriber([rolesOf.B]), [], true);
      addAgent(allocator, 'agent-1', 'cpus:9;mem:18432');

      const launched = runTaskSimulation(
        allocator,
        new Map([
          [A, Resources.parse('cpus:1;mem:4096')],
          [B, Resources.parse('cpus:3;mem:1024')],
        ]),
      );

      assert.deepEqual(Object.fromEntries(launched), { A: 3, B: 2 });
      assert.equal(shareOf(allocator, A), 2 / 3); // 12288 / 18432
      assert.equal(shareOf(allocator, B), 2 / 3); // 6000 / 9000 milli-cpus
    });
  }

  it('gives roles weighted 2:1 dominant shares in a 2:1 ratio', () => {
    // 12 cpus / 12 GB, every task <1 cpu, 1 GB>, gold weight 2, silver weight 1.
    // Weighted share = tasks/12/weight. Lowest goes next; ties go to fewer allocations:
    //   gold 1 (1/24) silver 1 (1/12) gold 2 (1/12) silver 2 (1/6) gold 3, 4 (1/6)
    //   silver 3 (1/4) gold 5, 6 (1/4) silver 4 (1/3) gold 7, 8 (1/3) → cluster full.
    // Dominant shares: gold 8/12 = 0.667, silver 4/12 = 0.333, i.e. 2:1.
    const allocator = newAllocator();
    allocator.setWeights(new Map([['gold', 2]]));
    allocator.addFramework(frameworkId('G'), subscriber(['gold']), [], true);
    allocator.addFramework(frameworkId('S'), subscriber(['silver']), [], true);
    addAgent(allocator, 'agent-1', 'cpus:12;mem:12288');
    const task = Resources.parse('cpus:1;mem:1024');

    const launched = runTaskSimulation(
      allocator,
      new Map([
        [frameworkId('G'), task],
        [frameworkId('S'), task],
      ]),
    );

    assert.deepEqual(Object.fromEntries(launched), { G: 8, S: 4 });
    const roles = allocator.shares().roles;
    assert.equal(roles.get('gold'), 8 / 12 / 2); // weighted: 0.333
    assert.equal(roles.get('silver'), 4 / 12); // 0.333
  });

  it('gives a whole agent to one framework, then re-sorts before the next agent', () => {
    // Three equal agents, two idle frameworks: agent-1 → A (tie, 'A' < 'B'); A's share is now
    // 4/12 = 0.333 > B's 0, so agent-2 → B; then tie at 0.333 with one allocation each, so
    // agent-3 → A again by id.
    const allocator = newAllocator();
    allocator.addFramework(A, subscriber(['r']), [], true);
    allocator.addFramework(B, subscriber(['r']), [], true);
    for (const id of ['agent-1', 'agent-2', 'agent-3']) addAgent(allocator, id, 'cpus:4;mem:4096');

    assert.deepEqual(describeAllocations(allocator.allocate(0)), [
      'A@agent-1(r) cpus:4;mem:4096',
      'A@agent-3(r) cpus:4;mem:4096',
      'B@agent-2(r) cpus:4;mem:4096',
    ]);
  });

  it('leaves excluded resource names out of shares', () => {
    // A holds 1 of 4 gpus and 1 of 16 cpus: share max(1/16, 1/4) = 0.25 with gpus counted,
    // 1/16 = 0.0625 with gpus excluded.
    for (const { excluded, want } of [
      { excluded: [], want: 0.25 },
      { excluded: ['gpus'], want: 0.0625 },
    ]) {
      const allocator = newAllocator({ fairnessExcludedResourceNames: excluded });
      allocator.addFramework(A, subscriber(['r'], { gpuAware: true }), [], true);
      addAgent(allocator, 'agent-1', 'cpus:16;gpus:4', [
        {
          frameworkId: A,
          agentId: agentId('agent-1'),
          role: 'r',
          resources: Resources.parse('cpus:1;gpus:1'),
        },
      ]);
      assert.equal(allocator.shares().frameworks.get(A)?.get('r'), want);
    }
  });

  it('is deterministic: the same calls give the same offers, whatever order agent ids come in', () => {
    const play = (reverse: boolean): string[][] => {
      const allocator = newAllocator();
      for (const id of ['f1', 'f2', 'f3'])
        allocator.addFramework(frameworkId(id), subscriber(['r']), [], true);
      const agents = ['a1', 'a2', 'a3', 'a4', 'a5'].map((id) => addAgent(allocator, id, 'cpus:2;mem:2048'));
      const rounds: string[][] = [];
      for (let round = 0; round < 4; round++) {
        const offers = allocator.allocate(round * 1000, reverse ? [...agents].reverse() : agents);
        rounds.push(describeAllocations(offers));
        declineAll(allocator, offers, round * 1000 + 1500);
      }
      return rounds;
    };
    assert.deepEqual(play(false), play(true));
    assert.deepEqual(play(false), play(false));
  });
});
