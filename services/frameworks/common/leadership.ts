/**
 * Leader election among the instances of one framework scheduler. With ZooKeeper, instances
 * contend under `<path>/leader` with the same machinery (and znode layout) as masters; each
 * instance's "MasterInfo" carries the address of its REST API, so standbys can redirect clients to
 * the leader. Without ZooKeeper the single instance leads at once.
 */
import { randomUUID } from 'node:crypto';
import {
  type Candidacy,
  type CandidacyLoss,
  leaderChanges,
  type MasterDetector,
  startZkMasterDetector,
  type ZkCoordinationOptions,
  zkMasterContender,
} from '../../coordination/index.js';
import type { MasterInfo } from '../../core/v1/cluster.js';
import { MESO_VERSION } from '../../core/version.js';
import type { Logger } from '../../log/logger.js';
import { describeError } from '../../scheduler/index.js';

/** What the rest of a scheduler daemon needs to know about the election. */
export interface SchedulerLeadership extends AsyncDisposable {
  isLeader(): boolean;
  /** Base URL (`http://host:port`) of the leading instance's REST API, when one is known. */
  leaderUrl(): string | undefined;
  /** Leaves the election (a standby takes over at once). Idempotent. */
  stop(): Promise<void>;
}

export interface LeadershipOptions {
  /** ZooKeeper to contend through (election nodes under `<url.path>/leader`); standalone when absent. */
  readonly zk: ZkCoordinationOptions | undefined;
  /** How other instances and clients reach this instance's REST API. */
  readonly advertise: { readonly host: string; readonly port: number };
  readonly log: Logger;
  /** This instance now leads. Called at most once. */
  readonly onElected: () => void;
  /** This instance lost leadership it held: it must stop acting as leader at once. */
  readonly onDeposed: (loss: CandidacyLoss) => void;
}

export const LEADER_NODE = 'leader';

/** Enters the election; resolves once this instance is a member (a leader or a standby). */
export async function contendForLeadership(options: LeadershipOptions): Promise<SchedulerLeadership> {
  const selfUrl = `http://${options.advertise.host}:${options.advertise.port}`;
  if (options.zk === undefined) {
    options.onElected();
    return standalone(selfUrl);
  }
  const zk: ZkCoordinationOptions = {
    ...options.zk,
    url: { ...options.zk.url, path: `${options.zk.url.path}/${LEADER_NODE}` },
  };
  const detector = await startZkMasterDetector(zk);
  const watching = new AbortController();
  let leader: string | undefined;
  void (async () => {
    try {
      for await (const info of leaderChanges(detector, watching.signal)) {
        leader = info === undefined ? undefined : `http://${info.address.hostname}:${info.address.port}`;
        options.log.info('scheduler leader changed', { leader });
      }
    } catch (err) {
      options.log.warn('leader detection ended', { err: describeError(err) });
    }
  })();

  let elected = false;
  const candidacy: Candidacy = await zkMasterContender(zk).contend(instanceInfo(options.advertise), {
    elected: () => {
      if (elected) return;
      elected = true;
      options.log.info('elected leader of the scheduler instances');
      options.onElected();
    },
    lost: (loss) => {
      if (loss.wasLeader) options.onDeposed(loss);
    },
  });
  return {
    isLeader: () => candidacy.isLeader(),
    leaderUrl: () => (candidacy.isLeader() ? selfUrl : leader),
    stop: () => stopAll(candidacy, detector, watching),
    [Symbol.asyncDispose]: () => stopAll(candidacy, detector, watching),
  };
}

async function stopAll(
  candidacy: Candidacy,
  detector: MasterDetector,
  watching: AbortController,
): Promise<void> {
  watching.abort();
  await candidacy.withdraw();
  await detector.close();
}

function standalone(selfUrl: string): SchedulerLeadership {
  return {
    isLeader: () => true,
    leaderUrl: () => selfUrl,
    stop: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
}

/**
 * The election node's data. Readers use `address` only; `ip` (Mesos's packed IPv4) is left 0
 * because the address may be a hostname.
 */
function instanceInfo(advertise: { readonly host: string; readonly port: number }): MasterInfo {
  return {
    id: randomUUID(),
    ip: 0,
    port: advertise.port,
    pid: `scheduler@${advertise.host}:${advertise.port}`,
    hostname: advertise.host,
    version: MESO_VERSION,
    address: { hostname: advertise.host, ip: advertise.host, port: advertise.port },
    capabilities: [],
  };
}
