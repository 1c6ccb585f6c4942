/**
 * Who leads, as the HTTP handlers see it: serve, wait for recovery, or redirect to the leader.
 * `MasterElection` (election.ts) implements it for both the standalone and the ZooKeeper contender.
 */
import type { CoordinationSessionState } from '../coordination/contender.js';
import type { MasterInfo } from '../core/v1/cluster.js';

/**
 * - `leading`: elected and recovered; serves every endpoint.
 * - `recovering`: elected, still reading the registry; leader-only calls wait, then get 503.
 * - `standby`: not the leader; leader-only calls are redirected to `leader()` (503 if none).
 */
export type LeadershipStatus = 'leading' | 'recovering' | 'standby';

export interface Leadership {
  /**
   * Where this master stands at the moment of the call: a leader whose ZooKeeper lease ran out
   * (it was frozen past its session timeout, say) answers `standby` here before any ZooKeeper
   * event told it so.
   */
  status(): LeadershipStatus;
  /**
   * Resolves with `status()` once this master is no longer recovering, or after `maxWaitMs` at the
   * latest; at once when it is not recovering.
   */
  settled(maxWaitMs: number): Promise<LeadershipStatus>;
  /** The leader: this master's own info while it leads or recovers; `undefined` when none is known. */
  leader(): MasterInfo | undefined;
  /** When this master was elected (seconds since the epoch); `undefined` unless it leads or recovers. */
  electedTimeSec(): number | undefined;
  /** The state of the master's ZooKeeper session; `undefined` without ZooKeeper (or before contending). */
  zookeeperSessionState?(): CoordinationSessionState | undefined;
}

/** `//host:port`, the protocol-relative form Mesos puts in `Location` headers. */
export const leaderLocation = (leader: MasterInfo): string => `//${leader.hostname}:${leader.port}`;
