/**
 * Entry points for composition roots that were given a `zk://` URL: the contender (masters), the
 * detector (masters, agents, schedulers) and the registry store (the leading master). Each opens
 * its own session(s) to the ensemble named by the URL and works under the URL's path.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { MasterContender } from '../contender.js';
import type { MasterDetector } from '../detector.js';
import type { RegistryDecoder, RegistryStore } from '../registry-store.js';
import type { ZkUrl } from '../zk-url.js';
import type { RetryPolicy } from './session-term.js';
import { zkConnector } from './zk-client.js';
import { ZkMasterContender } from './zk-contender.js';
import { ZkMasterDetector } from './zk-detector.js';
import { ZkRegistryStore } from './zk-registry-store.js';
import type { ZkConnector } from './zk-session.js';

/** Mesos's `--zk_session_timeout` default. */
export const DEFAULT_ZK_SESSION_TIMEOUT_MS = 10_000;

export interface ZkCoordinationOptions {
  readonly url: ZkUrl;
  /**
   * How long ZooKeeper keeps a silent session (and its election node) alive, and so how long a
   * dead leader blocks the election; also how long a leader cut off from ZooKeeper keeps leading.
   * The server clamps it to `[2, 20] × tickTime` unless configured otherwise. @default 10000
   */
  readonly sessionTimeoutMs?: number;
  /** How long to wait for the first connection before failing. @default sessionTimeoutMs */
  readonly connectTimeoutMs?: number;
  /** Delays between reconnection attempts after a session is lost. @default { initialMs: 250, maxMs: 10000 } */
  readonly retry?: RetryPolicy;
  readonly clock: Clock;
  readonly log: Logger;
}

export function zkMasterContender(options: ZkCoordinationOptions): MasterContender {
  return new ZkMasterContender({ ...common(options), connect: connector(options) });
}

/** Rejects with a `CoordinationError` (`unreachable`) when ZooKeeper does not answer in time. */
export function startZkMasterDetector(options: ZkCoordinationOptions): Promise<MasterDetector> {
  return ZkMasterDetector.start({ ...common(options), connect: connector(options) });
}

/** Rejects with a `CoordinationError` (`unreachable`) when ZooKeeper does not answer in time. */
export function openZkRegistryStore<T>(
  options: ZkCoordinationOptions,
  decode: RegistryDecoder<T>,
): Promise<RegistryStore<T> & AsyncDisposable> {
  return ZkRegistryStore.open({
    connect: connector(options),
    path: options.url.path,
    decode,
    log: options.log,
  });
}

const common = (options: ZkCoordinationOptions) =>
  ({ path: options.url.path, clock: options.clock, log: options.log, retry: options.retry }) as const;

function connector(options: ZkCoordinationOptions): ZkConnector {
  const sessionTimeoutMs = options.sessionTimeoutMs ?? DEFAULT_ZK_SESSION_TIMEOUT_MS;
  return zkConnector({
    url: options.url,
    sessionTimeoutMs,
    connectTimeoutMs: options.connectTimeoutMs ?? sessionTimeoutMs,
    clock: options.clock,
    log: options.log,
  });
}
