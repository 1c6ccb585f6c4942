/**
 * How the scheduler client finds a master: a function returning a master's base URL. Any master
 * will do, since non-leaders redirect to the leader; a locator backed by leader detection (e.g.
 * ZooKeeper) saves that hop and keeps working when masters come and go.
 */
import type { MasterDetector } from '../coordination/detector.js';
import type { MasterInfo } from '../core/v1/cluster.js';
import { SchedulerError } from './errors.js';

/**
 * Returns a master's base URL (`http://host:5050`). Called before every subscription attempt. The
 * signal aborts when the client closes; a locator that waits (for an election, say) must settle
 * promptly then.
 */
export type MasterLocator = (signal: AbortSignal) => Promise<string>;

/** A single, fixed master URL. */
export const staticMaster =
  (url: string): MasterLocator =>
  () =>
    Promise.resolve(url);

/** The leader reported by `detector`, waiting for one to be elected if need be. */
export const detectedMaster =
  (detector: MasterDetector): MasterLocator =>
  async (signal) => {
    const leader = await detector.detect(undefined, signal);
    if (leader === undefined)
      throw new SchedulerError('MASTER_UNREACHABLE', 'no master is elected', { retryable: true });
    return masterUrlOf(leader);
  };

/** `http://<ip>:<port>` of a `MasterInfo`, preferring the address's IP over the hostname. */
export function masterUrlOf(info: MasterInfo): string {
  const host = info.address.ip !== '' ? info.address.ip : info.hostname;
  return `http://${host.includes(':') ? `[${host}]` : host}:${info.port}`;
}
