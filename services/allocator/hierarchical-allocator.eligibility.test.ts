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
  subscriber,
} from './test-fixtures.js';

const A = frameworkId('A');
const B = frameworkId('B');

/** Two frameworks in role `r` and one agent of 4 cpus / 4 GB. */
function twoFrameworksOneAgent() {
  const allocator = newAllocator();
  allocator.addFramework(A, subscriber(['r']), [], true);
  allocator.addFramework(B, subscriber(['r']), [], true);
  const agent = addAgent(allocator, 'agent-1', 'cpus:4;mem:4096');
  return { allocator, agent };
}

describe('offer filters', () => {
  it('keeps a declined offer from its framework until the filter expires, but offers it to others', () => {
    const { allocator } = twoFrameworksOneAgent();
    // t=0: tie at share 0 and 0 allocations → 'A' < 'B' → A. A declines until t=5000.
    const first = allocator.allocate(0);
    assert.deepEqual(describeAllocations(first), ['A@agent-1(r) cpus:4;mem:4096']);
    declineAll(allocator, first, 5000);

    // t=1000 and t=4999: A is filtered, B (1 allocation vs A's 1, but A is skipped) gets it and
    // declines without a filter each time.
    for (const nowMs of [1000, 4999]) {
      const offers = allocator.allocate(nowMs);
      assert.deepEqual(describeAllocations(offers), ['B@agent-1(r) cpus:4;mem:4096'], `at ${nowMs}`);
      declineAll(allocator, offers);
    }

    // t=5000: the filter has expired (it refuses while now < 5000). Shares tie at 0; A has had
    // 1 allocation, B 2 → A.
    assert.deepEqual(describeAllocations(allocator.allocate(5000)), ['A@agent-1(r) cpus:4;mem:4096']);
  });

  it('counts the agents a framework filters, until the filters expire', () => {
    const { allocator } = twoFrameworksOneAgent();
    addAgent(allocator, 'agent-2', 'cpus:4;mem:4096');
    declineAll(allocator, allocator.allocate(0), 5000); // each is offered one agent and refuses it
    assert.deepEqual([...allocator.filteredAgentCounts(1000)].sort(), [
      [A, 1],
      [B, 1],
    ]);
    declineAll(allocator, allocator.allocate(1000), 5000); // and then the other one
    assert.deepEqual([...allocator.filteredAgentCounts(4999)].sort(), [
      [A, 2],
      [B, 2],
    ]);
    assert.deepEqual([...allocator.filteredAgentCounts(5000)], [], 'a filter refuses while now < its end');
  });

  it('refuses only subsets of what was declined', () => {
    // A alone (B disconnected). B holds 1 cpu / 1 GB, so A is offered and declines 3 cpus / 3 GB.
    const allocator = newAllocator();
    allocator.addFramework(A, subscriber(['r']), [], true);
    allocator.addFramework(B, subscriber(['r']), [], false);
    const agent = addAgent(allocator, 'agent-1', 'cpus:4;mem:4096', [
      {
        frameworkId: B,
        agentId: agentId('agent-1'),
        role: 'r',
        resources: Resources.parse('cpus:1;mem:1024'),
      },
    ]);
    declineAll(allocator, allocator.allocate(0), 60_000);
    assert.deepEqual(allocator.allocate(1000), [], '3 cpus / 3 GB ⊆ the refused 3 cpus / 3 GB');

    // B's task ends: the agent now has 4 cpus / 4 GB, which is not inside the refused set.
    allocator.recoverResources(B, agent, 'r', Resources.parse('cpus:1;mem:1024'));
    assert.deepEqual(describeAllocations(allocator.allocate(2000)), ['A@agent-1(r) cpus:4;mem:4096']);
  });

  it('lets revive clear filters', () => {
    const allocator = newAllocator();
    allocator.addFramework(A, subscriber(['r']), [], true);
    addAgent(allocator, 'agent-1', 'cpus:4;mem:4096');
    declineAll(allocator, allocator.allocate(0), Number.MAX_SAFE_INTEGER);
    assert.deepEqual(allocator.allocate(1000), []);

    allocator.reviveRoles(A);
    assert.deepEqual(describeAllocations(allocator.allocate(2000)), ['A@agent-1(r) cpus:4;mem:4096']);
  });
});

