import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { metricsMiddleware, UNMATCHED_ENDPOINT } from './http.js';
import { MasterMetrics, SchedulerMetrics, specsOf } from './names.js';
import { PromMetrics } from './prom-metrics.js';
import { startSchedulerMetrics } from './scheduler-metrics.js';

describe('metricsMiddleware', () => {
  const registry = new PromMetrics(specsOf(MasterMetrics));
  let server: Server;
  let base: string;

  before(async () => {
    const app = express();
    app.use(
      metricsMiddleware({ registry, http: MasterMetrics, snapshot: async () => ({ 'master/elected': 1 }) }),
    );
    app.get(['/state', '/master/state'], (_req, res) => void res.json({}));
    app.get('/tasks/:id', (_req, res) => void res.status(202).end());
    server = createServer(app).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const requestsTo = async (endpoint: string, code: string): Promise<number> =>
    (await registry.read()).sum(MasterMetrics.httpRequestsTotal, { endpoint, code });

  it('labels requests with the route pattern, never the raw path', async () => {
    await fetch(`${base}/master/state`);
    await fetch(`${base}/state`);
    await fetch(`${base}/tasks/t-1`);
    await fetch(`${base}/tasks/t-2`);
    await fetch(`${base}/no/such/path`);
    assert.equal(await requestsTo('/state', '200'), 2);
    assert.equal(await requestsTo('/tasks/:id', '202'), 2);
    assert.equal(await requestsTo(UNMATCHED_ENDPOINT, '404'), 1);
    const durations = (await registry.read()).count(MasterMetrics.httpRequestDurationSeconds, {
      endpoint: '/state',
    });
    assert.equal(durations, 2);
  });

  it('serves the Prometheus text format on /metrics', async () => {
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.match(await response.text(), /# TYPE meso_master_http_requests_total counter/);
    assert.equal(await requestsTo('/metrics', '200'), 1);
  });

  it('serves the snapshot as JSON, and refuses writes', async () => {
    const snapshot = await fetch(`${base}/metrics/snapshot?timeout=5secs`);
    assert.deepEqual(await snapshot.json(), { 'master/elected': 1 });
    assert.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
    assert.equal(await requestsTo('/metrics', '405'), 1);
  });
});

describe('startSchedulerMetrics', () => {
  it('serves a scheduler daemon its own /metrics on its own port', async () => {
    const { metrics, server } = await startSchedulerMetrics({ host: '127.0.0.1', port: 0 });
    try {
      metrics.inc(SchedulerMetrics.offersReceivedTotal, {}, 3);
      const text = await (await fetch(`${server.url}/metrics`)).text();
      assert.match(text, /meso_scheduler_offers_received_total 3/);
      assert.equal((await fetch(`${server.url}/metrics/snapshot`)).status, 404);
    } finally {
      await server.close();
    }
  });
});
