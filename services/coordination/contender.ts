/**
 * Leader election seam (Mesos `MasterContender`). A master enters the election with its
 * `MasterInfo` and is told when it becomes the leader and when it stops being one. Implementations:
 * `StandaloneContender` (the only master always leads) and `ZkMasterContender`.
 */
import type { MasterInfo } from '../core/v1/cluster.js';

/** Why a membership in the election ended. */
export type CandidacyLossReason =
  /**
   * The session ended: ZooKeeper said it expired, or it answered nothing for a whole session
   * timeout, after which the server may already have expired it.
   */
  | 'session-expired'
  /** Our election node disappeared (deleted by an operator or another client). */
  | 'membership-removed'
  /** Another member now sorts first (only possible if a lower node's data became readable). */
  | 'superseded'
  /** The election group could not be read (e.g. its ACL refuses our credentials). */
  | 'coordination-error';

export interface CandidacyLoss {
  readonly reason: CandidacyLossReason;
  /** True when this master was the leader until now: it must stop acting as one. */
  readonly wasLeader: boolean;
}

/**
 * Receives election results. Both methods are called synchronously from the contender, in order,
 * never concurrently, and never after `withdraw()` was called.
 */
export interface LeadershipObserver {
  /** This master now leads; it may recover the registry and then serve leader-only requests. */
  elected(): void;
  /**
   * The membership ended. When `wasLeader`, leadership ended with it and the master must stop
   * acting as the leader before returning (Mesos masters exit here). The contender then enters
   * the election again on its own (a new session and node) unless withdrawn.
   */
  lost(loss: CandidacyLoss): void;
}

export type CandidacyState =
  /** Connecting to the coordination service or waiting to enter the election again. */
  | 'connecting'
  /** In the election, not leading. */
  | 'candidate'
  | 'leader'
  /** Withdrawn by the owner; terminal. */
  | 'withdrawn';

/** The state of the coordination session a candidacy currently uses (ZooKeeper's). */
export type CoordinationSessionState = 'connected' | 'disconnected' | 'expired' | 'closed';

/** One master's place in the election, from `contend()` until `withdraw()`. */
export interface Candidacy extends AsyncDisposable {
  /**
   * The state of the current coordination session; after a term ended, the last state it reached
   * (`expired` after an expiry) until the next session exists. Absent without a coordination
   * service (standalone).
   */
  sessionState?(): CoordinationSessionState;
  state(): CandidacyState;
  /**
   * True only while this master leads *and* can still prove it: checked against the clock at the
   * moment of the call, so a master that was frozen (SIGSTOP, long GC) past its session timeout
   * answers `false` even before the `lost` notification has been delivered. Gate every
   * leader-only action on it.
   */
  isLeader(): boolean;
  /**
   * Leaves the election: removes this master's node so a successor is elected at once, and stops
   * all timers. Idempotent. No `lost` notification follows.
   */
  withdraw(): Promise<void>;
}

export interface MasterContender {
  /**
   * Enters the election with `info`. Resolves once the membership exists (for ZooKeeper: the
   * election node was created), before any `elected()` call. Rejects with a `CoordinationError`
   * when the coordination service cannot be reached within the connect timeout; a master should
   * then exit or retry later, not spin.
   */
  contend(info: MasterInfo, observer: LeadershipObserver): Promise<Candidacy>;
}
