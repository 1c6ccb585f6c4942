/**
 * Election under faults, against real ZooKeeper processes: servers that stop, freeze, restart or
 * leave an ensemble, and ensembles that cannot be reached at all.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import {
  type Candidacy,
  CoordinationError,
  type MasterDetector,
  openZkRegistryStore,
  parseZkUrl,
  startZkMasterDetector,
  zkMasterContender,
  type ZkCoordinationOptions,
} from '../../services/coordination/index.js';
import {
  fourLetterWord,
  masterInfoFixture,
  recordingObserver,
  sleep,
  startZooKeeper,
  startZooKeeperEnsemble,
  waitUntil,
  zkTestOptions,
  zooKeeperSkipReason,
} from '../helpers/zookeeper.js';

const SESSION_TIMEOUT_MS = 2000;

/** Two masters contending, the first one leading, and a detector watching them. */
async function electTwo(options: ZkCoordinationOptions): Promise<{
  readonly candidacies: readonly [Candidacy, Candidacy];
  readonly observers: readonly [ReturnType<typeof recordingObserver>, ReturnType<typeof recordingObserver>];
  readonly detector: MasterDetector;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const contender = zkMasterContender(options);
  const observers = [recordingObserver(), recordingObserver()] as const;
  const c1 = await contender.contend(masterInfoFixture(1), observers[0]);
  const c2 = await contender.contend(masterInfoFixture(2), observers[1]);
  const detector = await startZkMasterDetector(options);
  await waitUntil('master-1 leads', () => c1.isLeader());
  return {
    candidacies: [c1, c2],
    observers,
    detector,
    async [Symbol.asyncDispose]() {
      await Promise.all([c1.withdraw(), c2.withdraw(), detector.close()]);
    },
  };
}

const leaders = (candidacies: readonly Candidacy[]): number => candidacies.filter((c) => c.isLeader()).length;

/** Waits until exactly one candidacy leads and the detector names it. */
async function waitForOneLeader(candidacies: readonly Candidacy[], detector: MasterDetector): Promise<void> {
  await waitUntil('exactly one master leads', () => leaders(candidacies) === 1, 30_000);
  const leader = candidacies.findIndex((c) => c.isLeader());
  let detected = await detector.detect(undefined);
  while (detected?.id !== `master-${leader + 1}`) detected = await detector.detect(detected);
}

