import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { noopMetrics } from './metrics.js';
import type { CounterSpec, GaugeSpec, HistogramSpec } from './names.js';
import { PromMetrics } from './prom-metrics.js';

const requests: CounterSpec<'code'> = {
  type: 'counter',
  name: 't_requests_total',
  help: 'Requests',
  labels: ['code'],
};
const cpuSeconds: CounterSpec<'role'> = {
  type: 'counter',
  name: 't_cpu_seconds_total',
  help: 'CPU',
  labels: ['role'],
};
const allocated: GaugeSpec<'role'> = {
  type: 'gauge',
  name: 't_allocated',
  help: 'Allocated',
  labels: ['role'],
};
const runs: HistogramSpec = {
  type: 'histogram',
  name: 't_run_duration_seconds',
  help: 'Runs',
  labels: [],
  buckets: [0.1, 1],
  window: 3,
};

const seriesLines = (text: string): string[] =>
  text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));

describe('PromMetrics', () => {
  it('declares every spec up front, so HELP and TYPE appear before the first value', async () => {
    const text = await new PromMetrics([requests, allocated, runs]).exposition();
    assert.match(text, /# HELP t_requests_total Requests\n# TYPE t_requests_total counter/);
    assert.match(text, /# TYPE t_allocated gauge/);
    assert.match(text, /# TYPE t_run_duration_seconds histogram/);
  });

  it('counts with labels and never decrements a counter', async () => {
    const metrics = new PromMetrics([requests]);
    metrics.inc(requests, { code: '200' });
    metrics.inc(requests, { code: '200' }, 2);
    metrics.inc(requests, { code: '200' }, -5);
    metrics.inc(requests, { code: '404' });
    const readings = await metrics.read();
    assert.equal(readings.sum(requests, { code: '200' }), 3);
    assert.equal(readings.sum(requests), 4);
  });

  it('drops label sets a collector no longer writes (a role that left)', async () => {
    const metrics = new PromMetrics([allocated]);
    let roles = ['web', 'batch'];
    metrics.addCollector((sink) => {
      for (const role of roles) sink.set(allocated, { role }, 1);
    });
    assert.deepEqual(seriesLines(await metrics.exposition()), [
      't_allocated{role="web"} 1',
      't_allocated{role="batch"} 1',
    ]);
    roles = ['web'];
    assert.deepEqual(seriesLines(await metrics.exposition()), ['t_allocated{role="web"} 1']);
  });

  it('adds within one collection and starts again from 0 at the next', async () => {
    const metrics = new PromMetrics([allocated]);
    metrics.addCollector((sink) => {
      // web: 0.5 + 1.5 = 2, then set replaces: batch = 7
      sink.add(allocated, { role: 'web' }, 0.5);
      sink.add(allocated, { role: 'web' }, 1.5);
      sink.add(allocated, { role: 'batch' }, 3);
      sink.set(allocated, { role: 'batch' }, 7);
    });
    for (let scrape = 0; scrape < 2; scrape++) {
      const readings = await metrics.read();
      assert.equal(readings.sum(allocated, { role: 'web' }), 2);
      assert.equal(readings.sum(allocated, { role: 'batch' }), 7);
    }
  });

  it('lets collectors report counters read from state, rendered as counters', async () => {
    const metrics = new PromMetrics([cpuSeconds]);
    let total = 12.5;
    metrics.addCollector((sink) => sink.set(cpuSeconds, { role: 'web' }, total));
    assert.match(
      await metrics.exposition(),
      /# TYPE t_cpu_seconds_total counter\nt_cpu_seconds_total\{role="web"\} 12.5/,
    );
    total = 20;
    assert.equal((await metrics.read()).sum(cpuSeconds), 20);
  });

  it('runs collectors once for scrapes that arrive while a collection is in progress', async () => {
    const metrics = new PromMetrics([allocated]);
    let calls = 0;
    metrics.addCollector(async (sink) => {
      calls++;
      await new Promise((resolve) => setTimeout(resolve, 20));
      sink.set(allocated, { role: 'web' }, calls);
    });
    const [first, second] = await Promise.all([metrics.exposition(), metrics.exposition()]);
    assert.equal(calls, 1);
    assert.equal(first, second);
    await metrics.exposition();
    assert.equal(calls, 2);
  });

  it('stops calling a collector once it is removed', async () => {
    const metrics = new PromMetrics([allocated]);
    const remove = metrics.addCollector((sink) => sink.set(allocated, { role: 'web' }, 1));
    remove();
    assert.deepEqual(seriesLines(await metrics.exposition()), []);
  });

  it('keeps the latest `window` observations of a histogram, oldest first', async () => {
    const metrics = new PromMetrics([runs]);
    for (const seconds of [0.01, 0.02, 0.03, 0.04, 0.05]) metrics.observe(runs, {}, seconds);
    const readings = await metrics.read();
    assert.deepEqual(readings.recent(runs), [0.03, 0.04, 0.05]);
    assert.equal(readings.count(runs), 5);
  });

  it('keeps registries apart: two daemons in one process share no series', async () => {
    const master = new PromMetrics([requests]);
    const agent = new PromMetrics([requests]);
    master.inc(requests, { code: '200' });
    assert.equal((await agent.read()).sum(requests), 0);
  });
});

describe('noopMetrics', () => {
  it('accepts every call and renders nothing', async () => {
    noopMetrics.inc(requests, { code: '200' });
    noopMetrics.observe(runs, {}, 1);
    noopMetrics.addCollector(() => assert.fail('collectors never run'))();
    assert.equal(await noopMetrics.exposition(), '');
    assert.equal((await noopMetrics.read()).sum(requests), 0);
  });
});
