/**
 * Real ZooKeeper servers for integration tests: Debian's `zookeeper` package run with `java`
 * (see /work/shared/docs/environment.md), on loopback, in a temporary directory.
 *
 * When ZooKeeper is not installed, `zooKeeperSkipReason()` tells tests to skip locally; under CI
 * (`CI` set) it returns `false`, so the tests run and fail with the install hint instead.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type {
  CandidacyLoss,
  LeadershipObserver,
  ZkCoordinationOptions,
} from '../../services/coordination/index.js';
import { parseZkUrl } from '../../services/coordination/index.js';
import { systemClock } from '../../services/core/clock.js';
import type { MasterInfo } from '../../services/core/v1/cluster.js';
import { createLogger, silentLogger } from '../../services/log/logger.js';

const JARS = ['zookeeper.jar', 'zookeeper-jute.jar', 'slf4j-api.jar', 'slf4j-nop.jar'].map(
  (jar) => `/usr/share/java/${jar}`,
);
const CLASSPATH = ['/etc/zookeeper/conf', ...JARS].join(':');
const MAIN_CLASS = 'org.apache.zookeeper.server.quorum.QuorumPeerMain';
const INSTALL_HINT = 'ZooKeeper is not installed; run .ci/install-zookeeper.sh';
/** ZooKeeper clamps session timeouts to [minSessionTimeout, 20 × tickTime] = [1 s, 10 s] here. */
export const TICK_MS = 500;
export const MIN_SESSION_TIMEOUT_MS = 1000;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export const zooKeeperInstalled = (): boolean => existsSync(JARS[0] ?? '') && existsSync('/usr/bin/java');

/** For `describe(name, { skip: zooKeeperSkipReason() }, ...)`. */
export function zooKeeperSkipReason(): string | false {
  if (zooKeeperInstalled() || process.env.CI !== undefined) return false;
  return INSTALL_HINT;
}

export interface ZooKeeperServer extends AsyncDisposable {
  readonly clientPort: number;
  /** `127.0.0.1:<port>`. */
  readonly connectString: string;
  /** Graceful stop (SIGTERM); data and sessions survive a later `start()`. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  /** SIGSTOP: the server keeps its sockets but answers nothing (a partition or a frozen JVM). */
  pause(): void;
  resume(): void;
  /** Starts the stopped server again on the same port and data directory; waits until it serves. */
  start(): Promise<void>;
  restart(): Promise<void>;
  /** Kills the server and removes its directory. */
  destroy(): Promise<void>;
}

export interface ZooKeeperEnsemble extends AsyncDisposable {
  readonly servers: readonly ZooKeeperServer[];
  /** Every client port: `127.0.0.1:a,127.0.0.1:b,127.0.0.1:c`. */
  readonly connectString: string;
  destroy(): Promise<void>;
}

/** A standalone server on a free loopback port. */
export async function startZooKeeper(): Promise<ZooKeeperServer> {
  const [clientPort] = await freePorts(1);
  const server = new ZkProcess(makeTempDir('meso-zk-'), clientPort ?? 0, []);
  try {
    await startAll([server]);
  } catch (err) {
    await server.destroy();
    throw err;
  }
  return server;
}

/** Three servers forming one ensemble; resolves when all serve (one leader, two followers). */
export async function startZooKeeperEnsemble(size = 3): Promise<ZooKeeperEnsemble> {
  const ports = await freePorts(size * 3);
  const root = makeTempDir('meso-zk-ensemble-');
  const peers = Array.from({ length: size }, (_, i) => {
    const [client, peer, election] = ports.slice(i * 3, i * 3 + 3) as [number, number, number];
    return { id: i + 1, client, line: `server.${i + 1}=127.0.0.1:${peer}:${election}` };
  });
  const servers = peers.map(
    ({ id, client }) =>
      new ZkProcess(
        join(root, `server-${id}`),
        client,
        peers.map((p) => p.line),
        id,
      ),
  );
  const destroy = async (): Promise<void> => {
    await Promise.all(servers.map((s) => s.destroy()));
    removeTempDir(root);
  };
  try {
    await startAll(servers);
  } catch (err) {
    await destroy();
    throw err;
  }
  return {
    servers,
    connectString: servers.map((s) => s.connectString).join(','),
    destroy,
    [Symbol.asyncDispose]: destroy,
  };
}

/** A Mesos-shaped MasterInfo for tests; `n` picks the port (5050 + n) and the id. */
export function masterInfoFixture(n: number): MasterInfo {
  const port = 5050 + n;
  return {
    id: `master-${n}`,
    ip: 16_777_343, // 127.0.0.1 as Mesos's host-order uint32
    port,
    pid: `master@127.0.0.1:${port}`,
    hostname: `m${n}.test`,
    version: '1.11.0',
    address: { hostname: `m${n}.test`, ip: '127.0.0.1', port },
    capabilities: [{ type: 'AGENT_UPDATE' }],
  };
}

/**
 * Coordination options for a fresh group path on `connectString`, so tests never see each
 * other's nodes. Set `ZK_TEST_LOG=debug` to see the coordination logs.
 */
