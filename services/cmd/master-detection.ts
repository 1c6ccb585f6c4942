/**
 * How agents and `meso run` find the leading master behind a `zk://` URL: a ZooKeeper detector,
 * followed the way Mesos agents follow it.
 */
import type { DetectMaster } from '../agent/index.js';
import {
  DEFAULT_ZK_SESSION_TIMEOUT_MS,
  formatZkUrl,
  type MasterDetector,
  parseZkUrl,
  startZkMasterDetector,
  type ZkUrl,
} from '../coordination/index.js';
import type { Clock } from '../core/clock.js';
import { MesoError } from '../core/errors.js';
import type { MasterInfo } from '../core/v1/cluster.js';
import type { Logger } from '../log/logger.js';
import { masterUrlOf, sleep } from '../scheduler/index.js';

export interface FollowLeaderOptions {
  readonly clock: Clock;
  /**
   * How long to wait for the detector to name another leader than the one returned last time
   * (the ZooKeeper session timeout: a dead leader's node lasts that long).
   */
  readonly changeTimeoutMs: number;
  /** A newly detected leader is returned after a random delay in [0, `jitterMs`]. */
  readonly jitterMs: number;
  /** Uniform in [0, 1). */
  readonly random: () => number;
  /** Ends a pending jitter delay early (on shutdown). */
  readonly signal?: AbortSignal;
}

const UNCHANGED = Symbol('unchanged');

/**
 * The agent's `DetectMaster` over `detector`. The agent asks again each time its connection to
 * the master ends. If the detector still names the master returned last time, that master has
 * most likely died and ZooKeeper has not expired its session yet, so this waits for the detector
 * to name another one (at most `changeTimeoutMs`; then the same master is tried again), as Mesos
 * agents wait "for a new master to be elected". A newly detected leader is returned after a
 * random delay, Mesos's registration backoff, so a thousand agents do not all re-register in the
 * same instant. Resolves `undefined` when no leader is elected; rejects once `detector` is closed.
 */
export function followLeader(detector: MasterDetector, options: FollowLeaderOptions): DetectMaster {
  let last: MasterInfo | undefined;
  return async () => {
    const found = await detectChange(detector, last, options.changeTimeoutMs, options.clock);
    if (found === UNCHANGED) return last === undefined ? undefined : masterUrlOf(last);
    last = found;
    if (found === undefined) return undefined;
    await sleep(options.clock, options.random() * options.jitterMs, options.signal);
    return masterUrlOf(found);
  };
}

/** The detector's leader once it differs from `previous`, or `UNCHANGED` after `timeoutMs`. */
async function detectChange(
  detector: MasterDetector,
  previous: MasterInfo | undefined,
  timeoutMs: number,
  clock: Clock,
): Promise<MasterInfo | undefined | typeof UNCHANGED> {
  const timeout = new AbortController();
  const cancel = clock.after(timeoutMs, () => timeout.abort());
  try {
    return await detector.detect(previous, timeout.signal);
  } catch (error) {
    if (timeout.signal.aborted) return UNCHANGED;
    throw error;
  } finally {
    cancel();
  }
}

export interface ZkDetectionSettings {
  readonly url: ZkUrl;
  /** @default 10000 */
  readonly sessionTimeoutMs?: number;
  readonly clock: Clock;
  readonly log: Logger;
}

/** An agent's way to the leader, and what to close when the agent stops. */
export interface AgentMasterDetection {
  /** `undefined` for a fixed master URL, which the agent resolves itself. */
  readonly detectMaster: DetectMaster | undefined;
  close(): Promise<void>;
}

/**
 * For `--master zk://...`: a ZooKeeper detector, followed with `followLeader` (jitter up to
 * `jitterMs`). For any other value: nothing, the agent uses the fixed URL. Rejects with an
 * `INVALID_CALL` error for a malformed `zk://` URL and with a `CoordinationError` when ZooKeeper
 * does not answer within the session timeout.
 */
export async function agentMasterDetection(
  master: string,
  settings: Omit<ZkDetectionSettings, 'url'> & { readonly jitterMs: number; readonly random: () => number },
): Promise<AgentMasterDetection> {
  if (!master.startsWith('zk://')) return { detectMaster: undefined, close: () => Promise.resolve() };
  const sessionTimeoutMs = settings.sessionTimeoutMs ?? DEFAULT_ZK_SESSION_TIMEOUT_MS;
  const detector = await startZkMasterDetector({ ...settings, url: parseZkUrl(master), sessionTimeoutMs });
  const closing = new AbortController();
  return {
    detectMaster: followLeader(detector, {
      clock: settings.clock,
      changeTimeoutMs: sessionTimeoutMs,
      jitterMs: settings.jitterMs,
      random: settings.random,
      signal: closing.signal,
    }),
    close: async () => {
      closing.abort();
      await detector.close();
    },
  };
}

/**
 * The base URL of the master currently leading the group at `settings.url`, waiting up to the
 * session timeout for one to be elected. For one-off clients such as `meso run`.
 */
export async function currentLeaderUrl(settings: ZkDetectionSettings): Promise<string> {
  const sessionTimeoutMs = settings.sessionTimeoutMs ?? DEFAULT_ZK_SESSION_TIMEOUT_MS;
  await using detector = await startZkMasterDetector({ ...settings, sessionTimeoutMs });
  const leader = await detectChange(detector, undefined, sessionTimeoutMs, settings.clock);
  if (leader === UNCHANGED || leader === undefined) {
    throw new MesoError('NO_LEADER', `no master is elected in ${formatZkUrl(settings.url)}`);
  }
  return masterUrlOf(leader);
}
