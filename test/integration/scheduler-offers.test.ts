/** Offer flow against a real master and agent: filters from DECLINE, and offer_timeout rescinds. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Cluster, type MesoProcess } from '../helpers/cluster.js';
import { TestScheduler } from '../helpers/scheduler.js';

describe('scheduler API: offers', () => {
  const cluster = new Cluster();
  let master: MesoProcess;

  before(async () => {
    master = await cluster.startMaster({ allocation_interval: '100ms', offer_timeout: '1secs' });
    await cluster.startAgent(master.url, { resources: 'cpus:1;mem:512' });
  });
  after(() => cluster.stopAll());

  it('does not re-offer declined resources to that framework until refuse_seconds pass, but offers them to others', async () => {
    await using first = new TestScheduler(master.url, { name: 'decliner' });
    await first.subscribe();
    const [offer] = await first.nextOffers();
    const declinedAt = Date.now();
    await first.client.decline([offer!.id], { refuse_seconds: 3 });

    // Another framework gets the agent's resources at once (within a few allocation cycles).
    await using second = new TestScheduler(master.url, { name: 'other' });
    await second.subscribe();
    const [other] = await second.nextOffers('an offer to the second framework', 2000);
    assert.equal(other!.agent_id.value, offer!.agent_id.value);
    await second.client.decline([other!.id], { refuse_seconds: 60 });

    // The decliner sees the agent again only once its 3 s filter expired.
    const [again] = await first.nextOffers('the declined agent re-offered after the filter', 10_000);
    const waitedMs = Date.now() - declinedAt;
    assert.equal(again!.agent_id.value, offer!.agent_id.value);
    assert.ok(waitedMs >= 3000, `re-offered after ${waitedMs} ms, before the 3 s filter expired`);
  });

  it('rescinds an offer nobody answers within offer_timeout, then offers the resources again', async () => {
    await using scheduler = new TestScheduler(master.url, { name: 'silent' });
    await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    const rescind = await scheduler.next((e) => e.type === 'RESCIND', 'RESCIND after offer_timeout', 5000);
    assert.equal(rescind.type === 'RESCIND' && rescind.rescind.offer_id.value, offer!.id.value);
    const [fresh] = await scheduler.nextOffers('a fresh offer after the rescind');
    assert.notEqual(fresh!.id.value, offer!.id.value);
  });

  it('answers a launch on a rescinded offer with TASK_DROPPED (partition-aware) and keeps serving', async () => {
    await using scheduler = new TestScheduler(master.url, {
      name: 'late',
      capabilities: [{ type: 'PARTITION_AWARE' }],
    });
    await scheduler.subscribe();
    const [offer] = await scheduler.nextOffers();
    await scheduler.next((e) => e.type === 'RESCIND', 'RESCIND after offer_timeout', 5000);
    await scheduler.client.launch(offer!, [
      {
        name: 'late',
        task_id: { value: 'late-1' },
        command: { value: 'true' },
        resources: offer!.resources.slice(0, 1),
      },
    ]);
    const dropped = await scheduler.nextUpdate('late-1', 'TASK_DROPPED');
    assert.equal(dropped.reason, 'REASON_INVALID_OFFERS');
    assert.equal(dropped.source, 'SOURCE_MASTER');
  });
});
