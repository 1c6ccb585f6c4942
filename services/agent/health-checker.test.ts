import assert from 'node:assert/strict';
import { setImmediate as flush } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { HealthCheck } from '../core/v1/tasks.js';
import {
  type CheckResult,
  HealthChecker,
  healthCheckTiming,
  type HealthCheckTiming,
  refusedHealthCheck,
} from './health-checker.js';

const TIMING: HealthCheckTiming = {
  delayMs: 5000,
  intervalMs: 1000,
  timeoutMs: 500,
  gracePeriodMs: 10_000,
  consecutiveFailures: 3,
};

const pass: CheckResult = { ok: true, message: 'exited with code 0' };
const fail: CheckResult = { ok: false, message: 'exited with code 1' };

/**
 * A checker whose checks answer `script` in turn (`'hang'` never answers, an `Error` rejects),
 * recording when each check ran and every callback, on a manual clock.
 */
function scripted(
  script: readonly (CheckResult | 'hang' | Error)[],
  options: Partial<HealthCheckTiming> = {},
  graceOver = false,
) {
  const clock = new ManualClock();
  const ran: number[] = [];
  const events: string[] = [];
  let next = 0;
  const checker = new HealthChecker({
    clock,
    timing: { ...TIMING, ...options },
    graceOver,
    run: () => {
      ran.push(clock.nowMs());
      const answer = script[next++] ?? pass;
      if (answer instanceof Error) return Promise.reject(answer);
      return answer === 'hang' ? new Promise(() => undefined) : Promise.resolve(answer);
    },
    onVerdict: (healthy, message) =>
      events.push(`${clock.nowMs()} ${healthy ? 'healthy' : 'unhealthy'}: ${message}`),
    onFailed: (message) => events.push(`${clock.nowMs()} failed: ${message}`),
  });
  /** Moves the clock and lets the check's result be taken in. */
  const step = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await flush();
  };
  return { clock, checker, ran, events, step };
}

