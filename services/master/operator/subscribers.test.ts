import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HierarchicalAllocator } from '../../allocator/hierarchical-allocator.js';
import { ManualClock } from '../../core/clock.js';
import { silentLogger } from '../../log/logger.js';
import type { EventSink } from '../../transport/event-stream.js';
import { MASTER_DEFAULTS } from '../master-config.js';
import { buildMasterInfo } from '../master-info.js';
import { Master } from '../master.js';
import { OperatorSubscribers } from './subscribers.js';
import type { Json } from './v1-json.js';

/** A sink that keeps what it was sent. */
class RecordingSink implements EventSink<Json> {
  readonly sent: Json[] = [];
  closed = false;
  private readonly handlers: (() => void)[] = [];
  send(event: Json): void {
    if (!this.closed) this.sent.push(event);
  }
  close(): void {
    this.closed = true;
    for (const fn of this.handlers.splice(0)) fn();
  }
  onClose(fn: () => void): void {
    this.handlers.push(fn);
  }
  types(): unknown[] {
    return this.sent.map((e) => e['type']);
  }
}

function setup(maxSubscribers = 10) {
  const clock = new ManualClock(1_000_000);
  const master = new Master({
    config: { ...MASTER_DEFAULTS, ip: '127.0.0.1', hostname: 'test', flags: {} },
    clock,
    log: silentLogger,
    allocator: new HierarchicalAllocator({ minAllocatable: [], fairnessExcludedResourceNames: [] }),
    masterInfo: buildMasterInfo('master-1', '127.0.0.1', 5050, 'test'),
    requestAllocation: () => undefined,
  });
  const subscribers = new OperatorSubscribers(master, {
    clock,
    heartbeatIntervalMs: 15_000,
    maxSubscribers,
    offerCounts: () => undefined,
  });
  return { clock, master, subscribers };
}

describe('OperatorSubscribers', () => {
  it('sends SUBSCRIBED with the state, a heartbeat at once, then one every interval', () => {
    const { clock, master, subscribers } = setup();
    const sink = new RecordingSink();
    subscribers.add(sink);
    assert.deepEqual(sink.types(), ['SUBSCRIBED', 'HEARTBEAT']);
    const subscribed = sink.sent[0]?.['subscribed'] as Json;
    assert.equal(subscribed['heartbeat_interval_seconds'], 15);
    assert.deepEqual(Object.keys(subscribed['get_state'] as Json).sort(), [
      'get_agents',
      'get_executors',
      'get_frameworks',
      'get_tasks',
    ]);
    clock.advance(14_999);
    assert.equal(sink.sent.length, 2);
    clock.advance(1);
    clock.advance(15_000);
    assert.deepEqual(sink.types(), ['SUBSCRIBED', 'HEARTBEAT', 'HEARTBEAT', 'HEARTBEAT']);
    sink.close();
    clock.advance(60_000);
    assert.equal(sink.sent.length, 4, 'no heartbeat after the stream closed');
    master.stop();
  });

  it('disconnects the oldest subscriber beyond the limit', () => {
    const { master, subscribers } = setup(2);
    const [first, second, third] = [new RecordingSink(), new RecordingSink(), new RecordingSink()];
    subscribers.add(first);
    subscribers.add(second);
    subscribers.add(third);
    assert.deepEqual([first.closed, second.closed, third.closed], [true, false, false]);
    master.stop();
  });

  it('renders events once the change that emitted them is complete, in order', async () => {
    const { master, subscribers } = setup();
    const sink = new RecordingSink();
    subscribers.add(sink);
    master.recoverFramework(
      { user: 'u', name: 'fw', id: { value: 'fw-1' }, failover_timeout: 0, checkpoint: false },
      'agent',
    );
    assert.deepEqual(sink.types(), ['SUBSCRIBED', 'HEARTBEAT'], 'nothing is sent in the middle of a change');
    await Promise.resolve();
    assert.deepEqual(sink.types(), ['SUBSCRIBED', 'HEARTBEAT', 'FRAMEWORK_ADDED']);
    const framework = (sink.sent[2]?.['framework_added'] as Json)['framework'] as Json;
    assert.equal(framework['recovered'], true);
    master.stop();
  });

  it('announces a deactivated agent as Mesos does, with another AGENT_ADDED of the whole agent', async () => {
    const { master, subscribers } = setup();
    const agentSink: EventSink<never> = {
      closed: false,
      send: () => undefined,
      close: () => undefined,
      onClose: () => undefined,
    };
    const id = master.agents.register(
      {
        agent_info: {
          hostname: 'h',
          port: 5051,
          resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 } }],
          attributes: [],
        },
        url: 'http://10.0.0.1:5051',
        tasks: [],
        frameworks: [],
        completed_tasks: [],
        completed_frameworks: [],
      },
      agentSink,
    );
    const sink = new RecordingSink();
    subscribers.add(sink);
    await master.maintenance.deactivate(id);
    await Promise.resolve();
    assert.deepEqual(sink.types(), ['SUBSCRIBED', 'HEARTBEAT', 'AGENT_ADDED']);
    const agent = (sink.sent[2]?.['agent_added'] as Json)['agent'] as Json;
    assert.deepEqual([agent['deactivated'], agent['active']], [true, false]);
    master.stop();
  });
});
