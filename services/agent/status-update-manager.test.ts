import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { ManualClock } from '../core/clock.js';
import type { FrameworkId, TaskId } from '../core/ids.js';
import type { TaskState, TaskStatus } from '../core/v1/tasks.js';
import { silentLogger } from '../log/logger.js';
import { type ForwardedUpdate, StatusUpdateManager } from './status-update-manager.js';

const fw = 'fw-1' as FrameworkId;
const task = 't1' as TaskId;
const status = (state: TaskState, uuid: string, taskId: string = task): TaskStatus => ({
  task_id: { value: taskId },
  state,
  uuid,
});

describe('StatusUpdateManager', () => {
  let clock: ManualClock;
  let sent: { atMs: number; update: ForwardedUpdate }[];
  let sum: StatusUpdateManager;
  const sentStates = (): string[] => sent.map((s) => `${s.atMs}:${s.update.status.state}`);

  beforeEach(() => {
    clock = new ManualClock();
    sent = [];
    sum = new StatusUpdateManager({
      clock,
      log: silentLogger,
      send: (update) => sent.push({ atMs: clock.nowMs(), update }),
      retryMinMs: 1000,
      retryMaxMs: 5000,
    });
    sum.resume();
  });

  it('retries the head with doubling intervals, capped at the max', () => {
    sum.update(fw, status('TASK_STARTING', 'u1'));
    clock.advance(20_000);
    // Sends at 0, then after 1 s, 2 s, 4 s, then every 5 s (cap): 0, 1000, 3000, 7000, 12000, 17000.
    assert.deepEqual(
      sent.map((s) => s.atMs),
      [0, 1000, 3000, 7000, 12000, 17000],
    );
    assert.ok(sent.every((s) => s.update.status.uuid === 'u1'));
  });

  it('sends only the head, and the next update right after the head is acknowledged', () => {
    sum.update(fw, status('TASK_STARTING', 'u1'));
    sum.update(fw, status('TASK_RUNNING', 'u2'));
    sum.update(fw, status('TASK_FINISHED', 'u3'));
    assert.deepEqual(sentStates(), ['0:TASK_STARTING']);

    clock.advance(1000);
    // The retried head carries the state at the tail of the queue, as it is now.
    assert.equal(sent[1]?.update.latestState, 'TASK_FINISHED');
    assert.equal(sum.acknowledge(fw, task, 'u1'), 'acknowledged');
    clock.advance(500);
    assert.equal(sum.acknowledge(fw, task, 'u2'), 'acknowledged');
    assert.deepEqual(sentStates(), [
      '0:TASK_STARTING',
      '1000:TASK_STARTING',
      '1000:TASK_RUNNING',
      '1500:TASK_FINISHED',
    ]);
  });

  it('ignores acknowledgements with a wrong or stale uuid and keeps retrying', () => {
    sum.update(fw, status('TASK_STARTING', 'u1'));
    sum.update(fw, status('TASK_RUNNING', 'u2'));
    assert.equal(sum.acknowledge(fw, task, 'u2'), 'ignored');
    assert.equal(sum.acknowledge(fw, 'other' as TaskId, 'u1'), 'ignored');
    clock.advance(1000);
    assert.deepEqual(sentStates(), ['0:TASK_STARTING', '1000:TASK_STARTING']);
    assert.equal(sum.acknowledge(fw, task, 'u1'), 'acknowledged');
    assert.equal(sum.acknowledge(fw, task, 'u1'), 'ignored');
  });

  it('restarts the backoff for the next head', () => {
    sum.update(fw, status('TASK_STARTING', 'u1'));
    clock.advance(3000); // sent at 0, 1000, 3000; next interval would be 4000
    sum.update(fw, status('TASK_RUNNING', 'u2'));
    sum.acknowledge(fw, task, 'u1');
    clock.advance(1000);
    assert.deepEqual(sentStates().slice(3), ['3000:TASK_RUNNING', '4000:TASK_RUNNING']);
  });

  it('closes the stream when a terminal update is acknowledged', () => {
    sum.update(fw, status('TASK_FAILED', 'u1'));
    assert.equal(sum.acknowledge(fw, task, 'u1'), 'stream-closed');
    clock.advance(60_000);
    assert.equal(sent.length, 1);
    // A later update for the same task id starts a fresh stream.
    sum.update(fw, status('TASK_STARTING', 'u9'));
    assert.equal(sent.length, 2);
  });

  it('keeps streams of different tasks independent', () => {
    sum.update(fw, status('TASK_STARTING', 'a1', 'a'));
    sum.update(fw, status('TASK_STARTING', 'b1', 'b'));
    assert.deepEqual(
      sent.map((s) => s.update.status.task_id.value),
      ['a', 'b'],
    );
  });

  it('queues while paused and sends every head on resume', () => {
    sum.pause();
    sum.update(fw, status('TASK_STARTING', 'u1'));
    sum.update(fw, status('TASK_RUNNING', 'u2'));
    clock.advance(10_000);
    assert.equal(sent.length, 0);
    sum.resume();
    assert.deepEqual(sentStates(), ['10000:TASK_STARTING']);
    assert.equal(sent[0]?.update.latestState, 'TASK_RUNNING');
  });

  it('ignores a re-submitted uuid and drops a framework on cleanup', () => {
    sum.update(fw, status('TASK_STARTING', 'u1'));
    sum.update(fw, status('TASK_STARTING', 'u1'));
    sum.cleanup(fw);
    clock.advance(60_000);
    assert.equal(sent.length, 1);
  });

  it('sends nothing after stop', () => {
    sum.update(fw, status('TASK_STARTING', 'u1'));
    sum.stop();
    sum.resume();
    clock.advance(60_000);
    sum.update(fw, status('TASK_RUNNING', 'u2', 'other'));
    assert.equal(sent.length, 1);
  });

  it('refuses updates without a uuid', () => {
    assert.throws(() => sum.update(fw, { task_id: { value: 't' }, state: 'TASK_RUNNING' }), /needs a uuid/);
  });
});

