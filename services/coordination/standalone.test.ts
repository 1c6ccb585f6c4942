import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { masterInfoFixture } from '../../test/helpers/zookeeper.js';
import type { CandidacyLoss } from './contender.js';
import { leaderChanges, sameLeader } from './detector.js';
import { StandaloneContender, StandaloneDetector } from './standalone.js';

const m1 = masterInfoFixture(1);
const m2 = masterInfoFixture(2);

describe('StandaloneContender', () => {
  it('leads at once, reports elected after contend resolves, and stops leading when withdrawn', async () => {
    const events: string[] = [];
    const candidacy = await new StandaloneContender().contend(m1, {
      elected: () => events.push('elected'),
      lost: (loss: CandidacyLoss) => events.push(`lost:${loss.reason}`),
    });
    events.push('resolved');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(events, ['resolved', 'elected']);
    assert.equal(candidacy.isLeader(), true);
    await candidacy.withdraw();
    assert.equal(candidacy.isLeader(), false);
    assert.equal(candidacy.state(), 'withdrawn');
    assert.deepEqual(events, ['resolved', 'elected']);
  });

  it('never reports elected when withdrawn at once', async () => {
    const observer = {
      elected: () => assert.fail('elected after withdraw'),
      lost: () => assert.fail('lost'),
    };
    const candidacy = await new StandaloneContender().contend(m1, observer);
    await candidacy.withdraw();
    await new Promise((resolve) => setImmediate(resolve));
  });
});

describe('StandaloneDetector', () => {
  it('returns the fixed leader at once when it differs from the caller’s', async () => {
    await using detector = new StandaloneDetector(m1);
    assert.deepEqual(await detector.detect(undefined), m1);
  });

  it('waits for a change, then wakes every waiter whose leader differs', async () => {
    await using detector = new StandaloneDetector(m1);
    const sameAsCurrent = detector.detect(m1);
    const fromNone = detector.detect(undefined);
    assert.deepEqual(await fromNone, m1);
    detector.appoint(m2);
    assert.deepEqual(await sameAsCurrent, m2);
    detector.appoint(undefined);
    assert.equal(await detector.detect(m2), undefined);
  });

  it('without a leader, waits for the first appointment', async () => {
    await using detector = new StandaloneDetector();
    const pending = detector.detect(undefined);
    detector.appoint(m2);
    assert.deepEqual(await pending, m2);
  });

  it('rejects waiters on abort and on close', async () => {
    const detector = new StandaloneDetector(m1);
    const controller = new AbortController();
    const aborted = detector.detect(m1, controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(aborted, /stop/);
    const closing = detector.detect(m1);
    await detector.close();
    await assert.rejects(closing, /detector was closed/);
    await assert.rejects(detector.detect(undefined), /detector was closed/);
  });

  it('leaderChanges yields each new leader and ends on abort', async () => {
    const detector = new StandaloneDetector(m1);
    const controller = new AbortController();
    const seen: (string | undefined)[] = [];
    const consumer = (async () => {
      for await (const leader of leaderChanges(detector, controller.signal)) {
        seen.push(leader?.id);
        if (leader?.id === 'master-1') detector.appoint(m2);
        else if (leader?.id === 'master-2') detector.appoint(undefined);
        else controller.abort();
      }
    })();
    await consumer;
    assert.deepEqual(seen, ['master-1', 'master-2', undefined]);
  });

  it('compares leaders field by field, ignoring key order', () => {
    const reordered = { ...m1, address: { port: m1.port, ip: '127.0.0.1', hostname: 'm1.test' } };
    assert.equal(sameLeader(m1, reordered), true);
    assert.equal(sameLeader(m1, { ...m1, port: 1 }), false);
    assert.equal(sameLeader(undefined, undefined), true);
    assert.equal(sameLeader(m1, undefined), false);
  });
});
