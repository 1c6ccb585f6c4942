/**
 * The only importer of `node-zookeeper-client`. Wraps one ZooKeeper session in a small
 * promise-based interface whose types are our own.
 *
 * Beyond the library it adds what election needs:
 * - A bounded connect: `openZkSession` rejects with `unreachable` after `connectTimeoutMs`.
 * - A lease: the library never notices a server that stops answering (it only pings an idle
 *   socket and has no read timeout), and it learns of expiry only after reconnecting. So the
 *   session sends its own heartbeat every third of the session timeout and remembers when the
 *   newest *answered* request was sent. The server cannot expire the session earlier than a
 *   session timeout after that moment, so until then the session is `live`; past it, the session
 *   expires itself locally (as Mesos does) and closes.
 * - A timeout on every request, and rejection of everything in flight when the session ends.
 */
import zookeeper, {
  type ACL,
  type Client,
  type Exception,
  type Stat,
  type State,
} from 'node-zookeeper-client';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../log/logger.js';
import { CoordinationError, type CoordinationFailure } from '../errors.js';
import { formatZkUrl, zkConnectString } from '../zk-url.js';
import type {
  ZkConnector,
  ZkCreateMode,
  ZkSession,
  ZkSessionOptions,
  ZkSessionState,
  ZkStat,
} from './zk-session.js';

export const zkConnector =
  (options: ZkSessionOptions): ZkConnector =>
  () =>
    openZkSession(options);

/** Delay between rounds over the server list while (re)connecting. */
const SPIN_DELAY_MS = 250;
/** How long `close()` waits for the server to confirm before dropping the socket. */
const CLOSE_GRACE_MS = 1000;

/**
 * Connects to the ensemble in `options.url`. Rejects with a `CoordinationError` (`unreachable`)
 * naming the servers when none answers within `connectTimeoutMs`, leaving nothing running.
 */
export function openZkSession(options: ZkSessionOptions): Promise<ZkSession> {
  const { url, clock } = options;
  const client = zookeeper.createClient(zkConnectString(url), {
    sessionTimeout: options.sessionTimeoutMs,
    spinDelay: SPIN_DELAY_MS,
    retries: 0,
  });
  if (url.credentials !== undefined) {
    client.addAuthInfo('digest', Buffer.from(`${url.credentials.username}:${url.credentials.password}`));
  }
  return new Promise((resolve, reject) => {
    const onConnected = (): void => {
      cancelTimeout();
      client.removeListener('authenticationFailed', onAuthFailed);
      resolve(new NodeZkSession(client, options));
    };
    const fail = (failure: CoordinationFailure, message: string): void => {
      client.removeListener('connected', onConnected);
      client.removeListener('authenticationFailed', onAuthFailed);
      void shutDown(client, false, clock);
      reject(new CoordinationError(failure, message));
    };
    const onAuthFailed = (): void => {
      cancelTimeout();
      fail('auth-failed', `ZooKeeper at ${formatZkUrl(url)} refused the credentials`);
    };
    const cancelTimeout = clock.after(options.connectTimeoutMs, () =>
      fail(
        'unreachable',
        `no ZooKeeper server of ${formatZkUrl(url)} answered within ${options.connectTimeoutMs} ms`,
      ),
    );
    client.once('connected', onConnected);
    client.once('authenticationFailed', onAuthFailed);
    client.connect();
  });
}

const CREATE_MODES: Readonly<Record<ZkCreateMode, number>> = {
  persistent: zookeeper.CreateMode.PERSISTENT,
  ephemeral: zookeeper.CreateMode.EPHEMERAL,
  'ephemeral-sequential': zookeeper.CreateMode.EPHEMERAL_SEQUENTIAL,
};

type Callback<T> = (error: Error | Exception | null, value: T) => void;

class NodeZkSession implements ZkSession {
  readonly id: string;
  readonly timeoutMs: number;
  private current: ZkSessionState = 'connected';
  /** Send time of the newest request the server answered. */
  private confirmedAtMs: number;
  private cancelLeaseTimer: () => void = () => undefined;
  private cancelHeartbeat: () => void = () => undefined;
  private readonly listeners = new Set<(state: ZkSessionState) => void>();
  private readonly inFlight = new Set<(error: CoordinationError) => void>();
  private readonly acls: ACL[];
  private readonly log: Logger;

  constructor(
    private readonly client: Client,
    private readonly options: ZkSessionOptions,
  ) {
    this.id = client.getSessionId().toString('hex');
    this.timeoutMs = client.getSessionTimeout();
    this.log = options.log.child({ zkSession: this.id });
    this.acls = options.url.credentials === undefined ? openAcl() : creatorAllWorldRead();
    this.confirmedAtMs = options.clock.nowMs();
    this.armLease();
    this.scheduleHeartbeat();
    client.on('state', this.onClientState);
    this.log.info('zookeeper session established', {
      servers: formatZkUrl(options.url),
      timeoutMs: this.timeoutMs,
    });
  }