describe('HealthChecker', () => {
  it('checks after the delay, then an interval after each result; reports healthy once', async () => {
    const { checker, ran, events, step } = scripted([pass, pass, pass]);
    checker.start();
    await step(4999);
    assert.deepEqual(ran, []);
    await step(1);
    await step(1000);
    await step(1000);
    assert.deepEqual(ran, [5000, 6000, 7000]);
    assert.deepEqual(events, ['5000 healthy: exited with code 0']);
  });

  it('ignores failures within the grace period until a check has passed', async () => {
    const { checker, events, step } = scripted([fail, fail, fail, fail, fail, fail, fail], {
      delayMs: 0,
      intervalMs: 3000,
      gracePeriodMs: 7000,
      consecutiveFailures: 2,
    });
    checker.start();
    // Checks at 0, 3000 and 6000 fall within the 7 s grace: nothing is reported or counted.
    await step(0);
    await step(3000);
    await step(3000);
    assert.deepEqual(events, []);
    await step(3000);
    assert.deepEqual(events, ['9000 unhealthy: exited with code 1']);
    await step(3000);
    assert.deepEqual(events, [
      '9000 unhealthy: exited with code 1',
      '12000 failed: task failed 2 consecutive health checks: exited with code 1',
    ]);
  });

  it('counts failures within the grace period once a check has passed', async () => {
    const { checker, events, step } = scripted([pass, fail], { delayMs: 0, consecutiveFailures: 1 });
    checker.start();
    await step(0);
    await step(1000);
    assert.deepEqual(events, [
      '0 healthy: exited with code 0',
      '1000 unhealthy: exited with code 1',
      '1000 failed: task failed 1 consecutive health checks: exited with code 1',
    ]);
  });

  it('reports every flip; a pass resets the count of failures; nothing runs after the kill', async () => {
    const { checker, ran, events, step } = scripted([pass, fail, fail, pass, fail, fail, fail, pass], {
      delayMs: 0,
      gracePeriodMs: 0,
    });
    checker.start();
    await step(0);
    for (let i = 0; i < 9; i++) await step(1000);
    assert.deepEqual(events, [
      '0 healthy: exited with code 0',
      '1000 unhealthy: exited with code 1',
      '3000 healthy: exited with code 0',
      '4000 unhealthy: exited with code 1',
      '6000 failed: task failed 3 consecutive health checks: exited with code 1',
    ]);
    assert.deepEqual(ran, [0, 1000, 2000, 3000, 4000, 5000, 6000]);
  });

  it('fails a check that outlives its timeout and ignores its late result', async () => {
    const { checker, ran, events, step } = scripted(['hang', pass], { delayMs: 0, gracePeriodMs: 0 });
    checker.start();
    await step(0);
    await step(499);
    assert.deepEqual(events, []);
    await step(1);
    assert.deepEqual(events, ['500 unhealthy: timed out after 0.5 s']);
    await step(1000);
    assert.deepEqual(ran, [0, 1500]);
    assert.deepEqual(events, ['500 unhealthy: timed out after 0.5 s', '1500 healthy: exited with code 0']);
  });

  it('fails a check whose run rejects', async () => {
    const { checker, events, step } = scripted([new Error('engine gone')], { delayMs: 0 }, true);
    checker.start();
    await step(0);
    assert.deepEqual(events, ['0 unhealthy: could not run: Error: engine gone']);
  });

  it('has no grace period for a task adopted after an agent restart', async () => {
    const { checker, events, step } = scripted([fail], {}, true);
    checker.start();
    await step(TIMING.delayMs);
    assert.deepEqual(events, ['5000 unhealthy: exited with code 1']);
  });

  it('stops: no more checks, and the result of the one in flight is dropped', async () => {
    let answer: (result: CheckResult) => void = () => undefined;
    const clock = new ManualClock();
    const seen: string[] = [];
    const checker = new HealthChecker({
      clock,
      timing: { ...TIMING, delayMs: 0 },
      run: () => {
        seen.push('run');
        return new Promise((resolve) => (answer = resolve));
      },
      onVerdict: () => seen.push('verdict'),
      onFailed: () => seen.push('failed'),
    });
    checker.start();
    clock.advance(0);
    checker.stop();
    answer(pass);
    await flush();
    clock.advance(60_000);
    await flush();
    assert.deepEqual(seen, ['run']);
  });
});

describe('healthCheckTiming and refusedHealthCheck', () => {
  it("fills in Mesos's defaults", () => {
    assert.deepEqual(healthCheckTiming({ type: 'COMMAND' }), {
      delayMs: 15_000,
      intervalMs: 10_000,
      timeoutMs: 20_000,
      gracePeriodMs: 10_000,
      consecutiveFailures: 3,
    });
    assert.deepEqual(
      healthCheckTiming({
        type: 'COMMAND',
        delay_seconds: 0,
        interval_seconds: 1.5,
        timeout_seconds: 2,
        grace_period_seconds: 0,
        consecutive_failures: 1,
      }),
      { delayMs: 0, intervalMs: 1500, timeoutMs: 2000, gracePeriodMs: 0, consecutiveFailures: 1 },
    );
  });

  it('runs COMMAND checks with a command only', () => {
    const command = { value: 'true', shell: true };
    const refusals = (['HTTP', 'TCP', 'UNKNOWN'] as const).map((type) =>
      refusedHealthCheck({ type, command, http: { port: 80 } } satisfies HealthCheck),
    );
    assert.deepEqual(refusals, [
      "health_check type HTTP is not run by meso's agent; run HTTP/TCP checks from the scheduler",
      "health_check type TCP is not run by meso's agent; run HTTP/TCP checks from the scheduler",
      "health_check type UNKNOWN is not run by meso's agent; run HTTP/TCP checks from the scheduler",
    ]);
    assert.match(refusedHealthCheck({ type: 'COMMAND' }) ?? '', /needs a command/);
    assert.match(refusedHealthCheck({ type: 'COMMAND', command: { shell: true } }) ?? '', /needs a command/);
    assert.equal(refusedHealthCheck({ type: 'COMMAND', command }), undefined);
  });
});