describe('ZooKeeper election under faults', { skip: zooKeeperSkipReason() }, () => {
  it('a leader whose session expires while ZooKeeper is down reports the loss, and a leader returns', async () => {
    await using zk = await startZooKeeper();
    await using cluster = await electTwo(
      zkTestOptions(zk.connectString, { sessionTimeoutMs: SESSION_TIMEOUT_MS }),
    );
    const [leader] = cluster.observers;

    await zk.stop();
    const stoppedAt = Date.now();
    await waitUntil('master-1 reports the loss', () => leader.events.length > 1, 3 * SESSION_TIMEOUT_MS);
    const lostAfterMs = Date.now() - stoppedAt;
    assert.deepEqual(leader.events, ['elected', 'lost:session-expired:leader']);
    assert.ok(
      lostAfterMs <= SESSION_TIMEOUT_MS + 500,
      `lost after ${lostAfterMs} ms, timeout ${SESSION_TIMEOUT_MS} ms`,
    );
    assert.equal(leaders(cluster.candidacies), 0, 'nobody leads without ZooKeeper');
    await sleep(SESSION_TIMEOUT_MS); // longer than the session timeout: every old session is dead

    await zk.start();
    await waitForOneLeader(cluster.candidacies, cluster.detector);
  });

  it('a leader deposes itself within the session timeout when ZooKeeper stops answering (SIGSTOP)', async () => {
    await using zk = await startZooKeeper();
    await using cluster = await electTwo(
      zkTestOptions(zk.connectString, { sessionTimeoutMs: SESSION_TIMEOUT_MS }),
    );
    const [c1] = cluster.candidacies;
    const [leader] = cluster.observers;

    // The TCP connection stays up: no disconnect event will ever come. Only the lease can tell.
    zk.pause();
    const pausedAt = Date.now();
    await waitUntil('master-1 stops leading', () => !c1.isLeader(), 3 * SESSION_TIMEOUT_MS);
    const deposedAfterMs = Date.now() - pausedAt;
    assert.ok(deposedAfterMs <= SESSION_TIMEOUT_MS + 100, `deposed after ${deposedAfterMs} ms`);
    await waitUntil('master-1 is told', () => leader.events.includes('lost:session-expired:leader'), 1000);

    zk.resume();
    await waitForOneLeader(cluster.candidacies, cluster.detector);
  });

  it('a ZooKeeper restart within the session timeout keeps the leader; a longer one elects again', async () => {
    await using zk = await startZooKeeper();
    const sessionTimeoutMs = 8000;
    await using cluster = await electTwo(zkTestOptions(zk.connectString, { sessionTimeoutMs }));
    const [c1] = cluster.candidacies;
    const [leader] = cluster.observers;

    await zk.restart();
    await sleep(1000); // the clients reconnect and resume their sessions
    assert.deepEqual(leader.events, ['elected'], 'sessions survive a quick restart');
    assert.equal(c1.isLeader(), true);
    assert.equal((await cluster.detector.detect(undefined))?.id, 'master-1');

    await zk.stop();
    await sleep(sessionTimeoutMs + 500);
    await zk.start();
    await waitForOneLeader(cluster.candidacies, cluster.detector);
    assert.equal(leader.events[1], 'lost:session-expired:leader');
  });

  it('losing one server of a three-server ensemble leaves a leader', async () => {
    await using ensemble = await startZooKeeperEnsemble(3);
    await using cluster = await electTwo(zkTestOptions(ensemble.connectString, { sessionTimeoutMs: 8000 }));
    // The ZooKeeper leader is the worst one to lose: the ensemble must elect a new one first.
    const modes = await Promise.all(ensemble.servers.map((s) => fourLetterWord(s.clientPort, 'srvr')));
    const zkLeader = ensemble.servers[modes.findIndex((m) => /^Mode: leader/m.test(m))];
    assert.ok(zkLeader !== undefined, 'the ensemble has a leader');

    await zkLeader.kill();
    await sleep(1000);
    await waitForOneLeader(cluster.candidacies, cluster.detector);
    // A late joiner still gets in through the two remaining servers.
    const late = await zkMasterContender(zkTestOptions(ensemble.connectString)).contend(
      masterInfoFixture(3),
      recordingObserver(),
    );
    assert.equal(late.state(), 'candidate');
    await late.withdraw();
  });

  it('an unreachable ensemble fails fast with an error naming it, leaving nothing behind', async () => {
    const port = await closedPort();
    const options = zkTestOptions(`127.0.0.1:${port}`, { connectTimeoutMs: 1000 });
    const sockets = (): number =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const before = sockets();
    const unreachable = (err: unknown): boolean =>
      err instanceof CoordinationError &&
      err.failure === 'unreachable' &&
      err.retryable &&
      err.message.includes(`zk://127.0.0.1:${port}${options.url.path}`) &&
      err.message.includes('1000 ms');

    const startedAt = Date.now();
    await assert.rejects(
      zkMasterContender(options).contend(masterInfoFixture(1), recordingObserver()),
      unreachable,
    );
    await assert.rejects(startZkMasterDetector(options), unreachable);
    await assert.rejects(
      openZkRegistryStore(options, (json) => json),
      unreachable,
    );
    const elapsedMs = Date.now() - startedAt;
    assert.ok(elapsedMs < 3 * 1000 + 1000, `three attempts took ${elapsedMs} ms`);
    await sleep(500); // the client library's last reconnect round
    assert.equal(sockets(), before, 'no socket is left trying to connect');
  });

  it('a bad URL is refused before anything connects', () => {
    assert.throws(() => parseZkUrl('zk://zk1:2181/'), /the path '\/' is not supported/);
    assert.throws(() => parseZkUrl('zk://zk1:2181'), /it has no path/);
    assert.throws(() => parseZkUrl('zookeeper://zk1/mesos'), /expected it to start with 'zk:\/\/'/);
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port assigned');
  return address.port;
}
