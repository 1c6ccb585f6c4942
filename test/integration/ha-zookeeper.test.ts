/**
 * ZooKeeper itself failing under three masters: a single server down for longer than the session
 * timeout (the leader steps down; once ZooKeeper is back a leader is elected again), and one
 * server of a three-server ensemble lost (clients move to the others; a leader remains). After
 * each, exactly one master leads and serves.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { Cluster } from '../helpers/cluster.js';
import { exitWithin, HaMasters, zkGroupUrl } from '../helpers/ha-cluster.js';
import {
  fourLetterWord,
  sleep,
  startZooKeeper,
  startZooKeeperEnsemble,
  zooKeeperSkipReason,
} from '../helpers/zookeeper.js';

const SESSION_TIMEOUT_MS = 3000;
const DEADLINE_MS = SESSION_TIMEOUT_MS + 20_000;
const MASTER_FLAGS = { zk_session_timeout: '3secs', agent_reregister_timeout: '1mins' };

describe('HA: ZooKeeper faults', { skip: zooKeeperSkipReason() }, () => {
  const cluster = new Cluster();
  afterEach(() => cluster.stopAll());

  it('regains a leader after the only ZooKeeper server was down past the session timeout', async () => {
    await using zk = await startZooKeeper();
    const ha = new HaMasters(cluster, zkGroupUrl(zk.connectString), MASTER_FLAGS);
    await ha.start(3);
    const before = await ha.leader(DEADLINE_MS);

    await zk.stop();
    await sleep(2 * SESSION_TIMEOUT_MS);
    // The leader cannot prove its lease any more: it stepped down and exited.
    assert.equal((await exitWithin(before, DEADLINE_MS))?.code, 3);
    await zk.start();

    const after = await ha.leader(DEADLINE_MS);
    assert.notEqual(after, before);
    await assertServes(after.url);
  });

  it('keeps or regains a leader when the ZooKeeper leader of a three-server ensemble dies', async () => {
    await using ensemble = await startZooKeeperEnsemble(3);
    const ha = new HaMasters(cluster, zkGroupUrl(ensemble.connectString), MASTER_FLAGS);
    await ha.start(3);
    await ha.leader(DEADLINE_MS);

    const modes = await Promise.all(ensemble.servers.map((s) => fourLetterWord(s.clientPort, 'srvr')));
    const zkLeader = ensemble.servers[modes.findIndex((m) => /^Mode: leader/m.test(m))];
    assert.ok(zkLeader !== undefined, `a ZooKeeper leader among: ${modes.join(' | ')}`);
    await zkLeader.kill();

    const leader = await ha.leader(DEADLINE_MS);
    await assertServes(leader.url);
  });
});

/** The leader handles a scheduler call itself: an empty one is refused as invalid (400), not redirected. */
async function assertServes(url: string): Promise<void> {
  const res = await fetch(`${url}/api/v1/scheduler`, { method: 'POST', redirect: 'manual' });
  assert.equal(res.status, 400);
}