describe('who may be offered what', () => {
  it('offers nothing to a suppressed role, and revive restores offers', () => {
    const { allocator } = twoFrameworksOneAgent();
    allocator.suppressRoles(A);
    // A would win the tie by id; suppressed, it is out of the order, so B gets the agent.
    const offers = allocator.allocate(0);
    assert.deepEqual(describeAllocations(offers), ['B@agent-1(r) cpus:4;mem:4096']);
    declineAll(allocator, offers);

    allocator.reviveRoles(A, ['r']);
    // Back in: A (0 allocations) before B (1 allocation) at equal share 0.
    assert.deepEqual(describeAllocations(allocator.allocate(1000)), ['A@agent-1(r) cpus:4;mem:4096']);
  });

  it('offers nothing to inactive frameworks or on inactive agents', () => {
    const { allocator, agent } = twoFrameworksOneAgent();
    allocator.deactivateFramework(A);
    allocator.deactivateFramework(B);
    assert.deepEqual(allocator.allocate(0), []);

    allocator.activateFramework(B);
    allocator.deactivateAgent(agent);
    assert.deepEqual(allocator.allocate(1000), []);

    allocator.activateAgent(agent);
    assert.deepEqual(describeAllocations(allocator.allocate(2000)), ['B@agent-1(r) cpus:4;mem:4096']);
  });

  it('offers reserved resources only to their role', () => {
    // 2 cpus / 1 GB reserved for web, 2 cpus / 1 GB unreserved. With only batch subscribed, the
    // reserved half stays unoffered; once a web framework arrives, it gets exactly that half.
    const allocator = newAllocator();
    allocator.addFramework(frameworkId('batcher'), subscriber(['batch']), [], true);
    addAgent(allocator, 'agent-1', 'cpus:2;mem:1024;cpus(web):2;mem(web):1024');
    assert.deepEqual(describeAllocations(allocator.allocate(0)), ['batcher@agent-1(batch) cpus:2;mem:1024']);

    allocator.addFramework(frameworkId('server'), subscriber(['web']), [], true);
    assert.deepEqual(describeAllocations(allocator.allocate(1000)), [
      'server@agent-1(web) cpus(web):2;mem(web):1024',
    ]);
  });

  it('offers agents with gpus only to GPU-aware frameworks', () => {
    const allocator = newAllocator();
    allocator.addFramework(A, subscriber(['r']), [], true);
    addAgent(allocator, 'gpu-agent', 'cpus:4;mem:4096;gpus:1');
    assert.deepEqual(allocator.allocate(0), []);

    allocator.addFramework(B, subscriber(['r'], { gpuAware: true }), [], true);
    assert.deepEqual(describeAllocations(allocator.allocate(1000)), [
      'B@gpu-agent(r) cpus:4;mem:4096;gpus:1',
    ]);
  });

  // minAllocatable = cpus:1 | mem:512: a chunk qualifies if it has ≥ 1 cpu, or ≥ 512 MB.
  for (const { free, offered } of [
    { free: 'cpus:0.5;mem:256', offered: false }, // 0.5 < 1 cpu and 256 < 512 MB
    { free: 'cpus:1;mem:256', offered: true }, // 1 ≥ 1 cpu
    { free: 'cpus:0.5;mem:512', offered: true }, // 512 ≥ 512 MB
    { free: 'disk:4096', offered: false }, // neither alternative names disk
  ]) {
    it(`applies min allocatable to ${free}: ${offered ? 'offered' : 'held back'}`, () => {
      const allocator = newAllocator({ minAllocatable: [{ cpus: 1 }, { mem: 512 }] });
      allocator.addFramework(A, subscriber(['r']), [], true);
      addAgent(allocator, 'agent-1', free);
      assert.equal(allocator.allocate(0).length, offered ? 1 : 0);
    });
  }
});

describe('skipping agents that cannot offer anything', () => {
  it('skips an agent every framework filters, and looks again when something changes', () => {
    const { allocator } = twoFrameworksOneAgent();
    declineAll(allocator, allocator.allocate(0), 10_000); // A refuses until 10 s
    declineAll(allocator, allocator.allocate(1), 20_000); // B refuses until 20 s
    assert.deepEqual(allocator.allocate(2), []); // looked at: both filter it → idle until 10 s
    assert.deepEqual(allocator.allocate(3), []);
    assert.deepEqual(allocator.lastCycleStats(), { agentsConsidered: 1, agentsSkipped: 1 });

    // A new framework is a new taker.
    allocator.addFramework(frameworkId('C'), subscriber(['r']), [], true);
    assert.deepEqual(describeAllocations(allocator.allocate(4)), ['C@agent-1(r) cpus:4;mem:4096']);
    allocator.removeFramework(frameworkId('C'));

    // The earliest filter's expiry ends the skip: at 10 s A is offered the agent again.
    assert.deepEqual(allocator.allocate(5), []);
    assert.deepEqual(describeAllocations(allocator.allocate(10_000)), ['A@agent-1(r) cpus:4;mem:4096']);
  });

  it('checks only newly eligible frameworks on an idle agent, choosing the first in sorter order', () => {
    // A, B and C each decline the agent once (1 allocation each) with a long filter.
    const allocator = newAllocator();
    for (const id of ['A', 'B', 'C']) allocator.addFramework(frameworkId(id), subscriber(['r']), [], true);
    addAgent(allocator, 'agent-1', 'cpus:4;mem:4096');
    for (let nowMs = 0; nowMs < 3; nowMs++) declineAll(allocator, allocator.allocate(nowMs), 1_000_000);
    assert.deepEqual(allocator.allocate(3), []); // all three refuse → idle

    // C revives, then B. Both shares 0 with 1 allocation each, so B < C by id: B must win even
    // though C was woken first.
    allocator.reviveRoles(frameworkId('C'));
    allocator.reviveRoles(B);
    assert.deepEqual(describeAllocations(allocator.allocate(4)), ['B@agent-1(r) cpus:4;mem:4096']);
    assert.deepEqual(allocator.lastCycleStats(), { agentsConsidered: 1, agentsSkipped: 0 });
  });

  it('keeps the earliest filter expiry when a woken framework refuses too', () => {
    const { allocator } = twoFrameworksOneAgent();
    allocator.addFramework(frameworkId('D'), subscriber(['r']), [], true);
    declineAll(allocator, allocator.allocate(0), 10_000); // A until 10 s
    declineAll(allocator, allocator.allocate(1), 20_000); // B until 20 s
    declineAll(allocator, allocator.allocate(2), 40_000); // D until 40 s
    allocator.deactivateFramework(frameworkId('D'));
    assert.deepEqual(allocator.allocate(3), []); // A and B refuse → idle until 10 s

    // D comes back (woken) but still refuses until 40 s; the agent stays idle until 10 s, not 40 s.
    allocator.activateFramework(frameworkId('D'));
    assert.deepEqual(allocator.allocate(4), []);
    assert.deepEqual(describeAllocations(allocator.allocate(10_000)), ['A@agent-1(r) cpus:4;mem:4096']);
  });
});
