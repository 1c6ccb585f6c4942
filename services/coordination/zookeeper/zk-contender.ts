/**
 * Leader election through ZooKeeper, compatible with Mesos masters (`src/master/contender`):
 * each candidacy owns one ephemeral sequential node `<path>/json.info_<seq>` holding its
 * `MasterInfo` JSON; the lowest readable member leads (see `zk-group.ts`).
 *
 * A candidacy lives through several *terms*, one per ZooKeeper session. A term ends when the
 * session expires (on the server, or locally when ZooKeeper has not answered for a whole session
 * timeout), when our node disappears, or when the group cannot be read. Ending a term notifies the
 * owner synchronously *before* the session is closed (closing deletes our node and lets another
 * master win), then enters the election again with a new session after a backoff.
 */
import type { Clock } from '../../core/clock.js';
import { MesoError } from '../../core/errors.js';
import type { MasterInfo } from '../../core/v1/cluster.js';
import type { Logger } from '../../log/logger.js';
import type {
  Candidacy,
  CandidacyLossReason,
  CandidacyState,
  LeadershipObserver,
  MasterContender,
} from '../contender.js';
import { isCoordinationFailure } from '../errors.js';
import { encodeMasterInfo } from './master-info-json.js';
import { DEFAULT_RETRY, RetryLoop, type RetryPolicy, SessionTerm } from './session-term.js';
import type { ZkConnector, ZkSession, ZkSessionState } from './zk-session.js';
import { type GroupView, GroupWatch, MEMBER_LABEL } from './zk-group.js';

export interface ZkContenderOptions {
  readonly connect: ZkConnector;
  /** The group path from the `zk://` URL, e.g. `/mesos`. */
  readonly path: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly retry?: RetryPolicy;
}

export class ZkMasterContender implements MasterContender {
  constructor(private readonly options: ZkContenderOptions) {}

  async contend(info: MasterInfo, observer: LeadershipObserver): Promise<Candidacy> {
    const candidacy = new ZkCandidacy(info, observer, this.options);
    try {
      await candidacy.enter();
    } catch (error) {
      await candidacy.withdraw();
      throw error;
    }
    return candidacy;
  }
}

const TRANSITIONS: Readonly<Record<CandidacyState, readonly CandidacyState[]>> = {
  connecting: ['candidate', 'withdrawn'],
  candidate: ['leader', 'connecting', 'withdrawn'],
  leader: ['connecting', 'withdrawn'],
  withdrawn: [],
};

class ZkCandidacy implements Candidacy {
  private current: CandidacyState = 'connecting';
  private term: SessionTerm | undefined;
  /** Our election node in the current term. */
  private node: string | undefined;
  /** Our node from the last term, deleted on re-entry if the old session left it behind. */
  private previousNode: string | undefined;
  private readonly retry: RetryLoop;
  private readonly log: Logger;
  /** The last state a term's session reported; answers `sessionState()` between terms. */
  private lastSessionState: ZkSessionState = 'disconnected';

  constructor(
    private readonly info: MasterInfo,
    private readonly observer: LeadershipObserver,
    private readonly options: ZkContenderOptions,
  ) {
    this.log = options.log.child({
      component: 'coordination.zk-contender',
      path: options.path,
      masterId: info.id,
    });
    this.retry = new RetryLoop(
      options.clock,
      options.retry ?? DEFAULT_RETRY,
      this.log,
      'entering the election',
    );
  }

  state(): CandidacyState {
    return this.current;
  }

  sessionState(): ZkSessionState {
    return this.term?.session.state() ?? this.lastSessionState;
  }

  isLeader(): boolean {
    return this.current === 'leader' && this.term?.session.isLive() === true;
  }

  async withdraw(): Promise<void> {
    if (this.current === 'withdrawn') return;
    this.moveTo('withdrawn');
    this.retry.cancel();
    this.log.info('withdrew from the election', { node: this.node });
    await this.term?.end();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.withdraw();
  }

