import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Candidacy, CandidacyState } from '../coordination/contender.js';
import { StandaloneDetector } from '../coordination/standalone.js';
import { ManualClock } from '../core/clock.js';
import { silentLogger } from '../log/logger.js';
import { leaderOnlyClock, MasterElection } from './election.js';
import { buildMasterInfo } from './master-info.js';

const self = buildMasterInfo('self', '10.0.0.1', 5050, 'm1');
const other = buildMasterInfo('other', '10.0.0.2', 5050, 'm2');
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A candidacy whose lease the test controls. */
function fakeCandidacy(): Candidacy & { lease: boolean } {
  const candidacy = {
    lease: true,
    state: (): CandidacyState => 'leader',
    isLeader: () => candidacy.lease,
    withdraw: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return candidacy;
}

function setUp() {
  const clock = new ManualClock(1_000_000);
  const detector = new StandaloneDetector(other);
  const deposed: string[] = [];
  let elected = 0;
  const election = new MasterElection({
    self,
    clock,
    log: silentLogger,
    detector,
    onElected: () => elected++,
    onDeposed: (reason) => deposed.push(reason),
  });
  const candidacy = fakeCandidacy();
  election.attach(candidacy);
  return { clock, detector, deposed, election, candidacy, elections: () => elected };
}

describe('MasterElection', () => {
  it('is a standby that names the detected leader, then recovers and leads once elected', async () => {
    const { election, elections } = setUp();
    await settle();
    assert.equal(election.status(), 'standby');
    assert.equal(election.leader()?.id, 'other');
    assert.equal(election.electedTimeSec(), undefined);

    election.observer.elected();
    assert.equal(elections(), 1);
    assert.equal(election.status(), 'recovering');
    assert.equal(election.leader()?.id, 'self');
    election.recovered();
    assert.equal(election.status(), 'leading');
    assert.equal(election.electedTimeSec(), 1000);
  });

  it('holds callers while recovering, until recovered or the wait runs out', async () => {
    const { election } = setUp();
    election.observer.elected();
    const first = election.settled(5000);
    election.recovered();
    assert.equal(await first, 'leading');

    const second = setUp();
    second.election.observer.elected();
    const waiting = second.election.settled(5000);
    second.clock.advance(5000);
    assert.equal(await waiting, 'recovering');
  });

  it('is deposed once, at the first check after its lease ran out', () => {
    const { election, candidacy, deposed } = setUp();
    election.observer.elected();
    election.recovered();
    candidacy.lease = false; // e.g. frozen past the session timeout
    assert.equal(election.status(), 'standby');
    assert.equal(election.isLeader(), false);
    election.observer.lost({ reason: 'session-expired', wasLeader: true });
    assert.deepEqual(deposed, ['the ZooKeeper session lease expired']);
  });

  it('never redirects to itself once deposed', async () => {
    const { election, detector } = setUp();
    election.observer.elected();
    detector.appoint(self);
    await settle();
    election.observer.lost({ reason: 'membership-removed', wasLeader: true });
    // The detector has not caught up and still names this master.
    assert.equal(election.leader(), undefined);
  });

  it('runs leader-only timers only while leading', () => {
    const clock = new ManualClock();
    let leading = true;
    const fired: string[] = [];
    const gated = leaderOnlyClock(clock, () => leading);
    gated.after(10, () => fired.push('while leading'));
    clock.advance(10);
    gated.after(10, () => fired.push('after deposition'));
    leading = false;
    clock.advance(10);
    assert.deepEqual(fired, ['while leading']);
  });
});
