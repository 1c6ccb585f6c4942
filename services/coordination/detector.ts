/**
 * Leader detection seam (Mesos `MasterDetector`). Agents, schedulers and masters ask it who leads
 * and are woken when that changes. Implementations: `StandaloneDetector` (a fixed or appointed
 * master) and `ZkMasterDetector`.
 */
import { MesoError } from '../core/errors.js';
import type { MasterInfo } from '../core/v1/cluster.js';

export interface MasterDetector extends AsyncDisposable {
  /**
   * Resolves with the current leader as soon as it differs from `previous` (`undefined` = no
   * leader): at once when it already differs, otherwise at the next change. Changes in between
   * two calls are not queued; the caller sees the latest leader. Rejects when `signal` aborts
   * (with its reason) or the detector is closed.
   */
  detect(previous: MasterInfo | undefined, signal?: AbortSignal): Promise<MasterInfo | undefined>;
  /**
   * Every master in the election as last seen, leader first; only detectors that watch the whole
   * group (ZooKeeper) have it.
   */
  members?(): readonly MasterInfo[];
  /** Stops watching and rejects pending `detect` calls. Idempotent. */
  close(): Promise<void>;
}

/** Two `MasterInfo`s name the same leader when every field is equal (Mesos compares the message). */
export function sameLeader(a: MasterInfo | undefined, b: MasterInfo | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalJson(a) === canonicalJson(b);
}

function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

/**
 * Every leader change, starting with the first leader seen (an initial "no leader" is not
 * reported). Ends quietly when `signal` aborts; other `detect` failures are thrown.
 */
export async function* leaderChanges(
  detector: MasterDetector,
  signal?: AbortSignal,
): AsyncGenerator<MasterInfo | undefined, void, undefined> {
  let leader: MasterInfo | undefined;
  for (;;) {
    try {
      leader = await detector.detect(leader, signal);
    } catch (err) {
      if (signal?.aborted === true) return;
      throw err;
    }
    yield leader;
  }
}

interface Waiter {
  readonly previous: MasterInfo | undefined;
  readonly resolve: (leader: MasterInfo | undefined) => void;
  readonly reject: (reason: unknown) => void;
}

/**
 * The bookkeeping every detector shares: the latest leader and the `detect` calls waiting for it
 * to change. Until the first `set`, the leader is unknown and every caller waits.
 */
export class LeaderTracker {
  private known = false;
  private current: MasterInfo | undefined;
  private closedError: MesoError | undefined;
  private readonly waiters = new Set<Waiter>();

  /** Records the leader and wakes the callers for whom it is a change. */
  set(leader: MasterInfo | undefined): void {
    this.known = true;
    this.current = leader;
    for (const waiter of this.waiters) {
      if (!sameLeader(waiter.previous, leader)) waiter.resolve(leader);
    }
  }

  /** The latest leader; `undefined` when there is none or none was seen yet. */
  leader(): MasterInfo | undefined {
    return this.current;
  }

  detect(previous: MasterInfo | undefined, signal?: AbortSignal): Promise<MasterInfo | undefined> {
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    if (signal?.aborted === true) return Promise.reject(signal.reason);
    if (this.known && !sameLeader(previous, this.current)) return Promise.resolve(this.current);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => settle(() => reject(signal?.reason));
      const settle = (done: () => void): void => {
        this.waiters.delete(waiter);
        signal?.removeEventListener('abort', onAbort);
        done();
      };
      const waiter: Waiter = {
        previous,
        resolve: (leader) => settle(() => resolve(leader)),
        reject: (reason) => settle(() => reject(reason)),
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Rejects every pending and future `detect` call. Idempotent. */
  close(): void {
    if (this.closedError !== undefined) return;
    this.closedError = new MesoError('ILLEGAL_STATE', 'the master detector was closed');
    for (const waiter of this.waiters) waiter.reject(this.closedError);
  }
}