  /**
   * One attempt to enter the election with a new session. Throws when the attempt failed (its
   * session is closed by then); returns quietly when the candidacy moved on meanwhile.
   */
  async enter(): Promise<void> {
    const session = await this.options.connect();
    if (this.current === 'withdrawn') {
      await session.close();
      return;
    }
    const term = new SessionTerm(session);
    this.term = term;
    this.lastSessionState = session.state();
    term.own(session.onStateChange((state) => (this.lastSessionState = state)));
    term.own(
      session.onStateChange(
        term.guard(
          (state) => state === 'expired' && this.current !== 'connecting' && this.lose('session-expired'),
        ),
      ),
    );
    try {
      await session.mkdirp(this.options.path);
      await this.deletePreviousNode(session);
      const node = await session.create(
        `${this.options.path}/${MEMBER_LABEL}_`,
        encodeMasterInfo(this.info),
        'ephemeral-sequential',
      );
      if (!term.active) return;
      this.node = node;
      term.own(() => {
        this.previousNode = node;
        this.node = undefined;
      });
      this.moveTo('candidate');
      this.log.info('entered the election', { node, zkSession: session.id });
      const watch = await GroupWatch.start(
        session,
        this.options.path,
        this.log,
        term.guard((view) => this.onView(view)),
        term.guard((error) => this.onGroupError(error)),
      );
      term.own(() => watch.stop());
    } catch (error) {
      if (!term.active) return;
      await term.end();
      throw error;
    }
  }

  private onView(view: GroupView): void {
    const name = this.node?.slice(this.options.path.length + 1);
    if (!view.members.some((m) => m.name === name)) {
      this.lose('membership-removed');
      return;
    }
    const leading = view.leader?.member.name === name;
    if (leading && this.current === 'candidate') {
      this.moveTo('leader');
      this.log.info('elected leading master', { node: this.node });
      this.notify(() => this.observer.elected());
    } else if (!leading && this.current === 'leader') {
      this.lose('superseded');
    }
  }

  private onGroupError(error: unknown): void {
    this.log.error('reading the election group failed', { err: String(error) });
    this.lose('coordination-error');
  }

  /** Ends the term: the owner hears first, then the session closes and re-entry is scheduled. */
  private lose(reason: CandidacyLossReason): void {
    const wasLeader = this.current === 'leader';
    const term = this.term;
    this.term = undefined;
    this.moveTo('connecting');
    this.log.warn(wasLeader ? 'lost leadership' : 'lost candidacy', { reason, node: this.node });
    this.notify(() => this.observer.lost({ reason, wasLeader }));
    void term?.end();
    if (this.current !== 'withdrawn') this.retry.schedule(() => this.enter());
  }

  /**
   * After a local expiry the server may still hold our old session, and with it our old node,
   * which would keep winning the election for up to a session timeout. We no longer act on it,
   * so removing it lets the election move on at once. Best effort: failure only costs that delay.
   */
  private async deletePreviousNode(session: ZkSession): Promise<void> {
    const node = this.previousNode;
    if (node === undefined) return;
    this.previousNode = undefined;
    try {
      await session.delete(node);
      this.log.info('removed our node left by the previous session', { node });
    } catch (error) {
      if (!isCoordinationFailure(error, 'no-node')) {
        this.log.warn('could not remove our node left by the previous session', { node, err: String(error) });
      }
    }
  }

  private moveTo(next: CandidacyState): void {
    if (this.current === next) return;
    if (!TRANSITIONS[this.current].includes(next)) {
      throw new MesoError('ILLEGAL_STATE', `candidacy cannot go from '${this.current}' to '${next}'`);
    }
    this.current = next;
  }

  /** Observer exceptions must not break the election machinery. */
  private notify(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.log.error('leadership observer threw', { err: String(error) });
    }
  }
}
