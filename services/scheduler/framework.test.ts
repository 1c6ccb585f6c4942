import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Offer } from '../core/v1/cluster.js';
import type { TaskStatus } from '../core/v1/tasks.js';
import { Framework, type FrameworkHandlers, type OfferLaunch } from './framework.js';
import { FileFrameworkIdStore, InMemoryFrameworkIdStore } from './framework-id-store.js';
import { staticMaster } from './master-locator.js';
import { accepted, FakeMaster, openStream, subscribedEvent, writeEvents } from './testing/fake-master.js';
import { waitUntil } from './testing/wait.js';

const offerEvent = (...ids: string[]): object => ({
  type: 'OFFERS',
  offers: {
    offers: ids.map((id) => ({
      id: { value: id },
      framework_id: { value: 'F1' },
      agent_id: { value: 'A1' },
      hostname: 'agent1',
      resources: [{ name: 'cpus', type: 'SCALAR', scalar: { value: 1 }, allocation_info: { role: '*' } }],
      allocation_info: { role: '*' },
    })),
  },
});

/** Handlers whose demand the test sets; launches one task on the first offer when it wants offers. */
class TestHandlers implements FrameworkHandlers {
  demand = true;
  readonly updates: TaskStatus[] = [];
  errors: string[] = [];
  wantsOffers = (): boolean => this.demand;
  onOffers = (offers: readonly Offer[]): OfferLaunch[] => {
    const [first] = offers;
    if (first === undefined) return [];
    this.demand = false;
    return [{ offer: first, tasks: [{ name: 't1', task_id: { value: 't1' }, resources: [] }] }];
  };
  onUpdate = (status: TaskStatus): void => {
    this.updates.push(status);
  };
  knownTasks = () => [{ task_id: { value: 'old-task' } }];
  onError = (message: string): void => {
    this.errors.push(message);
  };
}

describe('Framework', () => {
  it('fails over with the stored id and reconciles explicitly, then implicitly', async () => {
    await using master = await FakeMaster.start((received, res) => {
      if (received.call.type === 'SUBSCRIBE') openStream(res, 'S1', subscribedEvent('F1'));
      else accepted(res);
    });
    const idStore = new InMemoryFrameworkIdStore('F1');
    const handlers = new TestHandlers();
    handlers.demand = false;
    await using framework = await Framework.start({
      master: staticMaster(master.url),
      info: { user: 'u', name: 'fw' },
      idStore,
      handlers,
    });
    assert.equal(await framework.subscribed, 'F1');
    await waitUntil(() => master.callsOf('SUPPRESS').length === 1, 'SUPPRESS');

    const [subscribe] = master.callsOf('SUBSCRIBE');
    const info = (subscribe?.call.subscribe as { framework_info: Record<string, unknown> }).framework_info;
    assert.deepEqual(info.id, { value: 'F1' });
    assert.equal(info.failover_timeout, 7 * 24 * 3600);
    const reconciles = master.callsOf('RECONCILE').map((r) => r.call.reconcile);
    assert.deepEqual(reconciles, [{ tasks: [{ task_id: { value: 'old-task' } }] }, { tasks: [] }]);
  });

  it('stores a new id, launches on one offer, declines the rest and suppresses when done', async () => {
    let stream: Parameters<typeof writeEvents>[0] | undefined;
    await using master = await FakeMaster.start((received, res) => {
      if (received.call.type === 'SUBSCRIBE') {
        stream = res;
        openStream(res, 'S1', subscribedEvent('F9'), offerEvent('o1', 'o2'));
      } else accepted(res);
    });
    const idStore = new InMemoryFrameworkIdStore();
    const handlers = new TestHandlers();
    await using framework = await Framework.start({
      master: staticMaster(master.url),
      info: { user: 'u', name: 'fw' },
      idStore,
      handlers,
    });
    await waitUntil(() => master.callsOf('SUPPRESS').length === 1, 'SUPPRESS after the launch');
    assert.equal(await idStore.load(), 'F9');

    const [accept] = master.callsOf('ACCEPT');
    assert.deepEqual((accept?.call.accept as { offer_ids: unknown }).offer_ids, [{ value: 'o1' }]);
    const [decline] = master.callsOf('DECLINE');
    assert.deepEqual(decline?.call.decline, { offer_ids: [{ value: 'o2' }], filters: { refuse_seconds: 5 } });

    // Idle offers are declined with the long filter.
    assert.ok(stream);
    writeEvents(stream, offerEvent('o3'));
    await waitUntil(() => master.callsOf('DECLINE').length === 2, 'the idle decline');
    assert.deepEqual(master.callsOf('DECLINE')[1]?.call.decline, {
      offer_ids: [{ value: 'o3' }],
      filters: { refuse_seconds: 120 },
    });

    // Demand returns: one REVIVE.
    handlers.demand = true;
    framework.demandChanged();
    await waitUntil(() => master.callsOf('REVIVE').length === 1, 'REVIVE');
  });

  it('acknowledges an update after the handler ran', async () => {
    await using master = await FakeMaster.start((received, res) => {
      if (received.call.type === 'SUBSCRIBE') {
        openStream(
          res,
          'S1',
          subscribedEvent('F1'),
          {
            type: 'UPDATE',
            update: {
              status: {
                task_id: { value: 't1' },
                state: 'TASK_RUNNING',
                agent_id: { value: 'A1' },
                uuid: 'dXVpZA==',
              },
            },
          },
          { type: 'HEARTBEAT' },
        );
      } else accepted(res);
    });
    const handlers = new TestHandlers();
    handlers.demand = false;
    await using _framework = await Framework.start({
      master: staticMaster(master.url),
      info: { user: 'u', name: 'fw' },
      idStore: new InMemoryFrameworkIdStore(),
      handlers,
    });
    await waitUntil(() => master.callsOf('ACKNOWLEDGE').length === 1, 'ACKNOWLEDGE');
    assert.equal(handlers.updates[0]?.state, 'TASK_RUNNING');
  });

  it('clears the stored id when the master removed the framework', async () => {
    await using master = await FakeMaster.start((received, res) => {
      if (received.call.type === 'SUBSCRIBE')
        openStream(res, 'S1', { type: 'ERROR', error: { message: 'Framework has been removed' } });
      else accepted(res);
    });
    const idStore = new InMemoryFrameworkIdStore('F1');
    const handlers = new TestHandlers();
    await using framework = await Framework.start({
      master: staticMaster(master.url),
      info: { user: 'u', name: 'fw' },
      idStore,
      handlers,
    });
    await waitUntil(() => handlers.errors.length === 1, 'onError');
    assert.equal(await idStore.load(), undefined);
    assert.equal(framework.currentState, 'stopped');
  });
});

describe('FileFrameworkIdStore', () => {
  it('round-trips and clears', async () => {
    const store = new FileFrameworkIdStore(
      join(await mkdtemp(join(tmpdir(), 'fwid-')), 'sub', 'framework-id'),
    );
    assert.equal(await store.load(), undefined);
    await store.save('F-123');
    assert.equal(await store.load(), 'F-123');
    await store.clear();
    assert.equal(await store.load(), undefined);
  });
});
