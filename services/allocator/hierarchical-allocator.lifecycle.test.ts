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

const F = frameworkId('F');
const G = frameworkId('G');
const task = () => ({
  frameworkId: F,
  agentId: agentId('agent-1'),
  role: 'r',
  resources: Resources.parse('cpus:2;mem:2048'),
});

describe('frameworks and agents coming and going', () => {
  it('counts a task reported by both the agent and its framework once', () => {
    // Agent 8 cpus / 8 GB re-registers first with F's task (2 cpus / 2 GB); F re-subscribes with
    // the same task. F's share is 2/8 = 0.25, not 4/8, and 6 cpus / 6 GB are left to offer.
    const allocator = newAllocator();
    addAgent(allocator, 'agent-1', 'cpus:8;mem:8192', [task()]);
    allocator.addFramework(F, subscriber(['r']), [task()], true);

    assert.equal(allocator.shares().frameworks.get(F)?.get('r'), 0.25);
    assert.deepEqual(describeAllocations(allocator.allocate(0)), ['F@agent-1(r) cpus:6;mem:6144']);
  });

  it('gives a removed framework’s resources back and forgets a removed agent’s allocations', () => {
    const allocator = newAllocator();
    allocator.addFramework(F, subscriber(['r']), [], true);
    allocator.addFramework(G, subscriber(['r']), [], true);
    addAgent(allocator, 'agent-1', 'cpus:8;mem:8192', [task()]);
    // F holds 2 cpus (share 0.25), so G (share 0) is offered the other 6.
    assert.deepEqual(describeAllocations(allocator.allocate(0)), ['G@agent-1(r) cpus:6;mem:6144']);

    // F goes away: its 2 cpus / 2 GB are free again and G, alone, is offered them.
    allocator.removeFramework(F);
    assert.deepEqual(describeAllocations(allocator.allocate(1)), ['G@agent-1(r) cpus:2;mem:2048']);
    assert.equal(allocator.shares().frameworks.get(G)?.get('r'), 1); // 8/8

    // The agent goes away with everything G held there.
    allocator.removeAgent(agentId('agent-1'));
    assert.equal(allocator.shares().frameworks.get(G)?.get('r'), 0);
    assert.deepEqual(allocator.allocate(2), []);
  });

  it('keeps allocations in a role the framework left until they are recovered', () => {
    const allocator = newAllocator();
    allocator.addFramework(F, subscriber(['r']), [], true);
    addAgent(allocator, 'agent-1', 'cpus:8;mem:8192', [task()]);
    allocator.updateFramework(F, subscriber(['s']));
    // Still 2/8 in r; the free 6 cpus / 6 GB go to F in its new role s.
    assert.equal(allocator.shares().frameworks.get(F)?.get('r'), 0.25);
    assert.deepEqual(describeAllocations(allocator.allocate(0)), ['F@agent-1(s) cpus:6;mem:6144']);

    allocator.recoverResources(F, agentId('agent-1'), 'r', Resources.parse('cpus:2;mem:2048'));
    assert.equal(allocator.shares().frameworks.get(F)?.has('r'), false);
  });

  it('treats leaving the suppressed list like a revive: filters go', () => {
    const allocator = newAllocator();
    allocator.addFramework(F, subscriber(['r']), [], true);
    addAgent(allocator, 'agent-1', 'cpus:8;mem:8192');
    declineAll(allocator, allocator.allocate(0), Number.MAX_SAFE_INTEGER);
    allocator.updateFramework(F, subscriber(['r'], { suppressedRoles: ['r'] }));
    assert.deepEqual(allocator.allocate(1), []);
    allocator.updateFramework(F, subscriber(['r']));
    assert.deepEqual(describeAllocations(allocator.allocate(2)), ['F@agent-1(r) cpus:8;mem:8192']);
  });

  it('offers nothing of a deactivated agent, not even what is given back meanwhile, until reactivated', () => {
    // The operator's DEACTIVATE_AGENT / DRAIN_AGENT: agent-1 runs F's task and is deactivated;
    // agent-2 goes on being offered. The task ends while agent-1 is deactivated: its resources
    // are free again but not offered until agent-1 is reactivated.
    const allocator = newAllocator();
    allocator.addFramework(F, subscriber(['r']), [task()], true);
    addAgent(allocator, 'agent-1', 'cpus:8;mem:8192', [task()]);
    addAgent(allocator, 'agent-2', 'cpus:4;mem:4096');
    allocator.deactivateAgent(agentId('agent-1'));
    const offers = allocator.allocate(0);
    assert.deepEqual(describeAllocations(offers), ['F@agent-2(r) cpus:4;mem:4096']);

    allocator.recoverResources(F, agentId('agent-1'), 'r', Resources.parse('cpus:2;mem:2048'));
    declineAll(allocator, offers);
    assert.deepEqual(describeAllocations(allocator.allocate(1)), ['F@agent-2(r) cpus:4;mem:4096']);

    allocator.activateAgent(agentId('agent-1'));
    assert.deepEqual(describeAllocations(allocator.allocate(2)), ['F@agent-1(r) cpus:8;mem:8192']);
  });

  it('ignores calls naming unknown frameworks or agents', () => {
    const allocator = newAllocator();
    allocator.recoverResources(F, agentId('nowhere'), 'r', Resources.parse('cpus:1'));
    allocator.activateFramework(F);
    allocator.removeAgent(agentId('nowhere'));
    assert.deepEqual(allocator.allocate(0, [agentId('nowhere')]), []);
  });

  it('refuses a weight that is not positive', () => {
    assert.throws(() => newAllocator().setWeights(new Map([['r', 0]])), /not positive/);
  });
});
