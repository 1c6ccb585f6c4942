import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.js';
import type { Offer } from '../../core/v1/cluster.js';
import type { TaskStatus } from '../../core/v1/tasks.js';
import { PromMetrics, SchedulerMetrics as s, specsOf } from '../../metrics/index.js';
import type { FrameworkHandlers, OfferLaunch } from '../../scheduler/index.js';
import { collectSchedulerGauges, instrumentHandlers, type SchedulerGauges } from './scheduler-metrics.js';

const offer = (id: string): Offer => ({ id: { value: id } }) as unknown as Offer;
const status = (taskId: string, state: string): TaskStatus =>
  ({ task_id: { value: taskId }, state }) as unknown as TaskStatus;

describe('instrumentHandlers', () => {
  it('counts offers, declines by reason, launches, and the latency to TASK_RUNNING', async () => {
    const clock = new ManualClock(0);
    const metrics = new PromMetrics(specsOf(s));
    let demand = 2;
    const updates: string[] = [];
    const inner: FrameworkHandlers = {
      wantsOffers: () => demand > 0,
      onOffers: (offers) => {
        // Launches one task on the first offer while there is demand.
        if (demand === 0) return [];
        const launch: OfferLaunch = {
          offer: offers[0]!,
          tasks: [{ task_id: { value: `t${demand}` } }] as never,
        };
        demand -= 1;
        return [launch];
      },
      onUpdate: (u) => void updates.push(u.state),
    };
    const handlers = instrumentHandlers(inner, metrics, clock);
    await handlers.onOffers([offer('o1'), offer('o2')]); // t2 launched; o2 declined, demand left: unsuitable
    await handlers.onOffers([offer('o3')]); // t1 launched, demand met
    await handlers.onOffers([offer('o4')]); // no demand
    clock.advance(1500);
    await handlers.onUpdate(status('t2', 'TASK_RUNNING'));
    await handlers.onUpdate(status('t2', 'TASK_RUNNING')); // a repeat is not observed again
    await handlers.onUpdate(status('t1', 'TASK_FAILED'));
    await handlers.onUpdate(status('t1', 'TASK_RUNNING')); // ended before running: not observed

    const readings = await metrics.read();
    assert.equal(readings.sum(s.offersReceivedTotal), 4);
    assert.equal(readings.sum(s.offersDeclinedTotal, { reason: 'unsuitable' }), 1);
    assert.equal(readings.sum(s.offersDeclinedTotal, { reason: 'no_demand' }), 1);
    assert.equal(readings.sum(s.tasksLaunchedTotal), 2);
    assert.equal(readings.count(s.taskLaunchLatencySeconds), 1);
    assert.equal(updates.length, 4, 'every update reaches the scheduler');
  });

  it('counts every offer declined with reason error when planning throws', async () => {
    const metrics = new PromMetrics(specsOf(s));
    const handlers = instrumentHandlers(
      {
        wantsOffers: () => true,
        onOffers: () => Promise.reject(new Error('boom')),
        onUpdate: () => undefined,
      },
      metrics,
      new ManualClock(0),
    );
    await assert.rejects(async () => await handlers.onOffers([offer('a'), offer('b')]), /boom/);
    assert.equal((await metrics.read()).sum(s.offersDeclinedTotal, { reason: 'error' }), 2);
  });
});

describe('collectSchedulerGauges', () => {
  it('reports totals per role, tasks by state and backoffs; a standby only subscribed 0', async () => {
    const metrics = new PromMetrics(specsOf(s));
    const leader: { gauges?: SchedulerGauges } = {};
    metrics.addCollector((sink) => collectSchedulerGauges(sink, leader.gauges !== undefined, leader.gauges));
    let readings = await metrics.read();
    assert.equal(readings.sum(s.subscribed), 0);
    assert.equal(readings.by(s.tasksWanted, 'role').size, 0);
    leader.gauges = {
      roles: [{ role: '*', wanted: 3, running: 2, queued: 1 }],
      tasksByState: { running: 2, staging: 0 },
      launchBackoffs: 1,
    };
    readings = await metrics.read();
    assert.equal(readings.sum(s.subscribed), 1);
    assert.equal(readings.sum(s.tasksWanted, { role: '*' }), 3);
    assert.equal(readings.sum(s.tasksRunning, { role: '*' }), 2);
    assert.equal(readings.sum(s.tasksQueued, { role: '*' }), 1);
    assert.equal(readings.sum(s.tasks, { state: 'running' }), 2);
    assert.equal(readings.sum(s.launchBackoffs), 1);
  });
});
