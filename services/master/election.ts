/**
 * The master's place in the election (Mesos `Master::contended` / `lostCandidacy` / `detected`):
 *
 *   standby ──elected──▶ recovering ──registry recovered──▶ leading
 *      │                     │                                 │
 *      └─────────────────────┴──── lost leadership ───────────┴──▶ deposed (final)
 *
 * A deposed master never leads again in this process: `onDeposed` is told once, and `meso master`
 * exits there (as Mesos masters do) so that its supervisor restarts it as a fresh standby. Its soft
 * state (frameworks, offers, streams, timers) is never trusted again, which is much simpler to get
 * right than resetting it in place.
 *
 * Standbys learn the leader from a `MasterDetector`, to redirect clients there.
 */
import type { Candidacy, CoordinationSessionState, LeadershipObserver } from '../coordination/contender.js';
import { leaderChanges, type MasterDetector } from '../coordination/detector.js';
import type { Clock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import type { MasterInfo } from '../core/v1/cluster.js';
import type { Logger } from '../log/logger.js';
import type { Leadership, LeadershipStatus } from './leadership.js';

type ElectionState = 'standby' | 'recovering' | 'leading' | 'deposed';

const TRANSITIONS: Readonly<Record<ElectionState, readonly ElectionState[]>> = {
  standby: ['recovering', 'deposed'],
  recovering: ['leading', 'deposed'],
  leading: ['deposed'],
  deposed: [],
};

export interface MasterElectionDeps {
  readonly self: MasterInfo;
  readonly clock: Clock;
  readonly log: Logger;
  /** Names the leader to standbys; without one (standalone) a standby knows no leader. */
  readonly detector?: MasterDetector;
  /** Called once, when elected: recover the registry, then call `recovered()`. */
  readonly onElected: () => void;
  /** Called once, when this master stops leading; see the file comment. */
  readonly onDeposed: (reason: string) => void;
}

export class MasterElection implements Leadership {
  private state: ElectionState = 'standby';
  private candidacy: Candidacy | undefined;
  private detected: MasterInfo | undefined;
  private electedAtMs: number | undefined;
  private readonly waiters = new Set<() => void>();
  private readonly following = new AbortController();
  private readonly log: Logger;

  constructor(private readonly deps: MasterElectionDeps) {
    this.log = deps.log.child({ component: 'master.election', masterId: deps.self.id });
    if (deps.detector !== undefined) void this.follow(deps.detector);
  }

  /** What the contender reports to; pass it to `contend()`. */
  readonly observer: LeadershipObserver = {
    elected: () => this.elected(),
    lost: ({ reason, wasLeader }) => {
      if (wasLeader) this.depose(`lost leadership (${reason})`);
      else this.log.info('lost candidacy; contending again', { reason });
    },
  };

  /** Hands over the candidacy `contend()` resolved with; its lease is checked from then on. */
  attach(candidacy: Candidacy): void {
    this.candidacy = candidacy;
  }

  /** True while elected (recovering or leading) and the candidacy's lease still holds. */
  isLeader(): boolean {
    return this.status() !== 'standby';
  }

  status(): LeadershipStatus {
    if (this.state !== 'recovering' && this.state !== 'leading') return 'standby';
    // The candidacy checks its ZooKeeper lease against the clock, so a leader that was frozen
    // past its session timeout stops here, on its first action after thawing.
    if (this.candidacy?.isLeader() === false) {
      this.depose('the ZooKeeper session lease expired');
      return 'standby';
    }
    return this.state;
  }

  settled(maxWaitMs: number): Promise<LeadershipStatus> {
    if (this.state !== 'recovering') return Promise.resolve(this.status());
    return new Promise((resolve) => {
      const wake = (): void => {
        this.waiters.delete(wake);
        cancel();
        resolve(this.status());
      };
      const cancel = this.deps.clock.after(maxWaitMs, wake);
      this.waiters.add(wake);
    });
  }

  leader(): MasterInfo | undefined {
    if (this.status() !== 'standby') return this.deps.self;
    // A detector can still name this master after it was deposed; never redirect to ourselves.
    return this.detected?.id === this.deps.self.id ? undefined : this.detected;
  }

  zookeeperSessionState(): CoordinationSessionState | undefined {
    return this.candidacy?.sessionState?.();
  }

  /**
   * The other masters in the election (the group's members but the leader), as the detector last
   * saw them; `undefined` without a detector that lists members (standalone).
   */
  standbys(): readonly MasterInfo[] | undefined {
    const members = this.deps.detector?.members?.();
    if (members === undefined) return undefined;
    const leaderId = this.leader()?.id ?? members[0]?.id;
    return members.filter((m) => m.id !== leaderId);
  }

  electedTimeSec(): number | undefined {
    return this.electedAtMs === undefined || this.status() === 'standby'
      ? undefined
      : this.electedAtMs / 1000;
  }

  /** The registry is recovered: serve as the leader. Ignored unless recovering. */
  recovered(): void {
    if (this.state !== 'recovering') return;
    this.moveTo('leading');
    this.log.info('serving as the leading master', {
      recoveryMs: this.deps.clock.nowMs() - (this.electedAtMs ?? 0),
    });
    this.wakeWaiters();
  }

  /** Stops leading for good and tells `onDeposed` (once). */
  depose(reason: string): void {
    if (this.state === 'deposed') return;
    const wasLeading = this.state !== 'standby';
    this.moveTo('deposed');
    this.log.error('stopped acting as the leading master', { reason, wasLeading });
    this.following.abort();
    this.wakeWaiters();
    this.deps.onDeposed(reason);
  }

  /** Leaves the election (a successor is elected at once) and stops following the leader. */
  async close(): Promise<void> {
    this.following.abort();
    this.wakeWaiters();
    await this.candidacy?.withdraw();
  }

  private elected(): void {
    if (this.state !== 'standby') return;
    this.moveTo('recovering');
    this.electedAtMs = this.deps.clock.nowMs();
    this.log.info('elected leading master; recovering the registry');
    this.deps.onElected();
  }

  private async follow(detector: MasterDetector): Promise<void> {
    try {
      for await (const leader of leaderChanges(detector, this.following.signal)) this.detected = leader;
    } catch (error) {
      this.log.warn('stopped following the leading master', { err: String(error) });
    }
  }

  private wakeWaiters(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private moveTo(next: ElectionState): void {
    if (!TRANSITIONS[this.state].includes(next)) {
      throw new MesoError('ILLEGAL_STATE', `master election cannot go from '${this.state}' to '${next}'`);
    }
    this.state = next;
  }
}

/**
 * The clock for leader-only work (allocation, agent health checks, framework failover, offer
 * expiry, heartbeats): a timer's callback runs only if this master still leads when it fires. A
 * master that was frozen past its session timeout thus does nothing as leader when it thaws,
 * whichever of its timers fires first; the check itself deposes it.
 */
export function leaderOnlyClock(clock: Clock, isLeader: () => boolean): Clock {
  return {
    nowMs: () => clock.nowMs(),
    after: (delayMs, fn) =>
      clock.after(delayMs, () => {
        if (isLeader()) fn();
      }),
  };
}