export function zkTestOptions(
  connectString: string,
  overrides: Partial<ZkCoordinationOptions> = {},
): ZkCoordinationOptions {
  const level = process.env.ZK_TEST_LOG;
  return {
    url: parseZkUrl(`zk://${connectString}/meso-test/${randomUUID()}`),
    sessionTimeoutMs: 2000,
    connectTimeoutMs: 5000,
    retry: { initialMs: 100, maxMs: 1000 },
    clock: systemClock,
    log: level === 'debug' || level === 'info' ? createLogger(level) : silentLogger,
    ...overrides,
  };
}

/** An observer that records what it is told: `elected`, `lost:<reason>:<leader|candidate>`. */
export function recordingObserver(): LeadershipObserver & { readonly events: string[] } {
  const events: string[] = [];
  return {
    events,
    elected: () => events.push('elected'),
    lost: (loss: CandidacyLoss) =>
      events.push(`lost:${loss.reason}:${loss.wasLeader ? 'leader' : 'candidate'}`),
  };
}

/** Polls `condition` every 20 ms until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await sleep(20);
  }
}

/** Sends a four-letter command (`ruok`, `srvr`) and resolves with the answer ('' on failure). */
export function fourLetterWord(port: number, command: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.end(command));
    socket.setTimeout(timeoutMs, () => socket.destroy());
    socket.on('data', (chunk) => (answer += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(answer));
  });
}

const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();

function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** A test that crashes, or is killed by the runner's timeout, must not leave JVMs or files behind. */
function cleanUpEverything(): void {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of tempDirs) removeTempDir(dir);
}
process.once('exit', cleanUpEverything);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    cleanUpEverything();
    process.kill(process.pid, signal); // the listener is gone now: default handling ends the process
  });
}

class ZkProcess implements ZooKeeperServer {
  readonly connectString: string;
  private child: ChildProcess | undefined;
  private spawnError: Error | undefined;

  constructor(
    private readonly dir: string,
    readonly clientPort: number,
    serverLines: readonly string[],
    myId?: number,
  ) {
    this.connectString = `127.0.0.1:${clientPort}`;
    mkdirSync(join(dir, 'data'), { recursive: true });
    if (myId !== undefined) writeFileSync(join(dir, 'data', 'myid'), `${myId}\n`);
    writeFileSync(
      join(dir, 'zoo.cfg'),
      [
        `tickTime=${TICK_MS}`,
        `dataDir=${join(dir, 'data')}`,
        `clientPort=${clientPort}`,
        'clientPortAddress=127.0.0.1',
        `minSessionTimeout=${MIN_SESSION_TIMEOUT_MS}`,
        'initLimit=10',
        'syncLimit=5',
        'admin.enableServer=false',
        '4lw.commands.whitelist=ruok,srvr,stat,mntr',
        ...serverLines,
        '',
      ].join('\n'),
    );
  }

  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error(`ZooKeeper on port ${this.clientPort} is already running`);
    if (!zooKeeperInstalled()) throw new Error(INSTALL_HINT);
    const log = openSync(join(this.dir, 'zookeeper.out'), 'a');
    const child = spawn('java', ['-Xmx256m', '-cp', CLASSPATH, MAIN_CLASS, join(this.dir, 'zoo.cfg')], {
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    this.child = child;
    this.spawnError = undefined;
    running.add(child);
    child.once('error', (err) => (this.spawnError = err));
    child.once('exit', () => {
      running.delete(child);
      if (this.child === child) this.child = undefined;
    });
  }

  /** Polls until the server answers `ruok` with `imok` and reports a mode (standalone/leader/follower). */
  async waitUntilServing(): Promise<void> {
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.spawnError !== undefined) throw new Error(`could not run java: ${this.spawnError.message}`);
      if (this.child === undefined) {
        throw new Error(
          `ZooKeeper on port ${this.clientPort} exited while starting; see ${this.dir}/zookeeper.out`,
        );
      }
      if ((await fourLetterWord(this.clientPort, 'ruok')) === 'imok') {
        if (/^Mode: /m.test(await fourLetterWord(this.clientPort, 'srvr'))) return;
      }
      await sleep(100);
    }
    throw new Error(`ZooKeeper on port ${this.clientPort} did not start within ${START_TIMEOUT_MS} ms`);
  }

  stop(): Promise<void> {
    return this.signalAndWait('SIGTERM');
  }

  kill(): Promise<void> {
    return this.signalAndWait('SIGKILL');
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async restart(): Promise<void> {
    await this.stop();
    await startAll([this]);
  }

  async destroy(): Promise<void> {
    await this.kill();
    removeTempDir(this.dir);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.destroy();
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT'); // a paused JVM cannot act on SIGTERM
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }
}

async function startAll(servers: readonly ZkProcess[]): Promise<void> {
  for (const server of servers) await server.start();
  await Promise.all(servers.map((s) => s.waitUntilServing()));
}

/** Ports the OS reports free on 127.0.0.1, all held open together so they are distinct. */
async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => {
      const address = s.address();
      if (address === null || typeof address === 'string') throw new Error('no port assigned');
      return address.port;
    });
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