  state(): ZkSessionState {
    return this.current;
  }

  isLive(): boolean {
    const open = this.current === 'connected' || this.current === 'disconnected';
    return open && this.options.clock.nowMs() < this.confirmedAtMs + this.timeoutMs;
  }

  onStateChange(listener: (state: ZkSessionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  create(path: string, data: Buffer, mode: ZkCreateMode): Promise<string> {
    return this.request<string>('create', path, (done) =>
      this.client.create(path, data, this.acls, CREATE_MODES[mode], done),
    );
  }

  mkdirp(path: string): Promise<void> {
    return this.request<string>('mkdirp', path, (done) =>
      this.client.mkdirp(path, Buffer.alloc(0), this.acls, zookeeper.CreateMode.PERSISTENT, done),
    ).then(() => undefined);
  }

  exists(path: string): Promise<ZkStat | undefined> {
    return this.request<Stat | null>('exists', path, (done) => this.client.exists(path, done)).then((stat) =>
      stat === null ? undefined : toStat(stat),
    );
  }

  async getData(path: string): Promise<{ readonly data: Buffer; readonly stat: ZkStat }> {
    let stat: ZkStat = { version: 0, numChildren: 0 };
    const data = await this.request<Buffer | null>('getData', path, (done) =>
      this.client.getData(path, (error, buffer, rawStat) => {
        if (rawStat !== undefined) stat = toStat(rawStat);
        done(error, buffer);
      }),
    );
    return { data: data ?? Buffer.alloc(0), stat };
  }

  setData(path: string, data: Buffer, expectedVersion: number): Promise<ZkStat> {
    return this.request<Stat>('setData', path, (done) =>
      this.client.setData(path, data, expectedVersion, done),
    ).then(toStat);
  }

  getChildren(path: string, onChange?: () => void): Promise<string[]> {
    return this.request<string[]>('getChildren', path, (done) =>
      onChange === undefined
        ? this.client.getChildren(path, done)
        : this.client.getChildren(path, onChange, done),
    );
  }

  delete(path: string, expectedVersion = -1): Promise<void> {
    return this.request<undefined>('delete', path, (done) =>
      this.client.remove(path, expectedVersion, (error) => done(error, undefined)),
    );
  }

  async close(): Promise<void> {
    if (this.current === 'closed') return;
    const wasConnected = this.current === 'connected';
    this.finish('closed');
    await shutDown(this.client, wasConnected, this.options.clock);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private isOpen(): boolean {
    return this.current === 'connected' || this.current === 'disconnected';
  }

  /**
   * Runs one library call with a timeout. An answer from the server (success or a server-side
   * error such as `no-node`) proves the session was alive when the request was sent.
   */
  private request<T>(operation: string, path: string, call: (done: Callback<T>) => void): Promise<T> {
    if (!this.isOpen()) {
      const failure = this.current === 'expired' ? 'session-expired' : 'closed';
      return Promise.reject(
        new CoordinationError(failure, `${operation} ${path}: the session is ${this.current}`, { path }),
      );
    }
    const sentAtMs = this.options.clock.nowMs();
    return new Promise<T>((resolve, reject) => {
      const settle = (error: CoordinationError | undefined, value?: T): void => {
        if (!this.inFlight.delete(abort)) return;
        cancelTimeout();
        if (error === undefined) resolve(value as T);
        else reject(error);
      };
      const abort = (error: CoordinationError): void => settle(error);
      this.inFlight.add(abort);
      const cancelTimeout = this.options.clock.after(this.timeoutMs, () =>
        settle(
          new CoordinationError('timeout', `${operation} ${path}: no reply within ${this.timeoutMs} ms`, {
            path,
          }),
        ),
      );
      const done: Callback<T> = (error, value) => {
        const failure = error === null ? undefined : toCoordinationError(error, operation, path);
        if (failure === undefined || SERVER_ANSWERS.has(failure.failure)) this.confirm(sentAtMs);
        settle(failure, value);
      };
      try {
        call(done);
      } catch (error) {
        settle(toCoordinationError(error, operation, path));
      }
    });
  }

  private confirm(sentAtMs: number): void {
    if (sentAtMs <= this.confirmedAtMs || !this.isOpen()) return;
    this.confirmedAtMs = sentAtMs;
    this.armLease();
  }

  private armLease(): void {
    this.cancelLeaseTimer();
    const remainingMs = this.confirmedAtMs + this.timeoutMs - this.options.clock.nowMs();
    this.cancelLeaseTimer = this.options.clock.after(remainingMs, () => {
      this.log.warn('zookeeper session expired locally', {
        silentMs: this.options.clock.nowMs() - this.confirmedAtMs,
      });
      this.finish('expired');
      void shutDown(this.client, false, this.options.clock);
    });
  }

  private scheduleHeartbeat(): void {
    this.cancelHeartbeat = this.options.clock.after(this.timeoutMs / 3, () => {
      this.heartbeat();
      this.scheduleHeartbeat();
    });
  }

  private heartbeat(): void {
    this.exists('/').catch((error: unknown) =>
      this.log.debug('zookeeper heartbeat failed', { err: String(error) }),
    );
  }

  private readonly onClientState = (state: State): void => {
    if (!this.isOpen()) return;
    if (state === zookeeper.State.SYNC_CONNECTED) {
      this.log.info('zookeeper connection restored');
      this.transition('connected');
      this.heartbeat();
    } else if (state === zookeeper.State.DISCONNECTED) {
      this.log.warn('zookeeper connection lost', {
        leaseLeftMs: this.confirmedAtMs + this.timeoutMs - this.options.clock.nowMs(),
      });
      this.transition('disconnected');
    } else if (state === zookeeper.State.EXPIRED || state === zookeeper.State.AUTH_FAILED) {
      this.log.warn('zookeeper session expired', { by: 'server', state: state.name });
      this.finish('expired');
      void shutDown(this.client, false, this.options.clock);
    }
  };

  private transition(next: ZkSessionState): void {
    if (this.current === next) return;
    this.current = next;
    for (const listener of [...this.listeners]) listener(next);
  }

  /** Enters a final state: stops timers and fails every request still in flight. */
  private finish(final: 'expired' | 'closed'): void {
    this.cancelLeaseTimer();
    this.cancelHeartbeat();
    this.client.removeListener('state', this.onClientState);
    this.transition(final);
    const error = new CoordinationError(
      final === 'expired' ? 'session-expired' : 'closed',
      `the ZooKeeper session was ${final}`,
    );
    for (const abort of [...this.inFlight]) abort(error);
  }
}

/** Failures that are themselves replies from the server. */
const SERVER_ANSWERS: ReadonlySet<CoordinationFailure> = new Set([
  'no-node',
  'node-exists',
  'bad-version',
  'not-empty',
  'no-auth',
]);

function toCoordinationError(error: unknown, operation: string, path: string): CoordinationError {
  const failure =
    error instanceof zookeeper.Exception ? (FAILURES.get(error.getCode()) ?? 'other') : 'invalid-argument';
  const detail = error instanceof zookeeper.Exception ? error.getName() : String(error);
  return new CoordinationError(failure, `${operation} ${path} failed: ${detail}`, { cause: error, path });
}

const FAILURES: ReadonlyMap<number, CoordinationFailure> = new Map([
  [zookeeper.Exception.NO_NODE, 'no-node'],
  [zookeeper.Exception.NODE_EXISTS, 'node-exists'],
  [zookeeper.Exception.BAD_VERSION, 'bad-version'],
  [zookeeper.Exception.NOT_EMPTY, 'not-empty'],
  [zookeeper.Exception.CONNECTION_LOSS, 'connection-loss'],
  [zookeeper.Exception.SESSION_EXPIRED, 'session-expired'],
  [zookeeper.Exception.NO_AUTH, 'no-auth'],
  [zookeeper.Exception.AUTH_FAILED, 'auth-failed'],
  [zookeeper.Exception.OPERATION_TIMEOUT, 'timeout'],
  [zookeeper.Exception.BAD_ARGUMENTS, 'invalid-argument'],
]);

const toStat = (stat: Stat): ZkStat => ({ version: stat.version, numChildren: stat.numChildren });

const ANYONE = (): InstanceType<typeof zookeeper.Id> => new zookeeper.Id('world', 'anyone');

/** Mesos's ACL without credentials: anyone may do anything. */
const openAcl = (): ACL[] => [new zookeeper.ACL(zookeeper.Permission.ALL, ANYONE())];

/** Mesos's ACL for authenticated URLs: everyone may read, the creator may do anything. */
const creatorAllWorldRead = (): ACL[] => [
  new zookeeper.ACL(zookeeper.Permission.READ, ANYONE()),
  new zookeeper.ACL(zookeeper.Permission.ALL, new zookeeper.Id('auth', '')),
];

/**
 * Closes the library client and makes sure its socket is gone. The library's own `close()` waits
 * for the server to confirm and never gives up when the server has stopped answering, which would
 * keep the socket (and the process) alive forever.
 */
async function shutDown(client: Client, connected: boolean, clock: Clock): Promise<void> {
  if (connected) {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        cancelGrace();
        client.removeListener('disconnected', done);
        resolve();
      };
      const cancelGrace = clock.after(CLOSE_GRACE_MS, done);
      client.once('disconnected', done);
      closeQuietly(client);
    });
  } else {
    closeQuietly(client);
  }
  destroySocket(client);
}

function closeQuietly(client: Client): void {
  try {
    client.close();
  } catch {
    // The library throws when no socket was ever opened; there is nothing to close then.
  }
}

/** NOTE: reaches into the library's internals; kept to this one function. */
function destroySocket(client: Client): void {
  const internals = client as unknown as { connectionManager?: { socket?: { destroy(): void } } };
  internals.connectionManager?.socket?.destroy();
}
