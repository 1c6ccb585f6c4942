/**
 * Election without ZooKeeper (Mesos `StandaloneMasterContender` / `StandaloneMasterDetector`):
 * for a single master, for agents and schedulers pointed at a fixed `host:port`, and for tests.
 */
import type { MasterInfo } from '../core/v1/cluster.js';
import type { Candidacy, CandidacyState, LeadershipObserver, MasterContender } from './contender.js';
import { LeaderTracker, type MasterDetector } from './detector.js';

/** The only master: every candidacy leads at once and keeps leading until withdrawn. */
export class StandaloneContender implements MasterContender {
  contend(_info: MasterInfo, observer: LeadershipObserver): Promise<Candidacy> {
    return Promise.resolve(new StandaloneCandidacy(observer));
  }
}

class StandaloneCandidacy implements Candidacy {
  private current: CandidacyState = 'leader';
  private readonly announcement: NodeJS.Immediate;

  constructor(observer: LeadershipObserver) {
    // `elected` must come after the caller has the candidacy in hand, however many `await`s
    // separate it from `contend`, so it waits until the microtask queue has drained.
    this.announcement = setImmediate(() => observer.elected());
  }

  state(): CandidacyState {
    return this.current;
  }

  isLeader(): boolean {
    return this.current === 'leader';
  }

  withdraw(): Promise<void> {
    clearImmediate(this.announcement);
    this.current = 'withdrawn';
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.withdraw();
  }
}

/**
 * Reports a fixed leader, or whichever one `appoint` names (Mesos lets tests and the in-process
 * cluster appoint a new master this way). Constructed without a leader, `detect` waits for the
 * first `appoint`.
 */
export class StandaloneDetector implements MasterDetector {
  private readonly tracker = new LeaderTracker();

  constructor(leader?: MasterInfo) {
    if (leader !== undefined) this.tracker.set(leader);
  }

  /** Makes `leader` the current one (`undefined`: no leader) and wakes `detect` callers. */
  appoint(leader: MasterInfo | undefined): void {
    this.tracker.set(leader);
  }

  detect(previous: MasterInfo | undefined, signal?: AbortSignal): Promise<MasterInfo | undefined> {
    return this.tracker.detect(previous, signal);
  }

  close(): Promise<void> {
    this.tracker.close();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
