import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Resources } from '../core/resources.js';
import {
  addAgent,
  agentId,
  describeAllocations,
  frameworkId,
  newAllocator,
  subscriber,
} from './test-fixtures.js';

const Q = frameworkId('Q');
const O = frameworkId('O');

describe('quota', () => {
  it('meets a guarantee before fair sharing', () => {
    // Two agents of 10 cpus / 10 GB (cluster 20 cpus, 20 GB). Q (role quota-role, guarantee 6
    // cpus) already runs 2 cpus on agent-1, so by DRF it is behind O (share 2/20 = 0.1 vs 0):
    // without quota O would be offered agent-1 first.
    // Stage 1, agent-1: Q misses 6 − 2 = 4 cpus → offered 4 of the 8 free cpus; mem is not
    //   guaranteed and nobody needs headroom for it after that → all 10 GB go along.
    // Stage 2, agent-1: O (0) is offered the remaining 4 cpus.
    //          agent-2: O 4/20 = 0.2 < Q max(6/20, 10/20) = 0.5 → O gets all of agent-2.
    const allocator = newAllocator();
    allocator.addFramework(Q, subscriber(['quota-role']), [], true);
    allocator.addFramework(O, subscriber(['other']), [], true);
    allocator.setQuota('quota-role', { guarantees: { cpus: 6 }, limits: {} });
    addAgent(allocator, 'agent-1', 'cpus:10;mem:10240', [
      {
        frameworkId: Q,
        agentId: agentId('agent-1'),
        role: 'quota-role',
        resources: Resources.parse('cpus:2'),
      },
    ]);
    addAgent(allocator, 'agent-2', 'cpus:10;mem:10240');

    assert.deepEqual(describeAllocations(allocator.allocate(0)), [
      'O@agent-1(other) cpus:4',
      'O@agent-2(other) cpus:10;mem:10240',
      'Q@agent-1(quota-role) cpus:4;mem:10240',
    ]);
  });

  it('keeps headroom for a guarantee its role does not take up', () => {
    // One agent of 10 cpus / 10 GB. Role reserved-for-later has a guarantee of 4 cpus but its only
    // framework suppresses offers, so the 4 cpus stay as headroom: greedy may take
    // 0 (own unmet) + (10 available − 4 required) = 6 cpus, and all the memory (not guaranteed).
    const allocator = newAllocator();
    allocator.addFramework(
      frameworkId('idle'),
      subscriber(['reserved-for-later'], { suppressedRoles: ['reserved-for-later'] }),
      [],
      true,
    );
    allocator.addFramework(frameworkId('greedy'), subscriber(['greedy']), [], true);
    allocator.setQuota('reserved-for-later', { guarantees: { cpus: 4 }, limits: {} });
    addAgent(allocator, 'agent-1', 'cpus:10;mem:10240');

    assert.deepEqual(describeAllocations(allocator.allocate(0)), ['greedy@agent-1(greedy) cpus:6;mem:10240']);
  });

  it('never lets a role exceed its limit, whatever it accepts or declines', () => {
    // Role capped has a limit of 3 cpus; role open has none. Agents of 8 cpus / 8 GB.
    // Cycle at 0 (agent-1): capped and open tie at 0, 'capped' < 'open' → capped is offered
    //   min(8, 3 − 0) = 3 cpus and the 8 GB; open gets the other 5 cpus.
    const allocator = newAllocator();
    allocator.addFramework(frameworkId('C'), subscriber(['capped']), [], true);
    allocator.addFramework(frameworkId('D'), subscriber(['open']), [], true);
    allocator.setQuota('capped', { guarantees: {}, limits: { cpus: 3 } });
    addAgent(allocator, 'agent-1', 'cpus:8;mem:8192');

    const first = allocator.allocate(0);
    assert.deepEqual(describeAllocations(first), [
      'C@agent-1(capped) cpus:3;mem:8192',
      'D@agent-1(open) cpus:5',
    ]);

    // C keeps its 3 cpus. A new agent arrives: capped is at 3 − 3 = 0 spare cpus, so it can only
    // be offered memory (8 GB ≥ the 32 MB minimum); open's share 5/16 vs capped's
    // max(3/16, 8192/16384 = 0.5) puts open first, and it takes the whole agent.
    addAgent(allocator, 'agent-2', 'cpus:8;mem:8192');
    assert.deepEqual(describeAllocations(allocator.allocate(1000)), ['D@agent-2(open) cpus:8;mem:8192']);

    // Nothing is free any more, so nothing is offered.
    assert.deepEqual(allocator.allocate(1500), []);

    // D gives agent-2 back and disconnects, leaving capped the only taker: it is offered
    // agent-2's 8 GB but none of its 8 cpus (spare: 3 − 3 = 0). Its share becomes
    // max(3/16 cpus, (8192 + 8192)/16384 mem) = 1.
    allocator.recoverResources(
      frameworkId('D'),
      agentId('agent-2'),
      'open',
      Resources.parse('cpus:8;mem:8192'),
    );
    allocator.deactivateFramework(frameworkId('D'));
    assert.deepEqual(describeAllocations(allocator.allocate(2000)), ['C@agent-2(capped) mem:8192']);
    assert.equal(allocator.shares().frameworks.get(frameworkId('C'))?.get('capped'), 1);
  });

  it('offers reservations to their role even at its limit, since they already count as consumed', () => {
    // 2 cpus are reserved for capped (limit 2 cpus): consumed = 2 reserved + 0 allocated = limit,
    // so capped gets its 2 reserved cpus but none of the 4 unreserved ones.
    const allocator = newAllocator();
    allocator.addFramework(frameworkId('C'), subscriber(['capped']), [], true);
    allocator.setQuota('capped', { guarantees: {}, limits: { cpus: 2 } });
    addAgent(allocator, 'agent-1', 'cpus:4;cpus(capped):2');

    assert.deepEqual(describeAllocations(allocator.allocate(0)), ['C@agent-1(capped) cpus(capped):2']);
  });
});
