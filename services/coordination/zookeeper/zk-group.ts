/**
 * The election group as Mesos lays it out (`src/zookeeper/group.cpp`): every master owns an
 * ephemeral sequential child `<path>/json.info_<10-digit seq>`; the leader is the member with the
 * lowest sequence. Children without a numeric `_<seq>` suffix (Mesos's `log_replicas`, our
 * `registry`) are not members.
 *
 * Contender and detector use the one rule here, so a master considers itself elected exactly when
 * detectors name it: the first member *in sequence order whose data is a readable MasterInfo*.
 * Members with other labels or garbage data are skipped, with one log line per node.
 */
import type { MasterInfo } from '../../core/v1/cluster.js';
import type { Logger } from '../../log/logger.js';
import { isCoordinationFailure } from '../errors.js';
import { decodeMasterInfo } from './master-info-json.js';
import type { ZkSession } from './zk-session.js';

/** Mesos's label for JSON `MasterInfo` nodes. */
export const MEMBER_LABEL = 'json.info';

export interface Member {
  /** Child name, e.g. `json.info_0000000042`. */
  readonly name: string;
  readonly sequence: number;
}

export interface GroupView {
  /** All members, lowest sequence first. */
  readonly members: readonly Member[];
  /** The elected member, if any member is a readable MasterInfo. */
  readonly leader: { readonly member: Member; readonly info: MasterInfo } | undefined;
  /** Every readable member's MasterInfo, leader first (the others are the standbys). */
  readonly infos: readonly MasterInfo[];
}

const MEMBER_NAME = /^(?:.*_)?(\d+)$/;

/** Members among `children`, lowest sequence first (ties, impossible in one group, by name). */
export function electionOrder(children: readonly string[]): Member[] {
  const members: Member[] = [];
  for (const name of children) {
    const digits = MEMBER_NAME.exec(name)?.[1];
    if (digits !== undefined) members.push({ name, sequence: Number(digits) });
  }
  return members.sort((a, b) => a.sequence - b.sequence || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Watches the group and reports a fresh `GroupView` after every membership change and after every
 * reconnection. Reads are serialized; changes during a read cause one more read, never a pile-up.
 * Connection loss and session end are left to the session's owner (they are not `onError`s).
 */
export class GroupWatch {
  private stopped = false;
  private reading = false;
  private stale = false;
  /** Nodes already reported as skipped, so each is logged once. */
  private readonly skipped = new Set<string>();
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly session: ZkSession,
    private readonly path: string,
    private readonly log: Logger,
    private readonly onView: (view: GroupView) => void,
    private readonly onError: (error: unknown) => void,
  ) {
    this.unsubscribe = session.onStateChange((state) => state === 'connected' && this.refresh());
  }

  /** Creates the group node if missing, then starts reading. */
  static async start(
    session: ZkSession,
    path: string,
    log: Logger,
    onView: (view: GroupView) => void,
    onError: (error: unknown) => void,
  ): Promise<GroupWatch> {
    await session.mkdirp(path);
    const watch = new GroupWatch(session, path, log, onView, onError);
    watch.refresh();
    return watch;
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe();
  }

  private readonly refresh = (): void => {
    if (this.stopped) return;
    if (this.reading) {
      this.stale = true;
      return;
    }
    this.reading = true;
    void this.readUntilFresh();
  };

  private async readUntilFresh(): Promise<void> {
    for (;;) {
      this.stale = false;
      try {
        const view = await this.read();
        if (!this.stopped) this.onView(view);
      } catch (error) {
        this.reading = false;
        if (
          this.stopped ||
          isCoordinationFailure(error, 'connection-loss', 'timeout', 'session-expired', 'closed')
        ) {
          this.log.debug('election group read interrupted', { path: this.path, err: String(error) });
        } else {
          this.onError(error);
        }
        return;
      }
      if (!this.stale || this.stopped) {
        this.reading = false;
        return;
      }
    }
  }

  private async read(): Promise<GroupView> {
    const members = electionOrder(await this.session.getChildren(this.path, this.refresh));
    let leader: GroupView['leader'];
    const infos: MasterInfo[] = [];
    for (const member of members) {
      const info = await this.readMember(member);
      if (info === undefined) continue;
      leader ??= { member, info };
      infos.push(info);
    }
    return { members, leader, infos };
  }

  private async readMember(member: Member): Promise<MasterInfo | undefined> {
    if (!member.name.startsWith(`${MEMBER_LABEL}_`))
      return this.skip(member, `label is not '${MEMBER_LABEL}'`);
    let data: Buffer;
    try {
      ({ data } = await this.session.getData(`${this.path}/${member.name}`));
    } catch (error) {
      // The member left between listing and reading; the next child event brings a new list.
      if (isCoordinationFailure(error, 'no-node')) return undefined;
      throw error;
    }
    try {
      return decodeMasterInfo(data);
    } catch (error) {
      return this.skip(member, error instanceof Error ? error.message : String(error));
    }
  }

  private skip(member: Member, reason: string): undefined {
    if (!this.skipped.has(member.name)) {
      this.skipped.add(member.name);
      this.log.warn('election node skipped', { path: this.path, node: member.name, reason });
    }
    return undefined;
  }
}
