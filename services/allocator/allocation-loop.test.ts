import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { AgentId } from '../core/ids.js';
import { AllocationLoop, type AllocationRunStats } from './allocation-loop.js';
import type { Allocation } from './allocator.js';
import { HierarchicalAllocator } from './hierarchical-allocator.js';
import { addAgent, agentId, frameworkId, MESOS_DEFAULT_OPTIONS, subscriber } from './test-fixtures.js';

/** Records the scope of every `allocate` call: the sorted agent ids, or `all`. */
class RecordingAllocator extends HierarchicalAllocator {
  readonly scopes: string[] = [];

  override allocate(nowMs: number, agentIds?: Iterable<AgentId>): Allocation[] {
    this.scopes.push(agentIds === undefined ? 'all' : [...agentIds].sort().join(','));
    return super.allocate(nowMs, agentIds);
  }
}

function harness(intervalMs = 1000) {
  const clock = new ManualClock(0);
  const allocator = new RecordingAllocator(MESOS_DEFAULT_OPTIONS);
  const runs: { allocations: Allocation[]; stats: AllocationRunStats }[] = [];
  const loop = new AllocationLoop(allocator, clock, { intervalMs }, (allocations, stats) =>
    runs.push({ allocations, stats }),
  );
  return { clock, allocator, loop, runs };
}

describe('AllocationLoop', () => {
  it('coalesces a burst of 100 triggers into one cycle over the agents they named', () => {
    const { clock, allocator, loop, runs } = harness();
    loop.start();
    for (let i = 0; i < 100; i++) loop.trigger([agentId(`agent-${i % 3}`)]);
    clock.advance(0);
    assert.deepEqual(allocator.scopes, ['agent-0,agent-1,agent-2']);
    assert.equal(runs[0]?.stats.trigger, 'event');
    loop.stop();
  });

  it('lets a full-cluster trigger absorb agent-scoped ones, before or after it', () => {
    const { clock, allocator, loop } = harness();
    loop.start();
    loop.trigger([agentId('a')]);
    loop.trigger();
    loop.trigger([agentId('b')]);
    clock.advance(0);
    assert.deepEqual(allocator.scopes, ['all']);
    loop.stop();
  });

  it('runs a full cycle every interval, and reports what it did', () => {
    // Interval 1000 ms; advancing 3500 ms fires at 1000, 2000 and 3000.
    const { clock, allocator, loop, runs } = harness(1000);
    allocator.addFramework(frameworkId('f'), subscriber(['r']), [], true);
    addAgent(allocator, 'agent-1', 'cpus:1;mem:128');
    loop.start();
    clock.advance(3500);
    assert.deepEqual(allocator.scopes, ['all', 'all', 'all']);
    assert.deepEqual(
      runs.map((run) => run.stats),
      [
        // The first cycle offers the agent; it is then fully allocated, so later cycles skip it.
        { trigger: 'periodic', durationMs: 0, agentsConsidered: 1, agentsSkipped: 0, allocations: 1 },
        { trigger: 'periodic', durationMs: 0, agentsConsidered: 1, agentsSkipped: 0, allocations: 0 },
        { trigger: 'periodic', durationMs: 0, agentsConsidered: 1, agentsSkipped: 1, allocations: 0 },
      ],
    );
    loop.stop();
  });

  it('drops a queued event run when the periodic cycle gets there first', () => {
    // A trigger at t=1000 queues an event run due at 1000; the tick, also due at 1000, runs
    // first and its full cycle covers the queued agents, so the event run is dropped.
    const { clock, allocator, loop } = harness(1000);
    clock.after(1000, () => loop.trigger([agentId('a')]));
    loop.start();
    clock.advance(1000);
    assert.deepEqual(allocator.scopes, ['all']);
    loop.stop();
  });

  it('leaves no timer behind after stop, and ignores triggers while stopped', () => {
    const { clock, allocator, loop } = harness(1000);
    loop.start();
    loop.trigger();
    loop.stop();
    loop.trigger();
    clock.advance(10_000);
    assert.deepEqual(allocator.scopes, []);

    loop.start();
    clock.advance(1000);
    assert.deepEqual(allocator.scopes, ['all']);
    loop.stop();
  });
});