describe('StatusUpdateManager with a checkpoint', () => {
  let clock: ManualClock;
  let sent: string[];
  let written: { taskId: string; latest: string; pending: string[] }[];
  let release: (() => void)[];
  let sum: StatusUpdateManager;
  /** Lets every pending `persist` complete, then the promise callbacks run. */
  const flush = async (): Promise<void> => {
    for (const done of release.splice(0)) done();
    await new Promise((resolve) => setImmediate(resolve));
  };

  beforeEach(() => {
    clock = new ManualClock();
    sent = [];
    written = [];
    release = [];
    sum = new StatusUpdateManager({
      clock,
      log: silentLogger,
      send: (update) => sent.push(update.status.uuid ?? ''),
      retryMinMs: 1000,
      retryMaxMs: 5000,
      persist: (_fw, taskId, stream) => {
        written.push({
          taskId,
          latest: stream.latestState,
          pending: stream.pending.map((s) => s.uuid ?? ''),
        });
        return new Promise((resolve) => release.push(resolve));
      },
    });
    sum.resume();
  });

  it('sends an update only once a write covering it completed, and resolves then', async () => {
    let durable = false;
    void sum.update(fw, status('TASK_STARTING', 'u1')).then(() => (durable = true));
    assert.deepEqual(sent, []);
    assert.equal(durable, false);
    await flush();
    assert.deepEqual(sent, ['u1']);
    assert.equal(durable, true);
  });

  it('writes one stream at a time, the latest content after the write in flight', async () => {
    void sum.update(fw, status('TASK_STARTING', 'u1'));
    void sum.update(fw, status('TASK_RUNNING', 'u2'));
    void sum.update(fw, status('TASK_FINISHED', 'u3'));
    assert.equal(written.length, 1);
    await flush();
    assert.deepEqual(written[1], { taskId: 't1', latest: 'TASK_FINISHED', pending: ['u1', 'u2', 'u3'] });
    await flush();
    assert.equal(sum.acknowledge(fw, task, 'u1'), 'acknowledged');
    // The next head was durable already: sent at once, and the shorter queue is written.
    assert.deepEqual(sent, ['u1', 'u2']);
    assert.deepEqual(written.at(-1), { taskId: 't1', latest: 'TASK_FINISHED', pending: ['u2', 'u3'] });
  });

  it('does not queue an acknowledged uuid again, and restores streams durable', async () => {
    void sum.update(fw, status('TASK_RUNNING', 'u1'));
    await flush();
    sum.acknowledge(fw, task, 'u1');
    await sum.update(fw, status('TASK_RUNNING', 'u1'));
    assert.equal(sum.pendingCount(), 0);

    sum.restore(fw, 'other' as TaskId, {
      latestState: 'TASK_FINISHED',
      pending: [status('TASK_FINISHED', 'r1', 'other')],
    });
    sum.resume();
    assert.equal(sent.at(-1), 'r1');
  });
});
