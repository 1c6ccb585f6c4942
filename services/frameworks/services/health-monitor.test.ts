import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.js';
import { silentLogger } from '../../log/logger.js';
import { parseAppDefinition } from './app-definition.js';
import type { CheckResult } from './health-state.js';
import { HealthMonitor } from './health-monitor.js';

const checks = parseAppDefinition({
  id: 'web',
  cmd: 'x',
  ports: ['http'],
  healthChecks: [
    {
      protocol: 'HTTP',
      path: '/health',
      intervalSeconds: 2,
      timeoutSeconds: 1,
      gracePeriodSeconds: 0,
      maxConsecutiveFailures: 2,
    },
    { protocol: 'COMMAND', command: 'true' },
  ],
}).healthChecks;

/** Lets the monitor's awaited probe settle after the clock fired it. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('HealthMonitor', () => {
  it('probes on the clock and reports a task once it reaches the failure limit', async () => {
    const clock = new ManualClock(0);
    const results: CheckResult[] = [
      { ok: true, message: 'HTTP 200' },
      { ok: false, message: 'HTTP 500' },
      { ok: false, message: 'HTTP 500' },
    ];
    const probed: string[] = [];
    const unhealthy: string[] = [];
    const monitor = new HealthMonitor({
      clock,
      log: silentLogger,
      prober: (check, host, port) => {
        probed.push(`${check.protocol} ${host}:${port}${check.path}`);
        return Promise.resolve(results.shift() ?? { ok: false, message: 'HTTP 500' });
      },
      onUnhealthy: (taskId, reason) => unhealthy.push(`${taskId}: ${reason}`),
      onChange: () => undefined,
    });
    monitor.watch({ taskId: 't1', host: '10.0.0.1', ports: [31000], checks, startedAtMs: 0 });
    assert.equal(monitor.isHealthy('t1'), undefined);

    clock.advance(1000); // first check after 1 s: pass
    await settle();
    assert.equal(monitor.isHealthy('t1'), true);
    clock.advance(2000); // fail 1
    await settle();
    assert.equal(monitor.isHealthy('t1'), false);
    assert.deepEqual(unhealthy, []);
    clock.advance(2000); // fail 2: the limit
    await settle();
    assert.deepEqual(unhealthy, ['t1: HTTP health check failed 2 times in a row (last: HTTP 500)']);
    clock.advance(10_000); // a condemned task is not probed again; COMMAND checks never are
    await settle();
    assert.deepEqual(probed, Array(3).fill('HTTP 10.0.0.1:31000/health'));
    monitor.stop();
  });

  it('counts a probe that outlives its timeout as a failure', async () => {
    const clock = new ManualClock(0);
    const monitor = new HealthMonitor({
      clock,
      log: silentLogger,
      prober: (_check, _host, _port, signal) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => resolve({ ok: false, message: 'aborted' })),
        ),
      onUnhealthy: () => undefined,
      onChange: () => undefined,
    });
    monitor.watch({ taskId: 't1', host: 'h', ports: [1], checks, startedAtMs: 0 });
    clock.advance(1000);
    clock.advance(1000); // the 1 s timeout
    await settle();
    assert.equal(monitor.states('t1')[0]?.last?.message, 'timed out after 1000ms');
    monitor.stop();
  });
});
