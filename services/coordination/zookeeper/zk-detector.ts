/**
 * Leader detection through ZooKeeper (Mesos `ZooKeeperMasterDetector`): watches the election
 * group and reports the `MasterInfo` of the lowest readable `json.info_<seq>` member. Works against
 * groups written by Mesos masters as well as ours.
 *
 * Like Mesos, it keeps reporting the last leader it saw while ZooKeeper is unreachable, and reads
 * the group afresh after reconnecting or, when the session expired, with a new session.
 */
import type { Clock } from '../../core/clock.js';
import type { MasterInfo } from '../../core/v1/cluster.js';
import type { Logger } from '../../log/logger.js';
import { LeaderTracker, type MasterDetector } from '../detector.js';
import { DEFAULT_RETRY, RetryLoop, type RetryPolicy, SessionTerm } from './session-term.js';
import type { ZkConnector } from './zk-session.js';
import { type GroupView, GroupWatch } from './zk-group.js';

export interface ZkDetectorOptions {
  readonly connect: ZkConnector;
  /** The group path from the `zk://` URL, e.g. `/mesos`. */
  readonly path: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly retry?: RetryPolicy;
}

export class ZkMasterDetector implements MasterDetector {
  private readonly tracker = new LeaderTracker();
  private lastMembers: readonly MasterInfo[] = [];
  private closed = false;
  private term: SessionTerm | undefined;
  private readonly retry: RetryLoop;
  private readonly log: Logger;

  private constructor(private readonly options: ZkDetectorOptions) {
    this.log = options.log.child({ component: 'coordination.zk-detector', path: options.path });
    this.retry = new RetryLoop(
      options.clock,
      options.retry ?? DEFAULT_RETRY,
      this.log,
      'watching the election group',
    );
  }

  /**
   * Connects and starts watching. Rejects with a `CoordinationError` when ZooKeeper cannot be
   * reached within the connect timeout; after that, outages are retried internally.
   */
  static async start(options: ZkDetectorOptions): Promise<ZkMasterDetector> {
    const detector = new ZkMasterDetector(options);
    await detector.open();
    return detector;
  }

  detect(previous: MasterInfo | undefined, signal?: AbortSignal): Promise<MasterInfo | undefined> {
    return this.tracker.detect(previous, signal);
  }

  /** The readable members of the last group view, leader first (kept while ZooKeeper is away). */
  members(): readonly MasterInfo[] {
    return this.lastMembers;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.retry.cancel();
    this.tracker.close();
    await this.term?.end();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async open(): Promise<void> {
    const session = await this.options.connect();
    if (this.closed) {
      await session.close();
      return;
    }
    const term = new SessionTerm(session);
    this.term = term;
    term.own(
      session.onStateChange(term.guard((state) => state === 'expired' && this.reconnect('session expired'))),
    );
    try {
      const watch = await GroupWatch.start(
        session,
        this.options.path,
        this.log,
        term.guard((view) => this.onView(view)),
        term.guard((error) => this.reconnect(`reading the group failed: ${String(error)}`)),
      );
      term.own(() => watch.stop());
    } catch (error) {
      if (!term.active) return;
      await term.end();
      throw error;
    }
  }

  private onView(view: GroupView): void {
    const leader = view.leader?.info;
    if (this.tracker.leader()?.id !== leader?.id) {
      this.log.info(leader === undefined ? 'no leading master' : 'detected leading master', {
        masterId: leader?.id,
        pid: leader?.pid,
        node: view.leader?.member.name,
      });
    }
    this.lastMembers = view.infos;
    this.tracker.set(leader);
  }

  private reconnect(reason: string): void {
    this.log.warn('reconnecting to ZooKeeper', { reason });
    void this.term?.end();
    this.term = undefined;
    this.retry.schedule(() => this.open());
  }
}
