/**
 * The port to ZooKeeper: one session, in our own types. `zk-client.ts` is its only adapter; the
 * election, detection and registry code depend on this interface alone.
 */
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import type { ZkUrl } from '../zk-url.js';

export type ZkSessionState = 'connected' | 'disconnected' | 'expired' | 'closed';
export type ZkCreateMode = 'persistent' | 'ephemeral' | 'ephemeral-sequential';

export interface ZkStat {
  /** Data version, bumped by every `setData`; the compare-and-set token. */
  readonly version: number;
  readonly numChildren: number;
}

export interface ZkSession extends AsyncDisposable {
  /** Session id in hex, for logs. */
  readonly id: string;
  /** The timeout the server granted, which may differ from the one asked for. */
  readonly timeoutMs: number;
  state(): ZkSessionState;
  /**
   * True while the server cannot have expired this session yet: less than a session timeout has
   * passed since the newest request the server answered was sent. Past that, the session
   * expires itself (state `expired`) even if no server said so.
   */
  isLive(): boolean;
  /** Called on every state change, synchronously; `expired` and `closed` are final. */
  onStateChange(listener: (state: ZkSessionState) => void): () => void;
  /** Resolves with the created path (with the sequence suffix for sequential modes). */
  create(path: string, data: Buffer, mode: ZkCreateMode): Promise<string>;
  /** Creates `path` and missing parents as empty persistent nodes; existing ones are fine. */
  mkdirp(path: string): Promise<void>;
  exists(path: string): Promise<ZkStat | undefined>;
  getData(path: string): Promise<{ readonly data: Buffer; readonly stat: ZkStat }>;
  /** Fails with `bad-version` unless the node's version is `expectedVersion`. */
  setData(path: string, data: Buffer, expectedVersion: number): Promise<ZkStat>;
  /** `onChange` fires at most once, at the next change of the child list (or deletion). */
  getChildren(path: string, onChange?: () => void): Promise<string[]>;
  /** Without `expectedVersion`, deletes whatever version is there. */
  delete(path: string, expectedVersion?: number): Promise<void>;
  /** Ends the session: the server drops its ephemeral nodes at once. Idempotent. */
  close(): Promise<void>;
}

export interface ZkSessionOptions {
  readonly url: ZkUrl;
  /** Asked of the server, which clamps it to its `[minSessionTimeout, maxSessionTimeout]`. */
  readonly sessionTimeoutMs: number;
  /** How long `openZkSession` waits for any server to accept the session. */
  readonly connectTimeoutMs: number;
  readonly clock: Clock;
  readonly log: Logger;
}

/** Opens a new session; each call is a new session. */
export type ZkConnector = () => Promise<ZkSession>;
