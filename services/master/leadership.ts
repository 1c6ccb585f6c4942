/**
 * Who leads. A standalone master always leads; with ZooKeeper the contender and detector feed
 * this (see `services/coordination`). HTTP handlers consult it to redirect or refuse.
 */
import type { MasterInfo } from '../core/v1/cluster.js';

export interface Leadership {
  isLeader(): boolean;
  /** The current leader's info, when one is known (this master's own when it leads). */
  leader(): MasterInfo | undefined;
}

export const standaloneLeadership = (self: MasterInfo): Leadership => ({
  isLeader: () => true,
  leader: () => self,
});

/** `//host:port`, the protocol-relative form Mesos puts in `Location` headers. */
export const leaderLocation = (leader: MasterInfo): string => `//${leader.hostname}:${leader.port}`;
