import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../core/clock.js';
import { silentLogger } from '../../log/logger.js';
import { RetryLoop, retryDelayMs } from './session-term.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RetryLoop', () => {
  it('backs off exponentially up to the cap while attempts fail, and resets after a success', async () => {
    const clock = new ManualClock();
    const loop = new RetryLoop(clock, { initialMs: 100, maxMs: 500 }, silentLogger, 'connecting');
    const attemptsAt: number[] = [];
    let failuresLeft = 4;
    const attempt = async (): Promise<void> => {
      attemptsAt.push(clock.nowMs());
      if (failuresLeft-- > 0) throw new Error('unreachable');
    };
    loop.schedule(attempt);
    for (let i = 0; i < 40; i++) {
      clock.advance(50);
      await flush();
    }
    // delays 100, 200, 400, 500 (capped), 500 → attempts at 100, 300, 700, 1200, 1700
    assert.deepEqual(attemptsAt, [100, 300, 700, 1200, 1700]);
    loop.schedule(attempt); // at 2000, after the success: the delay starts over at 100
    clock.advance(100);
    await flush();
    assert.equal(attemptsAt.at(-1), 2100);
  });

  it('runs nothing once cancelled', async () => {
    const clock = new ManualClock();
    const loop = new RetryLoop(clock, { initialMs: 100, maxMs: 500 }, silentLogger, 'connecting');
    let attempts = 0;
    loop.schedule(async () => {
      attempts++;
      throw new Error('unreachable');
    });
    clock.advance(100);
    await flush();
    loop.cancel();
    clock.advance(10_000);
    await flush();
    assert.equal(attempts, 1);
  });

  it('caps the exponent so huge failure counts stay finite', () => {
    assert.equal(retryDelayMs({ initialMs: 250, maxMs: 10_000 }, 5000), 10_000);
  });
});
